//! The signed-out ("local") repository: events kept in the browser's `localStorage` under
//! [`STORAGE_KEY`], so the week grid and the someday sidebar work before anyone signs up, and their upload
//! to the account once someone signs up or in.
//!
//! Every local event carries a client-chosen ObjectId as `_id`, and the upload sends them with those ids in
//! one `POST /api/event` batch, which the server stores all together or not at all and refuses with 409
//! (`EVENT_ID_TAKEN`) when an id exists. So an upload interrupted after the server stored the batch (a reload,
//! a lost answer) can be repeated without duplicates: on 409 the app asks for each id
//! (`GET /api/event/:id`, scoped to the user), forgets the events the server has, and sends the rest.
//! Local events are removed only after the server accepted them. Like the reference, recurrence is not
//! expanded locally: a series is one stored event with its rule until it is uploaded.

use chrono::{DateTime, Duration, Utc};
use compass_core::{
    DateRange, Event, EventDraft, EventId, EventSpan, PayloadOrder, Recurrence, RecurrenceDraft,
    RecurrenceRule, UserId,
};

/// The `localStorage` key holding the JSON array of local events.
pub const STORAGE_KEY: &str = "compass.local.events";

/// The owner written into local events (the server sets the real one on upload).
pub const LOCAL_USER: &str = "000000000000000000000000";

/// A new client id: 4 bytes of seconds since 1970 (like an ObjectId) and 8 random bytes.
pub fn new_id(now: DateTime<Utc>, random: [u8; 8]) -> EventId {
    let mut bytes = [0u8; 12];
    let seconds = u32::try_from(now.timestamp().max(0)).unwrap_or(u32::MAX);
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..].copy_from_slice(&random);
    EventId::from_bytes(bytes)
}

// Events go to and from JSON values through JSON text here: `serde_json::from_value`/`to_value` would add a
// second copy of `Event`'s (de)serializer, for `Value`, to the download; the text one is there anyway.

/// The stored event of a draft under `id`.
pub fn event_from_draft(id: &EventId, draft: &EventDraft) -> Result<Event, String> {
    let mut value = draft.to_json();
    if let Some(object) = value.as_object_mut() {
        object.insert("_id".into(), id.as_str().into());
        object.insert("user".into(), LOCAL_USER.into());
    }
    serde_json::from_str(&value.to_string()).map_err(|e| e.to_string())
}

/// The draft that uploads a local event with its client id. Built field by field rather than by
/// `EventDraft::parse_create` of the event's JSON (which would put the server's draft parser into the
/// download only for this): the event was a checked draft when it was stored, and the server checks the
/// upload again.
pub fn draft_of(event: &Event) -> Result<EventDraft, String> {
    let span = EventSpan::new(event.start_date, event.end_date).map_err(|e| e.to_string())?;
    let recurrence = match &event.recurrence {
        None => RecurrenceDraft::None,
        Some(Recurrence::Base { rule }) => {
            RecurrenceDraft::Series(RecurrenceRule::parse(rule).map_err(|e| e.to_string())?)
        }
        // Local events are never instances (recurrence is not expanded locally).
        Some(Recurrence::Instance { .. }) => {
            return Err("an occurrence of a series cannot be uploaded on its own".to_owned())
        }
    };
    Ok(EventDraft {
        id: Some(event.id.clone()),
        title: event.title.clone(),
        description: event.description.clone(),
        span,
        time_zone: event.time_zone.clone(),
        is_all_day: event.is_all_day,
        is_someday: event.is_someday,
        origin: event.origin,
        priority: event.priority,
        recurrence,
        g_event_id: event.g_event_id.clone(),
        g_recurring_event_id: None,
        order: event.order,
        all_day_order: event.all_day_order,
    })
}

/// The events of `all` a `GET /api/event` for `range` and `someday` would answer: the right kind, and
/// overlapping the range (widened by a day on each side: all-day dates are days, the grid places them).
pub fn query(all: &[Event], range: &DateRange, someday: bool) -> Vec<Event> {
    let from = range.start_utc() - Duration::days(1);
    let to = range.end_utc() + Duration::days(1);
    all.iter()
        .filter(|e| e.is_someday == someday)
        .filter(|e| e.start_date.start_instant_utc() < to && e.end_date.start_instant_utc() > from)
        .cloned()
        .collect()
}

/// Replaces the event `id` with the draft's state (keeping its id); false when there is no such event.
pub fn update(all: &mut [Event], id: &EventId, draft: &EventDraft) -> Result<bool, String> {
    let Some(slot) = all.iter_mut().find(|e| &e.id == id) else {
        return Ok(false);
    };
    let mut next = draft.clone();
    next.id = None;
    let event = event_from_draft(id, &next)?;
    *slot = event;
    Ok(true)
}

/// Sets the someday positions of the listed events.
pub fn reorder(all: &mut [Event], items: &[PayloadOrder]) {
    for item in items {
        if let Some(event) = all.iter_mut().find(|e| e.id == item.id) {
            event.order = Some(item.order);
        }
    }
}

/// Reads the stored events (an unreadable store reads as empty).
pub fn parse_store(raw: Option<&str>) -> Vec<Event> {
    raw.and_then(|text| serde_json::from_str(text).ok())
        .unwrap_or_default()
}

/// Whether `id` parses as the owner written into local events.
pub fn is_local_user(user: &UserId) -> bool {
    user.as_str() == LOCAL_USER
}

