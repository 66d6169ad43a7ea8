//! `fixtures/enums.json`: every Compass wire enum lists exactly these strings, in this order.

use compass_core::{
    AuthErrorCode, ErrorCode, GoogleConnectionState, ImportGCalOperation, ImportGCalStatus, Origin,
    Priority, SseEventName, SyncStatus, UpdateScope,
};
use serde::Serialize;
use serde_json::Value;

use crate::support::read_json;

fn wire_strings<T: Serialize>(values: &[T]) -> Value {
    serde_json::to_value(values).expect("enums serialize")
}

#[test]
fn every_enum_matches_its_fixture_list() {
    let fixture = read_json("enums.json");
    let actual = serde_json::json!({
        "sseEventName": wire_strings(&SseEventName::ALL),
        "importGCalOperation": wire_strings(&[ImportGCalOperation::Incremental, ImportGCalOperation::Repair]),
        "importGCalStatus": wire_strings(&[
            ImportGCalStatus::Completed,
            ImportGCalStatus::Errored,
            ImportGCalStatus::Ignored,
        ]),
        "syncStatus": wire_strings(&[
            SyncStatus::Restart,
            SyncStatus::Importing,
            SyncStatus::Completed,
            SyncStatus::Errored,
        ]),
        "googleConnectionState": wire_strings(&[
            GoogleConnectionState::NotConnected,
            GoogleConnectionState::ReconnectRequired,
            GoogleConnectionState::Importing,
            GoogleConnectionState::Healthy,
            GoogleConnectionState::Attention,
        ]),
        "origin": wire_strings(Origin::ALL),
        "priority": wire_strings(Priority::ALL),
        "updateScope": wire_strings(UpdateScope::ALL),
        "errorCode": wire_strings(ErrorCode::ALL),
        "authErrorCode": wire_strings(AuthErrorCode::ALL),
    });
    assert_eq!(actual, fixture);
}

#[test]
fn every_fixture_string_parses_back() {
    let fixture = read_json("enums.json");
    let list = |key: &str| -> Vec<String> {
        serde_json::from_value(fixture[key].clone()).expect("a list of strings")
    };
    for name in list("sseEventName") {
        assert_eq!(name.parse::<SseEventName>().expect("known").as_str(), name);
    }
    for name in list("origin") {
        assert_eq!(name.parse::<Origin>().expect("known").as_str(), name);
    }
    for name in list("priority") {
        assert_eq!(name.parse::<Priority>().expect("known").as_str(), name);
    }
    for name in list("errorCode") {
        assert_eq!(name.parse::<ErrorCode>().expect("known").as_str(), name);
    }
    for name in list("authErrorCode") {
        assert_eq!(name.parse::<AuthErrorCode>().expect("known").as_str(), name);
    }
    for name in list("updateScope") {
        assert_eq!(name.parse::<UpdateScope>().expect("known").as_str(), name);
    }
    for (key, expect_ok) in [("syncStatus", true), ("googleConnectionState", true)] {
        for name in list(key) {
            let value = Value::String(name.clone());
            let ok = if key == "syncStatus" {
                serde_json::from_value::<SyncStatus>(value).is_ok()
            } else {
                serde_json::from_value::<GoogleConnectionState>(value).is_ok()
            };
            assert_eq!(ok, expect_ok, "{key}: {name}");
        }
    }
}
