//! The `event` collection over the wire: range queries across UTC offsets and all-day boundaries,
//! someday lists, series, Google ids, provenance, user scoping and undecodable documents.

#![allow(clippy::unwrap_used)]

use compass_backend::store::events::{EventDoc, Events, Provenance, RecurrenceDoc};
use compass_backend::store::{migrate, StoreError};
use compass_core::{DateRange, EventDate, EventId, Origin, Priority, UserId};
use mongodb::bson::{doc, oid::ObjectId, Document};

use crate::support::db::TestDb;

fn new_user() -> UserId {
    UserId::from_bytes(ObjectId::new().bytes())
}

fn new_id() -> EventId {
    EventId::from_bytes(ObjectId::new().bytes())
}

fn date(s: &str) -> EventDate {
    EventDate::parse(s).unwrap()
}

fn range(start: &str, end: &str) -> DateRange {
    DateRange::new(date(start), date(end)).unwrap()
}

fn event(user: &UserId, start: &str, end: &str) -> EventDoc {
    EventDoc::new(
        &new_id(),
        user,
        date(start),
        date(end),
        Origin::Compass,
        Priority::Work,
        Provenance::Compass,
    )
}

/// Stores one event and returns it.
async fn stored(events: &Events, user: &UserId, start: &str, end: &str) -> EventDoc {
    let e = event(user, start, end);
    events.insert(&e, None).await.unwrap();
    e
}

/// The ids found by an overlap query.
async fn found(events: &Events, user: &UserId, r: &DateRange) -> Vec<EventId> {
    let listing = events.overlapping(user, r, false).await.unwrap();
    assert!(listing.failures.is_empty());
    listing.items.iter().map(EventDoc::event_id).collect()
}

#[tokio::test]
async fn timed_events_are_compared_as_instants_across_utc_offsets() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let user = new_user();
    // 15:00–16:00 UTC, written in Chicago winter time.
    let e = stored(
        &events,
        &user,
        "2025-01-05T09:00:00-06:00",
        "2025-01-05T10:00:00-06:00",
    )
    .await;
    let id = e.event_id();

    // The same hour seen from Kolkata (+05:30): 20:30–21:30.
    assert_eq!(
        found(
            &events,
            &user,
            &range("2025-01-05T20:00:00+05:30", "2025-01-05T21:00:00+05:30")
        )
        .await,
        vec![id.clone()]
    );
    // In UTC, a range ending exactly at the start does not overlap (end exclusive)...
    assert!(found(
        &events,
        &user,
        &range("2025-01-05T14:00:00Z", "2025-01-05T15:00:00Z")
    )
    .await
    .is_empty());
    // ...and one starting exactly at the end does not either.
    assert!(found(
        &events,
        &user,
        &range("2025-01-05T16:00:00+00:00", "2025-01-05T17:00:00+00:00")
    )
    .await
    .is_empty());
    // A string comparison would get this wrong: "2025-01-05T08:00:00-08:00" < "2025-01-05T09:00:00-06:00"
    // as text, but 08:00-08:00 is 16:00 UTC, after the event.
    assert!(found(
        &events,
        &user,
        &range("2025-01-05T08:00:00-08:00", "2025-01-05T09:00:00-08:00")
    )
    .await
    .is_empty());
    assert_eq!(
        found(
            &events,
            &user,
            &range("2025-01-05T06:30:00-08:00", "2025-01-05T07:30:00-08:00")
        )
        .await,
        vec![id.clone()]
    );
    // A day-form range covers whole days, end inclusive.
    assert_eq!(
        found(&events, &user, &range("2025-01-05", "2025-01-05")).await,
        vec![id]
    );
    assert!(found(&events, &user, &range("2025-01-06", "2025-01-07"))
        .await
        .is_empty());
}