#[cfg(target_arch = "wasm32")]
mod browser {
    //! The `localStorage` side.
    use super::*;

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok().flatten()
    }

    /// Every local event.
    pub fn load() -> Vec<Event> {
        let raw = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        parse_store(raw.as_deref())
    }

    /// Stores the local events (removes the key when there are none).
    pub fn save(events: &[Event]) -> Result<(), String> {
        let storage = storage().ok_or("This browser does not let Compass store events.")?;
        let result = if events.is_empty() {
            storage.remove_item(STORAGE_KEY)
        } else {
            let text = serde_json::to_string(events).map_err(|e| e.to_string())?;
            storage.set_item(STORAGE_KEY, &text)
        };
        result.map_err(|_| "This browser's storage is full or unavailable.".to_owned())
    }

    /// A fresh client id.
    pub fn fresh_id() -> EventId {
        let mut random = [0u8; 8];
        for byte in &mut random {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
        new_id(crate::time::now(), random)
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::{fresh_id, load, save};

/// Natively there is no browser storage: nothing is stored.
#[cfg(not(target_arch = "wasm32"))]
pub fn load() -> Vec<Event> {
    Vec::new()
}

/// Natively there is no browser storage.
#[cfg(not(target_arch = "wasm32"))]
pub fn save(_events: &[Event]) -> Result<(), String> {
    Err("no browser storage".to_owned())
}

/// A fresh client id (natively: from the clock only).
#[cfg(not(target_arch = "wasm32"))]
pub fn fresh_id() -> EventId {
    new_id(crate::time::now(), [0; 8])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use compass_core::{EventDate, Nullable, Origin, Priority};

    fn draft(title: &str, day: u32, someday: bool) -> EventDraft {
        let at = |h| EventDate::Timed(Utc.with_ymd_and_hms(2025, 1, day, h, 0, 0).unwrap().into());
        EventDraft {
            id: None,
            title: Some(title.into()),
            description: Nullable::Absent,
            span: EventSpan::new(at(9), at(10)).unwrap(),
            is_all_day: false,
            is_someday: someday,
            origin: Origin::Compass,
            priority: Priority::Work,
            recurrence: RecurrenceDraft::None,
            g_event_id: None,
            g_recurring_event_id: None,
            order: None,
            all_day_order: None,
            time_zone: None,
        }
    }

    fn week() -> DateRange {
        let day = |d| EventDate::Day(NaiveDate::from_ymd_opt(2025, 1, d).unwrap());
        DateRange::new(day(5), day(12)).unwrap()
    }

    #[test]
    fn ids_are_object_ids_that_start_with_the_time() {
        let now = Utc.with_ymd_and_hms(2025, 1, 5, 0, 0, 0).unwrap();
        let id = new_id(now, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(id.as_str().len(), 24);
        assert!(id.as_str().ends_with("0102030405060708"));
        assert_ne!(id, new_id(now, [8, 7, 6, 5, 4, 3, 2, 1]));
    }

    #[test]
    fn a_local_event_round_trips_to_an_upload_draft_with_its_id() {
        let id = new_id(crate::time::now(), [9; 8]);
        let event = event_from_draft(&id, &draft("Plan", 6, false)).unwrap();
        assert_eq!(event.id, id);
        assert!(is_local_user(&event.user));
        let upload = draft_of(&event).unwrap();
        assert_eq!(upload.id.as_ref(), Some(&id));
        assert_eq!(upload.title.as_deref(), Some("Plan"));
        // The same draft the server's parser reads from the event's JSON.
        let mut json = serde_json::to_value(&event).unwrap();
        if let Some(object) = json.as_object_mut() {
            object.remove("user");
            object.remove("updatedAt");
        }
        assert_eq!(EventDraft::parse_create(&json).unwrap(), upload);
        let mut series = draft("Series", 7, false);
        series.description = Nullable::Value("notes".into());
        series.order = Some(3);
        series.recurrence = RecurrenceDraft::Series(
            RecurrenceRule::parse(&["RRULE:FREQ=WEEKLY;BYDAY=TU".to_owned()]).unwrap(),
        );
        let stored = event_from_draft(&id, &series).unwrap();
        let mut json = serde_json::to_value(&stored).unwrap();
        if let Some(object) = json.as_object_mut() {
            object.remove("user");
        }
        assert_eq!(
            draft_of(&stored).unwrap(),
            EventDraft::parse_create(&json).unwrap()
        );
        // What is stored reads back.
        let stored = serde_json::to_string(&vec![event.clone()]).unwrap();
        assert_eq!(parse_store(Some(&stored)), vec![event]);
        assert!(parse_store(Some("not json")).is_empty());
        assert!(parse_store(None).is_empty());
    }

    #[test]
    fn queries_filter_by_kind_and_range_and_updates_keep_the_id() {
        let a = new_id(crate::time::now(), [1; 8]);
        let b = new_id(crate::time::now(), [2; 8]);
        let c = new_id(crate::time::now(), [3; 8]);
        let mut all = vec![
            event_from_draft(&a, &draft("In week", 6, false)).unwrap(),
            event_from_draft(&b, &draft("Later", 20, false)).unwrap(),
            event_from_draft(&c, &draft("Someday", 6, true)).unwrap(),
        ];
        let grid = query(&all, &week(), false);
        assert_eq!(grid.len(), 1);
        assert_eq!(grid[0].id, a);
        assert_eq!(query(&all, &week(), true)[0].id, c);

        assert!(update(&mut all, &a, &draft("Renamed", 7, false)).unwrap());
        assert_eq!(all[0].id, a);
        assert_eq!(all[0].title.as_deref(), Some("Renamed"));
        assert!(!update(
            &mut all,
            &new_id(crate::time::now(), [7; 8]),
            &draft("x", 7, false)
        )
        .unwrap());

        reorder(
            &mut all,
            &[PayloadOrder {
                id: c.clone(),
                order: 3,
            }],
        );
        assert_eq!(all[2].order, Some(3));
    }
}
