//! The event form's state and its translation into a compass-core [`EventDraft`]: what the inputs hold
//! (strings, as the browser gives them), how a stored [`Event`] fills them, and how they become a
//! validated draft to send. All-day end dates are shown inclusive and sent exclusive.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use compass_core::{
    Event, EventDate, EventDraft, EventSpan, Nullable, Origin, Priority, Recurrence,
    RecurrenceDraft, SpanError,
};

use crate::repeat::Repeat;
use crate::scope::Change;
use crate::time::{self, Zone};

/// Everything the form shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormState {
    /// Title.
    pub title: String,
    /// Priority.
    pub priority: Priority,
    /// All day (dates only).
    pub all_day: bool,
    /// Someday (no dates shown; they come from the sidebar list).
    pub someday: bool,
    /// Start day.
    pub start_date: NaiveDate,
    /// Start time (timed only).
    pub start_time: NaiveTime,
    /// End day (inclusive for all-day events).
    pub end_date: NaiveDate,
    /// End time (timed only).
    pub end_time: NaiveTime,
    /// Description.
    pub description: String,
    /// Repeat settings, when "Repeat" is on.
    pub repeat: Option<Repeat>,
    /// Dates of someday events (kept as they are).
    pub someday_span: Option<(NaiveDate, NaiveDate)>,
}

/// Why the form cannot be saved. `Display` is shown next to the Save button.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// End not after start.
    #[error("The end must be after the start.")]
    EndBeforeStart,
    /// The repeat settings do not make a valid rule.
    #[error("Repeat: {0}")]
    Rule(String),
    /// Title too long.
    #[error("The title is too long (at most {max} characters).", max = compass_core::MAX_TITLE_CHARS)]
    TitleTooLong,
}

impl FormState {
    /// A new timed event on `day` from `start` for `minutes`.
    pub fn new_timed(day: NaiveDate, start: NaiveTime, minutes: i64) -> FormState {
        let begin = day.and_time(start);
        let end = begin + Duration::minutes(minutes);
        FormState {
            title: String::new(),
            priority: Priority::Unassigned,
            all_day: false,
            someday: false,
            start_date: day,
            start_time: start,
            end_date: end.date(),
            end_time: end.time(),
            description: String::new(),
            repeat: None,
            someday_span: None,
        }
    }

    /// A new all-day event on `day`.
    pub fn new_all_day(day: NaiveDate) -> FormState {
        FormState {
            all_day: true,
            ..FormState::new_timed(
                day,
                NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
                60,
            )
        }
    }

    /// A new someday event over `start..end` (days, as the sidebar list gives them).
    pub fn new_someday(start: NaiveDate, end: NaiveDate) -> FormState {
        FormState {
            someday: true,
            someday_span: Some((start, end)),
            ..FormState::new_all_day(start)
        }
    }

    /// The form for a stored event, in the user's zone.
    pub fn from_event(event: &Event, zone: Zone) -> FormState {
        let mut form = FormState::new_timed(
            time::today(zone),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            60,
        );
        form.title = event.title.clone().unwrap_or_default();
        form.priority = event.priority;
        form.description = event.description.value().cloned().unwrap_or_default();
        form.someday = event.is_someday;
        form.repeat = rule_of(event).and_then(|lines| Repeat::from_rule(&lines));
        match (event.start_date, event.end_date) {
            (EventDate::Day(start), EventDate::Day(end)) => {
                if event.is_someday {
                    form.someday_span = Some((start, end));
                }
                form.all_day = !event.is_someday;
                form.start_date = start;
                form.end_date = (end - Duration::days(1)).max(start);
            }
            (start, end) => {
                let start = zone.to_local(start.start_instant_utc());
                let end = zone.to_local(end.start_instant_utc());
                form.all_day = false;
                form.start_date = start.date();
                form.start_time = start.time();
                form.end_date = end.date();
                form.end_time = end.time();
            }
        }
        form
    }

    /// Turns "Repeat" on (weekly on the start's weekday) or off.
    pub fn set_repeat(&mut self, on: bool) {
        self.repeat = on.then(|| {
            self.repeat
                .clone()
                .unwrap_or_else(|| Repeat::weekly_on(self.start_date.weekday()))
        });
    }

