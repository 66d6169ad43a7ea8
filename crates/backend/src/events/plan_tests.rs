//! Unit tests of the write planner: the worked outcomes of backend spec §6.7 without a database.

use chrono::TimeZone;
use serde_json::{json, Value};

use chrono::{DateTime, Utc};
use compass_core::{EventDraft, EventId, Origin, UpdateScope, UserId};

use super::model::{EventRecord, SeriesRole};
use super::plan::*;

const USER: &str = "5f1b2c3d4e5f60718293a4b5";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
}

fn user() -> UserId {
    UserId::parse(USER).unwrap()
}

fn event_json(start: &str, end: &str) -> Value {
    json!({
        "title": "Standup",
        "startDate": start,
        "endDate": end,
        "origin": "compass",
        "priority": "work",
    })
}

fn create(body: Value) -> Changes {
    plan_create(&user(), &EventDraft::parse_create(&body).unwrap(), now()).unwrap()
}

/// Creates a weekly series of `count` and returns (base, instances).
fn weekly(count: u32) -> (EventRecord, Vec<EventRecord>) {
    let mut body = event_json("2025-01-06T09:00:00-06:00", "2025-01-06T09:30:00-06:00");
    body["recurrence"] = json!({ "rule": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")] });
    let changes = create(body);
    assert!(changes.upserts.is_empty(), "a create only inserts");
    let mut inserts = changes.inserts.into_iter();
    let base = inserts.next().unwrap();
    (base, inserts.collect())
}

fn loaded(target: &EventRecord, base: &EventRecord, instances: &[EventRecord]) -> Loaded {
    Loaded {
        target: target.clone(),
        series: Some(Series {
            base: Some(base.clone()),
            instances: instances.to_vec(),
        }),
    }
}

/// The wire JSON a client would send back for `record` (instances carry the base rule).
fn client_copy(record: &EventRecord, base_rule: Option<&[String]>) -> Value {
    serde_json::to_value(record.to_wire(base_rule)).unwrap()
}

fn update(loaded: &Loaded, body: &Value, scope: UpdateScope) -> Result<Changes, PlanError> {
    plan_update(
        loaded,
        &EventDraft::parse_update(body).unwrap(),
        scope,
        now(),
    )
}

#[test]
fn create_standalone_is_compass_made_without_google_ids() {
    let mut body = event_json("2025-01-06T09:00:00-06:00", "2025-01-06T10:00:00-06:00");
    body["origin"] = json!("google");
    body["gEventId"] = json!("made-up");
    let changes = create(body);
    assert_eq!(changes.inserts.len(), 1);
    let record = &changes.inserts[0];
    assert_eq!(record.origin, Origin::Compass);
    assert_eq!(record.g_event_id, None);
    assert!(changes.touched_grid && !changes.touched_someday);
}

#[test]
fn create_someday_touches_only_someday() {
    let mut body = event_json("2025-01-06", "2025-01-13");
    body["isSomeday"] = json!(true);
    let changes = create(body);
    assert!(!changes.touched_grid && changes.touched_someday);
}

#[test]
fn create_series_materialises_instances_from_the_base_start() {
    let (base, instances) = weekly(10);
    assert!(base.is_base());
    assert_eq!(instances.len(), 10);
    assert_eq!(instances[0].span, base.span);
    assert!(instances.iter().all(|i| i.base_id() == Some(&base.id)));
    assert_eq!(
        instances[9].span.start().to_wire(),
        "2025-03-10T09:00:00-06:00"
    );
}

#[test]
fn this_event_on_an_instance_changes_only_it_and_keeps_the_rule() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[1], base.rule());
    body["title"] = json!("Moved");
    body["recurrence"]["rule"] = json!(["RRULE:FREQ=DAILY"]);
    let changes = update(
        &loaded(&instances[1], &base, &instances),
        &body,
        UpdateScope::ThisEvent,
    )
    .unwrap();
    assert_eq!(changes.upserts.len(), 1);
    assert_eq!(changes.upserts[0].id, instances[1].id);
    assert_eq!(changes.upserts[0].title.as_deref(), Some("Moved"));
    assert_eq!(changes.upserts[0].base_id(), Some(&base.id));
    assert!(changes.deletes.is_empty());
}

#[test]
fn this_event_cannot_move_an_instance_to_someday() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[1], base.rule());
    body["isSomeday"] = json!(true);
    let err = update(
        &loaded(&instances[1], &base, &instances),
        &body,
        UpdateScope::ThisEvent,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PlanError::BadRequest {
            field: "isSomeday",
            ..
        }
    ));
}

