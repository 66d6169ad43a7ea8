//! The data of the `IMPORT_GCAL_END` SSE event, and a tolerant reader for old or partial payloads.
//!
//! Two shapes exist on the wire, and [`ImportGCalEndPayload`] produces and accepts exactly these:
//! `{operation, status: "COMPLETED", eventsCount?, calendarsCount?}` and
//! `{operation, status: "ERRORED" | "IGNORED", message}`. Older emitters sent `{}`; a client reads the data
//! with [`ImportGCalEndSeen::from_value`], which never fails.

use serde::{Deserialize, Serialize};

/// Which kind of Google import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportGCalOperation {
    /// An incremental sync, or a non-forced full import (what the reference reports for those).
    #[serde(rename = "INCREMENTAL")]
    Incremental,
    /// A forced full re-import (`POST /api/sync/import-gcal {force: true}`).
    #[serde(rename = "REPAIR")]
    Repair,
}

impl ImportGCalOperation {
    /// The exact wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImportGCalOperation::Incremental => "INCREMENTAL",
            ImportGCalOperation::Repair => "REPAIR",
        }
    }
}

/// How a Google import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImportGCalStatus {
    /// The import finished.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// The import failed; `message` says why in words a person can read.
    #[serde(rename = "ERRORED")]
    Errored,
    /// The import was not run (one is already running or done); `message` says so.
    #[serde(rename = "IGNORED")]
    Ignored,
}

impl ImportGCalStatus {
    /// The exact wire string.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImportGCalStatus::Completed => "COMPLETED",
            ImportGCalStatus::Errored => "ERRORED",
            ImportGCalStatus::Ignored => "IGNORED",
        }
    }
}

/// The `IMPORT_GCAL_END` data as the backend emits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ImportGCalEndWire", into = "ImportGCalEndWire")]
pub enum ImportGCalEndPayload {
    /// `{operation, status: "COMPLETED", eventsCount?, calendarsCount?}`.
    Completed {
        /// The kind of import.
        operation: ImportGCalOperation,
        /// Number of Compass events written (full imports only).
        events_count: Option<u64>,
        /// Number of Google calendars synced (full imports only).
        calendars_count: Option<u64>,
    },
    /// `{operation, status: "ERRORED", message}`.
    Errored {
        /// The kind of import.
        operation: ImportGCalOperation,
        /// Why it failed, for people.
        message: String,
    },
    /// `{operation, status: "IGNORED", message}`.
    Ignored {
        /// The kind of import.
        operation: ImportGCalOperation,
        /// Why it was not run, for people.
        message: String,
    },
}

impl ImportGCalEndPayload {
    /// The kind of import this payload reports on.
    pub fn operation(&self) -> ImportGCalOperation {
        match self {
            ImportGCalEndPayload::Completed { operation, .. }
            | ImportGCalEndPayload::Errored { operation, .. }
            | ImportGCalEndPayload::Ignored { operation, .. } => *operation,
        }
    }

    /// How the import ended.
    pub fn status(&self) -> ImportGCalStatus {
        match self {
            ImportGCalEndPayload::Completed { .. } => ImportGCalStatus::Completed,
            ImportGCalEndPayload::Errored { .. } => ImportGCalStatus::Errored,
            ImportGCalEndPayload::Ignored { .. } => ImportGCalStatus::Ignored,
        }
    }
}

