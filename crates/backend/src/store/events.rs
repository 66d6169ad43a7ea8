//! The `event` collection: every Compass event (standalone, series bases, materialised instances,
//! someday events), with the queries the events API and the sync need.
//!
//! Each document keeps the wire strings `startDate`/`endDate` exactly as written and, next to them,
//! BSON dates that queries use: `startsAt`/`endsAt` (an instant for timed events; 00:00 UTC of the
//! calendar day for day-based events, flagged by `daySpan`). A range query compares timed events by
//! instant and day-based events by calendar day in the range's own UTC offset, so an all-day event on
//! 2025-01-05 is found by a query for `2025-01-05T00:00-06:00 .. 2025-01-06T00:00-06:00` and not by
//! one for the previous local day (backend spec §15 item 21). Every document states its
//! [`Provenance`], so revoking Google removes Google-derived events only (§15 item 1).

use chrono::{Days, NaiveDate, NaiveTime};
use compass_core::{DateRange, EventDate, EventId, Origin, Priority, UserId};
use futures::TryStreamExt;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{day_to_bson, event_oid, now, to_bson_date, user_oid};
use super::decode::{decode_all, decode_one, Listing};
use super::scoped::UserScoped;
use super::{Store, StoreError};

/// Collection name (the reference's).
pub const COLLECTION: &str = "event";
/// Unique index: one Compass event per Google event id and user.
pub const G_EVENT_ID_INDEX: &str = "user_gEventId_unique";

pub use crate::domain::Provenance;

/// The stored `recurrence` object: `{rule}` on a series base, `{eventId}` on an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceDoc {
    /// RFC 5545 lines (bases only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<Vec<String>>,
    /// The base's id (instances only), stored as an ObjectId.
    #[serde(rename = "eventId", default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<ObjectId>,
}

impl RecurrenceDoc {
    /// A series base with its rule.
    pub fn base(rule: Vec<String>) -> Self {
        RecurrenceDoc {
            rule: Some(rule),
            event_id: None,
        }
    }

    /// An instance of the base `base`.
    pub fn instance(base: &EventId) -> Self {
        RecurrenceDoc {
            rule: None,
            event_id: Some(event_oid(base)),
        }
    }
}

/// A stored event. Build with [`EventDoc::new`]; change dates only through [`EventDoc::set_dates`],
/// which keeps the queried BSON dates in step with the wire strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventDoc {
    /// Compass id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Start as written (`YYYY-MM-DD` or RFC 3339 with offset).
    start_date: EventDate,
    /// End as written (exclusive for days).
    end_date: EventDate,
    /// Queried start: the instant, or 00:00 UTC of the first day.
    starts_at: bson::DateTime,
    /// Queried end (exclusive): the instant, or 00:00 UTC of the day after the last day. Never
    /// before or equal to `starts_at` (an empty span is widened to one day / one millisecond).
    ends_at: bson::DateTime,
    /// True when `startsAt`/`endsAt` are calendar days rather than instants.
    day_span: bool,
    /// The IANA zone a timed series recurs in (`timeZone`; absent: the fixed offset of its start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Shown in the all-day row.
    #[serde(default)]
    pub is_all_day: bool,
    /// In the someday lists.
    #[serde(default)]
    pub is_someday: bool,
    /// The reference's `origin` value (kept for the wire and Google round-trips).
    pub origin: Origin,
    /// Colour category.
    pub priority: Priority,
    /// Who owns the event.
    pub provenance: Provenance,
    /// Google's id for this event, when Google holds a copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_event_id: Option<String>,
    /// Google's id of the series base (instances only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_recurring_event_id: Option<String>,
    /// The Google calendar that holds the copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_calendar_id: Option<String>,
    /// Google's etag of the copy as Compass last wrote or read it (echo detection, `If-Match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_etag: Option<String>,
    /// Google's `updated` of that version (the conflict rule compares it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_updated: Option<bson::DateTime>,
    /// Series membership.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<RecurrenceDoc>,
    /// Position in a someday list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
    /// Legacy position in the all-day row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_day_order: Option<i64>,
    /// First stored.
    pub created_at: bson::DateTime,
    /// Last written.
    pub updated_at: bson::DateTime,
}

