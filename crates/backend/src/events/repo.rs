//! The event domain's view of the `event` collection: [`EventRepo`] converts between the domain's
//! [`EventRecord`] and the store's [`EventDoc`], and calls [`Events`] (the only code that queries the
//! collection). Every query is scoped to one user; documents that do not decode are logged and skipped.

use compass_core::{DateRange, EventId, EventSpan, GoogleEventId, UserId};
use mongodb::ClientSession;

use super::model::{EventRecord, SeriesRole};
use crate::domain::time_zone;
use crate::store::convert::{from_bson_date, to_bson_date};
use crate::store::decode::Listing;
use crate::store::events::{EventDoc, Events, RecurrenceDoc, COLLECTION};
use crate::store::{Store, StoreError};

/// Most documents one listing returns (a safety bound, far above what a calendar view shows).
pub const MAX_LISTED: i64 = 5_000;

/// The stored form of a record.
fn to_doc(record: &EventRecord) -> EventDoc {
    let mut doc = EventDoc::new(
        &record.id,
        &record.user,
        record.span.start(),
        record.span.end(),
        record.origin,
        record.priority,
        record.provenance,
    );
    doc.title = record.title.clone();
    doc.time_zone = record.time_zone.map(|zone| zone.name().to_owned());
    doc.description = record.description.clone();
    doc.is_all_day = record.is_all_day;
    doc.is_someday = record.is_someday;
    doc.g_event_id = record.g_event_id.as_ref().map(|g| g.as_str().to_owned());
    doc.g_recurring_event_id = record
        .g_recurring_event_id
        .as_ref()
        .map(|g| g.as_str().to_owned());
    doc.g_calendar_id = record.g_calendar_id.clone();
    doc.g_etag = record.g_etag.clone();
    doc.g_updated = record.g_updated.map(to_bson_date);
    doc.recurrence = match &record.role {
        SeriesRole::Standalone => None,
        SeriesRole::Base { rule } => Some(RecurrenceDoc::base(rule.clone())),
        SeriesRole::Instance { base } => Some(RecurrenceDoc::instance(base)),
    };
    doc.order = record.order;
    doc.all_day_order = record.all_day_order;
    doc.created_at = to_bson_date(record.created_at);
    doc.updated_at = to_bson_date(record.updated_at);
    doc
}

/// The domain form of a stored event; `None` (logged) when its dates are not a valid span.
fn to_record(doc: EventDoc) -> Option<EventRecord> {
    let span = match EventSpan::new(doc.start_date(), doc.end_date()) {
        Ok(span) => span,
        Err(error) => {
            tracing::warn!(collection = COLLECTION, id = %doc.id, %error, "skipping an event with unusable dates");
            return None;
        }
    };
    let role = match (&doc.recurrence, doc.base_id()) {
        (_, Some(base)) => SeriesRole::Instance { base },
        (
            Some(RecurrenceDoc {
                rule: Some(rule), ..
            }),
            None,
        ) => SeriesRole::Base { rule: rule.clone() },
        _ => SeriesRole::Standalone,
    };
    let time_zone = doc.time_zone.as_deref().and_then(|name| {
        time_zone::resolve_str(name)
            .map_err(|error| {
                tracing::warn!(collection = COLLECTION, id = %doc.id, %error, "ignoring a stored time zone");
            })
            .ok()
    });
    let google = |id: &Option<String>| id.as_deref().and_then(|g| GoogleEventId::parse(g).ok());
    Some(EventRecord {
        id: doc.event_id(),
        user: doc.user_id(),
        title: doc.title.clone(),
        description: doc.description.clone(),
        span,
        time_zone,
        is_all_day: doc.is_all_day,
        is_someday: doc.is_someday,
        origin: doc.origin,
        provenance: doc.provenance,
        priority: doc.priority,
        role,
        g_event_id: google(&doc.g_event_id),
        g_recurring_event_id: google(&doc.g_recurring_event_id),
        g_calendar_id: doc.g_calendar_id.clone(),
        g_etag: doc.g_etag.clone(),
        g_updated: doc.g_updated.map(from_bson_date),
        order: doc.order,
        all_day_order: doc.all_day_order,
        created_at: from_bson_date(doc.created_at),
        updated_at: from_bson_date(doc.updated_at),
    })
}