#[tokio::test]
async fn all_day_events_match_the_calendar_day_in_the_ranges_own_offset() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let user = new_user();
    let sunday = stored(&events, &user, "2025-01-05", "2025-01-06")
        .await
        .event_id();

    // The local day 2025-01-05 in Chicago, in Tokyo, in UTC: the all-day event is on each.
    for (start, end) in [
        ("2025-01-05T00:00:00-06:00", "2025-01-06T00:00:00-06:00"),
        ("2025-01-05T00:00:00+09:00", "2025-01-06T00:00:00+09:00"),
        ("2025-01-05T00:00:00Z", "2025-01-05T23:59:59Z"),
        ("2025-01-05T23:00:00-06:00", "2025-01-05T23:30:00-06:00"),
    ] {
        assert_eq!(
            found(&events, &user, &range(start, end)).await,
            vec![sunday.clone()],
            "{start}..{end}"
        );
    }
    // The local day before / after, in offsets where an instant comparison with 00:00 UTC would
    // wrongly overlap: Tokyo's Jan 4 ends at 15:00 UTC on Jan 4... and Chicago's Jan 6 starts 06:00 UTC Jan 6.
    for (start, end) in [
        ("2025-01-04T00:00:00+09:00", "2025-01-05T00:00:00+09:00"),
        ("2025-01-06T00:00:00-06:00", "2025-01-07T00:00:00-06:00"),
        ("2025-01-04T12:00:00-10:00", "2025-01-04T23:59:59-10:00"),
    ] {
        assert!(
            found(&events, &user, &range(start, end)).await.is_empty(),
            "{start}..{end}"
        );
    }
    // Day-form ranges.
    assert_eq!(
        found(&events, &user, &range("2025-01-05", "2025-01-05")).await,
        vec![sunday.clone()]
    );
    assert_eq!(
        found(&events, &user, &range("2025-01-01", "2025-01-31")).await,
        vec![sunday.clone()]
    );
    assert!(found(&events, &user, &range("2025-01-06", "2025-01-06"))
        .await
        .is_empty());
    assert!(found(&events, &user, &range("2025-01-04", "2025-01-04"))
        .await
        .is_empty());

    // A multi-day event (Jan 3 .. Jan 6 exclusive) is found by a range inside it.
    let span = stored(&events, &user, "2025-01-03", "2025-01-06")
        .await
        .event_id();
    assert_eq!(
        found(
            &events,
            &user,
            &range("2025-01-04T10:00:00+02:00", "2025-01-04T11:00:00+02:00")
        )
        .await,
        vec![span.clone()]
    );
    // The reference stored some all-day events with start == end; they still occupy their day.
    let same_day = stored(&events, &user, "2025-01-10", "2025-01-10")
        .await
        .event_id();
    assert_eq!(
        found(&events, &user, &range("2025-01-10", "2025-01-10")).await,
        vec![same_day]
    );
}

#[tokio::test]
async fn wire_strings_are_kept_and_dates_are_stored_as_bson_dates() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let user = new_user();
    let e = stored(
        &events,
        &user,
        "2025-01-05T09:00:00-06:00",
        "2025-01-05T10:00:00-06:00",
    )
    .await;
    let raw = db
        .store()
        .collection::<Document>("event")
        .find_one(doc! { "_id": e.id })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        raw.get_str("startDate").unwrap(),
        "2025-01-05T09:00:00-06:00"
    );
    assert_eq!(
        raw.get_datetime("startsAt")
            .unwrap()
            .try_to_rfc3339_string()
            .unwrap(),
        "2025-01-05T15:00:00Z"
    );
    assert_eq!(raw.get_object_id("user").unwrap().to_hex(), user.as_str());
    assert_eq!(raw.get_str("provenance").unwrap(), "compass");
    let back = events
        .get(&user, &e.event_id(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back, e);
}

