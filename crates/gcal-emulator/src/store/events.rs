//! Events: the stored form, Google's JSON for events and generated instances, and the write operations
//! (insert, update, patch, delete, get) including exceptions of a series addressed by instance id.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};

use super::event_time::{display_zone, rfc3339_millis, zone_or_utc, EventTime};
use super::{random_base32hex, recurrence, Calendar, Store};
use crate::error::ApiError;

/// Event fields a client may write (the rest are read-only or server-set).
const WRITABLE: [&str; 32] = [
    "anyoneCanAddSelf",
    "attachments",
    "attendees",
    "birthdayProperties",
    "colorId",
    "conferenceData",
    "description",
    "end",
    "endTimeUnspecified",
    "eventType",
    "extendedProperties",
    "focusTimeProperties",
    "gadget",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "location",
    "locked",
    "outOfOfficeProperties",
    "privateCopy",
    "recurrence",
    "reminders",
    "sequence",
    "source",
    "start",
    "status",
    "summary",
    "transparency",
    "visibility",
    "workingLocationProperties",
    "eventLabelId",
    "attendeesOmitted",
];

/// A stored event: a single event, a series master, or an exception (moved / cancelled instance).
#[derive(Debug, Clone)]
pub(crate) struct Event {
    /// Event id.
    pub id: String,
    /// Client-writable fields as last written.
    pub body: Map<String, Value>,
    /// `confirmed`, `tentative` or `cancelled`.
    pub status: String,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Last modification time.
    pub updated: DateTime<Utc>,
    /// Change sequence of the last modification.
    pub changed_seq: u64,
    /// iCalendar sequence.
    pub sequence: i64,
    /// iCalUID.
    pub ical_uid: String,
    /// Series id, for exceptions.
    pub recurring_event_id: Option<String>,
    /// Slot in the series, for exceptions.
    pub original_start: Option<EventTime>,
    /// Parsed start.
    pub start: EventTime,
    /// Parsed end.
    pub end: EventTime,
}

impl Event {
    /// Quoted etag, new on every change.
    pub(crate) fn etag(&self) -> String {
        format!("\"{}\"", 3_000_000_000_000_000u64 + self.changed_seq * 1000)
    }

    /// The recurrence lines of a series master (empty otherwise).
    pub(crate) fn recurrence(&self) -> Vec<String> {
        self.body
            .get("recurrence")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// True for a live or cancelled series master.
    pub(crate) fn is_series(&self) -> bool {
        self.recurring_event_id.is_none()
            && self
                .body
                .get("recurrence")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(Value::is_string))
    }