fn records(listing: Listing<EventDoc>) -> Vec<EventRecord> {
    listing
        .into_items()
        .into_iter()
        .filter_map(to_record)
        .collect()
}

/// The events API's repository.
#[derive(Debug, Clone)]
pub struct EventRepo {
    events: Events,
}

impl EventRepo {
    /// The repository on `store`.
    pub fn new(store: &Store) -> Self {
        EventRepo {
            events: Events::new(store),
        }
    }

    /// One event of `user`, read inside `session`.
    pub async fn find(
        &self,
        session: &mut ClientSession,
        user: &UserId,
        id: &EventId,
    ) -> Result<Option<EventRecord>, StoreError> {
        Ok(self
            .events
            .get(user, id, Some(session))
            .await?
            .and_then(to_record))
    }

    /// One event of `user`, outside any transaction.
    pub async fn get(
        &self,
        user: &UserId,
        id: &EventId,
    ) -> Result<Option<EventRecord>, StoreError> {
        Ok(self.events.get(user, id, None).await?.and_then(to_record))
    }

    /// True when any user has an event with this id (ids are global, so a create must not reuse one).
    pub async fn id_taken(
        &self,
        session: &mut ClientSession,
        id: &EventId,
    ) -> Result<bool, StoreError> {
        self.events.id_taken(session, id).await
    }

    /// The base `base` of `user` (if it still exists) and all its instances, ordered by start, read
    /// inside `session`.
    pub async fn series(
        &self,
        session: &mut ClientSession,
        user: &UserId,
        base: &EventId,
    ) -> Result<(Option<EventRecord>, Vec<EventRecord>), StoreError> {
        let base_record = self
            .find(session, user, base)
            .await?
            .filter(EventRecord::is_base);
        let instances = self
            .events
            .instances_in_session(session, user, base)
            .await?
            .into_iter()
            .filter_map(to_record)
            .collect();
        Ok((base_record, instances))
    }

    /// Inserts or replaces `records` (matched by id and owner) inside `session`.
    pub async fn upsert_all(
        &self,
        session: &mut ClientSession,
        records: &[EventRecord],
    ) -> Result<(), StoreError> {
        let docs: Vec<EventDoc> = records.iter().map(to_doc).collect();
        self.events.upsert_all(session, &docs).await
    }

    /// Inserts new `records` inside `session` (one round trip per batch of documents).
    pub async fn insert_all(
        &self,
        session: &mut ClientSession,
        records: &[EventRecord],
    ) -> Result<(), StoreError> {
        let docs: Vec<EventDoc> = records.iter().map(to_doc).collect();
        self.events.insert_all(session, &docs).await
    }

    /// Deletes `records` of `user` inside `session`.
    pub async fn delete_all(
        &self,
        session: &mut ClientSession,
        user: &UserId,
        records: &[EventRecord],
    ) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let ids: Vec<EventId> = records.iter().map(|r| r.id.clone()).collect();
        self.events.delete_many(user, &ids, Some(session)).await?;
        Ok(())
    }

    /// The events of `user` that clients list: grid or someday events (never series bases), only those
    /// overlapping `range` when given (timed by instant, all-day by calendar day in the range's offset),
    /// ordered by start then `order`.
    pub async fn list(
        &self,
        user: &UserId,
        someday: bool,
        range: Option<&DateRange>,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let listing = match (range, someday) {
            (Some(range), false) => self.events.overlapping(user, range, false).await?,
            (range, true) => self.events.someday(user, range, Some(MAX_LISTED)).await?,
            (None, false) => self.events.scheduled(user, MAX_LISTED).await?,
        };
        Ok(records(listing))
    }

    /// The rules of the given series bases of `user` (for the read model of instances).
    pub async fn rules_of(
        &self,
        user: &UserId,
        bases: &[EventId],
    ) -> Result<Vec<(EventId, Vec<String>)>, StoreError> {
        let mut rules = Vec::with_capacity(bases.len());
        for base in bases {
            if let Some(record) = self.get(user, base).await? {
                if let Some(rule) = record.rule() {
                    rules.push((record.id.clone(), rule.to_vec()));
                }
            }
        }
        Ok(rules)
    }
}
