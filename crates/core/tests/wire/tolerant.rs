//! `fixtures/import_gcal_end_tolerant/`: what the tolerant reader makes of legacy and partial payloads.
//! Each file is `{data, seen}`: `data` is what arrived, `seen` the usable fields (absent = `None`).

use compass_core::{ImportGCalEndPayload, ImportGCalEndSeen};
use serde_json::{json, Value};

use crate::support::{fixtures_in, read_json};

/// Writes what the tolerant reader saw in the fixture's `seen` form.
fn seen_as_json(seen: &ImportGCalEndSeen) -> Value {
    let mut out = serde_json::Map::new();
    if let Some(op) = seen.operation {
        out.insert("operation".into(), op.as_str().into());
    }
    if let Some(status) = seen.status {
        out.insert("status".into(), status.as_str().into());
    }
    if let Some(message) = &seen.message {
        out.insert("message".into(), message.as_str().into());
    }
    if let Some(n) = seen.events_count {
        out.insert("eventsCount".into(), n.into());
    }
    if let Some(n) = seen.calendars_count {
        out.insert("calendarsCount".into(), n.into());
    }
    Value::Object(out)
}

#[test]
fn tolerant_reader_matches_fixtures_and_strict_reader_refuses_them() {
    for rel in fixtures_in("import_gcal_end_tolerant") {
        let fixture = read_json(&rel);
        let data = &fixture["data"];
        let seen = ImportGCalEndSeen::from_value(data);
        assert_eq!(seen_as_json(&seen), fixture["seen"], "{rel}");
        let text = serde_json::to_string(data).expect("serializes");
        assert_eq!(ImportGCalEndSeen::from_json_str(&text), seen, "{rel}");
        assert!(
            serde_json::from_value::<ImportGCalEndPayload>(data.clone()).is_err(),
            "{rel}: the strict reader must refuse this shape"
        );
    }
}

#[test]
fn tolerant_reader_accepts_every_strict_fixture() {
    for rel in fixtures_in("import_gcal_end") {
        let data = read_json(&rel);
        let seen = ImportGCalEndSeen::from_value(&data);
        assert_eq!(seen_as_json(&seen), data, "{rel}");
        let strict: ImportGCalEndPayload = serde_json::from_value(data).expect("strict parses");
        assert_eq!(seen.to_strict(), Some(strict), "{rel}");
    }
    assert_eq!(
        ImportGCalEndSeen::from_value(&json!(null)),
        ImportGCalEndSeen::default()
    );
}
