//! Unit tests of the write planner for series in an IANA time zone (`timeZone`): creation, scope edits,
//! splits and exclusions keep the wall-clock time across DST, and instances carry their base's zone.

use chrono::{DateTime, TimeZone, Utc};
use compass_core::{EventDate, EventDraft, UpdateScope, UserId};
use serde_json::{json, Value};

use super::model::EventRecord;
use super::plan::*;
use super::recurrence::expand;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap()
}

fn user() -> UserId {
    UserId::parse("5f1b2c3d4e5f60718293a4b5").unwrap()
}

/// A weekly 09:00–09:30 series from Monday 2025-02-24 (Chicago winter), optionally in a zone.
fn series_body(count: u32, zone: Option<&str>) -> Value {
    let mut body = json!({
        "title": "Standup",
        "startDate": "2025-02-24T09:00:00-06:00",
        "endDate": "2025-02-24T09:30:00-06:00",
        "origin": "compass",
        "priority": "work",
        "recurrence": { "rule": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")] },
    });
    if let Some(zone) = zone {
        body["timeZone"] = json!(zone);
    }
    body
}

fn create(body: &Value) -> (EventRecord, Vec<EventRecord>) {
    let changes = plan_create(&user(), &EventDraft::parse_create(body).unwrap(), now()).unwrap();
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

fn client_copy(record: &EventRecord, base: &EventRecord) -> Value {
    serde_json::to_value(record.to_wire(base.rule())).unwrap()
}

fn update(loaded: &Loaded, body: &Value, scope: UpdateScope) -> Changes {
    plan_update(
        loaded,
        &EventDraft::parse_update(body).unwrap(),
        scope,
        now(),
    )
    .unwrap()
}

fn starts(records: &[&EventRecord]) -> Vec<String> {
    records.iter().map(|r| r.span.start().to_wire()).collect()
}

fn sorted_instances<'a>(records: impl Iterator<Item = &'a EventRecord>) -> Vec<&'a EventRecord> {
    let mut out: Vec<&EventRecord> = records.filter(|r| !r.is_base()).collect();
    out.sort_by_key(|r| r.span.start().start_instant_utc());
    out
}

#[test]
fn a_zoned_series_keeps_nine_local_and_every_instance_carries_the_zone() {
    let (base, instances) = create(&series_body(4, Some("America/Chicago")));
    let chicago = Some(chrono_tz::America::Chicago);
    assert_eq!(base.time_zone, chicago);
    assert!(instances.iter().all(|i| i.time_zone == chicago));
    assert_eq!(
        starts(&instances.iter().collect::<Vec<_>>()),
        [
            "2025-02-24T09:00:00-06:00",
            "2025-03-03T09:00:00-06:00",
            "2025-03-10T09:00:00-05:00",
            "2025-03-17T09:00:00-05:00"
        ]
    );
    assert_eq!(
        instances[2].span.end(),
        EventDate::parse("2025-03-10T09:30:00-05:00").unwrap()
    );
    assert_eq!(
        client_copy(&instances[2], &base)["timeZone"],
        "America/Chicago"
    );
    // Without a zone: today's fixed-offset behaviour, and no `timeZone` on the wire.
    let (plain, fixed) = create(&series_body(4, None));
    assert_eq!(plain.time_zone, None);
    assert_eq!(fixed[2].span.start().to_wire(), "2025-03-10T09:00:00-06:00");
    assert!(client_copy(&fixed[2], &plain).get("timeZone").is_none());
}

#[test]
fn an_unknown_zone_is_refused_by_the_planner_too() {
    let draft = EventDraft::parse_create(&series_body(2, Some("Mars/Olympus_Mons"))).unwrap();
    match plan_create(&user(), &draft, now()) {
        Err(PlanError::BadRequest { field, .. }) => assert_eq!(field, "timeZone"),
        other => panic!("expected a 400, got {other:?}"),
    }
}

