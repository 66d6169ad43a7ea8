//! [`SseEvent`]: an SSE event name together with its data, so that a name can only be sent with the payload
//! the contract gives it; and [`ReceivedSseEvent`]: what a client makes of an incoming message.

use serde_json::Value;

use crate::{
    ImportGCalEndPayload, ImportGCalEndSeen, SseEventName, UnknownSseEventName, UserMetadata,
};

/// An event the backend publishes on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseEvent {
    /// `EVENT_CHANGED` with `{}`.
    EventChanged,
    /// `SOMEDAY_EVENT_CHANGED` with `{}`.
    SomedayEventChanged,
    /// `USER_METADATA` with the metadata (including the computed connection state).
    UserMetadata(UserMetadata),
    /// `IMPORT_GCAL_START` with `{}`.
    ImportGCalStart,
    /// `IMPORT_GCAL_END` with its payload.
    ImportGCalEnd(ImportGCalEndPayload),
    /// `GOOGLE_REVOKED` with `{}`.
    GoogleRevoked,
}

/// Serializes a value that is known to be representable as JSON.
fn to_json_value<T: serde::Serialize>(value: &T) -> Value {
    // The payload types are plain structs and enums with string keys; serializing them cannot fail.
    serde_json::to_value(value).unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
}

impl SseEvent {
    /// The event name.
    pub fn name(&self) -> SseEventName {
        match self {
            SseEvent::EventChanged => SseEventName::EventChanged,
            SseEvent::SomedayEventChanged => SseEventName::SomedayEventChanged,
            SseEvent::UserMetadata(_) => SseEventName::UserMetadata,
            SseEvent::ImportGCalStart => SseEventName::ImportGCalStart,
            SseEvent::ImportGCalEnd(_) => SseEventName::ImportGCalEnd,
            SseEvent::GoogleRevoked => SseEventName::GoogleRevoked,
        }
    }

    /// The `data:` value (`{}` for events without a payload).
    pub fn data(&self) -> Value {
        match self {
            SseEvent::UserMetadata(meta) => to_json_value(meta),
            SseEvent::ImportGCalEnd(payload) => to_json_value(payload),
            SseEvent::EventChanged
            | SseEvent::SomedayEventChanged
            | SseEvent::ImportGCalStart
            | SseEvent::GoogleRevoked => Value::Object(serde_json::Map::new()),
        }
    }

    /// The `data:` line's text.
    pub fn data_string(&self) -> String {
        self.data().to_string()
    }

    /// Reads a message strictly: the name must be known, events without a payload must carry `{}`, and
    /// payloads must have their exact shapes. (Clients should prefer the tolerant [`ReceivedSseEvent`].)
    pub fn decode_strict(name: &str, data: &Value) -> Result<Self, SseDecodeError> {
        let name = name.parse::<SseEventName>()?;
        let empty = || {
            if data.as_object().is_some_and(|o| o.is_empty()) {
                Ok(())
            } else {
                Err(SseDecodeError::InvalidData(name))
            }
        };
        Ok(match name {
            SseEventName::EventChanged => empty().map(|()| SseEvent::EventChanged)?,
            SseEventName::SomedayEventChanged => empty().map(|()| SseEvent::SomedayEventChanged)?,
            SseEventName::ImportGCalStart => empty().map(|()| SseEvent::ImportGCalStart)?,
            SseEventName::GoogleRevoked => empty().map(|()| SseEvent::GoogleRevoked)?,
            SseEventName::UserMetadata if data.is_object() => SseEvent::UserMetadata(
                serde_json::from_value(data.clone())
                    .map_err(|_| SseDecodeError::InvalidData(name))?,
            ),
            SseEventName::UserMetadata => return Err(SseDecodeError::InvalidData(name)),
            SseEventName::ImportGCalEnd => SseEvent::ImportGCalEnd(
                serde_json::from_value(data.clone())
                    .map_err(|_| SseDecodeError::InvalidData(name))?,
            ),
        })
    }
}

/// Why an incoming SSE message could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseDecodeError {
    /// The `event:` name is not part of the contract.
    #[error(transparent)]
    UnknownName(#[from] UnknownSseEventName),
    /// `USER_METADATA` data is not valid user metadata.
    #[error("USER_METADATA data is invalid: {0}")]
    InvalidMetadata(String),
    /// The data does not have the shape the contract gives this event (strict decoding only).
    #[error("{0} data does not have the contract's shape")]
    InvalidData(SseEventName),
}

