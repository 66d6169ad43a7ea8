//! Standalone and someday events over HTTP: create, list by range, read, update, delete, moves between
//! grid and someday, reorder, and the SSE notifications each committed write publishes.

use compass_backend::store::events::{EventDoc, Events, Provenance};
use reqwest::StatusCode;
use serde_json::json;

use crate::events_support::{
    all_day, app, expect_events, expect_silence, field, ids, someday, timed, titles, Calendar,
};

#[tokio::test]
async fn create_read_update_delete_a_timed_event_with_sse() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut stream = me.stream().await;

    let mut body = timed(
        "Standup",
        "2025-01-06T09:00:00-06:00",
        "2025-01-06T09:30:00-06:00",
    );
    body["_id"] = json!("optimistic-65a1b2c3d4e5f60718293a4b");
    body["description"] = json!("daily");
    me.create_ok(&body).await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;

    let listed = me
        .list("start=2025-01-06T00:00:00-06:00&end=2025-01-06T23:59:59-06:00")
        .await;
    assert_eq!(ids(&listed), ["65a1b2c3d4e5f60718293a4b"]);
    let event = &listed[0];
    assert_eq!(field(event, "user"), me.user_id);
    assert_eq!(field(event, "startDate"), "2025-01-06T09:00:00-06:00");
    assert_eq!(field(event, "origin"), "compass");
    assert_eq!(field(event, "description"), "daily");
    assert!(event.get("recurrence").is_none());

    let (status, read) = me.get("65a1b2c3d4e5f60718293a4b").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&read, event);

    let mut edited = read.clone();
    edited["title"] = json!("Standup (moved)");
    edited["startDate"] = json!("2025-01-06T10:00:00-06:00");
    edited["endDate"] = json!("2025-01-06T10:30:00-06:00");
    me.put_ok("65a1b2c3d4e5f60718293a4b", None, &edited).await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;
    let (_, read) = me.get("65a1b2c3d4e5f60718293a4b").await;
    assert_eq!(field(&read, "title"), "Standup (moved)");
    assert_eq!(field(&read, "startDate"), "2025-01-06T10:00:00-06:00");

    let (status, _) = me.delete("65a1b2c3d4e5f60718293a4b", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;
    assert_eq!(
        me.get("65a1b2c3d4e5f60718293a4b").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        me.delete("65a1b2c3d4e5f60718293a4b", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn someday_events_are_listed_apart_and_publish_someday_changed() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut stream = me.stream().await;
    me.create_ok(&someday("Read a book", "2025-01-05", "2025-01-12"))
        .await;
    expect_events(&mut stream, &["SOMEDAY_EVENT_CHANGED"]).await;
    me.create_ok(&timed(
        "Grid",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;

    assert_eq!(titles(&me.someday().await), ["Read a book"]);
    assert_eq!(titles(&me.grid().await), ["Grid"]);
    let in_week = me
        .list("someday=true&start=2025-01-05&end=2025-01-11")
        .await;
    assert_eq!(titles(&in_week), ["Read a book"]);
    assert!(me
        .list("someday=true&start=2025-02-01&end=2025-02-28")
        .await
        .is_empty());
}

#[tokio::test]
async fn moving_between_grid_and_someday_publishes_both() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&someday("Plan trip", "2025-01-05", "2025-01-12"))
        .await;
    let mut stream = me.stream().await;
    let mut event = me.someday().await.remove(0);
    let id = field(&event, "_id").to_owned();

    event["isSomeday"] = json!(false);
    event["isAllDay"] = json!(false);
    event["startDate"] = json!("2025-01-07T18:00:00+01:00");
    event["endDate"] = json!("2025-01-07T19:00:00+01:00");
    me.put_ok(&id, None, &event).await;
    expect_events(&mut stream, &["EVENT_CHANGED", "SOMEDAY_EVENT_CHANGED"]).await;
    assert!(me.someday().await.is_empty());
    assert_eq!(ids(&me.grid().await), [id.as_str()]);

    let mut back = me.get(&id).await.1;
    back["isSomeday"] = json!(true);
    me.put_ok(&id, None, &back).await;
    expect_events(&mut stream, &["EVENT_CHANGED", "SOMEDAY_EVENT_CHANGED"]).await;
    assert_eq!(ids(&me.someday().await), [id]);
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_and_publishes_once() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut stream = me.stream().await;
    let good = timed("One", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z");
    let bad = timed("Two", "2025-01-06T09:00:00Z", "2025-01-06T08:00:00Z");
    let (status, error) = me.create(&json!([good, bad])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        field(&error, "message").starts_with("[1].endDate"),
        "{error}"
    );
    expect_silence(&mut stream).await;
    assert!(me.grid().await.is_empty());

    let also_good = all_day("Holiday", "2025-01-07", "2025-01-08");
    let someday_one = someday("Later", "2025-01-05", "2025-01-12");
    me.create_ok(&json!([good, also_good, someday_one])).await;
    expect_events(&mut stream, &["EVENT_CHANGED", "SOMEDAY_EVENT_CHANGED"]).await;
    assert_eq!(titles(&me.grid().await), ["One", "Holiday"]);
}

#[tokio::test]
async fn a_reused_id_is_a_conflict_and_changes_nothing() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = timed("First", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z");
    body["_id"] = json!("65a1b2c3d4e5f60718293a4c");
    me.create_ok(&body).await;
    body["title"] = json!("Second");
    let (status, error) = me.create(&body).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(field(&error, "code"), "EVENT_ID_TAKEN");
    assert_eq!(titles(&me.grid().await), ["First"]);
}

#[tokio::test]
async fn reorder_sets_order_all_or_nothing() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&json!([
        someday("A", "2025-01-05", "2025-01-12"),
        someday("B", "2025-01-05", "2025-01-12"),
    ]))
    .await;
    let listed = me.someday().await;
    let (a, b) = (
        field(&listed[0], "_id").to_owned(),
        field(&listed[1], "_id").to_owned(),
    );
    let mut stream = me.stream().await;

    let (status, result) = me
        .reorder(&json!([{"_id": a, "order": 2}, {"_id": b, "order": 1}]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["matchedCount"], 2);
    expect_events(&mut stream, &["SOMEDAY_EVENT_CHANGED"]).await;
    assert_eq!(titles(&me.someday().await), ["B", "A"]);

    let unknown = "65a1b2c3d4e5f60718293a4d";
    let (status, _) = me
        .reorder(&json!([{"_id": a, "order": 0}, {"_id": unknown, "order": 5}]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    expect_silence(&mut stream).await;
    assert_eq!(me.get(&a).await.1["order"], 2);

    let (status, error) = me.reorder(&json!([])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(field(&error, "message"), "No events to reorder");
}

#[tokio::test]
async fn bug_15_13_put_keeps_order_and_unchanged_put_is_silent() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = someday("Ordered", "2025-01-05", "2025-01-12");
    body["order"] = json!(7);
    body["allDayOrder"] = json!(3);
    me.create_ok(&body).await;
    let mut event = me.someday().await.remove(0);
    let id = field(&event, "_id").to_owned();
    assert_eq!(event["order"], 7);

    let mut stream = me.stream().await;
    me.put_ok(&id, None, &event).await;
    expect_silence(&mut stream).await;

    event.as_object_mut().unwrap().remove("order");
    event.as_object_mut().unwrap().remove("allDayOrder");
    event["title"] = json!("Renamed");
    me.put_ok(&id, None, &event).await;
    expect_events(&mut stream, &["SOMEDAY_EVENT_CHANGED"]).await;
    let (_, read) = me.get(&id).await;
    assert_eq!(read["order"], 7);
    assert_eq!(read["allDayOrder"], 3);
    assert_eq!(field(&read, "title"), "Renamed");
}

#[tokio::test]
async fn bug_15_1_grid_events_get_no_invented_google_ids_and_origin_is_compass() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = timed("Mine", "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z");
    body["origin"] = json!("googleimport");
    body["gEventId"] = json!("made-up-google-id");
    me.create_ok(&body).await;
    let event = me.grid().await.remove(0);
    assert!(event.get("gEventId").is_none(), "{event}");
    assert_eq!(field(&event, "origin"), "compass");

    // The stored document records that Compass made it (what a Google revocation keys off).
    let user = compass_core::UserId::parse(&me.user_id).unwrap();
    let id = compass_core::EventId::parse(field(&event, "_id")).unwrap();
    let stored = Events::new(&app.db.store())
        .get(&user, &id, None)
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.provenance, Provenance::Compass);
    assert_eq!(stored.g_event_id, None);
}

#[tokio::test]
async fn bug_15_21_ranges_compare_instants_and_local_days() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    // 23:30 in UTC-6 on the 6th is 05:30 UTC on the 7th.
    me.create_ok(&timed(
        "Late",
        "2025-01-06T23:30:00-06:00",
        "2025-01-07T00:30:00-06:00",
    ))
    .await;
    me.create_ok(&all_day("Sunday", "2025-01-12", "2025-01-13"))
        .await;
    me.create_ok(&all_day("Monday", "2025-01-06", "2025-01-07"))
        .await;

    // The local week of the 6th in UTC-6 (the web sends local offsets, unencoded).
    let week = me
        .list("start=2025-01-05T00:00:00-06:00&end=2025-01-11T23:59:59-06:00")
        .await;
    assert_eq!(titles(&week), ["Monday", "Late"]);
    // The same instants written in UTC find the timed event too.
    let utc = me
        .list("start=2025-01-07T05:00:00Z&end=2025-01-07T06:00:00Z")
        .await;
    assert_eq!(titles(&utc), ["Late"]);
    // A positive offset that arrived with its `+` decoded as a space.
    let plus = me
        .list("start=2025-01-12T00:00:00+05:00&end=2025-01-12T23:59:59+05:00")
        .await;
    assert_eq!(titles(&plus), ["Sunday"]);
    // Date-only ranges include the end day.
    let days = me.list("start=2025-01-12&end=2025-01-12").await;
    assert_eq!(titles(&days), ["Sunday"]);
}

#[tokio::test]
async fn bug_15_20_priorities_query_parameter_does_not_empty_the_list() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&timed(
        "Kept",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    let listed = me
        .list("start=2025-01-01&end=2025-01-31&priorities=work,self")
        .await;
    assert_eq!(titles(&listed), ["Kept"]);
}

#[tokio::test]
async fn bug_15_22_delete_with_apply_to_undefined_deletes_the_event() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&timed(
        "Gone",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    let id = field(&me.grid().await[0], "_id").to_owned();
    let (status, _) = me.delete(&id, Some("undefined")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn bug_15_18_unscoped_bulk_delete_routes_do_not_exist() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&timed(
        "Safe",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    let path = format!("/event/delete-all/{}", me.user_id);
    let (status, _) = me.send(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = me
        .send(
            reqwest::Method::DELETE,
            "/event/deleteMany",
            Some(&json!({"key": "title", "ids": ["Safe"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(titles(&me.grid().await), ["Safe"]);
}

#[tokio::test]
async fn edits_keep_the_provenance_and_google_ids_of_imported_events() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let user = compass_core::UserId::parse(&me.user_id).unwrap();
    let id = compass_core::EventId::parse("65a1b2c3d4e5f60718293a50").unwrap();
    let mut imported = EventDoc::new(
        &id,
        &user,
        compass_core::EventDate::parse("2025-01-06T09:00:00Z").unwrap(),
        compass_core::EventDate::parse("2025-01-06T10:00:00Z").unwrap(),
        compass_core::Origin::GoogleImport,
        compass_core::Priority::Work,
        Provenance::Google,
    );
    imported.title = Some("From Google".into());
    imported.g_event_id = Some("g-123".into());
    let events = Events::new(&app.db.store());
    events.insert(&imported, None).await.unwrap();

    let (_, read) = me.get(id.as_str()).await;
    assert_eq!(field(&read, "origin"), "googleimport");
    assert_eq!(field(&read, "gEventId"), "g-123");
    let mut edit = read.clone();
    edit.as_object_mut().unwrap().remove("gEventId");
    edit["origin"] = json!("compass");
    edit["title"] = json!("Edited in Compass");
    me.put_ok(id.as_str(), None, &edit).await;

    let stored = events.get(&user, &id, None).await.unwrap().expect("stored");
    assert_eq!(stored.provenance, Provenance::Google);
    assert_eq!(stored.origin, compass_core::Origin::GoogleImport);
    assert_eq!(stored.g_event_id.as_deref(), Some("g-123"));
    assert_eq!(stored.title.as_deref(), Some("Edited in Compass"));
}