/// The BSON dates queries use for a start/end pair: `(startsAt, endsAt, daySpan)`.
fn span_fields(start: EventDate, end: EventDate) -> (bson::DateTime, bson::DateTime, bool) {
    match (start, end) {
        (EventDate::Day(first), EventDate::Day(after_last)) => {
            let after_last = if after_last > first {
                after_last
            } else {
                next_day(first)
            };
            (day_to_bson(first), day_to_bson(after_last), true)
        }
        _ => {
            let starts = to_bson_date(start.start_instant_utc());
            let ends = to_bson_date(end.start_instant_utc());
            let ends = if ends > starts {
                ends
            } else {
                bson::DateTime::from_millis(starts.timestamp_millis() + 1)
            };
            (starts, ends, false)
        }
    }
}

fn next_day(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(1)).unwrap_or(day)
}

impl EventDoc {
    /// A new event of `user` with the given dates; everything optional is empty.
    pub fn new(
        id: &EventId,
        user: &UserId,
        start: EventDate,
        end: EventDate,
        origin: Origin,
        priority: Priority,
        provenance: Provenance,
    ) -> Self {
        let (starts_at, ends_at, day_span) = span_fields(start, end);
        let at = now();
        EventDoc {
            id: event_oid(id),
            user: user_oid(user),
            title: None,
            description: None,
            start_date: start,
            end_date: end,
            starts_at,
            ends_at,
            day_span,
            time_zone: None,
            is_all_day: start.is_day(),
            is_someday: false,
            origin,
            priority,
            provenance,
            g_event_id: None,
            g_recurring_event_id: None,
            g_calendar_id: None,
            g_etag: None,
            g_updated: None,
            recurrence: None,
            order: None,
            all_day_order: None,
            created_at: at,
            updated_at: at,
        }
    }

    /// Sets both dates and the queried BSON dates derived from them.
    pub fn set_dates(&mut self, start: EventDate, end: EventDate) {
        let (starts_at, ends_at, day_span) = span_fields(start, end);
        self.start_date = start;
        self.end_date = end;
        self.starts_at = starts_at;
        self.ends_at = ends_at;
        self.day_span = day_span;
    }

    /// The start as written.
    pub fn start_date(&self) -> EventDate {
        self.start_date
    }

    /// The end as written.
    pub fn end_date(&self) -> EventDate {
        self.end_date
    }

    /// The queried start (see the module docs).
    pub fn starts_at(&self) -> bson::DateTime {
        self.starts_at
    }

    /// The queried, exclusive end (see the module docs).
    pub fn ends_at(&self) -> bson::DateTime {
        self.ends_at
    }

    /// The event id.
    pub fn event_id(&self) -> EventId {
        super::convert::event_id(self.id)
    }

    /// The owner.
    pub fn user_id(&self) -> UserId {
        super::convert::user_id(self.user)
    }

    /// True for a series base (`recurrence.rule` present).
    pub fn is_base(&self) -> bool {
        self.recurrence.as_ref().is_some_and(|r| r.rule.is_some())
    }

    /// The base id, for an instance.
    pub fn base_id(&self) -> Option<EventId> {
        self.recurrence
            .as_ref()
            .and_then(|r| r.event_id)
            .map(super::convert::event_id)
    }
}

/// What a deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Documents deleted.
    pub count: u64,
    /// One of them was on a someday list.
    pub someday: bool,
}

/// Range bounds of a query, in both forms the stored events need.
struct Bounds {
    start_instant: bson::DateTime,
    end_instant: bson::DateTime,
    start_day: bson::DateTime,
    end_day: bson::DateTime,
}

impl Bounds {
    /// A day bound covers that whole day (`end` is inclusive, as in the reference); a timed bound is
    /// an instant, and for day-based events it stands for the calendar day it falls on in its own
    /// offset (an end at exactly 00:00 local excludes that day).
    fn of(range: &DateRange) -> Bounds {
        let (start_instant, start_day) = match range.start() {
            EventDate::Day(day) => (day_to_bson(day), day_to_bson(day)),
            EventDate::Timed(at) => (to_bson_date(at.to_utc()), day_to_bson(at.date_naive())),
        };
        let (end_instant, end_day) = match range.end() {
            EventDate::Day(day) => (day_to_bson(next_day(day)), day_to_bson(next_day(day))),
            EventDate::Timed(at) => {
                let local_day = at.date_naive();
                let end_day = if at.time() == NaiveTime::MIN {
                    local_day
                } else {
                    next_day(local_day)
                };
                (to_bson_date(at.to_utc()), day_to_bson(end_day))
            }
        };
        Bounds {
            start_instant,
            end_instant,
            start_day,
            end_day,
        }
    }