/// The flat JSON object behind [`ImportGCalEndPayload`]; validated into the enum.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImportGCalEndWire {
    operation: ImportGCalOperation,
    status: ImportGCalStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    events_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    calendars_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// Why an `IMPORT_GCAL_END` object does not have one of the two allowed shapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportGCalEndShapeError {
    /// `status: "COMPLETED"` came with a `message`.
    #[error("a COMPLETED import end has no message")]
    MessageOnCompleted,
    /// `status: "ERRORED"`/`"IGNORED"` came without a `message`.
    #[error("an {0} import end needs a message")]
    MissingMessage(&'static str),
    /// `status: "ERRORED"`/`"IGNORED"` came with counts.
    #[error("an {0} import end has no eventsCount or calendarsCount")]
    CountsOnFailure(&'static str),
}

impl TryFrom<ImportGCalEndWire> for ImportGCalEndPayload {
    type Error = ImportGCalEndShapeError;

    fn try_from(wire: ImportGCalEndWire) -> Result<Self, Self::Error> {
        let operation = wire.operation;
        match wire.status {
            ImportGCalStatus::Completed => {
                if wire.message.is_some() {
                    return Err(ImportGCalEndShapeError::MessageOnCompleted);
                }
                Ok(ImportGCalEndPayload::Completed {
                    operation,
                    events_count: wire.events_count,
                    calendars_count: wire.calendars_count,
                })
            }
            status @ (ImportGCalStatus::Errored | ImportGCalStatus::Ignored) => {
                if wire.events_count.is_some() || wire.calendars_count.is_some() {
                    return Err(ImportGCalEndShapeError::CountsOnFailure(status.as_str()));
                }
                let message = wire
                    .message
                    .ok_or(ImportGCalEndShapeError::MissingMessage(status.as_str()))?;
                Ok(if status == ImportGCalStatus::Errored {
                    ImportGCalEndPayload::Errored { operation, message }
                } else {
                    ImportGCalEndPayload::Ignored { operation, message }
                })
            }
        }
    }
}

impl From<ImportGCalEndPayload> for ImportGCalEndWire {
    fn from(payload: ImportGCalEndPayload) -> Self {
        let status = payload.status();
        match payload {
            ImportGCalEndPayload::Completed {
                operation,
                events_count,
                calendars_count,
            } => ImportGCalEndWire {
                operation,
                status,
                events_count,
                calendars_count,
                message: None,
            },
            ImportGCalEndPayload::Errored { operation, message }
            | ImportGCalEndPayload::Ignored { operation, message } => ImportGCalEndWire {
                operation,
                status,
                events_count: None,
                calendars_count: None,
                message: Some(message),
            },
        }
    }
}

/// What a client could make of an `IMPORT_GCAL_END` data object, whatever its shape.
///
/// Every field is optional: `{}` (legacy emitters), unknown strings, wrong types or even invalid JSON give
/// `None` for the affected fields instead of an error, so an old or broken emitter cannot break a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportGCalEndSeen {
    /// `operation`, when it is a known value.
    pub operation: Option<ImportGCalOperation>,
    /// `status`, when it is a known value.
    pub status: Option<ImportGCalStatus>,
    /// `message`, when it is a string.
    pub message: Option<String>,
    /// `eventsCount`, when it is a non-negative integer.
    pub events_count: Option<u64>,
    /// `calendarsCount`, when it is a non-negative integer.
    pub calendars_count: Option<u64>,
}

impl ImportGCalEndSeen {
    /// Reads whatever is usable from a JSON value; never fails.
    pub fn from_value(value: &serde_json::Value) -> Self {
        let field = |key: &str| value.get(key);
        let enum_field = |key: &str| {
            field(key)
                .and_then(|v| v.as_str())
                .map(|s| serde_json::Value::String(s.to_owned()))
        };
        ImportGCalEndSeen {
            operation: enum_field("operation").and_then(|v| serde_json::from_value(v).ok()),
            status: enum_field("status").and_then(|v| serde_json::from_value(v).ok()),
            message: field("message").and_then(|v| v.as_str()).map(str::to_owned),
            events_count: field("eventsCount").and_then(|v| v.as_u64()),
            calendars_count: field("calendarsCount").and_then(|v| v.as_u64()),
        }
    }

    /// Reads whatever is usable from the SSE `data:` text; never fails (invalid JSON reads as `{}`).
    pub fn from_json_str(data: &str) -> Self {
        serde_json::from_str::<serde_json::Value>(data)
            .map(|v| Self::from_value(&v))
            .unwrap_or_default()
    }