    /// True when cancelled (deleted, or a cancelled instance).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.status == "cancelled"
    }

    /// Google's full JSON for this event, times rendered in the calendar's zone.
    pub(crate) fn full_json(&self, cal: &Calendar) -> Value {
        self.full_json_in(cal, zone_or_utc(&cal.time_zone))
    }

    /// Google's full JSON for this event, `dateTime`s rendered in `zone`.
    pub(crate) fn full_json_in(&self, cal: &Calendar, zone: chrono_tz::Tz) -> Value {
        let mut m = self.body.clone();
        let base = [
            ("kind", json!("calendar#event")),
            ("etag", json!(self.etag())),
            ("id", json!(self.id)),
            ("status", json!(self.status)),
            (
                "htmlLink",
                json!(format!(
                    "https://www.google.com/calendar/event?eid={}",
                    self.id
                )),
            ),
            ("created", json!(rfc3339_millis(self.created))),
            ("updated", json!(rfc3339_millis(self.updated))),
            ("creator", json!({"email": cal.owner, "self": true})),
            (
                "organizer",
                json!({"email": cal.id, "displayName": cal.summary, "self": true}),
            ),
            ("start", self.start.to_json_in(zone)),
            ("end", self.end.to_json_in(zone)),
            ("iCalUID", json!(self.ical_uid)),
            ("sequence", json!(self.sequence)),
        ];
        for (k, v) in base {
            m.insert(k.to_owned(), v);
        }
        m.entry("reminders")
            .or_insert_with(|| json!({"useDefault": true}));
        m.entry("eventType").or_insert_with(|| json!("default"));
        if let (Some(series), Some(original)) = (&self.recurring_event_id, &self.original_start) {
            m.insert("recurringEventId".into(), json!(series));
            m.insert("originalStartTime".into(), original.to_json_in(zone));
            m.remove("recurrence");
        }
        Value::Object(m)
    }

    /// The sparse JSON of a cancelled event in listings (`originalStartTime` rendered in `zone`).
    pub(crate) fn sparse_json(&self, zone: chrono_tz::Tz) -> Value {
        let mut v = json!({"kind": "calendar#event", "etag": self.etag(), "id": self.id, "status": "cancelled"});
        if let (Some(series), Some(original)) = (&self.recurring_event_id, &self.original_start) {
            v["recurringEventId"] = json!(series);
            v["originalStartTime"] = original.to_json_in(zone);
        }
        v
    }

    /// The sparsest cancelled entry Google sends for a deleted instance: only `kind`, `etag`, `id`, `status`.
    pub(crate) fn bare_json(&self) -> Value {
        json!({"kind": "calendar#event", "etag": self.etag(), "id": self.id, "status": "cancelled"})
    }

    /// The generated (not stored) instance of this series starting at `at`.
    pub(crate) fn instance(&self, at: DateTime<Utc>) -> Event {
        let start = self.start.at(at);
        let end = self.end.at(at + (self.end.utc() - self.start.utc()));
        let mut body = self.body.clone();
        body.remove("recurrence");
        Event {
            id: format!("{}_{}", self.id, start.instance_suffix()),
            body,
            status: self.status.clone(),
            created: self.created,
            updated: self.updated,
            changed_seq: self.changed_seq,
            sequence: self.sequence,
            ical_uid: self.ical_uid.clone(),
            recurring_event_id: Some(self.id.clone()),
            original_start: Some(start.clone()),
            start,
            end,
        }
    }

    /// Whether the event overlaps `[min, max)`: its end after `min` and its start before `max`; all-day dates
    /// read in `zone` (the calendar's).
    pub(crate) fn overlaps(
        &self,
        min: Option<DateTime<Utc>>,
        max: Option<DateTime<Utc>>,
        zone: chrono_tz::Tz,
    ) -> bool {
        min.is_none_or(|m| self.end.instant_in(zone) > m)
            && max.is_none_or(|m| self.start.instant_in(zone) < m)
    }
}

/// Checks a client-chosen event id: base32hex (`a-v`, `0-9`), 5 to 1024 characters.
fn validate_id(id: &str) -> Result<(), ApiError> {
    let ok = (5..=1024).contains(&id.len())
        && id.bytes().all(|b| matches!(b, b'a'..=b'v' | b'0'..=b'9'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_param("id", "Invalid resource id value."))
    }
}

