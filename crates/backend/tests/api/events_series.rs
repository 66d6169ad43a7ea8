//! Recurring series over HTTP: creation with materialised instances, and the three edit/delete scopes
//! (backend spec §6.7 as the acceptance table, with the reference's bugs fixed).

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::{
    app, expect_events, expect_silence, field, ids, titles, weekly, Calendar,
};

const ALL: Option<&str> = Some("All Events");
const FOLLOWING: Option<&str> = Some("This and Following Events");
const THIS: Option<&str> = Some("This Event");

fn starts(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| field(e, "startDate").to_owned())
        .collect()
}

fn base_of(instance: &Value) -> String {
    instance["recurrence"]["eventId"]
        .as_str()
        .expect("an instance")
        .to_owned()
}

#[tokio::test]
async fn a_weekly_series_materialises_its_instances_with_the_rule() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut stream = me.stream().await;
    me.create_ok(&weekly("Weekly", 10)).await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;

    let instances = me.grid().await;
    assert_eq!(instances.len(), 10);
    assert_eq!(starts(&instances)[0], "2025-01-06T09:00:00-06:00");
    assert_eq!(starts(&instances)[9], "2025-03-10T09:00:00-06:00");
    let base = base_of(&instances[0]);
    for instance in &instances {
        assert_eq!(base_of(instance), base);
        assert_eq!(
            instance["recurrence"]["rule"],
            json!(["RRULE:FREQ=WEEKLY;COUNT=10"])
        );
        assert_eq!(field(instance, "endDate").len(), 25);
    }
    assert!(!ids(&instances).contains(&base), "bases are never listed");
    // The base is readable by id (it exists), but its id cannot be edited with This Event.
    let (status, read) = me.get(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        read["recurrence"],
        json!({"rule": ["RRULE:FREQ=WEEKLY;COUNT=10"]})
    );
    let (status, error) = me.put(&base, THIS, &read).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("applyTo"));
    assert_eq!(me.delete(&base, THIS).await.0, StatusCode::BAD_REQUEST);
    expect_silence(&mut stream).await;

    // Only the instances of a week are listed for that week.
    let week = me
        .list("start=2025-01-13T00:00:00-06:00&end=2025-01-19T23:59:59-06:00")
        .await;
    assert_eq!(starts(&week), ["2025-01-13T09:00:00-06:00"]);
}

#[tokio::test]
async fn this_event_edits_one_instance_only() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let instances = me.grid().await;
    let mut second = instances[1].clone();
    second["title"] = json!("Moved");
    second["startDate"] = json!("2025-01-14T11:00:00-06:00");
    second["endDate"] = json!("2025-01-14T11:30:00-06:00");
    second["recurrence"]["rule"] = json!(["RRULE:FREQ=DAILY"]);
    let mut stream = me.stream().await;
    me.put_ok(field(&second, "_id"), THIS, &second).await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;

    let after = me.grid().await;
    assert_eq!(titles(&after), ["Weekly", "Moved", "Weekly"]);
    assert_eq!(starts(&after)[1], "2025-01-14T11:00:00-06:00");
    assert!(after
        .iter()
        .all(|e| e["recurrence"]["rule"] == json!(["RRULE:FREQ=WEEKLY;COUNT=3"])));

    // One instance cannot leave for someday on its own.
    let mut to_someday = after[0].clone();
    to_someday["isSomeday"] = json!(true);
    let (status, error) = me.put(field(&to_someday, "_id"), THIS, &to_someday).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(field(&error, "message").starts_with("isSomeday"));
    expect_silence(&mut stream).await;
}

#[tokio::test]
async fn all_events_changes_title_everywhere_but_not_dates() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let instances = me.grid().await;
    let mut edit = instances[1].clone();
    edit["title"] = json!("Retro");
    edit["priority"] = json!("relationships");
    edit["startDate"] = json!("2025-01-13T15:00:00-06:00");
    edit["endDate"] = json!("2025-01-13T16:00:00-06:00");
    me.put_ok(field(&edit, "_id"), ALL, &edit).await;

    let after = me.grid().await;
    assert_eq!(titles(&after), ["Retro", "Retro", "Retro"]);
    assert!(after.iter().all(|e| e["priority"] == "relationships"));
    assert_eq!(starts(&after), starts(&instances));
    assert_eq!(ids(&after), ids(&instances));
}