    /// The start and end as event dates.
    pub fn span(&self, zone: Zone) -> Result<EventSpan, FormError> {
        let (start, end) = if self.someday {
            let (start, end) = self
                .someday_span
                .unwrap_or((self.start_date, self.start_date + Duration::days(6)));
            (EventDate::Day(start), EventDate::Day(end))
        } else if self.all_day {
            (
                EventDate::Day(self.start_date),
                EventDate::Day(self.end_date.max(self.start_date) + Duration::days(1)),
            )
        } else {
            let start: NaiveDateTime = self.start_date.and_time(self.start_time);
            let end: NaiveDateTime = self.end_date.and_time(self.end_time);
            (
                EventDate::Timed(zone.from_local(start)),
                EventDate::Timed(zone.from_local(end)),
            )
        };
        EventSpan::new(start, end).map_err(|e| match e {
            SpanError::EndNotAfterStart | SpanError::MixedFormats => FormError::EndBeforeStart,
        })
    }

    /// The draft to send: a new event when `original` is `None`, otherwise the full new state of
    /// `original` (keeping its id and its series membership).
    pub fn to_draft(&self, original: Option<&Event>, zone: Zone) -> Result<EventDraft, FormError> {
        if self.title.chars().count() > compass_core::MAX_TITLE_CHARS {
            return Err(FormError::TitleTooLong);
        }
        let rule = self
            .repeat
            .as_ref()
            .map(|r| r.to_rule().map_err(|e| FormError::Rule(e.to_string())))
            .transpose()?;
        let recurrence = match (original.and_then(|e| e.recurrence.as_ref()), rule) {
            (Some(Recurrence::Instance { event_id, .. }), Some(rule)) => {
                RecurrenceDraft::Instance {
                    event_id: event_id.clone(),
                    rule: Some(rule),
                }
            }
            (Some(_), None) => RecurrenceDraft::Remove,
            (_, Some(rule)) => RecurrenceDraft::Series(rule),
            (None, None) => RecurrenceDraft::None,
        };
        let title = self.title.trim();
        Ok(EventDraft {
            id: original.map(|e| e.id.clone()),
            title: (!title.is_empty()).then(|| title.to_owned()),
            description: if self.description.trim().is_empty() {
                if original.is_some_and(|e| !e.description.is_absent()) {
                    Nullable::Null
                } else {
                    Nullable::Absent
                }
            } else {
                Nullable::Value(self.description.clone())
            },
            span: self.span(zone)?,
            // The event's own zone when it has one (a series keeps recurring where it was made), else
            // the browser's.
            time_zone: original
                .and_then(|e| e.time_zone.clone())
                .or_else(|| zone.iana_name()),
            is_all_day: self.all_day && !self.someday,
            is_someday: self.someday,
            origin: original.map_or(Origin::Compass, |e| e.origin),
            priority: self.priority,
            recurrence,
            g_event_id: None,
            g_recurring_event_id: None,
            order: original.and_then(|e| e.order),
            all_day_order: None,
        })
    }

    /// What saving this form would change on `original` (for the scope rules).
    pub fn change_from(&self, original: &Event, zone: Zone) -> Change {
        let span = self.span(zone).ok();
        let dates_changed = span.is_none_or(|span| {
            span.start() != original.start_date || span.end() != original.end_date
        });
        let before = rule_of(original);
        let after = self
            .repeat
            .as_ref()
            .and_then(|r| r.to_rule().ok())
            .map(|r| r.lines().to_vec());
        Change::Save {
            dates_changed,
            rule_changed: before.is_some() && after.is_some() && before != after,
            rule_removed: before.is_some() && after.is_none(),
        }
    }
}

