//! Parsing the body of `POST /api/event`, which is one event object or an array of them.

use serde_json::Value;

use crate::{EventDraft, EventError};

/// Why a `POST /api/event` body is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The body is an empty array.
    #[error("the request contains no events")]
    Empty,
    /// One event of an array is invalid.
    #[error("event {}: {error}", .index + 1)]
    Event {
        /// Index of the event in the array (0-based; messages count from 1).
        index: usize,
        /// What is wrong with it.
        error: EventError,
    },
    /// The single event body is invalid.
    #[error(transparent)]
    Single(EventError),
}

impl EventDraft {
    /// Parses the body of `POST /api/event`: one event object or a non-empty array of event objects, each
    /// parsed with [`EventDraft::parse_create`]. Stops at the first invalid event.
    pub fn parse_create_batch(value: &Value) -> Result<Vec<EventDraft>, BatchError> {
        match value {
            Value::Array(items) if items.is_empty() => Err(BatchError::Empty),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    EventDraft::parse_create(item)
                        .map_err(|error| BatchError::Event { index, error })
                })
                .collect(),
            single => EventDraft::parse_create(single)
                .map(|draft| vec![draft])
                .map_err(BatchError::Single),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(end: &str) -> Value {
        json!({"startDate": "2025-01-05", "endDate": end, "origin": "compass", "priority": "work"})
    }

    #[test]
    fn single_object_or_array() {
        assert_eq!(
            EventDraft::parse_create_batch(&event("2025-01-06"))
                .unwrap()
                .len(),
            1
        );
        let two = json!([event("2025-01-06"), event("2025-01-07")]);
        assert_eq!(EventDraft::parse_create_batch(&two).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_event() {
        assert_eq!(
            EventDraft::parse_create_batch(&json!([])),
            Err(BatchError::Empty)
        );
        let bad = json!([event("2025-01-06"), event("2025-01-05")]);
        let err = EventDraft::parse_create_batch(&bad).unwrap_err();
        assert_eq!(
            err.to_string(),
            "event 2: `endDate` must be after `startDate`"
        );
        let single = EventDraft::parse_create_batch(&json!("x")).unwrap_err();
        assert_eq!(single, BatchError::Single(EventError::NotAnObject));
    }
}