/// An SSE message as a client reads it. Payload-free events ignore their data; `IMPORT_GCAL_END` data is
/// read tolerantly (see [`ImportGCalEndSeen`]), so only an unknown name or broken metadata is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceivedSseEvent {
    /// `EVENT_CHANGED`.
    EventChanged,
    /// `SOMEDAY_EVENT_CHANGED`.
    SomedayEventChanged,
    /// `USER_METADATA`.
    UserMetadata(UserMetadata),
    /// `IMPORT_GCAL_START`.
    ImportGCalStart,
    /// `IMPORT_GCAL_END`, with whatever was usable in its data.
    ImportGCalEnd(ImportGCalEndSeen),
    /// `GOOGLE_REVOKED`.
    GoogleRevoked,
}

impl ReceivedSseEvent {
    /// Reads a message from its `event:` name and `data:` text.
    pub fn decode(name: &str, data: &str) -> Result<Self, SseDecodeError> {
        Ok(match name.parse::<SseEventName>()? {
            SseEventName::EventChanged => ReceivedSseEvent::EventChanged,
            SseEventName::SomedayEventChanged => ReceivedSseEvent::SomedayEventChanged,
            SseEventName::ImportGCalStart => ReceivedSseEvent::ImportGCalStart,
            SseEventName::GoogleRevoked => ReceivedSseEvent::GoogleRevoked,
            SseEventName::ImportGCalEnd => {
                ReceivedSseEvent::ImportGCalEnd(ImportGCalEndSeen::from_json_str(data))
            }
            SseEventName::UserMetadata => ReceivedSseEvent::UserMetadata(
                serde_json::from_str(data)
                    .map_err(|e| SseDecodeError::InvalidMetadata(e.to_string()))?,
            ),
        })
    }
}

impl From<SseEvent> for ReceivedSseEvent {
    fn from(event: SseEvent) -> Self {
        match event {
            SseEvent::EventChanged => ReceivedSseEvent::EventChanged,
            SseEvent::SomedayEventChanged => ReceivedSseEvent::SomedayEventChanged,
            SseEvent::UserMetadata(meta) => ReceivedSseEvent::UserMetadata(meta),
            SseEvent::ImportGCalStart => ReceivedSseEvent::ImportGCalStart,
            SseEvent::ImportGCalEnd(payload) => ReceivedSseEvent::ImportGCalEnd((&payload).into()),
            SseEvent::GoogleRevoked => ReceivedSseEvent::GoogleRevoked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImportGCalOperation;

    #[test]
    fn payload_free_events_send_an_empty_object() {
        for event in [
            SseEvent::EventChanged,
            SseEvent::SomedayEventChanged,
            SseEvent::ImportGCalStart,
            SseEvent::GoogleRevoked,
        ] {
            assert_eq!(event.data_string(), "{}");
        }
        assert_eq!(
            SseEvent::UserMetadata(UserMetadata::default()).data_string(),
            "{}"
        );
    }

    #[test]
    fn sent_events_decode_to_the_same_meaning() {
        let events = [
            SseEvent::EventChanged,
            SseEvent::UserMetadata(UserMetadata {
                skip_onboarding: Some(true),
                ..UserMetadata::default()
            }),
            SseEvent::ImportGCalEnd(ImportGCalEndPayload::Errored {
                operation: ImportGCalOperation::Repair,
                message: "failed".into(),
            }),
        ];
        for event in events {
            let decoded =
                ReceivedSseEvent::decode(event.name().as_str(), &event.data_string()).unwrap();
            assert_eq!(decoded, ReceivedSseEvent::from(event));
        }
    }

    #[test]
    fn decoding_is_tolerant_where_the_contract_says_so() {
        assert_eq!(
            ReceivedSseEvent::decode("IMPORT_GCAL_END", "{}").unwrap(),
            ReceivedSseEvent::ImportGCalEnd(ImportGCalEndSeen::default())
        );
        assert_eq!(
            ReceivedSseEvent::decode("EVENT_CHANGED", "garbage").unwrap(),
            ReceivedSseEvent::EventChanged
        );
        assert!(matches!(
            ReceivedSseEvent::decode("PING", "{}"),
            Err(SseDecodeError::UnknownName(_))
        ));
        assert!(matches!(
            ReceivedSseEvent::decode("USER_METADATA", r#"{"sync":{"importGCal":"LATER"}}"#),
            Err(SseDecodeError::InvalidMetadata(_))
        ));
    }
}
