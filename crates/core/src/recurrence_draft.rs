//! [`RecurrenceDraft`]: what a submitted `recurrence` object asks for, validated.
//!
//! | JSON | create | update |
//! |---|---|---|
//! | absent, `null`, `{}` | [`RecurrenceDraft::None`] | [`RecurrenceDraft::None`] |
//! | `{rule: null}` | [`RecurrenceDraft::None`] | [`RecurrenceDraft::Remove`] (series/instance → standalone) |
//! | `{rule: [..]}` | [`RecurrenceDraft::Series`] | [`RecurrenceDraft::Series`] |
//! | `{eventId, rule?}` | error (instance field) | [`RecurrenceDraft::Instance`] |

use serde_json::Value;

use crate::json_fields::{opt_object, opt_str, Object};
use crate::{EventError, EventId, RecurrenceRule};

/// Whether the draft is a new event or a replacement of an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DraftMode {
    /// `POST /api/event`: a new standalone event or series.
    Create,
    /// `PUT /api/event/:id`: the full new state of an existing event.
    Update,
}

/// The recurrence a submitted event asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecurrenceDraft {
    /// No recurrence (a standalone event), or no change of one on update.
    None,
    /// `rule: null` on update: turn the series or instance into a standalone event.
    Remove,
    /// A series with this rule.
    Series(RecurrenceRule),
    /// An instance of the series whose base is `event_id` (update only); `rule` is the series rule the
    /// client holds (possibly edited, for "All Events" / "This and Following Events").
    Instance {
        /// The `_id` of the series base.
        event_id: EventId,
        /// The rule sent along, if any.
        rule: Option<RecurrenceRule>,
    },
}

/// Reads `recurrence` from a submitted event.
pub(crate) fn parse_recurrence(
    obj: &Object,
    mode: DraftMode,
) -> Result<RecurrenceDraft, EventError> {
    let Some(recurrence) = opt_object(obj, "recurrence")? else {
        return Ok(RecurrenceDraft::None);
    };
    let event_id = opt_str(recurrence, "eventId")
        .map_err(|_| EventError::WrongType {
            field: "recurrence.eventId",
            expected: "a string",
        })?
        .map(|raw| {
            EventId::parse(raw).map_err(|source| EventError::InvalidId {
                field: "recurrence.eventId",
                source,
            })
        })
        .transpose()?;
    if event_id.is_some() && mode == DraftMode::Create {
        return Err(EventError::InstanceFieldOnCreate {
            field: "recurrence.eventId",
        });
    }
    let rule = match recurrence.get("rule") {
        None => None,
        Some(Value::Null) => {
            return Ok(match mode {
                DraftMode::Create => RecurrenceDraft::None,
                DraftMode::Update => RecurrenceDraft::Remove,
            })
        }
        Some(Value::Array(items)) => {
            let lines = items
                .iter()
                .map(|item| item.as_str())
                .collect::<Option<Vec<&str>>>()
                .ok_or(EventError::WrongType {
                    field: "recurrence.rule",
                    expected: "an array of strings or null",
                })?;
            Some(
                RecurrenceRule::parse(&lines)
                    .map_err(|source| EventError::InvalidRule { source })?,
            )
        }
        Some(_) => {
            return Err(EventError::WrongType {
                field: "recurrence.rule",
                expected: "an array of strings or null",
            })
        }
    };
    Ok(match (event_id, rule) {
        (Some(event_id), rule) => RecurrenceDraft::Instance { event_id, rule },
        (None, Some(rule)) => RecurrenceDraft::Series(rule),
        (None, None) => RecurrenceDraft::None,
    })
}

impl RecurrenceDraft {
    /// The canonical JSON of this draft, or `None` when the key is left out.
    pub fn to_json(&self) -> Option<Value> {
        let mut out = serde_json::Map::new();
        match self {
            RecurrenceDraft::None => return None,
            RecurrenceDraft::Remove => {
                out.insert("rule".into(), Value::Null);
            }
            RecurrenceDraft::Series(rule) => {
                out.insert("rule".into(), rule.lines().into());
            }
            RecurrenceDraft::Instance { event_id, rule } => {
                out.insert("eventId".into(), event_id.as_str().into());
                if let Some(rule) = rule {
                    out.insert("rule".into(), rule.lines().into());
                }
            }
        }
        Some(Value::Object(out))
    }
}