#[test]
fn this_and_following_in_a_zone_cuts_at_the_instance_and_keeps_the_zone() {
    let (base, instances) = create(&series_body(5, Some("America/Chicago")));
    let target = &instances[3]; // 2025-03-17T09:00-05:00, after the spring change.
    let mut body = client_copy(target, &base);
    body["title"] = json!("Later");
    body.as_object_mut().unwrap().remove("timeZone"); // an old client: the base's zone is kept.
    let changes = update(
        &loaded(target, &base, &instances),
        &body,
        UpdateScope::ThisAndFollowing,
    );
    let cut = changes.upserts.iter().find(|r| r.id == base.id).unwrap();
    assert_eq!(
        cut.rule().unwrap(),
        ["RRULE:FREQ=WEEKLY;UNTIL=20250317T135959Z"]
    );
    let kept = expand(cut.rule().unwrap(), cut.series_start(), cut.time_zone).unwrap();
    assert_eq!(kept.len(), 3);
    let new_base = changes
        .inserts
        .iter()
        .find(|r| r.is_base() && r.id != base.id)
        .unwrap();
    assert_eq!(new_base.time_zone, base.time_zone);
    let new_instances = sorted_instances(
        changes
            .upserts
            .iter()
            .chain(&changes.inserts)
            .filter(|r| r.base_id() == Some(&new_base.id)),
    );
    assert_eq!(
        starts(&new_instances),
        ["2025-03-17T09:00:00-05:00", "2025-03-24T09:00:00-05:00"]
    );
    assert!(new_instances.iter().all(|i| i.time_zone == base.time_zone));
}

#[test]
fn deleting_a_summer_instance_excludes_exactly_it() {
    let (base, instances) = create(&series_body(4, Some("Europe/Berlin")));
    let changes = plan_delete(
        &loaded(&instances[3], &base, &instances),
        UpdateScope::ThisEvent,
        now(),
    )
    .unwrap();
    let next = &changes.upserts[0];
    let left = expand(next.rule().unwrap(), next.series_start(), next.time_zone).unwrap();
    assert_eq!(left.len(), 3);
    assert!(!left.contains(&instances[3].series_start()));
}

#[test]
fn all_events_adding_a_zone_rematerialises_at_the_local_time() {
    let (base, instances) = create(&series_body(4, None));
    let mut body = client_copy(&instances[0], &base);
    body["timeZone"] = json!("America/Chicago");
    let changes = update(
        &loaded(&instances[0], &base, &instances),
        &body,
        UpdateScope::AllEvents,
    );
    let next_base = changes.upserts.iter().find(|r| r.id == base.id).unwrap();
    assert_eq!(next_base.time_zone, Some(chrono_tz::America::Chicago));
    let written = sorted_instances(changes.upserts.iter().chain(&changes.inserts));
    assert_eq!(
        starts(&written),
        [
            "2025-02-24T09:00:00-06:00",
            "2025-03-03T09:00:00-06:00",
            "2025-03-10T09:00:00-05:00",
            "2025-03-17T09:00:00-05:00"
        ]
    );
    assert!(written.iter().all(|i| i.time_zone == next_base.time_zone));
    // The winter instances keep their ids; the summer ones (new instants) are replaced.
    assert_eq!(written[0].id, instances[0].id);
    assert_eq!(changes.deletes.len(), 2);
}

#[test]
fn this_event_keeps_the_series_zone_and_a_standalone_keeps_its_own() {
    let (base, instances) = create(&series_body(3, Some("America/Chicago")));
    let mut body = client_copy(&instances[1], &base);
    body["timeZone"] = json!("Europe/Berlin");
    body["title"] = json!("Moved");
    let changes = update(
        &loaded(&instances[1], &base, &instances),
        &body,
        UpdateScope::ThisEvent,
    );
    assert_eq!(changes.upserts[0].time_zone, base.time_zone);

    let draft = json!({
        "title": "Dentist",
        "startDate": "2025-03-03T09:00:00-06:00",
        "endDate": "2025-03-03T10:00:00-06:00",
        "timeZone": "America/Chicago",
        "origin": "compass",
        "priority": "work",
    });
    let created = plan_create(&user(), &EventDraft::parse_create(&draft).unwrap(), now()).unwrap();
    let standalone = &created.inserts[0];
    let mut edit = client_copy(standalone, standalone);
    edit.as_object_mut().unwrap().remove("timeZone");
    edit["title"] = json!("Dentist (moved)");
    let changes = update(
        &Loaded {
            target: standalone.clone(),
            series: None,
        },
        &edit,
        UpdateScope::ThisEvent,
    );
    assert_eq!(changes.upserts[0].time_zone, standalone.time_zone);
}
