//! [`EventDraft`]: a client-submitted event (`POST /api/event`, `PUT /api/event/:id`) parsed into a typed,
//! validated value.
//!
//! Parsing reads the JSON object field by field and stops at the first problem with an [`EventError`] that
//! names the field. Nothing panics. Keys the web sends for its own UI (`position`, `isOpen`, `row`, ...) are
//! ignored, as are `user` (the session decides the owner) and `updatedAt` (the server sets it). Unlike the
//! reference, `order` and `allDayOrder` are kept (backend spec §15 item 13).

use serde_json::{Map, Value};

use crate::event_error::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use crate::json_fields::{nullable_str, opt_bool, opt_int, opt_str, req_str, Object};
use crate::recurrence_draft::parse_recurrence;
use crate::{
    DraftMode, EventDate, EventError, EventId, EventSpan, GoogleEventId, Nullable, Origin,
    Priority, RecurrenceDraft, SpanError, TimeZoneName,
};

/// A validated client-submitted event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDraft {
    /// `_id` the client chose (create) or sent (update); `optimistic-` already stripped.
    pub id: Option<EventId>,
    /// Title, at most [`MAX_TITLE_CHARS`] characters.
    pub title: Option<String>,
    /// Description (absent / `null` / text), at most [`MAX_DESCRIPTION_CHARS`] characters.
    pub description: Nullable<String>,
    /// Start and end, same kind, end after start.
    pub span: EventSpan,
    /// IANA zone a timed series recurs in (syntax checked here; the backend resolves it). `None` (absent
    /// or `null`): a new event recurs in the fixed offset of its start, an edit keeps the stored zone.
    pub time_zone: Option<TimeZoneName>,
    /// All-day row (implies `span` is whole days).
    pub is_all_day: bool,
    /// Someday list.
    pub is_someday: bool,
    /// Provenance.
    pub origin: Origin,
    /// Colour category.
    pub priority: Priority,
    /// Requested recurrence.
    pub recurrence: RecurrenceDraft,
    /// Google id the client holds.
    pub g_event_id: Option<GoogleEventId>,
    /// Google series id the client holds (update only).
    pub g_recurring_event_id: Option<GoogleEventId>,
    /// Someday list position.
    pub order: Option<i64>,
    /// Legacy all-day row position.
    pub all_day_order: Option<i64>,
}

/// Reads a text field and checks its length.
fn limited_text(
    obj: &Object,
    field: &'static str,
    max: usize,
) -> Result<Nullable<String>, EventError> {
    let value = nullable_str(obj, field)?;
    match value.value() {
        Some(text) if text.chars().count() > max => Err(EventError::TooLong { field, max }),
        _ => Ok(value),
    }
}

/// Reads a required event date.
fn date(obj: &Object, field: &'static str) -> Result<EventDate, EventError> {
    EventDate::parse(req_str(obj, field)?)
        .map_err(|source| EventError::MalformedDate { field, source })
}

