//! [`Recurrence`]: the `recurrence` object of an event as the backend sends it (read model).
//!
//! A series base carries `{rule: [...]}`; an instance carries `{eventId: "<base _id>"}`, and list/read
//! responses add the base's rule to it (`{eventId, rule}`). The rule lines are kept as sent here (the read
//! model must not break on an unusual Google rule); client-submitted rules are validated by
//! [`crate::EventDraft`] into [`crate::RecurrenceRule`].

use serde::{Deserialize, Serialize};

use crate::EventId;

/// The recurrence of a stored event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RecurrenceWire", into = "RecurrenceWire")]
pub enum Recurrence {
    /// The base of a series: `{rule}`.
    Base {
        /// RFC 5545 lines.
        rule: Vec<String>,
    },
    /// One occurrence of a series: `{eventId}`, or `{eventId, rule}` with the base's rule in responses.
    Instance {
        /// The `_id` of the series base.
        event_id: EventId,
        /// The base's rule, when the backend attached it.
        rule: Option<Vec<String>>,
    },
}

/// The JSON object behind [`Recurrence`].
#[derive(Serialize, Deserialize)]
struct RecurrenceWire {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rule: Option<Vec<String>>,
    #[serde(rename = "eventId", default, skip_serializing_if = "Option::is_none")]
    event_id: Option<EventId>,
}

/// A `recurrence` object with neither `rule` nor `eventId`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("recurrence needs a rule (series base) or an eventId (instance)")]
pub struct EmptyRecurrence;

impl TryFrom<RecurrenceWire> for Recurrence {
    type Error = EmptyRecurrence;

    fn try_from(wire: RecurrenceWire) -> Result<Self, Self::Error> {
        match (wire.event_id, wire.rule) {
            (Some(event_id), rule) => Ok(Recurrence::Instance { event_id, rule }),
            (None, Some(rule)) => Ok(Recurrence::Base { rule }),
            (None, None) => Err(EmptyRecurrence),
        }
    }
}

impl From<Recurrence> for RecurrenceWire {
    fn from(recurrence: Recurrence) -> Self {
        match recurrence {
            Recurrence::Base { rule } => RecurrenceWire {
                rule: Some(rule),
                event_id: None,
            },
            Recurrence::Instance { event_id, rule } => RecurrenceWire {
                rule,
                event_id: Some(event_id),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let base: Recurrence =
            serde_json::from_value(json!({"rule": ["RRULE:FREQ=DAILY"]})).unwrap();
        assert!(matches!(base, Recurrence::Base { .. }));
        let stored: Recurrence =
            serde_json::from_value(json!({"eventId": "5f1b2c3d4e5f60718293a4b5"})).unwrap();
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"eventId": "5f1b2c3d4e5f60718293a4b5"})
        );
        // `rule: null` on an instance reads as "no rule attached".
        let nulled: Recurrence =
            serde_json::from_value(json!({"eventId": "5f1b2c3d4e5f60718293a4b5", "rule": null}))
                .unwrap();
        assert_eq!(nulled, stored);
        assert!(serde_json::from_value::<Recurrence>(json!({})).is_err());
        assert!(serde_json::from_value::<Recurrence>(json!({"eventId": "x"})).is_err());
    }
}
