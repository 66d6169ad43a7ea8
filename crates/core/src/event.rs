//! [`Event`]: an event as the backend sends it (`GET /api/event`, `GET /api/event/:id`).
//!
//! Field names are the reference's camelCase keys (`_id`, `startDate`, `gEventId`, ...). Optional fields are
//! left out when empty; `description` keeps absent and `null` apart. Unknown keys are ignored on input.
//! This is the read model: it checks types, ids, enum values and date formats, while the rules for what a
//! client may submit live in [`crate::EventDraft`].

use serde::{Deserialize, Serialize};

use crate::{
    EventDate, EventId, GoogleEventId, Nullable, Origin, Priority, Recurrence, TimeZoneName,
    Timestamp, UserId,
};

/// An event on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Compass id.
    #[serde(rename = "_id")]
    pub id: EventId,
    /// Owner.
    pub user: UserId,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description; may be `null`.
    #[serde(default, skip_serializing_if = "Nullable::is_absent")]
    pub description: Nullable<String>,
    /// Start: `YYYY-MM-DD` or RFC 3339 with offset.
    pub start_date: EventDate,
    /// End (exclusive for days): same format as `startDate`.
    pub end_date: EventDate,
    /// The IANA zone a timed series recurs in (wall-clock time kept across daylight saving); absent: the
    /// fixed UTC offset of `startDate`. Instances carry their base's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<TimeZoneName>,
    /// Whether the event is shown in the all-day row.
    #[serde(default)]
    pub is_all_day: bool,
    /// Whether the event is in the someday (unscheduled) lists.
    #[serde(default)]
    pub is_someday: bool,
    /// Provenance.
    pub origin: Origin,
    /// Colour category.
    pub priority: Priority,
    /// Series membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    /// Google's id for this event, when Google holds a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_event_id: Option<GoogleEventId>,
    /// Google's id of the series base (instances only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_recurring_event_id: Option<GoogleEventId>,
    /// Position in a someday list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    /// Legacy position in the all-day row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_day_order: Option<i64>,
    /// Last Compass write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

/// One item of the `PUT /api/event/reorder` body: `{_id, order}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadOrder {
    /// The someday event to move.
    #[serde(rename = "_id")]
    pub id: EventId,
    /// Its new position.
    pub order: i64,
}
