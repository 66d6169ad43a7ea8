//! The names of the Server-Sent Events the backend publishes on `GET /api/events/stream`.
//!
//! Each SSE message is `event: <NAME>` followed by `data: <JSON>`. The names below are the exact wire strings;
//! [`SseEventName::from_str`] turns an unknown name into an error value instead of panicking.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The name of the control message that ends a stream the server replaced with a newer one of the same
/// session or user (its per-session/per-user cap was reached). Not a data event: it has no id, and a
/// client that receives it closes its EventSource and does not reconnect on its own, so that two tabs
/// never keep pushing each other out.
pub const STREAM_REPLACED: &str = "STREAM_REPLACED";

/// The query parameter that carries the last event id when a client opens a new EventSource itself
/// (which cannot send the `Last-Event-ID` header); the header wins when both are present.
pub const LAST_EVENT_ID_PARAM: &str = "lastEventID";

/// One SSE event name of the Compass stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SseEventName {
    /// A non-someday event changed: refetch the calendar grid. Data: `{}`.
    #[serde(rename = "EVENT_CHANGED")]
    EventChanged,
    /// A someday event changed: refetch the someday lists. Data: `{}`.
    #[serde(rename = "SOMEDAY_EVENT_CHANGED")]
    SomedayEventChanged,
    /// The user's metadata (sent to a new connection). Data: [`crate::UserMetadata`].
    #[serde(rename = "USER_METADATA")]
    UserMetadata,
    /// A Google import, repair or incremental sync started. Data: `{}`.
    #[serde(rename = "IMPORT_GCAL_START")]
    ImportGCalStart,
    /// A Google import, repair or incremental sync ended. Data: [`crate::ImportGCalEndPayload`].
    #[serde(rename = "IMPORT_GCAL_END")]
    ImportGCalEnd,
    /// Google access was revoked and Google-derived data was removed. Data: `{}`.
    #[serde(rename = "GOOGLE_REVOKED")]
    GoogleRevoked,
}

impl SseEventName {
    /// Every event name, in the order of the contract table.
    pub const ALL: [SseEventName; 6] = [
        SseEventName::EventChanged,
        SseEventName::SomedayEventChanged,
        SseEventName::UserMetadata,
        SseEventName::ImportGCalStart,
        SseEventName::ImportGCalEnd,
        SseEventName::GoogleRevoked,
    ];

    /// The exact wire string, e.g. `EVENT_CHANGED`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SseEventName::EventChanged => "EVENT_CHANGED",
            SseEventName::SomedayEventChanged => "SOMEDAY_EVENT_CHANGED",
            SseEventName::UserMetadata => "USER_METADATA",
            SseEventName::ImportGCalStart => "IMPORT_GCAL_START",
            SseEventName::ImportGCalEnd => "IMPORT_GCAL_END",
            SseEventName::GoogleRevoked => "GOOGLE_REVOKED",
        }
    }
}

impl fmt::Display for SseEventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the Compass SSE event names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown SSE event name: {0:?}")]
pub struct UnknownSseEventName(pub String);

impl FromStr for SseEventName {
    type Err = UnknownSseEventName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SseEventName::ALL
            .into_iter()
            .find(|name| name.as_str() == s)
            .ok_or_else(|| UnknownSseEventName(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_its_wire_string() {
        for name in SseEventName::ALL {
            assert_eq!(name.as_str().parse::<SseEventName>(), Ok(name));
            assert_eq!(name.to_string(), name.as_str());
            assert_eq!(
                serde_json::to_value(name).unwrap(),
                serde_json::Value::String(name.as_str().to_owned())
            );
        }
    }

    #[test]
    fn exact_wire_strings() {
        let names: Vec<&str> = SseEventName::ALL.iter().map(|n| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "EVENT_CHANGED",
                "SOMEDAY_EVENT_CHANGED",
                "USER_METADATA",
                "IMPORT_GCAL_START",
                "IMPORT_GCAL_END",
                "GOOGLE_REVOKED"
            ]
        );
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(
            "event_changed".parse::<SseEventName>(),
            Err(UnknownSseEventName("event_changed".into()))
        );
        assert!("".parse::<SseEventName>().is_err());
        assert!(serde_json::from_str::<SseEventName>("\"NOPE\"").is_err());
    }
}