/// Keeps the writable fields of a request body.
fn writable_fields(body: &Value) -> Result<Map<String, Value>, ApiError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::bad_request("Invalid JSON payload received."))?;
    Ok(obj
        .iter()
        .filter(|(k, _)| WRITABLE.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

/// Merges a patch like Google: objects merge recursively (also `start` / `end`, so a patched `dateTime` keeps the
/// stored `timeZone`), arrays and scalars replace, `null` removes. In an `EventDateTime`, a patched `date` drops the
/// stored `dateTime` and the other way round.
fn merge(target: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match (target.get_mut(k), v) {
            (_, Value::Null) => {
                target.remove(k);
            }
            (Some(Value::Object(existing)), Value::Object(inner)) => {
                if k == "start" || k == "end" || k == "originalStartTime" {
                    if inner.contains_key("date") {
                        existing.remove("dateTime");
                    }
                    if inner.contains_key("dateTime") {
                        existing.remove("date");
                    }
                }
                merge(existing, inner);
            }
            _ => {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Parsed and validated times and status of a body.
struct Checked {
    start: EventTime,
    end: EventTime,
    status: String,
}

fn check_body(body: &Map<String, Value>) -> Result<Checked, ApiError> {
    let start = EventTime::parse(body.get("start"), "start")?;
    let end = EventTime::parse(body.get("end"), "end")?;
    if start.is_date() != end.is_date() {
        return Err(ApiError::bad_request(
            "Start and end times must either both be date or both be dateTime.",
        ));
    }
    if end.utc() < start.utc() || (start.is_date() && end.utc() == start.utc()) {
        return Err(ApiError::time_range_empty("end"));
    }
    let status = body
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("confirmed")
        .to_owned();
    if !["confirmed", "tentative", "cancelled"].contains(&status.as_str()) {
        return Err(ApiError::invalid_param(
            "status",
            "Invalid value for: status",
        ));
    }
    if let Some(rec) = body.get("recurrence") {
        let lines: Vec<String> = rec
            .as_array()
            .ok_or_else(|| ApiError::bad_request("Invalid recurrence rule."))?
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::bad_request("Invalid recurrence rule."))
            })
            .collect::<Result<_, _>>()?;
        if !lines.is_empty() {
            if !start.is_date() && start.zone().is_none() {
                return Err(ApiError::bad_request(
                    "Missing time zone definition for start time.",
                ));
            }
            recurrence::validate(&start, &lines)?;
        }
    }
    Ok(Checked { start, end, status })
}

/// Parses an instance-id suffix into the instance's original start.
fn parse_suffix(suffix: &str) -> Option<DateTime<Utc>> {
    if suffix.len() == 8 {
        let d = NaiveDate::parse_from_str(suffix, "%Y%m%d").ok()?;
        return Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?));
    }
    NaiveDateTime::parse_from_str(suffix, "%Y%m%dT%H%M%SZ")
        .ok()
        .map(|n| Utc.from_utc_datetime(&n))
}

impl Calendar {
    /// Stores `event` under a new change sequence.
    pub(crate) fn put_event(&mut self, mut event: Event, seq: u64) {
        if let Some(old) = self.events.get(&event.id) {
            self.by_change.remove(&old.changed_seq);
        }
        event.changed_seq = seq;
        self.by_change.insert(seq, event.id.clone());
        self.events.insert(event.id.clone(), event);
    }

    /// The generated instance named by `id` (`<series>_<suffix>`) if that slot exists in a live series.
    pub(crate) fn generated_instance(&self, id: &str) -> Option<Event> {
        let (base, suffix) = id.rsplit_once('_')?;
        let master = self.events.get(base)?;
        if !master.is_series() || master.is_cancelled() {
            return None;
        }
        let at = parse_suffix(suffix)?;
        let slots = recurrence::occurrences(
            &master.start,
            &master.recurrence(),
            Some(at),
            Some(at + chrono::Duration::seconds(1)),
        );
        slots
            .first()
            .filter(|s| **s == at)
            .map(|s| master.instance(*s))
            .filter(|i| i.id == id)
    }

    /// A stored event or a generated instance.
    pub(crate) fn find_event(&self, id: &str) -> Option<Event> {
        self.events
            .get(id)
            .cloned()
            .or_else(|| self.generated_instance(id))
    }
}

fn check_if_match(if_match: Option<&str>, current: &Event) -> Result<(), ApiError> {
    match if_match {
        Some(tag)
            if tag.trim() != "*"
                && tag.trim() != current.etag()
                && format!("\"{}\"", tag.trim()) != current.etag() =>
        {
            Err(ApiError::condition_not_met())
        }
        _ => Ok(()),
    }
}