    fn filter(&self) -> Document {
        doc! { "$or": [
            { "daySpan": true, "startsAt": { "$lt": self.end_day }, "endsAt": { "$gt": self.start_day } },
            { "daySpan": false, "startsAt": { "$lt": self.end_instant }, "endsAt": { "$gt": self.start_instant } },
        ] }
    }
}

/// Typed access to the `event` collection. Every method is scoped to one user.
#[derive(Clone, Debug)]
pub struct Events {
    db: mongodb::Database,
    raw: Collection<Document>,
    scoped: UserScoped,
    typed: Collection<EventDoc>,
}

/// Most Google ids [`Events::by_g_event_ids`] looks up one by one (by index); more read the user's events.
pub const LOOKUP_BY_ID: usize = 200;

/// Most events one `insert_many` of [`Events::insert_new`] sends.
pub const INSERT_BATCH: usize = 500;

impl Events {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Events {
            db: store.database().clone(),
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
            typed: store.collection(COLLECTION),
        }
    }

    /// Inserts a new event. A duplicate `_id` or `{user, gEventId}` is a [`StoreError::Conflict`].
    pub async fn insert(
        &self,
        event: &EventDoc,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        in_session!(self.typed.insert_one(event), session)?;
        Ok(())
    }

    /// Replaces the stored event with the same id and owner (setting `updatedAt`, keeping
    /// `createdAt`). [`StoreError::NotFound`] when the user has no such event.
    pub async fn replace(
        &self,
        event: &EventDoc,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        let mut event = event.clone();
        event.updated_at = now();
        let filter = doc! { "_id": event.id, "user": event.user };
        let result = in_session!(self.typed.replace_one(filter, &event), session)?;
        if result.matched_count == 0 {
            return Err(StoreError::not_found(COLLECTION, event.id.to_hex()));
        }
        Ok(())
    }

    /// Stores the version of an event that Google knows as `g_event_id`, keyed by
    /// `{user, gEventId}`: replaces the existing one (keeping its Compass id and `createdAt`) or
    /// inserts `event` as new. Sets `event.gEventId`. Returns the id it is stored under. Replays are
    /// idempotent.
    pub async fn upsert_by_g_event_id(
        &self,
        g_event_id: &str,
        event: &EventDoc,
        mut session: Option<&mut ClientSession>,
    ) -> Result<EventId, StoreError> {
        let filter = doc! { "user": event.user, "gEventId": g_event_id };
        let existing = in_session!(
            self.raw
                .find_one(filter.clone())
                .projection(doc! { "_id": 1, "createdAt": 1 }),
            session.as_deref_mut()
        )?;
        let mut event = event.clone();
        event.updated_at = now();
        event.g_event_id = Some(g_event_id.to_owned());
        if let Some(existing) = existing {
            if let Ok(id) = existing.get_object_id("_id") {
                event.id = id;
            }
            if let Ok(created) = existing.get_datetime("createdAt") {
                event.created_at = *created;
            }
        }
        in_session!(self.typed.replace_one(filter, &event).upsert(true), session)?;
        Ok(event.event_id())
    }

    /// One event of the user. A stored document that does not decode is a [`StoreError::Decode`].
    pub async fn get(
        &self,
        user: &UserId,
        id: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<Option<EventDoc>, StoreError> {
        self.scoped
            .find_one(user, doc! { "_id": event_oid(id) }, session)
            .await
    }

    /// The user's event that Google knows as `g_event_id`.
    pub async fn by_g_event_id(
        &self,
        user: &UserId,
        g_event_id: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<Option<EventDoc>, StoreError> {
        self.scoped
            .find_one(user, doc! { "gEventId": g_event_id }, session)
            .await
    }

    /// The user's scheduled (`someday == false`) or someday events overlapping `range`, series bases
    /// excluded (instances and standalone events only), ordered by start.
    pub async fn overlapping(
        &self,
        user: &UserId,
        range: &DateRange,
        someday: bool,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let mut filter = Bounds::of(range).filter();
        filter.insert("isSomeday", someday);
        filter.insert("recurrence.rule", doc! { "$exists": false });
        self.list(user, filter, None).await
    }

    /// The user's someday events (bases excluded), optionally limited to those overlapping `range`,
    /// ordered by start then list order, at most `limit` when given.
    pub async fn someday(
        &self,
        user: &UserId,
        range: Option<&DateRange>,
        limit: Option<i64>,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let mut filter = range.map(|r| Bounds::of(r).filter()).unwrap_or_default();
        filter.insert("isSomeday", true);
        filter.insert("recurrence.rule", doc! { "$exists": false });
        self.list(user, filter, limit).await
    }

    /// Every instance of the series `base` (not the base itself), ordered by start.
    pub async fn instances_of(
        &self,
        user: &UserId,
        base: &EventId,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let filter = doc! { "recurrence.eventId": event_oid(base) };
        self.list(user, filter, None).await
    }

    /// The user's instances of the Google series `g_recurring_event_id`, ordered by start.
    pub async fn by_g_recurring_event_id(
        &self,
        user: &UserId,
        g_recurring_event_id: &str,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let filter = doc! { "gRecurringEventId": g_recurring_event_id };
        self.list(user, filter, None).await
    }

    /// The user's series bases, ordered by start.
    pub async fn bases(&self, user: &UserId) -> Result<Listing<EventDoc>, StoreError> {
        let filter = doc! { "recurrence.rule": { "$exists": true } };
        self.list(user, filter, None).await
    }

    /// The user's events of one provenance (bases included), ordered by start.
    pub async fn by_provenance(
        &self,
        user: &UserId,
        provenance: Provenance,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let filter = doc! { "provenance": provenance.as_str() };
        self.list(user, filter, None).await
    }

    /// The user's events matching `filter`, by start, then list order, then id.
    async fn list(
        &self,
        user: &UserId,
        filter: Document,
        limit: Option<i64>,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let sort = doc! { "startsAt": 1, "order": 1, "_id": 1 };
        self.scoped.list(user, filter, sort, limit).await
    }

    /// Deletes one event of the user; `false` when there was none.
    pub async fn delete(
        &self,
        user: &UserId,
        id: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        self.scoped
            .delete_one(user, doc! { "_id": event_oid(id) }, session)
            .await
    }

    /// Deletes the user's event that Google knows as `g_event_id` (a cancellation from Google);
    /// `false` when there was none.
    pub async fn delete_by_g_event_id(
        &self,
        user: &UserId,
        g_event_id: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        self.scoped
            .delete_one(user, doc! { "gEventId": g_event_id }, session)
            .await
    }

    /// Deletes the user's event that Google knows as `g_event_id` together with every instance of it
    /// (`gRecurringEventId == g_event_id`): a cancellation from Google, sparse or full. Reports what went.
    pub async fn delete_google_tree(
        &self,
        user: &UserId,
        g_event_id: &str,
        mut session: Option<&mut ClientSession>,
    ) -> Result<Removed, StoreError> {
        // Two filters, each served by an index of its own (`{user, gEventId}`,
        // `{user, gRecurringEventId}`), rather than one `$or` (or a third field), which some servers
        // answer with a collection scan.
        let filters = [
            doc! { "user": user_oid(user), "gEventId": g_event_id },
            doc! { "user": user_oid(user), "gRecurringEventId": g_event_id },
        ];
        let mut removed = Removed::default();
        for filter in filters {
            let found = self
                .projected(
                    filter.clone(),
                    doc! { "isSomeday": 1 },
                    session.as_deref_mut(),
                )
                .await?;
            if found.is_empty() {
                continue;
            }
            removed.someday |= found
                .iter()
                .any(|d| d.get_bool("isSomeday").unwrap_or(false));
            let result = in_session!(self.raw.delete_many(filter), session.as_deref_mut())?;
            removed.count += result.deleted_count;
        }
        removed.someday &= removed.count > 0;
        Ok(removed)
    }

    /// The documents matching `filter` (already scoped to a user), with only the fields of `projection`.
    async fn projected(
        &self,
        filter: Document,
        projection: Document,
        session: Option<&mut ClientSession>,
    ) -> Result<Vec<Document>, StoreError> {
        let action = self.raw.find(filter).projection(projection);
        match session {
            Some(session) => {
                let mut cursor = action.session(&mut *session).await?;
                let mut found = Vec::new();
                while let Some(document) = cursor.next(session).await.transpose()? {
                    found.push(document);
                }
                Ok(found)
            }
            None => Ok(action.await?.try_collect().await?),
        }
    }

    /// Deletes the user's instances of the Google series `g_base` whose Google id is not in `keep` (an
    /// instance Google no longer lists: the series was cut by UNTIL, or the instance was detached).
    pub async fn delete_google_instances_except(
        &self,
        user: &UserId,
        g_base: &str,
        keep: &[String],
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let filter = doc! { "gRecurringEventId": g_base, "gEventId": { "$nin": keep } };
        self.scoped.delete_many(user, filter, session).await
    }

    /// The user's instances of the Compass base `base` that carry no Google id: instances the series' push
    /// could not match to a Google instance (Google had already moved the series, or its instances could not
    /// be read).
    pub async fn unlinked_instances(
        &self,
        user: &UserId,
        base: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<Vec<EventId>, StoreError> {
        let filter = doc! {
            "user": user_oid(user),
            "recurrence.eventId": event_oid(base),
            "gEventId": null,
        };
        let found = self.projected(filter, doc! { "_id": 1 }, session).await?;
        Ok(found
            .iter()
            .filter_map(|d| d.get_object_id("_id").ok())
            .map(super::convert::event_id)
            .collect())
    }

    /// Deletes the user's Google-owned events of calendar `g_calendar_id` whose Google id is not in `keep`
    /// (the end of a complete listing: whatever Google no longer has). Returns the count.
    pub async fn delete_google_calendar_except(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        keep: &[String],
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        // The difference is taken here, not with `$nin: keep` (thousands of ids make that filter cost
        // documents × ids on some servers): read the calendar's Google ids, delete the others by `_id`.
        let Some(session) = session else {
            let filter = doc! {
                "provenance": Provenance::Google.as_str(),
                "gCalendarId": g_calendar_id,
                "gEventId": { "$nin": keep },
            };
            return self.scoped.delete_many(user, filter, None).await;
        };
        let keep: std::collections::HashSet<&str> = keep.iter().map(String::as_str).collect();
        let mut cursor = self
            .raw
            .find(doc! {
                "user": user_oid(user),
                "provenance": Provenance::Google.as_str(),
                "gCalendarId": g_calendar_id,
            })
            .projection(doc! { "_id": 1, "gEventId": 1 })
            .session(&mut *session)
            .await?;
        let mut gone = Vec::new();
        while let Some(document) = cursor.next(session).await.transpose()? {
            let kept = document
                .get_str("gEventId")
                .is_ok_and(|gid| keep.contains(gid));
            if !kept {
                if let Ok(id) = document.get_object_id("_id") {
                    gone.push(id);
                }
            }
        }
        if gone.is_empty() {
            return Ok(0);
        }
        let filter = doc! { "_id": { "$in": gone } };
        self.scoped.delete_many(user, filter, Some(session)).await
    }

    /// Deletes the user's Google-owned events of calendars not in `calendars` (no longer synced). An event
    /// without a calendar is not one of them: the new part of a This and Following split of a Google series
    /// is Google-owned and has no Google copy (nor calendar) until its push, and the calendar-list sync took
    /// it for an event of a calendar gone (the long run of 2026-11-26, seeds 10000–10039). Outside a
    /// session, nothing is written unless such an event exists (see [`UserScoped::delete_many_if_any`]).
    pub async fn delete_google_outside(
        &self,
        user: &UserId,
        calendars: &[String],
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let filter = doc! {
            "provenance": Provenance::Google.as_str(),
            "gCalendarId": { "$exists": true, "$nin": calendars },
        };
        match session {
            Some(session) => self.scoped.delete_many(user, filter, Some(session)).await,
            None => self.scoped.delete_many_if_any(user, filter).await,
        }
    }

    /// Deletes a series: the base and all its instances. Returns how many documents went.
    pub async fn delete_series(
        &self,
        user: &UserId,
        base: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let base = event_oid(base);
        let filter = doc! { "$or": [ { "_id": base }, { "recurrence.eventId": base } ] };
        self.scoped.delete_many(user, filter, session).await
    }

    /// Deletes the given events of the user (ids of other users are ignored). Returns the count.
    pub async fn delete_many(
        &self,
        user: &UserId,
        ids: &[EventId],
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let ids: Vec<ObjectId> = ids.iter().map(event_oid).collect();
        self.scoped
            .delete_many(user, doc! { "_id": { "$in": ids } }, session)
            .await
    }

    /// Deletes every event of one provenance (e.g. Google-derived events when Google is revoked;
    /// Compass-made events stay). Returns the count.
    pub async fn delete_by_provenance(
        &self,
        user: &UserId,
        provenance: Provenance,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        self.scoped
            .delete_many(user, doc! { "provenance": provenance.as_str() }, session)
            .await
    }

    /// Sets the someday-list `order` of the user's events; returns how many were found.
    pub async fn set_order(
        &self,
        user: &UserId,
        orders: &[(EventId, i64)],
    ) -> Result<u64, StoreError> {
        let mut matched = 0;
        for (id, order) in orders {
            let result = self
                .raw
                .update_one(
                    doc! { "_id": event_oid(id), "user": user_oid(user) },
                    doc! { "$set": { "order": order, "updatedAt": now() } },
                )
                .await?;
            matched += result.matched_count;
        }
        Ok(matched)
    }

    /// True when any user has an event with this id (ids are global, so a create must not reuse one).
    pub async fn id_taken(
        &self,
        session: &mut ClientSession,
        id: &EventId,
    ) -> Result<bool, StoreError> {
        let count = self
            .raw
            .count_documents(doc! { "_id": event_oid(id) })
            .session(&mut *session)
            .await?;
        Ok(count > 0)
    }

    /// The user's events that Google knows by one of `g_event_ids`, by Google id, read inside `session`
    /// (one query for a whole batch of Google items; documents that do not decode are skipped). Up to
    /// [`LOOKUP_BY_ID`] ids are looked up by index (`$in`); more (a full listing) read the user's events
    /// once and keep the wanted ones: a lookup per id costs more than one pass then.
    pub async fn by_g_event_ids(
        &self,
        session: &mut ClientSession,
        user: &UserId,
        g_event_ids: &[String],
    ) -> Result<std::collections::HashMap<String, EventDoc>, StoreError> {
        let mut found = std::collections::HashMap::new();
        if g_event_ids.is_empty() {
            return Ok(found);
        }
        let wanted: std::collections::HashSet<&str> =
            g_event_ids.iter().map(String::as_str).collect();
        let filter = if g_event_ids.len() <= LOOKUP_BY_ID {
            doc! { "user": user_oid(user), "gEventId": { "$in": g_event_ids } }
        } else {
            doc! { "user": user_oid(user) }
        };
        let mut cursor = self.raw.find(filter).session(&mut *session).await?;
        while let Some(document) = cursor.next(session).await.transpose()? {
            let is_wanted = document
                .get_str("gEventId")
                .is_ok_and(|gid| wanted.contains(gid));
            if !is_wanted {
                continue;
            }
            if let Ok(event) = decode_one::<EventDoc>(COLLECTION, document) {
                if let Some(gid) = event.g_event_id.clone() {
                    found.insert(gid, event);
                }
            }
        }
        Ok(found)
    }

    /// Inserts new events (each with its `gEventId` set; `updatedAt` set now) with `insert_many` in
    /// batches of [`INSERT_BATCH`] inside `session`. A duplicate `_id` or `{user, gEventId}` is a
    /// [`StoreError::Conflict`].
    pub async fn insert_new(
        &self,
        session: &mut ClientSession,
        events: &mut Vec<EventDoc>,
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let stamp = now();
        for event in events.iter_mut() {
            event.updated_at = stamp;
        }
        // Batches of a few hundred: one huge write inside a transaction is refused by some servers.
        for batch in events.chunks(INSERT_BATCH) {
            self.typed.insert_many(batch).session(&mut *session).await?;
        }
        events.clear();
        Ok(())
    }

    /// Replaces stored events inside `session`, [`INSERT_BATCH`] statements per `update` command instead
    /// of a read and a replace per event: each document carries the Compass id and `createdAt` of the
    /// event it replaces (the caller read them in the same transaction) and its `gEventId`, and replaces
    /// the user's document with that id; `updatedAt` is set now. An event gone meanwhile is
    /// inserted again (upsert), as [`Events::upsert_by_g_event_id`] would. A duplicate key is a
    /// [`StoreError::Conflict`].
    pub async fn replace_stored(
        &self,
        session: &mut ClientSession,
        events: &mut Vec<EventDoc>,
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let stamp = now();
        for batch in events.chunks(INSERT_BATCH) {
            let mut updates = Vec::with_capacity(batch.len());
            for event in batch {
                if event.g_event_id.is_none() {
                    return Err(StoreError::not_found(COLLECTION, event.id.to_hex()));
                }
                let mut replacement =
                    bson::to_document(event).map_err(mongodb::error::Error::from)?;
                replacement.insert("updatedAt", stamp);
                updates.push(doc! {
                    "q": { "_id": event.id, "user": event.user },
                    "u": replacement,
                    "upsert": true,
                });
            }
            let reply = self
                .db
                .run_command(doc! { "update": COLLECTION, "updates": updates, "ordered": true })
                .session(&mut *session)
                .await?;
            if let Ok(errors) = reply.get_array("writeErrors") {
                if let Some(error) = errors.iter().find_map(|e| e.as_document()) {
                    let code = error.get_i32("code").unwrap_or_default();
                    let message = error.get_str("errmsg").unwrap_or_default();
                    return Err(StoreError::from_write_error(code, message));
                }
            }
        }
        events.clear();
        Ok(())
    }

    /// Every instance of the series `base` of `user`, ordered by start, read inside `session`. A document
    /// that does not decode is logged (by `decode_one`) and skipped.
    pub async fn instances_in_session(
        &self,
        session: &mut ClientSession,
        user: &UserId,
        base: &EventId,
    ) -> Result<Vec<EventDoc>, StoreError> {
        let mut cursor = self
            .raw
            .find(doc! { "user": user_oid(user), "recurrence.eventId": event_oid(base) })
            .sort(doc! { "startsAt": 1, "_id": 1 })
            .session(&mut *session)
            .await?;
        let mut instances = Vec::new();
        while let Some(document) = cursor.next(session).await.transpose()? {
            if let Ok(event) = decode_one::<EventDoc>(COLLECTION, document) {
                instances.push(event);
            }
        }
        Ok(instances)
    }

    /// Inserts or replaces `events` (matched by id and owner) inside `session`.
    pub async fn upsert_all(
        &self,
        session: &mut ClientSession,
        events: &[EventDoc],
    ) -> Result<(), StoreError> {
        for event in events {
            self.typed
                .replace_one(doc! { "_id": event.id, "user": event.user }, event)
                .upsert(true)
                .session(&mut *session)
                .await?;
        }
        Ok(())
    }

    /// Inserts new `events` inside `session` (one round trip per batch of documents).
    pub async fn insert_all(
        &self,
        session: &mut ClientSession,
        events: &[EventDoc],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        self.typed
            .insert_many(events)
            .session(&mut *session)
            .await?;
        Ok(())
    }

    /// The user's scheduled (not someday) events without a range, series bases excluded, ordered by
    /// start then `order`, at most `limit`.
    pub async fn scheduled(
        &self,
        user: &UserId,
        limit: i64,
    ) -> Result<Listing<EventDoc>, StoreError> {
        let cursor = self
            .raw
            .find(doc! {
                "user": user_oid(user),
                "isSomeday": false,
                "recurrence.rule": { "$exists": false },
            })
            .sort(doc! { "startsAt": 1, "order": 1, "_id": 1 })
            .limit(limit)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// The ids of all events of the user (e.g. for a full-replace import).
    pub async fn ids(&self, user: &UserId) -> Result<Vec<EventId>, StoreError> {
        let cursor = self
            .raw
            .find(doc! { "user": user_oid(user) })
            .projection(doc! { "_id": 1 })
            .await?;
        event_ids_of(cursor).await
    }

    /// Records the Google copy of the user's grid event `id` (after Compass wrote it to Google): its ids,
    /// etag and `updated`. With `series`, only while `id` is still an instance of that base: a This and
    /// Following edit made while the push waited on Google moves instances to a new series, which must
    /// never carry the old series' Google ids (deleting the old series at Google would take them along).
    /// `false` when the event is gone, now on a someday list, or no longer in `series`.
    pub async fn set_google_copy(
        &self,
        user: &UserId,
        id: &EventId,
        series: Option<&EventId>,
        copy: &GoogleCopy,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let mut set = doc! {
            "gEventId": copy.g_event_id.as_str(),
            "gCalendarId": copy.g_calendar_id.as_str(),
        };
        let mut unset = Document::new();
        for (key, value) in [
            ("gRecurringEventId", copy.g_recurring_event_id.as_deref()),
            ("gEtag", copy.etag.as_deref()),
        ] {
            match value {
                Some(value) => set.insert(key, value),
                None => unset.insert(key, ""),
            };
        }
        match copy.updated {
            Some(at) => set.insert("gUpdated", to_bson_date(at)),
            None => unset.insert("gUpdated", ""),
        };
        let mut update = doc! { "$set": set };
        if !unset.is_empty() {
            update.insert("$unset", unset);
        }
        let mut filter = doc! { "_id": event_oid(id), "user": user_oid(user), "isSomeday": false };
        if let Some(base) = series {
            filter.insert("recurrence.eventId", event_oid(base));
        }
        let result = in_session!(self.raw.update_one(filter, update), session)?;
        Ok(result.matched_count == 1)
    }

    /// Replaces the rule of the user's series base `base` (nothing else changes: no outbox entry, no
    /// `updatedAt`), as a Google version applied to Compass does.
    pub async fn set_rule(
        &self,
        user: &UserId,
        base: &EventId,
        rule: &[String],
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": event_oid(base),
            "user": user_oid(user),
            "recurrence.rule": { "$exists": true },
        };
        let update = doc! { "$set": { "recurrence.rule": rule } };
        let result = in_session!(self.raw.update_one(filter, update), session)?;
        Ok(result.matched_count == 1)
    }

    /// Forgets the Google etag recorded on `id` of `user`: the next Google version of the event is applied,
    /// never taken for the echo of a Compass write (a conflict Google won, see `crate::sync::to_google`).
    pub async fn forget_etag(
        &self,
        user: &UserId,
        id: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        let filter = doc! { "_id": event_oid(id), "user": user_oid(user) };
        let update = doc! { "$unset": { "gEtag": "" } };
        in_session!(self.raw.update_one(filter, update), session)?;
        Ok(())
    }

    /// The user's grid standalone events and series bases that Google does not hold yet (no
    /// `gEventId`), by start: what a backfill pushes.
    pub async fn without_google_copy(
        &self,
        user: &UserId,
        limit: i64,
    ) -> Result<Vec<EventId>, StoreError> {
        let cursor = self
            .raw
            .find(doc! {
                "user": user_oid(user),
                "isSomeday": false,
                "recurrence.eventId": { "$exists": false },
                "gEventId": { "$exists": false },
            })
            .projection(doc! { "_id": 1 })
            .sort(doc! { "startsAt": 1, "_id": 1 })
            .limit(limit)
            .await?;
        event_ids_of(cursor).await
    }

    /// Forgets the Google copies of the user's events of one provenance (Google revoked: the
    /// Compass-owned events stay, without links into the lost account). Returns the count.
    pub async fn forget_google_copies(
        &self,
        user: &UserId,
        provenance: Provenance,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let filter = doc! { "user": user_oid(user), "provenance": provenance.as_str() };
        let update = doc! { "$unset": {
            "gEventId": "", "gRecurringEventId": "", "gCalendarId": "", "gEtag": "", "gUpdated": "",
        } };
        let result = in_session!(self.raw.update_many(filter, update), session)?;
        Ok(result.modified_count)
    }
}

/// A Google copy of a Compass event, as [`Events::set_google_copy`] records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleCopy {
    /// Google's id.
    pub g_event_id: String,
    /// Google's series id (instances).
    pub g_recurring_event_id: Option<String>,
    /// The calendar holding it.
    pub g_calendar_id: String,
    /// Its etag.
    pub etag: Option<String>,
    /// Its `updated`.
    pub updated: Option<chrono::DateTime<chrono::Utc>>,
}

/// The event ids of an `_id`-projected cursor (documents without an ObjectId `_id` are skipped).
async fn event_ids_of(cursor: mongodb::Cursor<Document>) -> Result<Vec<EventId>, StoreError> {
    let documents: Vec<Document> = cursor.try_collect().await?;
    Ok(documents
        .iter()
        .filter_map(|d| d.get_object_id("_id").ok())
        .map(super::convert::event_id)
        .collect())
}