#[tokio::test]
async fn queries_are_scoped_to_their_user() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let (alice, bob) = (new_user(), new_user());
    let mut e = event(&alice, "2025-01-05", "2025-01-06");
    e.g_event_id = Some("shared-google-id".to_owned());
    events.insert(&e, None).await.unwrap();

    assert!(found(&events, &bob, &range("2025-01-05", "2025-01-05"))
        .await
        .is_empty());
    assert!(events
        .get(&bob, &e.event_id(), None)
        .await
        .unwrap()
        .is_none());
    assert!(events
        .by_g_event_id(&bob, "shared-google-id", None)
        .await
        .unwrap()
        .is_none());
    assert!(!events.delete(&bob, &e.event_id(), None).await.unwrap());
    // Bob may hold his own copy of the same Google event (§15 item 7: lookups are per user).
    let mut bobs = event(&bob, "2025-01-05", "2025-01-06");
    bobs.g_event_id = Some("shared-google-id".to_owned());
    events.insert(&bobs, None).await.unwrap();
    // Replacing someone else's event is "not found", never a silent write.
    let mut stolen = e.clone();
    stolen.user = bobs.user;
    assert!(matches!(
        events.replace(&stolen, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(events.delete(&alice, &e.event_id(), None).await.unwrap());
}

#[tokio::test]
async fn someday_lists_series_and_google_ids() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let events = Events::new(&store);
    let user = new_user();

    // Someday events live apart from the grid, ordered by start.
    let mut later = event(&user, "2025-01-12", "2025-01-19");
    later.is_someday = true;
    let mut sooner = event(&user, "2025-01-05", "2025-01-12");
    sooner.is_someday = true;
    events.insert(&later, None).await.unwrap();
    events.insert(&sooner, None).await.unwrap();
    let grid = stored(&events, &user, "2025-01-06", "2025-01-07").await;
    let someday: Vec<EventId> = events
        .someday(&user, None, None)
        .await
        .unwrap()
        .items
        .iter()
        .map(EventDoc::event_id)
        .collect();
    assert_eq!(someday, vec![sooner.event_id(), later.event_id()]);
    assert_eq!(
        events
            .someday(&user, None, Some(1))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let in_week = events
        .overlapping(&user, &range("2025-01-06", "2025-01-08"), true)
        .await
        .unwrap();
    assert_eq!(
        in_week
            .items
            .iter()
            .map(EventDoc::event_id)
            .collect::<Vec<_>>(),
        vec![sooner.event_id()]
    );
    assert_eq!(
        found(&events, &user, &range("2025-01-01", "2025-01-31")).await,
        vec![grid.event_id()]
    );

    // A series: the base is not listed; its instances are, and can be found through the base.
    let mut base = event(
        &user,
        "2025-02-03T09:00:00+01:00",
        "2025-02-03T10:00:00+01:00",
    );
    base.recurrence = Some(RecurrenceDoc::base(vec![
        "RRULE:FREQ=DAILY;COUNT=2".to_owned()
    ]));
    base.g_event_id = Some("gbase".to_owned());
    events.insert(&base, None).await.unwrap();
    let mut instances = Vec::new();
    for day in ["03", "04"] {
        let mut i = event(
            &user,
            &format!("2025-02-{day}T09:00:00+01:00"),
            &format!("2025-02-{day}T10:00:00+01:00"),
        );
        i.recurrence = Some(RecurrenceDoc::instance(&base.event_id()));
        i.g_event_id = Some(format!("gbase_202502{day}T080000Z"));
        i.g_recurring_event_id = Some("gbase".to_owned());
        events.insert(&i, None).await.unwrap();
        instances.push(i.event_id());
    }
    assert_eq!(
        found(&events, &user, &range("2025-02-01", "2025-02-28")).await,
        instances
    );
    let of_base: Vec<EventId> = events
        .instances_of(&user, &base.event_id())
        .await
        .unwrap()
        .items
        .iter()
        .map(EventDoc::event_id)
        .collect();
    assert_eq!(of_base, instances);
    assert_eq!(events.bases(&user).await.unwrap().items.len(), 1);
    let by_google = events
        .by_g_event_id(&user, "gbase_20250204T080000Z", None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_google.event_id(), instances[1]);
    assert_eq!(by_google.base_id(), Some(base.event_id()));
    let of_google_base: Vec<EventId> = events
        .by_g_recurring_event_id(&user, "gbase")
        .await
        .unwrap()
        .items
        .iter()
        .map(EventDoc::event_id)
        .collect();
    assert_eq!(of_google_base, instances);

    // The unique {user, gEventId} index turns a duplicate into a typed conflict.
    let mut dup = event(&user, "2025-02-05", "2025-02-06");
    dup.g_event_id = Some("gbase".to_owned());
    let error = events.insert(&dup, None).await.unwrap_err();
    assert!(error.is_conflict_on("user_gEventId_unique"), "{error:?}");

    // Google cancels the second occurrence.
    assert!(events
        .delete_by_g_event_id(&user, "gbase_20250204T080000Z", None)
        .await
        .unwrap());
    assert!(!events
        .delete_by_g_event_id(&user, "gbase_20250204T080000Z", None)
        .await
        .unwrap());
    assert_eq!(
        events
            .delete_series(&user, &base.event_id(), None)
            .await
            .unwrap(),
        2
    );
    assert!(events
        .instances_of(&user, &base.event_id())
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn google_upserts_are_idempotent_and_revocation_keeps_compass_events() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let events = Events::new(&store);
    let user = new_user();

    let mine = stored(
        &events,
        &user,
        "2025-03-01T10:00:00Z",
        "2025-03-01T11:00:00Z",
    )
    .await;
    let mut from_google = event(&user, "2025-03-02T10:00:00Z", "2025-03-02T11:00:00Z");
    from_google.provenance = Provenance::Google;
    from_google.origin = Origin::GoogleImport;
    from_google.title = Some("v1".to_owned());
    let first = events
        .upsert_by_g_event_id("g-1", &from_google, None)
        .await
        .unwrap();
    // The same Google event again (a replayed page), with a new title and a different candidate id:
    let mut replay = event(&user, "2025-03-02T12:00:00Z", "2025-03-02T13:00:00Z");
    replay.provenance = Provenance::Google;
    replay.title = Some("v2".to_owned());
    let second = events
        .upsert_by_g_event_id("g-1", &replay, None)
        .await
        .unwrap();
    assert_eq!(first, second, "the Compass id is kept");
    let google = events
        .by_provenance(&user, Provenance::Google)
        .await
        .unwrap()
        .items;
    assert_eq!(google.len(), 1);
    assert_eq!(google[0].title.as_deref(), Some("v2"));
    assert_eq!(
        google[0].start_date().to_wire(),
        "2025-03-02T12:00:00+00:00"
    );

    // Revoking Google removes Google-derived events only (§15 item 1).
    assert_eq!(
        events
            .delete_by_provenance(&user, Provenance::Google, None)
            .await
            .unwrap(),
        1
    );
    let left: Vec<EventId> = events
        .by_provenance(&user, Provenance::Compass)
        .await
        .unwrap()
        .items
        .iter()
        .map(EventDoc::event_id)
        .collect();
    assert_eq!(left, vec![mine.event_id()]);
}

#[tokio::test]
async fn a_document_that_does_not_decode_is_reported_and_skipped() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let user = new_user();
    let good = stored(&events, &user, "2025-01-05", "2025-01-06").await;
    // A legacy/corrupt document: unknown origin value. (No validator in this fresh database.)
    let bad_id = ObjectId::new();
    let mut bad = mongodb::bson::to_document(&event(&user, "2025-01-05", "2025-01-06")).unwrap();
    bad.insert("_id", bad_id);
    bad.insert("origin", "carrier-pigeon");
    db.store()
        .collection::<Document>("event")
        .insert_one(bad)
        .await
        .unwrap();

    let listing = events
        .overlapping(&user, &range("2025-01-05", "2025-01-05"), false)
        .await
        .unwrap();
    assert_eq!(
        listing
            .items
            .iter()
            .map(EventDoc::event_id)
            .collect::<Vec<_>>(),
        vec![good.event_id()]
    );
    assert_eq!(listing.failures.len(), 1);
    assert_eq!(listing.failures[0].id, bad_id.to_hex());
    assert_eq!(listing.failures[0].collection, "event");
    let single = events
        .get(&user, &EventId::from_bytes(bad_id.bytes()), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&single, StoreError::Decode { id, .. } if *id == bad_id.to_hex()),
        "{single:?}"
    );
}

#[tokio::test]
async fn a_series_write_in_a_transaction_is_all_or_nothing() {
    let db = TestDb::new().await;
    let store = db.store();
    migrate::run(&store).await.unwrap();
    let events = Events::new(&store);
    let user = new_user();
    let mut taken = event(&user, "2025-04-01", "2025-04-02");
    taken.g_event_id = Some("taken".to_owned());
    events.insert(&taken, None).await.unwrap();

    let mut base = event(&user, "2025-04-07T09:00:00Z", "2025-04-07T10:00:00Z");
    base.recurrence = Some(RecurrenceDoc::base(vec![
        "RRULE:FREQ=WEEKLY;COUNT=2".to_owned()
    ]));
    let mut first = event(&user, "2025-04-07T09:00:00Z", "2025-04-07T10:00:00Z");
    first.recurrence = Some(RecurrenceDoc::instance(&base.event_id()));
    let mut second = event(&user, "2025-04-14T09:00:00Z", "2025-04-14T10:00:00Z");
    second.recurrence = Some(RecurrenceDoc::instance(&base.event_id()));
    second.g_event_id = Some("taken".to_owned()); // collides: the whole series must not be written

    let docs = vec![base.clone(), first.clone(), second.clone()];
    let error = store
        .transaction(|mut session| {
            let (events, docs) = (events.clone(), docs.clone());
            async move {
                let mut result = Ok(());
                for d in &docs {
                    result = events.insert(d, Some(&mut session)).await;
                    if result.is_err() {
                        break;
                    }
                }
                (session, result)
            }
        })
        .await
        .unwrap_err();
    assert!(error.is_conflict_on("user_gEventId_unique"), "{error:?}");
    assert!(events
        .get(&user, &base.event_id(), None)
        .await
        .unwrap()
        .is_none());
    assert!(events
        .instances_of(&user, &base.event_id())
        .await
        .unwrap()
        .items
        .is_empty());

    second.g_event_id = None;
    let docs = vec![base.clone(), first, second];
    store
        .transaction(|mut session| {
            let (events, docs) = (events.clone(), docs.clone());
            async move {
                let mut result = Ok(());
                for d in &docs {
                    result = events.insert(d, Some(&mut session)).await;
                    if result.is_err() {
                        break;
                    }
                }
                (session, result)
            }
        })
        .await
        .unwrap();
    assert_eq!(
        events
            .instances_of(&user, &base.event_id())
            .await
            .unwrap()
            .items
            .len(),
        2
    );
}

#[tokio::test]
async fn replace_reorder_and_bulk_delete() {
    let db = TestDb::new().await;
    let events = Events::new(&db.store());
    let (user, other) = (new_user(), new_user());
    let mut a = stored(
        &events,
        &user,
        "2025-05-01T09:00:00+02:00",
        "2025-05-01T10:00:00+02:00",
    )
    .await;
    let b = stored(&events, &user, "2025-05-02", "2025-05-03").await;
    let theirs = stored(&events, &other, "2025-05-02", "2025-05-03").await;

    // Moving an event keeps the queried dates in step with the wire strings.
    a.set_dates(
        date("2025-05-03T09:00:00+02:00"),
        date("2025-05-03T11:00:00+02:00"),
    );
    a.title = Some("moved".to_owned());
    events.replace(&a, None).await.unwrap();
    let back = events
        .get(&user, &a.event_id(), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(back.title.as_deref(), Some("moved"));
    assert_eq!(back.created_at, a.created_at);
    assert!(back.updated_at >= a.updated_at);
    assert!(found(&events, &user, &range("2025-05-01", "2025-05-01"))
        .await
        .is_empty());
    assert_eq!(
        found(
            &events,
            &user,
            &range("2025-05-03T10:00:00+02:00", "2025-05-03T10:30:00+02:00")
        )
        .await,
        vec![a.event_id()]
    );

    let orders = [(a.event_id(), 2), (b.event_id(), 1), (theirs.event_id(), 5)];
    assert_eq!(
        events.set_order(&user, &orders).await.unwrap(),
        2,
        "another user's event is not touched"
    );
    assert_eq!(
        events
            .get(&user, &b.event_id(), None)
            .await
            .unwrap()
            .unwrap()
            .order,
        Some(1)
    );
    assert_eq!(
        events
            .get(&other, &theirs.event_id(), None)
            .await
            .unwrap()
            .unwrap()
            .order,
        None
    );

    let mut ids = events.ids(&user).await.unwrap();
    ids.sort();
    let mut expected = vec![a.event_id(), b.event_id()];
    expected.sort();
    assert_eq!(ids, expected);
    let all = [a.event_id(), b.event_id(), theirs.event_id()];
    assert_eq!(events.delete_many(&user, &all, None).await.unwrap(), 2);
    assert!(events.ids(&user).await.unwrap().is_empty());
    assert_eq!(events.ids(&other).await.unwrap(), vec![theirs.event_id()]);
}

/// Over HTTP: a stored event that no longer decodes (here it bypassed the validator) is left out of the
/// listing, which still answers 200 with the user's other events.
#[tokio::test]
async fn an_undecodable_event_does_not_take_the_http_listing_down() {
    use crate::events_support::{someday, Calendar};
    let app = crate::support::app::spawn_app().await;
    let calendar = Calendar::sign_up(&app).await;
    calendar
        .create_ok(&someday("kept", "2025-03-03", "2025-03-04"))
        .await;
    let listed = calendar.someday().await;
    assert_eq!(listed.len(), 1);
    let raw = app.db.store().collection::<Document>("event");
    let mut copy = raw
        .find_one(doc! {})
        .await
        .unwrap()
        .expect("the stored event");
    let bad_id = ObjectId::new();
    copy.insert("_id", bad_id);
    copy.insert("title", "corrupt");
    copy.insert("origin", "carrier-pigeon");
    raw.insert_one(copy)
        .bypass_document_validation(true)
        .await
        .unwrap();
    assert_eq!(raw.count_documents(doc! {}).await.unwrap(), 2);

    let listed = calendar.someday().await;
    let titles: Vec<&str> = listed.iter().filter_map(|e| e["title"].as_str()).collect();
    assert_eq!(titles, vec!["kept"]);
}