impl Store {
    /// events.insert.
    pub(crate) fn insert_event(
        &mut self,
        user: &str,
        cal_id: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        let cal_id = self.resolve_calendar_id(user, cal_id)?;
        let fields = writable_fields(body)?;
        let checked = check_body(&fields)?;
        let id = match body.get("id") {
            Some(Value::String(id)) => {
                validate_id(id)?;
                id.clone()
            }
            None | Some(Value::Null) => random_base32hex(26),
            Some(_) => return Err(ApiError::invalid_param("id", "Invalid resource id value.")),
        };
        if self.total_events >= self.config.max_events {
            return Err(ApiError::quota_exceeded());
        }
        let cal = self
            .calendars
            .get(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        if cal.events.contains_key(&id) {
            return Err(ApiError::duplicate());
        }
        let now = self.clock.now();
        let ical_uid = body
            .get("iCalUID")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{id}@google.com"));
        let sequence = fields.get("sequence").and_then(Value::as_i64).unwrap_or(0);
        let event = Event {
            id: id.clone(),
            body: fields,
            status: checked.status,
            created: now,
            updated: now,
            changed_seq: 0,
            sequence,
            ical_uid,
            recurring_event_id: None,
            original_start: None,
            start: checked.start,
            end: checked.end,
        };
        let seq = self.next_seq();
        let cal = self
            .calendars
            .get_mut(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        cal.put_event(event, seq);
        self.total_events += 1;
        let json = cal
            .events
            .get(&id)
            .map(|e| e.full_json(cal))
            .unwrap_or(Value::Null);
        self.notify_events(&cal_id);
        Ok(json)
    }

    /// events.get (cancelled events are returned too), times in the calendar's zone.
    pub(crate) fn get_event(&self, user: &str, cal_id: &str, id: &str) -> Result<Value, ApiError> {
        self.get_event_in(user, cal_id, id, None)
    }

    /// events.get; `time_zone` is the request's `timeZone` parameter.
    pub(crate) fn get_event_in(
        &self,
        user: &str,
        cal_id: &str,
        id: &str,
        time_zone: Option<&str>,
    ) -> Result<Value, ApiError> {
        let cal = self.owned_calendar(user, cal_id)?;
        let zone = display_zone(time_zone, &cal.time_zone)?;
        let event = cal.find_event(id).ok_or_else(ApiError::not_found)?;
        Ok(event.full_json_in(cal, zone))
    }

    /// events.update (`patch == false`) and events.patch.
    pub(crate) fn write_event(
        &mut self,
        user: &str,
        cal_id: &str,
        id: &str,
        body: &Value,
        patch: bool,
        if_match: Option<&str>,
    ) -> Result<Value, ApiError> {
        let cal_id = self.resolve_calendar_id(user, cal_id)?;
        let cal = self
            .calendars
            .get(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        let existing = cal.find_event(id).ok_or_else(ApiError::not_found)?;
        let is_new_exception = !cal.events.contains_key(id);
        check_if_match(if_match, &existing)?;
        let incoming = writable_fields(body)?;
        if incoming
            .get("sequence")
            .and_then(Value::as_i64)
            .is_some_and(|s| s < existing.sequence)
        {
            return Err(ApiError::invalid_sequence());
        }
        let mut fields = if patch {
            existing.body.clone()
        } else {
            Map::new()
        };
        if patch {
            fields.insert("start".into(), existing.start.to_json());
            fields.insert("end".into(), existing.end.to_json());
            merge(&mut fields, &incoming);
        } else {
            fields = incoming;
        }
        if existing.recurring_event_id.is_some() {
            fields.remove("recurrence");
        }
        let checked = check_body(&fields)?;
        if is_new_exception && self.total_events >= self.config.max_events {
            return Err(ApiError::quota_exceeded());
        }
        let times_changed = checked.start != existing.start || checked.end != existing.end;
        let sequence = fields
            .get("sequence")
            .and_then(Value::as_i64)
            .unwrap_or(existing.sequence)
            .max(existing.sequence.saturating_add(i64::from(times_changed)));
        fields.remove("sequence");
        // A series whose slots may have changed: another rule, or another start (the slots move with it).
        let cut_series = existing.is_series() && {
            let lines: Vec<&str> = fields
                .get("recurrence")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            lines != existing.recurrence() || checked.start != existing.start
        };
        let event = Event {
            body: fields,
            status: checked.status,
            updated: self.clock.now(),
            sequence,
            start: checked.start,
            end: checked.end,
            ..existing
        };
        let seq = self.next_seq();
        let cal = self
            .calendars
            .get_mut(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        cal.put_event(event, seq);
        if is_new_exception {
            self.total_events += 1;
        }
        if cut_series {
            self.cancel_orphaned_exceptions(&cal_id, id)?;
        }
        let cal = self
            .calendars
            .get(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        let json = cal
            .events
            .get(id)
            .map(|e| e.full_json(cal))
            .unwrap_or(Value::Null);
        self.notify_events(&cal_id);
        Ok(json)
    }

    /// After a series' rule or start changed: cancels its live exceptions whose slot (original start) the
    /// series no longer has (a cut with `UNTIL` / `COUNT`, a changed `RRULE`, no recurrence left, or every
    /// slot moved with the start), like Google. Each takes a new change sequence, so the next incremental sync
    /// reports it as cancelled. (Left live, such an exception was listed by `singleEvents=true` but not by
    /// `events.instances`, which walks the series' slots: the two disagreed.)
    fn cancel_orphaned_exceptions(
        &mut self,
        cal_id: &str,
        series_id: &str,
    ) -> Result<(), ApiError> {
        let cal = self.calendars.get(cal_id).ok_or_else(ApiError::not_found)?;
        let Some(master) = cal.events.get(series_id) else {
            return Ok(());
        };
        let lines = master.recurrence();
        let orphans: Vec<String> = cal
            .events
            .values()
            .filter(|e| e.recurring_event_id.as_deref() == Some(series_id) && !e.is_cancelled())
            .filter(|e| {
                let Some(slot) = e.original_start.as_ref().map(EventTime::utc) else {
                    return true;
                };
                let kept = master.is_series()
                    && recurrence::occurrences(
                        &master.start,
                        &lines,
                        Some(slot),
                        Some(slot + chrono::Duration::seconds(1)),
                    )
                    .first()
                        == Some(&slot);
                !kept
            })
            .map(|e| e.id.clone())
            .collect();
        let now = self.clock.now();
        for target in orphans {
            let seq = self.next_seq();
            let cal = self
                .calendars
                .get_mut(cal_id)
                .ok_or_else(ApiError::not_found)?;
            let Some(mut event) = cal.events.get(&target).cloned() else {
                continue;
            };
            event.status = "cancelled".into();
            event.updated = now;
            cal.put_event(event, seq);
        }
        Ok(())
    }

    /// events.delete: cancels the event (a series takes its exceptions along); deleting twice is 410 `deleted`.
    pub(crate) fn delete_event(
        &mut self,
        user: &str,
        cal_id: &str,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), ApiError> {
        let cal_id = self.resolve_calendar_id(user, cal_id)?;
        let cal = self
            .calendars
            .get(&cal_id)
            .ok_or_else(ApiError::not_found)?;
        let existing = cal.find_event(id).ok_or_else(ApiError::not_found)?;
        if existing.is_cancelled() {
            return Err(ApiError::deleted());
        }
        check_if_match(if_match, &existing)?;
        let is_new_exception = !cal.events.contains_key(id);
        let exceptions: Vec<String> = if existing.is_series() {
            cal.events
                .values()
                .filter(|e| e.recurring_event_id.as_deref() == Some(id) && !e.is_cancelled())
                .map(|e| e.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        let now = self.clock.now();
        for target in std::iter::once(id.to_owned()).chain(exceptions) {
            let seq = self.next_seq();
            let cal = self
                .calendars
                .get_mut(&cal_id)
                .ok_or_else(ApiError::not_found)?;
            let Some(mut event) = cal.find_event(&target) else {
                continue;
            };
            event.status = "cancelled".into();
            event.updated = now;
            cal.put_event(event, seq);
        }
        if is_new_exception {
            self.total_events += 1;
        }
        self.notify_events(&cal_id);
        Ok(())
    }
}