#[test]
fn this_event_on_a_base_is_refused() {
    let (base, instances) = weekly(3);
    let body = client_copy(&base, None);
    let err = update(
        &loaded(&base, &base, &instances),
        &body,
        UpdateScope::ThisEvent,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PlanError::BadRequest {
            field: "applyTo",
            ..
        }
    ));
    let err = plan_delete(
        &loaded(&base, &base, &instances),
        UpdateScope::ThisEvent,
        now(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        PlanError::BadRequest {
            field: "applyTo",
            ..
        }
    ));
}

#[test]
fn all_events_title_goes_everywhere_and_dates_stay() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[1], base.rule());
    body["title"] = json!("Retro");
    body["startDate"] = json!("2025-01-13T11:00:00-06:00");
    body["endDate"] = json!("2025-01-13T12:00:00-06:00");
    let changes = update(
        &loaded(&instances[1], &base, &instances),
        &body,
        UpdateScope::AllEvents,
    )
    .unwrap();
    assert_eq!(changes.upserts.len(), 4);
    assert!(changes
        .upserts
        .iter()
        .all(|r| r.title.as_deref() == Some("Retro")));
    let new_base = changes.upserts.iter().find(|r| r.id == base.id).unwrap();
    assert_eq!(new_base.span, base.span);
    assert!(changes.deletes.is_empty());
}

#[test]
fn all_events_someday_moves_the_whole_series_and_touches_both() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[0], base.rule());
    body["isSomeday"] = json!(true);
    let changes = update(
        &loaded(&instances[0], &base, &instances),
        &body,
        UpdateScope::AllEvents,
    )
    .unwrap();
    assert!(changes
        .upserts
        .iter()
        .all(|r| r.is_someday && r.g_event_id.is_none()));
    assert!(changes.touched_grid && changes.touched_someday);
}

#[test]
fn all_events_new_rule_rebuilds_and_keeps_matching_instances() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[0], base.rule());
    body["recurrence"]["rule"] = json!(["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=2"]);
    let changes = update(
        &loaded(&instances[0], &base, &instances),
        &body,
        UpdateScope::AllEvents,
    )
    .unwrap();
    // Weeks 0 and 2 remain untouched (same ids, nothing to write), week 1 goes; only the base changes.
    assert_eq!(changes.upserts.len(), 1);
    assert_eq!(changes.upserts[0].id, base.id);
    assert_eq!(changes.deletes.len(), 1);
    assert_eq!(changes.deletes[0].id, instances[1].id);
}

#[test]
fn all_events_rule_null_makes_a_standalone_with_the_instance_dates() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[1], base.rule());
    body["recurrence"] = json!({ "rule": null });
    let changes = update(
        &loaded(&instances[1], &base, &instances),
        &body,
        UpdateScope::AllEvents,
    )
    .unwrap();
    assert_eq!(changes.upserts.len(), 1);
    let single = &changes.upserts[0];
    assert_eq!(single.id, base.id);
    assert_eq!(single.role, SeriesRole::Standalone);
    assert_eq!(single.span, instances[1].span);
    assert_eq!(changes.deletes.len(), 3);
}

#[test]
fn this_and_following_splits_the_series() {
    let (base, instances) = weekly(5);
    let mut body = client_copy(&instances[2], base.rule());
    body["title"] = json!("Later");
    let changes = update(
        &loaded(&instances[2], &base, &instances),
        &body,
        UpdateScope::ThisAndFollowing,
    )
    .unwrap();
    let old = changes.upserts.iter().find(|r| r.id == base.id).unwrap();
    assert_eq!(
        old.rule().unwrap(),
        ["RRULE:FREQ=WEEKLY;UNTIL=20250120T145959Z"]
    );
    // Instances 3 and 4 of the old series go; instance 2 lives on as the first new instance.
    let deleted: Vec<&EventId> = changes.deletes.iter().map(|r| &r.id).collect();
    assert_eq!(deleted, [&instances[3].id, &instances[4].id]);
    let new_base = changes
        .inserts
        .iter()
        .find(|r| r.is_base() && r.id != base.id)
        .unwrap();
    assert_eq!(new_base.title.as_deref(), Some("Later"));
    assert_eq!(
        new_base.rule().unwrap(),
        ["RRULE:FREQ=WEEKLY;UNTIL=20250203T150000Z"]
    );
    // The first new instance replaces the edited one (same id); the others are inserted.
    let reused: Vec<&EventRecord> = changes
        .upserts
        .iter()
        .filter(|r| r.base_id() == Some(&new_base.id))
        .collect();
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0].id, instances[2].id);
    let inserted = changes
        .inserts
        .iter()
        .filter(|r| r.base_id() == Some(&new_base.id))
        .count();
    assert_eq!(inserted, 2);
    assert!(changes.touched_grid && !changes.touched_someday);
}