#[tokio::test]
async fn all_events_to_someday_moves_the_series_and_publishes_both() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let mut edit = me.grid().await.remove(0);
    edit["isSomeday"] = json!(true);
    let mut stream = me.stream().await;
    me.put_ok(field(&edit, "_id"), ALL, &edit).await;
    expect_events(&mut stream, &["EVENT_CHANGED", "SOMEDAY_EVENT_CHANGED"]).await;
    assert!(me.grid().await.is_empty());
    let parked = me.someday().await;
    assert_eq!(parked.len(), 3);

    // Someday instances can be edited one by one (someday notification only).
    let mut one = parked[2].clone();
    one["title"] = json!("Just this");
    me.put_ok(field(&one, "_id"), THIS, &one).await;
    expect_events(&mut stream, &["SOMEDAY_EVENT_CHANGED"]).await;
}

#[tokio::test]
async fn bug_15_12_all_events_new_rule_rebuilds_and_keeps_surviving_instance_ids() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 4)).await;
    let before = me.grid().await;
    let mut edit = before[0].clone();
    edit["recurrence"]["rule"] = json!(["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3"]);
    me.put_ok(field(&edit, "_id"), ALL, &edit).await;

    let after = me.grid().await;
    assert_eq!(
        starts(&after),
        [
            "2025-01-06T09:00:00-06:00",
            "2025-01-20T09:00:00-06:00",
            "2025-02-03T09:00:00-06:00"
        ]
    );
    let (old, new) = (ids(&before), ids(&after));
    assert_eq!(new[0], old[0]);
    assert_eq!(new[1], old[2]);
    assert!(!old.contains(&new[2]));
    assert!(after
        .iter()
        .all(|e| e["recurrence"]["rule"] == json!(["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=3"])));
}

#[tokio::test]
async fn all_events_rule_null_makes_one_standalone_event() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let instances = me.grid().await;
    let base = base_of(&instances[1]);
    let mut edit = instances[1].clone();
    edit["recurrence"] = json!({ "rule": null });
    me.put_ok(field(&edit, "_id"), ALL, &edit).await;

    let after = me.grid().await;
    assert_eq!(ids(&after), [base]);
    assert_eq!(starts(&after), ["2025-01-13T09:00:00-06:00"]);
    assert!(after[0].get("recurrence").is_none());
}

#[tokio::test]
async fn all_events_delete_removes_the_series() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 5)).await;
    let instances = me.grid().await;
    let base = base_of(&instances[0]);
    let mut stream = me.stream().await;
    assert_eq!(
        me.delete(field(&instances[2], "_id"), ALL).await.0,
        StatusCode::NO_CONTENT
    );
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;
    assert!(me.grid().await.is_empty());
    assert_eq!(me.get(&base).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn this_and_following_splits_the_series() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 5)).await;
    let before = me.grid().await;
    let old_base = base_of(&before[0]);
    let mut edit = before[2].clone();
    edit["title"] = json!("Later");
    let mut stream = me.stream().await;
    me.put_ok(field(&edit, "_id"), FOLLOWING, &edit).await;
    expect_events(&mut stream, &["EVENT_CHANGED"]).await;

    let after = me.grid().await;
    assert_eq!(
        starts(&after),
        starts(&before),
        "the occurrences are the same"
    );
    assert_eq!(
        titles(&after),
        ["Weekly", "Weekly", "Later", "Later", "Later"]
    );
    assert_eq!(
        ids(&after)[..3],
        ids(&before)[..3],
        "earlier instances and the edited one keep their ids"
    );
    assert_eq!(base_of(&after[0]), old_base);
    assert_eq!(base_of(&after[1]), old_base);
    let new_base = base_of(&after[2]);
    assert_ne!(new_base, old_base);
    assert_eq!(base_of(&after[4]), new_base);
    assert_eq!(
        after[0]["recurrence"]["rule"],
        json!(["RRULE:FREQ=WEEKLY;UNTIL=20250120T145959Z"])
    );
    assert_eq!(
        after[2]["recurrence"]["rule"],
        json!(["RRULE:FREQ=WEEKLY;UNTIL=20250203T150000Z"])
    );
}

#[tokio::test]
async fn this_and_following_on_the_first_instance_is_all_events() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let before = me.grid().await;
    let mut edit = before[0].clone();
    edit["title"] = json!("Everything");
    me.put_ok(field(&edit, "_id"), FOLLOWING, &edit).await;
    let after = me.grid().await;
    assert_eq!(titles(&after), ["Everything", "Everything", "Everything"]);
    assert_eq!(ids(&after), ids(&before));
}