/// Reads a required Compass-owned enum.
fn wire_enum<T>(obj: &Object, field: &'static str) -> Result<T, EventError>
where
    T: std::str::FromStr<Err = crate::UnknownValue>,
{
    req_str(obj, field)?
        .parse()
        .map_err(|source| EventError::UnknownValue { field, source })
}

/// Reads an optional Google id.
fn google_id(obj: &Object, field: &'static str) -> Result<Option<GoogleEventId>, EventError> {
    opt_str(obj, field)?
        .map(|raw| {
            GoogleEventId::parse(raw).map_err(|source| EventError::InvalidId { field, source })
        })
        .transpose()
}

impl EventDraft {
    /// Parses the body of `POST /api/event` (one event).
    pub fn parse_create(value: &Value) -> Result<Self, EventError> {
        Self::parse(value, DraftMode::Create)
    }

    /// Parses the body of `PUT /api/event/:id`.
    pub fn parse_update(value: &Value) -> Result<Self, EventError> {
        Self::parse(value, DraftMode::Update)
    }

    /// Parses a submitted event in the given mode.
    pub fn parse(value: &Value, mode: DraftMode) -> Result<Self, EventError> {
        let obj = value.as_object().ok_or(EventError::NotAnObject)?;
        let id = opt_str(obj, "_id")?
            .map(|raw| {
                EventId::parse(raw).map_err(|source| EventError::InvalidId {
                    field: "_id",
                    source,
                })
            })
            .transpose()?;
        let title = limited_text(obj, "title", MAX_TITLE_CHARS)?.into_option();
        let description = limited_text(obj, "description", MAX_DESCRIPTION_CHARS)?;
        let start = date(obj, "startDate")?;
        let end = date(obj, "endDate")?;
        let time_zone = opt_str(obj, "timeZone")?
            .map(|raw| {
                TimeZoneName::parse(raw).map_err(|source| EventError::InvalidTimeZone { source })
            })
            .transpose()?;
        let is_all_day = opt_bool(obj, "isAllDay")?;
        let is_someday = opt_bool(obj, "isSomeday")?.unwrap_or(false);
        let origin = wire_enum::<Origin>(obj, "origin")?;
        let priority = wire_enum::<Priority>(obj, "priority")?;
        let span = EventSpan::new(start, end).map_err(|e| match e {
            SpanError::MixedFormats => EventError::MixedDateFormats,
            SpanError::EndNotAfterStart => EventError::EndNotAfterStart,
        })?;
        let is_all_day = match is_all_day {
            Some(true) if !span.is_days() => return Err(EventError::AllDayWithTimes),
            Some(false) if span.is_days() && !is_someday => {
                return Err(EventError::TimedWithoutTimes)
            }
            Some(flag) => flag,
            None => span.is_days() && !is_someday,
        };
        let g_event_id = google_id(obj, "gEventId")?;
        let g_recurring_event_id = google_id(obj, "gRecurringEventId")?;
        if g_recurring_event_id.is_some() && mode == DraftMode::Create {
            return Err(EventError::InstanceFieldOnCreate {
                field: "gRecurringEventId",
            });
        }
        let recurrence = parse_recurrence(obj, mode)?;
        Ok(EventDraft {
            id,
            title,
            description,
            span,
            time_zone,
            is_all_day,
            is_someday,
            origin,
            priority,
            recurrence,
            g_event_id,
            g_recurring_event_id,
            order: opt_int(obj, "order")?,
            all_day_order: opt_int(obj, "allDayOrder")?,
        })
    }

    /// The canonical JSON of this draft: what a client should send for it. Parsing the result again gives
    /// an equal draft.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        let mut put = |key: &str, value: Value| {
            out.insert(key.to_owned(), value);
        };
        if let Some(id) = &self.id {
            put("_id", id.as_str().into());
        }
        if let Some(title) = &self.title {
            put("title", title.as_str().into());
        }
        match &self.description {
            Nullable::Absent => {}
            Nullable::Null => put("description", Value::Null),
            Nullable::Value(text) => put("description", text.as_str().into()),
        }
        put("startDate", self.span.start().to_wire().into());
        put("endDate", self.span.end().to_wire().into());
        if let Some(zone) = &self.time_zone {
            put("timeZone", zone.as_str().into());
        }
        put("isAllDay", self.is_all_day.into());
        put("isSomeday", self.is_someday.into());
        put("origin", self.origin.as_str().into());
        put("priority", self.priority.as_str().into());
        if let Some(recurrence) = self.recurrence.to_json() {
            put("recurrence", recurrence);
        }
        if let Some(id) = &self.g_event_id {
            put("gEventId", id.as_str().into());
        }
        if let Some(id) = &self.g_recurring_event_id {
            put("gRecurringEventId", id.as_str().into());
        }
        if let Some(order) = self.order {
            put("order", order.into());
        }
        if let Some(order) = self.all_day_order {
            put("allDayOrder", order.into());
        }
        Value::Object(out)
    }
}
