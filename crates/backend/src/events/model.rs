//! [`EventRecord`]: one stored event as the event domain sees it (standalone, series base or instance),
//! and how it becomes the wire [`Event`] that clients read.

use chrono::{DateTime, Utc};
use compass_core::{
    Event, EventDate, EventId, EventSpan, GoogleEventId, Nullable, Origin, Priority, Recurrence,
    Timestamp, UserId,
};

use super::recurrence::{in_zone, SeriesStart};
use crate::domain::{time_zone, Provenance};

/// Where an event stands in a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeriesRole {
    /// Not part of a series.
    Standalone,
    /// The base of a series: owns the rule; never returned by list reads.
    Base {
        /// RFC 5545 rule lines.
        rule: Vec<String>,
    },
    /// One materialised occurrence of the series whose base is `base`.
    Instance {
        /// The base's id.
        base: EventId,
    },
}

/// One stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Compass id.
    pub id: EventId,
    /// Owner.
    pub user: UserId,
    /// Title.
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Start and end.
    pub span: EventSpan,
    /// The IANA zone a timed series recurs in (`None`: the fixed offset of its start). Instances carry
    /// their base's zone.
    pub time_zone: Option<chrono_tz::Tz>,
    /// Shown in the all-day row.
    pub is_all_day: bool,
    /// In the someday lists instead of the calendar grid.
    pub is_someday: bool,
    /// The reference's `origin` value (`compass` for everything made through this API).
    pub origin: Origin,
    /// Who owns the event (made in Compass or imported from Google).
    pub provenance: Provenance,
    /// Colour category.
    pub priority: Priority,
    /// Series membership.
    pub role: SeriesRole,
    /// Google's id, set only once Google holds a copy (by the sync engine).
    pub g_event_id: Option<GoogleEventId>,
    /// Google's series id (instances synced with Google).
    pub g_recurring_event_id: Option<GoogleEventId>,
    /// The Google calendar holding the copy (set by the sync engine).
    pub g_calendar_id: Option<String>,
    /// Google's etag of the copy as last written or read by the sync engine.
    pub g_etag: Option<String>,
    /// Google's `updated` of that version.
    pub g_updated: Option<DateTime<Utc>>,
    /// Someday list position.
    pub order: Option<i64>,
    /// Legacy all-day row position.
    pub all_day_order: Option<i64>,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last Compass write.
    pub updated_at: DateTime<Utc>,
}

impl EventRecord {
    /// The start of this event as a recurrence start.
    pub fn series_start(&self) -> SeriesStart {
        span_start(&self.span)
    }

    /// True for a series base.
    pub fn is_base(&self) -> bool {
        matches!(self.role, SeriesRole::Base { .. })
    }

    /// The base id, for an instance.
    pub fn base_id(&self) -> Option<&EventId> {
        match &self.role {
            SeriesRole::Instance { base } => Some(base),
            _ => None,
        }
    }

    /// The rule, for a base.
    pub fn rule(&self) -> Option<&[String]> {
        match &self.role {
            SeriesRole::Base { rule } => Some(rule),
            _ => None,
        }
    }

    /// The wire form. Instances carry the base's rule when `base_rule` is given (read model).
    pub fn to_wire(&self, base_rule: Option<&[String]>) -> Event {
        let recurrence = match &self.role {
            SeriesRole::Standalone => None,
            SeriesRole::Base { rule } => Some(Recurrence::Base { rule: rule.clone() }),
            SeriesRole::Instance { base } => Some(Recurrence::Instance {
                event_id: base.clone(),
                rule: base_rule.map(<[String]>::to_vec),
            }),
        };
        Event {
            id: self.id.clone(),
            user: self.user.clone(),
            title: self.title.clone(),
            description: match &self.description {
                Some(text) => Nullable::Value(text.clone()),
                None => Nullable::Absent,
            },
            start_date: self.span.start(),
            end_date: self.span.end(),
            time_zone: self.time_zone.and_then(time_zone::name_of),
            is_all_day: self.is_all_day,
            is_someday: self.is_someday,
            origin: self.origin,
            priority: self.priority,
            recurrence,
            g_event_id: self.g_event_id.clone(),
            g_recurring_event_id: self.g_recurring_event_id.clone(),
            order: self.order,
            all_day_order: self.all_day_order,
            updated_at: Some(Timestamp(self.updated_at)),
        }
    }
}

/// The start of a span as a recurrence start.
pub fn span_start(span: &EventSpan) -> SeriesStart {
    match span.start() {
        EventDate::Day(day) => SeriesStart::Day(day),
        EventDate::Timed(dt) => SeriesStart::Timed(dt),
    }
}

/// The span that starts at `start` and lasts as long as `template`; a timed end is written with
/// `zone`'s offset at that instant (as the start already is).
pub fn span_like(
    template: &EventSpan,
    start: SeriesStart,
    zone: Option<chrono_tz::Tz>,
) -> Option<EventSpan> {
    match (template, start) {
        (EventSpan::Days { start: s, end }, SeriesStart::Day(day)) => {
            let length = end.signed_duration_since(*s);
            EventSpan::new(EventDate::Day(day), EventDate::Day(day + length)).ok()
        }
        (EventSpan::Timed { start: s, end }, SeriesStart::Timed(dt)) => {
            let length = end.signed_duration_since(*s);
            let end = in_zone(dt + length, zone);
            EventSpan::new(EventDate::Timed(dt), EventDate::Timed(end)).ok()
        }
        _ => None,
    }
}

/// A fresh Compass event id.
pub fn new_event_id() -> EventId {
    EventId::from_bytes(mongodb::bson::oid::ObjectId::new().bytes())
}