    /// The strict payload, when the data had one of the two exact shapes.
    pub fn to_strict(&self) -> Option<ImportGCalEndPayload> {
        let wire = ImportGCalEndWire {
            operation: self.operation?,
            status: self.status?,
            events_count: self.events_count,
            calendars_count: self.calendars_count,
            message: self.message.clone(),
        };
        ImportGCalEndPayload::try_from(wire).ok()
    }
}

impl From<&ImportGCalEndPayload> for ImportGCalEndSeen {
    fn from(payload: &ImportGCalEndPayload) -> Self {
        let wire = ImportGCalEndWire::from(payload.clone());
        ImportGCalEndSeen {
            operation: Some(wire.operation),
            status: Some(wire.status),
            message: wire.message,
            events_count: wire.events_count,
            calendars_count: wire.calendars_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn completed_and_failure_shapes_serialize_exactly() {
        let done = ImportGCalEndPayload::Completed {
            operation: ImportGCalOperation::Repair,
            events_count: Some(12),
            calendars_count: Some(1),
        };
        assert_eq!(
            serde_json::to_value(&done).unwrap(),
            json!({"operation":"REPAIR","status":"COMPLETED","eventsCount":12,"calendarsCount":1})
        );
        let ignored = ImportGCalEndPayload::Ignored {
            operation: ImportGCalOperation::Incremental,
            message: "busy".into(),
        };
        assert_eq!(
            serde_json::to_value(&ignored).unwrap(),
            json!({"operation":"INCREMENTAL","status":"IGNORED","message":"busy"})
        );
    }

    #[test]
    fn strict_reader_rejects_other_shapes() {
        for bad in [
            json!({}),
            json!({"operation":"INCREMENTAL","status":"COMPLETED","message":"x"}),
            json!({"operation":"INCREMENTAL","status":"ERRORED"}),
            json!({"operation":"INCREMENTAL","status":"IGNORED","message":"x","eventsCount":1}),
            json!({"operation":"FULL","status":"COMPLETED"}),
            json!({"operation":"REPAIR","status":"completed"}),
            json!({"operation":"REPAIR","status":"COMPLETED","extra":true}),
            json!({"operation":"REPAIR","status":"COMPLETED","eventsCount":-1}),
        ] {
            assert!(
                serde_json::from_value::<ImportGCalEndPayload>(bad.clone()).is_err(),
                "accepted {bad}"
            );
        }
    }

    #[test]
    fn tolerant_reader_never_fails() {
        assert_eq!(
            ImportGCalEndSeen::from_json_str("{}"),
            ImportGCalEndSeen::default()
        );
        assert_eq!(
            ImportGCalEndSeen::from_json_str("not json"),
            ImportGCalEndSeen::default()
        );
        assert_eq!(
            ImportGCalEndSeen::from_json_str("[1,2]"),
            ImportGCalEndSeen::default()
        );
        let partial = ImportGCalEndSeen::from_value(
            &json!({"operation":"REPAIR","status":"SOMETHING_NEW","eventsCount":"3"}),
        );
        assert_eq!(partial.operation, Some(ImportGCalOperation::Repair));
        assert_eq!(partial.status, None);
        assert_eq!(partial.events_count, None);
        assert_eq!(partial.to_strict(), None);
    }

    #[test]
    fn tolerant_reader_agrees_with_strict_on_valid_payloads() {
        let errored = ImportGCalEndPayload::Errored {
            operation: ImportGCalOperation::Repair,
            message: "Google Calendar repair failed. Please try again.".into(),
        };
        let text = serde_json::to_string(&errored).unwrap();
        let seen = ImportGCalEndSeen::from_json_str(&text);
        assert_eq!(seen, ImportGCalEndSeen::from(&errored));
        assert_eq!(seen.to_strict(), Some(errored));
    }
}