#[tokio::test]
async fn delete_this_and_following_truncates() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 5)).await;
    let before = me.grid().await;
    assert_eq!(
        me.delete(field(&before[3], "_id"), FOLLOWING).await.0,
        StatusCode::NO_CONTENT
    );
    let after = me.grid().await;
    assert_eq!(ids(&after), ids(&before)[..3]);
    assert!(after[0]["recurrence"]["rule"][0]
        .as_str()
        .unwrap()
        .contains("UNTIL=20250127T"));
}

#[tokio::test]
async fn delete_this_event_removes_one_instance() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&weekly("Weekly", 3)).await;
    let before = me.grid().await;
    assert_eq!(
        me.delete(field(&before[1], "_id"), THIS).await.0,
        StatusCode::NO_CONTENT
    );
    let after = me.grid().await;
    assert_eq!(
        ids(&after),
        [ids(&before)[0].clone(), ids(&before)[2].clone()]
    );
    assert_eq!(
        after[0]["recurrence"]["rule"],
        json!(["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20250113T150000Z"])
    );

    // Re-materialising the series (a longer rule) does not bring it back.
    let mut edit = after[0].clone();
    edit["recurrence"]["rule"] = json!(["RRULE:FREQ=WEEKLY;COUNT=4", "EXDATE:20250113T150000Z"]);
    me.put_ok(field(&edit, "_id"), ALL, &edit).await;
    assert_eq!(
        starts(&me.grid().await),
        [
            "2025-01-06T09:00:00-06:00",
            "2025-01-20T09:00:00-06:00",
            "2025-01-27T09:00:00-06:00"
        ]
    );

    // Deleting the remaining instances one by one removes the series.
    let base = base_of(&after[0]);
    for instance in me.grid().await {
        assert_eq!(
            me.delete(field(&instance, "_id"), THIS).await.0,
            StatusCode::NO_CONTENT
        );
    }
    assert!(me.grid().await.is_empty());
    assert_eq!(me.get(&base).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_standalone_event_becomes_a_series_and_all_day_series_expand_by_day() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = crate::events_support::all_day("Gym", "2025-01-30", "2025-01-31");
    me.create_ok(&body).await;
    let id = field(&me.grid().await[0], "_id").to_owned();
    body["_id"] = json!(id);
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=DAILY;UNTIL=20250202"] });
    me.put_ok(&id, None, &body).await;
    let after = me.grid().await;
    assert_eq!(
        starts(&after),
        ["2025-01-30", "2025-01-31", "2025-02-01", "2025-02-02"]
    );
    assert!(after.iter().all(|e| base_of(e) == id));
}

#[tokio::test]
async fn bug_15_23_series_scopes_on_a_standalone_event_are_not_errors() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&crate::events_support::timed(
        "Single",
        "2025-01-06T09:00:00Z",
        "2025-01-06T10:00:00Z",
    ))
    .await;
    let mut event = me.grid().await.remove(0);
    let id = field(&event, "_id").to_owned();
    event["title"] = json!("Single, renamed");
    me.put_ok(&id, ALL, &event).await;
    me.put_ok(&id, FOLLOWING, &event).await;
    assert_eq!(titles(&me.grid().await), ["Single, renamed"]);
    assert_eq!(me.delete(&id, ALL).await.0, StatusCode::NO_CONTENT);
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn an_endless_daily_series_stops_at_the_730_instance_horizon() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = crate::events_support::all_day("Daily", "2025-01-01", "2025-01-02");
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=DAILY"] });
    let started = std::time::Instant::now();
    me.create_ok(&body).await;
    eprintln!("730-instance create took {:?}", started.elapsed());
    let all = me.grid().await;
    assert_eq!(all.len(), 730);
    assert_eq!(field(&all[729], "startDate"), "2026-12-31");
    let started = std::time::Instant::now();
    assert_eq!(
        me.delete(field(&all[0], "_id"), ALL).await.0,
        StatusCode::NO_CONTENT
    );
    eprintln!("730-instance delete took {:?}", started.elapsed());
    assert!(me.grid().await.is_empty());
}

#[tokio::test]
async fn bug_15_14_series_recur_at_the_wall_clock_time_of_their_start_offset() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    // Monday 22:00 in UTC-6 is Tuesday 04:00 UTC; the reference expanded in UTC.
    let mut body = crate::events_support::timed(
        "Late Monday",
        "2025-01-06T22:00:00-06:00",
        "2025-01-06T23:00:00-06:00",
    );
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3"] });
    me.create_ok(&body).await;
    assert_eq!(
        starts(&me.grid().await),
        [
            "2025-01-06T22:00:00-06:00",
            "2025-01-13T22:00:00-06:00",
            "2025-01-20T22:00:00-06:00"
        ]
    );
}
