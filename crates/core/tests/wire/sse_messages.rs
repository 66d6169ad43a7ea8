//! `fixtures/sse/`: one `{event, data}` message per event name. Strict decoding and re-encoding give the
//! same message, and the tolerant client reader understands each one the same way.

use std::collections::BTreeSet;

use compass_core::{ReceivedSseEvent, SseEvent, SseEventName};
use serde_json::json;

use crate::support::{fixtures_in, read_json};

#[test]
fn messages_round_trip_and_cover_every_name() {
    let mut names = BTreeSet::new();
    for rel in fixtures_in("sse") {
        let fixture = read_json(&rel);
        let name = fixture["event"].as_str().expect("event is a string");
        let event = SseEvent::decode_strict(name, &fixture["data"])
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(
            json!({"event": event.name().as_str(), "data": event.data()}),
            fixture,
            "{rel}"
        );
        let received = ReceivedSseEvent::decode(name, &event.data_string())
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(received, ReceivedSseEvent::from(event.clone()), "{rel}");
        names.insert(event.name().as_str());
    }
    let all: BTreeSet<&str> = SseEventName::ALL.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, all, "every SSE name needs a fixture");
}

#[test]
fn strict_decoding_refuses_wrong_data() {
    assert!(SseEvent::decode_strict("EVENT_CHANGED", &json!({"x": 1})).is_err());
    assert!(SseEvent::decode_strict("IMPORT_GCAL_END", &json!({})).is_err());
    assert!(SseEvent::decode_strict("USER_METADATA", &json!([])).is_err());
    assert!(SseEvent::decode_strict("event_changed", &json!({})).is_err());
}
