//! `fixtures/event_draft/`: client-submitted events.
//! - `valid/`: already canonical; parse (mode from the `create_`/`update_` prefix) → `to_json` → same value.
//! - `normalised/`: `{mode, input, canonical}`; parsing `input` gives `canonical`.
//! - `invalid/`: `{mode, input, field, error}`; parsing fails with exactly this message and field.

use compass_core::{DraftMode, EventDraft, RecurrenceDraft};
use serde_json::Value;

use crate::support::{fixtures_in, read_json};

fn mode_of(value: &Value, rel: &str) -> DraftMode {
    match value.as_str() {
        Some("create") => DraftMode::Create,
        Some("update") => DraftMode::Update,
        _ => panic!("{rel}: mode must be create or update"),
    }
}

/// Parses, writes back, and checks that the written form parses to the same draft.
fn canonical(input: &Value, mode: DraftMode, rel: &str) -> Value {
    let draft = EventDraft::parse(input, mode).unwrap_or_else(|e| panic!("{rel} was refused: {e}"));
    let written = draft.to_json();
    let again = EventDraft::parse(&written, mode)
        .unwrap_or_else(|e| panic!("{rel}: canonical form was refused: {e}"));
    assert_eq!(again, draft, "{rel}: canonical form parses differently");
    written
}

#[test]
fn valid_drafts_round_trip() {
    for rel in fixtures_in("event_draft/valid") {
        let name = rel.rsplit('/').next().unwrap_or_default();
        let mode = if name.starts_with("create_") {
            DraftMode::Create
        } else if name.starts_with("update_") {
            DraftMode::Update
        } else {
            panic!("{rel}: name must start with create_ or update_")
        };
        let input = read_json(&rel);
        assert_eq!(canonical(&input, mode, &rel), input, "{rel}");
    }
}

#[test]
fn normalised_drafts() {
    for rel in fixtures_in("event_draft/normalised") {
        let fixture = read_json(&rel);
        let mode = mode_of(&fixture["mode"], &rel);
        assert_eq!(
            canonical(&fixture["input"], mode, &rel),
            fixture["canonical"],
            "{rel}"
        );
    }
}

#[test]
fn invalid_drafts_fail_with_the_fixture_message() {
    for rel in fixtures_in("event_draft/invalid") {
        let fixture = read_json(&rel);
        let mode = mode_of(&fixture["mode"], &rel);
        let error =
            EventDraft::parse(&fixture["input"], mode).expect_err(&format!("{rel} was accepted"));
        assert_eq!(Value::String(error.to_string()), fixture["error"], "{rel}");
        assert_eq!(
            Value::String(error.field().into()),
            fixture["field"],
            "{rel}"
        );
    }
}

#[test]
fn recurrence_meaning_of_update_fixtures() {
    let parse = |rel: &str| {
        EventDraft::parse_update(&read_json(&format!("event_draft/valid/{rel}"))).expect("valid")
    };
    assert_eq!(
        parse("update_remove_recurrence.json").recurrence,
        RecurrenceDraft::Remove
    );
    assert!(matches!(
        parse("update_all_events_new_rule.json").recurrence,
        RecurrenceDraft::Instance { rule: Some(_), .. }
    ));
    let create = EventDraft::parse_create(&read_json("event_draft/valid/create_series.json"))
        .expect("valid");
    assert!(matches!(create.recurrence, RecurrenceDraft::Series(_)));
}

#[test]
fn update_fixtures_that_carry_instance_fields_are_refused_on_create() {
    for rel in [
        "event_draft/valid/update_this_event_instance.json",
        "event_draft/valid/update_all_events_new_rule.json",
    ] {
        let error = EventDraft::parse_create(&read_json(rel)).expect_err(rel);
        assert!(
            ["recurrence.eventId", "gRecurringEventId"].contains(&error.field()),
            "{rel}: {error}"
        );
    }
}

#[test]
fn limits_are_inclusive() {
    let mut input = read_json("event_draft/valid/create_timed.json");
    input["title"] = "t".repeat(compass_core::MAX_TITLE_CHARS).into();
    input["description"] = "é".repeat(compass_core::MAX_DESCRIPTION_CHARS).into();
    assert!(EventDraft::parse_create(&input).is_ok());
}

#[test]
fn arbitrary_json_never_panics() {
    let samples = [
        "null",
        "0",
        "\"x\"",
        "[]",
        "{}",
        r#"{"startDate":{},"endDate":[]}"#,
        r#"{"recurrence":{"rule":[1,2]},"startDate":"2025-01-01","endDate":"2025-01-02"}"#,
        r#"{"_id":"optimistic-","startDate":"","endDate":""}"#,
        r#"{"startDate":"9999-12-31T23:59:59+23:59","endDate":"-0001-01-01"}"#,
    ];
    for text in samples {
        let value: Value = serde_json::from_str(text).expect("sample is JSON");
        assert!(EventDraft::parse_create(&value).is_err(), "{text}");
        assert!(EventDraft::parse_update(&value).is_err(), "{text}");
    }
}

#[test]
fn time_zone_is_kept_and_optional() {
    let zoned =
        EventDraft::parse_create(&read_json("event_draft/valid/create_series_in_zone.json"))
            .expect("valid");
    assert_eq!(
        zoned.time_zone.as_ref().map(|z| z.as_str()),
        Some("America/Chicago")
    );
    let plain = EventDraft::parse_create(&read_json("event_draft/valid/create_series.json"))
        .expect("valid");
    assert_eq!(plain.time_zone, None);
    let mut nulled = read_json("event_draft/valid/create_series_in_zone.json");
    nulled["timeZone"] = Value::Null;
    assert_eq!(
        EventDraft::parse_create(&nulled).expect("valid").time_zone,
        None
    );
}