/// The rule lines of a series member (instances carry their base's rule in responses).
pub fn rule_of(event: &Event) -> Option<Vec<String>> {
    match event.recurrence.as_ref()? {
        Recurrence::Base { rule } => Some(rule.clone()),
        Recurrence::Instance { rule, .. } => rule.clone(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{FixedOffset, Weekday};
    use compass_core::UpdateScope;

    fn zone() -> Zone {
        Zone::Fixed(FixedOffset::west_opt(6 * 3600).unwrap())
    }

    fn day(s: &str) -> NaiveDate {
        time::parse_date_input(s).unwrap()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn instance() -> Event {
        serde_json::from_value(serde_json::json!({
            "_id": "6750a1b2c3d4e5f601234501",
            "user": "6750a0000000000000000001",
            "title": "Standup",
            "startDate": "2025-01-08T09:00:00-06:00",
            "endDate": "2025-01-08T09:15:00-06:00",
            "origin": "compass",
            "priority": "work",
            "recurrence": {"eventId": "6750a1b2c3d4e5f601234500", "rule": ["RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=WE"]},
        }))
        .unwrap()
    }

    #[test]
    fn a_new_timed_event_becomes_a_create_draft_in_the_users_offset() {
        let mut form = FormState::new_timed(day("2025-01-05"), hm(9, 0), 90);
        form.title = "  Planning ".into();
        form.priority = Priority::Work;
        let draft = form.to_draft(None, zone()).unwrap();
        let json = draft.to_json();
        assert_eq!(json["title"], "Planning");
        assert_eq!(json["startDate"], "2025-01-05T09:00:00-06:00");
        assert_eq!(json["endDate"], "2025-01-05T10:30:00-06:00");
        assert_eq!(json["isAllDay"], false);
        assert_eq!(json["priority"], "work");
        assert!(json.get("_id").is_none());
        // The server's own parser accepts it unchanged.
        assert_eq!(EventDraft::parse_create(&json).unwrap(), draft);
    }

    #[test]
    fn all_day_end_is_shown_inclusive_and_sent_exclusive() {
        let form = FormState::new_all_day(day("2025-01-05"));
        let draft = form.to_draft(None, zone()).unwrap();
        assert_eq!(draft.span.start().to_wire(), "2025-01-05");
        assert_eq!(draft.span.end().to_wire(), "2025-01-06");
        assert!(draft.is_all_day);
    }

    #[test]
    fn end_before_start_is_refused() {
        let mut form = FormState::new_timed(day("2025-01-05"), hm(9, 0), 60);
        form.end_time = hm(8, 0);
        assert_eq!(form.to_draft(None, zone()), Err(FormError::EndBeforeStart));
    }

    #[test]
    fn a_repeating_new_event_is_a_series() {
        let mut form = FormState::new_timed(day("2025-01-06"), hm(9, 0), 15);
        form.set_repeat(true);
        let draft = form.to_draft(None, zone()).unwrap();
        assert_eq!(
            draft.to_json()["recurrence"]["rule"][0],
            "RRULE:FREQ=WEEKLY;INTERVAL=1;BYDAY=MO"
        );
    }

    #[test]
    fn an_edit_keeps_the_event_s_time_zone_and_a_fixed_offset_sends_none() {
        let mut event = instance();
        let form = FormState::from_event(&event, zone());
        assert_eq!(form.to_draft(Some(&event), zone()).unwrap().time_zone, None);
        event.time_zone = Some(compass_core::TimeZoneName::parse("America/Chicago").unwrap());
        let draft = form.to_draft(Some(&event), zone()).unwrap();
        assert_eq!(draft.to_json()["timeZone"], "America/Chicago");
    }

    #[test]
    fn editing_an_instance_keeps_its_series_and_reports_changes() {
        let event = instance();
        let form = FormState::from_event(&event, zone());
        assert_eq!(form.start_time, hm(9, 0));
        assert_eq!(form.repeat.as_ref().unwrap().weekdays, [Weekday::Wed]);
        let draft = form.to_draft(Some(&event), zone()).unwrap();
        let json = draft.to_json();
        assert_eq!(json["_id"], "6750a1b2c3d4e5f601234501");
        assert_eq!(json["recurrence"]["eventId"], "6750a1b2c3d4e5f601234500");
        assert_eq!(EventDraft::parse_update(&json).unwrap(), draft);
        let unchanged = form.change_from(&event, zone());
        assert_eq!(
            crate::scope::scope_choice(&event, unchanged),
            crate::scope::ScopeChoice::Ask(UpdateScope::ALL.to_vec())
        );

        let mut moved = form.clone();
        moved.start_time = hm(10, 0);
        moved.end_time = hm(10, 15);
        assert!(matches!(
            moved.change_from(&event, zone()),
            Change::Save {
                dates_changed: true,
                ..
            }
        ));

        let mut stopped = form;
        stopped.set_repeat(false);
        assert_eq!(
            stopped.to_draft(Some(&event), zone()).unwrap().recurrence,
            RecurrenceDraft::Remove
        );
        assert!(matches!(
            stopped.change_from(&event, zone()),
            Change::Save {
                rule_removed: true,
                ..
            }
        ));
    }

    #[test]
    fn someday_events_keep_their_list_dates() {
        let mut form = FormState::new_someday(day("2025-01-05"), day("2025-01-11"));
        form.title = "Read".into();
        let draft = form.to_draft(None, zone()).unwrap();
        let json = draft.to_json();
        assert_eq!(json["startDate"], "2025-01-05");
        assert_eq!(json["endDate"], "2025-01-11");
        assert_eq!(json["isSomeday"], true);
        assert_eq!(json["isAllDay"], false);
        assert_eq!(EventDraft::parse_create(&json).unwrap(), draft);
    }
}