#[test]
fn this_and_following_on_the_first_instance_is_all_events() {
    let (base, instances) = weekly(3);
    let mut body = client_copy(&instances[0], base.rule());
    body["title"] = json!("All");
    let changes = update(
        &loaded(&instances[0], &base, &instances),
        &body,
        UpdateScope::ThisAndFollowing,
    )
    .unwrap();
    assert_eq!(changes.upserts.len(), 4);
    assert!(changes
        .upserts
        .iter()
        .all(|r| r.title.as_deref() == Some("All")));
}

#[test]
fn delete_scopes() {
    let (base, instances) = weekly(4);
    let one = plan_delete(
        &loaded(&instances[1], &base, &instances),
        UpdateScope::ThisEvent,
        now(),
    )
    .unwrap();
    assert_eq!(one.deletes.len(), 1);
    let all = plan_delete(
        &loaded(&instances[1], &base, &instances),
        UpdateScope::AllEvents,
        now(),
    )
    .unwrap();
    assert_eq!(all.deletes.len(), 5);
    let following = plan_delete(
        &loaded(&instances[1], &base, &instances),
        UpdateScope::ThisAndFollowing,
        now(),
    )
    .unwrap();
    assert_eq!(following.deletes.len(), 3);
    assert_eq!(following.upserts.len(), 1);
    assert_eq!(
        following.upserts[0].rule().unwrap(),
        ["RRULE:FREQ=WEEKLY;UNTIL=20250113T145959Z"]
    );
}

#[test]
fn orphan_instances_cannot_be_edited_as_a_series() {
    let (_, instances) = weekly(2);
    let orphan = Loaded {
        target: instances[0].clone(),
        series: Some(Series {
            base: None,
            instances: instances.clone(),
        }),
    };
    let body = client_copy(&instances[0], None);
    assert_eq!(
        update(&orphan, &body, UpdateScope::AllEvents).unwrap_err(),
        PlanError::SeriesGone
    );
}

#[test]
fn standalone_put_keeps_order_and_google_ids_and_someday_clears_them() {
    let mut body = event_json("2025-01-06", "2025-01-07");
    body["order"] = json!(3);
    let mut record = create(body).inserts.remove(0);
    record.g_event_id = Some(compass_core::GoogleEventId::parse("g1").unwrap());
    let target = Loaded {
        target: record.clone(),
        series: None,
    };
    let mut edit = client_copy(&record, None);
    edit.as_object_mut().unwrap().remove("order");
    edit.as_object_mut().unwrap().remove("gEventId");
    edit["title"] = json!("Renamed");
    let changes = update(&target, &edit, UpdateScope::ThisEvent).unwrap();
    assert_eq!(changes.upserts[0].order, Some(3));
    assert_eq!(changes.upserts[0].g_event_id, record.g_event_id);
    edit["isSomeday"] = json!(true);
    let changes = update(&target, &edit, UpdateScope::ThisEvent).unwrap();
    assert_eq!(changes.upserts[0].g_event_id, None);
    assert!(changes.touched_grid && changes.touched_someday);
}

#[test]
fn unchanged_put_writes_nothing() {
    let record = create(event_json("2025-01-06", "2025-01-07"))
        .inserts
        .remove(0);
    let target = Loaded {
        target: record.clone(),
        series: None,
    };
    let changes = update(&target, &client_copy(&record, None), UpdateScope::ThisEvent).unwrap();
    assert!(changes.upserts.is_empty());
}

#[test]
fn deleting_one_instance_excludes_its_occurrence_and_the_last_takes_the_series() {
    let (base, instances) = weekly(2);
    let one = plan_delete(
        &loaded(&instances[1], &base, &instances),
        UpdateScope::ThisEvent,
        now(),
    )
    .unwrap();
    assert_eq!(one.deletes.len(), 1);
    assert_eq!(
        one.upserts[0].rule().unwrap(),
        ["RRULE:FREQ=WEEKLY;COUNT=2", "EXDATE:20250113T150000Z"]
    );
    let last = plan_delete(
        &loaded(&instances[0], &base, &instances[..1]),
        UpdateScope::ThisEvent,
        now(),
    )
    .unwrap();
    let gone: Vec<&EventId> = last.deletes.iter().map(|r| &r.id).collect();
    assert_eq!(gone, [&instances[0].id, &base.id]);
    assert!(last.upserts.is_empty());
}
