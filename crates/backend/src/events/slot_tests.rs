//! Unit tests of [`super::slot`]: the occurrence a moved instance stands for, and where This and Following cuts.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use compass_core::{EventDate, EventDraft, EventSpan, GoogleEventId, UpdateScope, UserId};
use serde_json::json;

use super::model::EventRecord;
use super::plan::{plan_create, plan_delete, Loaded, Series};
use super::recurrence::SeriesStart;
use super::slot::{slot_of, split_of};

/// A weekly series of three at 09:00 UTC from Monday 2025-01-06: (base, instances).
fn weekly() -> (EventRecord, Vec<EventRecord>) {
    let body = json!({
        "title": "Review", "startDate": "2025-01-06T09:00:00Z", "endDate": "2025-01-06T10:00:00Z",
        "origin": "compass", "priority": "work",
        "recurrence": { "rule": ["RRULE:FREQ=WEEKLY;COUNT=3"] },
    });
    let user = UserId::parse("5f1b2c3d4e5f60718293a4b5").unwrap();
    let now = Utc.with_ymd_and_hms(2025, 1, 1, 12, 0, 0).unwrap();
    let changes = plan_create(&user, &EventDraft::parse_create(&body).unwrap(), now).unwrap();
    let mut records = changes.inserts.into_iter();
    let base = records.next().unwrap();
    (base, records.collect())
}

fn moved(record: &EventRecord, by: Duration) -> EventRecord {
    let mut next = record.clone();
    let (EventDate::Timed(start), EventDate::Timed(end)) = (record.span.start(), record.span.end())
    else {
        panic!("a timed instance");
    };
    next.span = EventSpan::new(EventDate::Timed(start + by), EventDate::Timed(end + by)).unwrap();
    next
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn an_instance_that_did_not_move_is_its_own_slot() {
    let (base, instances) = weekly();
    let slot = slot_of(&base, &instances, &instances[1]);
    assert_eq!(slot.instant(), at("2025-01-13T09:00:00Z"));
}

#[test]
fn an_instance_moved_later_is_cut_at_its_occurrence() {
    let (base, mut instances) = weekly();
    instances[1] = moved(&instances[1], Duration::hours(3));
    let split = split_of(&base, &instances, &instances[1]);
    assert_eq!(split.instant(), at("2025-01-13T09:00:00Z"));
}

#[test]
fn an_instance_moved_earlier_is_cut_at_its_new_start() {
    let (base, mut instances) = weekly();
    instances[2] = moved(&instances[2], -Duration::hours(2));
    let split = split_of(&base, &instances, &instances[2]);
    assert_eq!(split.instant(), at("2025-01-20T07:00:00Z"));
    assert_eq!(
        slot_of(&base, &instances, &instances[2]).instant(),
        at("2025-01-20T09:00:00Z")
    );
}

#[test]
fn the_google_instance_id_names_the_slot_exactly() {
    let (mut base, mut instances) = weekly();
    base.g_event_id = Some(GoogleEventId::parse("series1").unwrap());
    // Moved by a week and a day: the nearest free occurrence would be the wrong one.
    instances[0] = moved(&instances[0], Duration::days(8));
    instances[0].g_event_id = Some(GoogleEventId::parse("series1_20250106T090000Z").unwrap());
    let slot = slot_of(&base, &instances, &instances[0]);
    assert_eq!(
        slot,
        SeriesStart::Timed(at("2025-01-06T09:00:00Z").fixed_offset())
    );
    assert_eq!(
        split_of(&base, &instances, &instances[0]).instant(),
        base.series_start().instant(),
        "the first occurrence: the whole series"
    );
}

#[test]
fn deleting_a_moved_instance_excludes_the_occurrence_it_was_moved_from() {
    let (base, mut instances) = weekly();
    instances[1] = moved(&instances[1], Duration::hours(3));
    let loaded = Loaded {
        target: instances[1].clone(),
        series: Some(Series {
            base: Some(base.clone()),
            instances: instances.clone(),
        }),
    };
    let now = Utc.with_ymd_and_hms(2025, 1, 2, 12, 0, 0).unwrap();
    let changes = plan_delete(&loaded, UpdateScope::ThisEvent, now).unwrap();
    let next = changes.upserts.iter().find(|r| r.id == base.id).unwrap();
    let rule = next.rule().unwrap();
    assert!(
        rule.iter()
            .any(|line| line.starts_with("EXDATE") && line.contains("20250113")),
        "{rule:?}"
    );
}
