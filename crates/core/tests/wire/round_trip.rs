//! Round trips of the strictly typed wire values: parse fixture → serialize → the same JSON value.

use compass_core::{
    ErrorBody, Event, ImportGCalEndPayload, PayloadOrder, Recurrence, UserMetadata,
};

use crate::support::{assert_round_trip, fixtures_in, read_json};

#[test]
fn import_gcal_end_payloads() {
    for rel in fixtures_in("import_gcal_end") {
        let payload: ImportGCalEndPayload = assert_round_trip(&rel);
        let name = rel.rsplit('/').next().unwrap_or_default();
        assert!(
            name.starts_with(&payload.status().as_str().to_lowercase()),
            "{rel}: the file name should start with the status"
        );
    }
}

#[test]
fn user_metadata() {
    for rel in fixtures_in("metadata") {
        assert_round_trip::<UserMetadata>(&rel);
    }
}

#[test]
fn metadata_keeps_null_statuses() {
    let meta: UserMetadata = assert_round_trip("metadata/reconnect_required.json");
    let sync = meta.sync.expect("sync present");
    assert!(sync.import_gcal.is_null());
    assert!(sync.incremental_gcal_sync.is_null());
    assert!(meta.google.is_some());
}

#[test]
fn error_bodies() {
    for rel in fixtures_in("error_body") {
        assert_round_trip::<ErrorBody>(&rel);
    }
}

#[test]
fn events() {
    for rel in fixtures_in("event") {
        assert_round_trip::<Event>(&rel);
    }
}

#[test]
fn event_shapes_are_what_the_file_names_say() {
    let base: Event = assert_round_trip("event/series_base.json");
    assert!(matches!(base.recurrence, Some(Recurrence::Base { .. })));
    let instance: Event = assert_round_trip("event/series_instance.json");
    assert!(matches!(
        instance.recurrence,
        Some(Recurrence::Instance { rule: Some(_), .. })
    ));
    let stored: Event = assert_round_trip("event/instance_stored.json");
    assert!(matches!(
        stored.recurrence,
        Some(Recurrence::Instance { rule: None, .. })
    ));
    let someday: Event = assert_round_trip("event/someday_week.json");
    assert!(someday.is_someday && someday.description.is_null());
    assert_eq!(someday.time_zone, None);
    let zoned: Event = assert_round_trip("event/series_in_zone.json");
    assert_eq!(
        zoned.time_zone.as_ref().map(|z| z.as_str()),
        Some("America/Chicago")
    );
    let mut bad = read_json("event/series_in_zone.json");
    bad["timeZone"] = "-06:00".into();
    assert!(serde_json::from_value::<Event>(bad).is_err());
}

#[test]
fn reorder_payloads() {
    for rel in fixtures_in("reorder") {
        assert_round_trip::<Vec<PayloadOrder>>(&rel);
    }
}

#[test]
fn events_reject_unknown_enum_values_and_bad_ids() {
    let mut event = read_json("event/timed.json");
    event["origin"] = "outlook".into();
    assert!(serde_json::from_value::<Event>(event).is_err());
    let mut event = read_json("event/timed.json");
    event["_id"] = "123".into();
    assert!(serde_json::from_value::<Event>(event).is_err());
    let mut event = read_json("event/timed.json");
    event["startDate"] = "2025-01-05T09:00:00".into();
    assert!(serde_json::from_value::<Event>(event).is_err());
}

#[test]
fn events_ignore_unknown_keys() {
    let mut event = read_json("event/all_day.json");
    let expected = event.clone();
    event["isOpen"] = true.into();
    let parsed: Event = serde_json::from_value(event).expect("extra keys are ignored");
    assert_eq!(serde_json::to_value(parsed).expect("serializes"), expected);
}
