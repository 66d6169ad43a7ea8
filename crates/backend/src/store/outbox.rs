//! The `outbox` collection: the Google writes Compass owes, one entry per Compass event
//! (`_id` = the event id), written by the events flows in the same transaction as the event change
//! and drained by the sync worker (`crate::sync::outbox`).
//!
//! An entry does not describe a call; it says "event X changed at `changedAt`: make Google agree with
//! what Compass now holds for X". A later change to the same event therefore only bumps the entry's
//! `version` (coalescing); the drain removes an entry only with the version it read, so a change made
//! while a push was in flight is pushed again. The Google copy an entry must remove (the event was
//! deleted or moved to someday, which clears its ids in the same transaction) is kept on the entry
//! (`gEventId`, `gCalendarId`). A permanent failure (`failed`) keeps the entry, not due, with its reason.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use compass_core::{EventDate, EventId, UserId};
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::FindOptions;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{event_oid, now, to_bson_date, user_oid};
use super::decode::{decode_all, Listing};
use super::{Store, StoreError};

/// Collection name.
pub const COLLECTION: &str = "outbox";

/// Why an entry is no longer tried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureDoc {
    /// Google's (or our) reason, for people: HTTP status, reason and message.
    pub reason: String,
    /// The HTTP status Google answered, when it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
    /// When it failed.
    pub at: bson::DateTime,
}

/// One pending Google write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxDoc {
    /// The Compass event id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Bumped by every change (the drain completes an entry only with the version it pushed).
    pub version: i64,
    /// The entry is for one instance of a series (a This Event edit or delete), not the series.
    #[serde(default)]
    pub instance: bool,
    /// Google's id of the copy to remove, kept when the change cleared it from the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_event_id: Option<String>,
    /// The calendar of that copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_calendar_id: Option<String>,
    /// The etag Compass last saw of that copy: its delete is sent with `If-Match` on it, so that it never
    /// silently destroys a later Google edit (the later writer wins, see `crate::sync::to_google`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub g_etag: Option<String>,
    /// For an instance entry: the instance's start when the entry was first recorded (its slot in the
    /// series), to find its Google instance before Google's instance id is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<EventDate>,
    /// The last Compass write this entry stands for (the conflict rule compares it with Google's `updated`).
    pub changed_at: bson::DateTime,
    /// First recorded.
    pub created_at: bson::DateTime,
    /// Failed attempts since the last change.
    #[serde(default)]
    pub attempts: i32,
    /// Not tried before this instant (retry backoff).
    pub next_attempt_at: bson::DateTime,
    /// The last retryable failure, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Set when the entry failed for good (not retried until the event changes again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<FailureDoc>,
}

impl OutboxDoc {
    /// The event id.
    pub fn event_id(&self) -> EventId {
        super::convert::event_id(self.id)
    }

    /// The owner.
    pub fn user_id(&self) -> UserId {
        super::convert::user_id(self.user)
    }

    /// The last Compass write, as a `chrono` instant.
    pub fn changed_at(&self) -> DateTime<Utc> {
        super::convert::from_bson_date(self.changed_at)
    }
}

/// What a flow records for one changed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The changed event.
    pub event: EventId,
    /// True for a This Event change of one instance.
    pub instance: bool,
    /// The Google copy the event had before the change (to remove it if the change took it away).
    pub g_event_id: Option<String>,
    /// Its calendar.
    pub g_calendar_id: Option<String>,
    /// Its etag as Compass last saw it.
    pub g_etag: Option<String>,
    /// For a This Event change of an instance: its start before the change (kept from the first change).
    pub slot: Option<EventDate>,
}

/// Typed access to the `outbox` collection. Every method is scoped to one user, except
/// [`Outbox::due_users`], which the worker uses to find work.
#[derive(Clone, Debug)]
pub struct Outbox {
    raw: Collection<Document>,
}

impl Outbox {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Outbox {
            raw: store.collection(COLLECTION),
        }
    }

    /// Records (or coalesces into the pending entry) that `pending.event` of `user` changed now. A
    /// failed entry becomes due again.
    pub async fn record(
        &self,
        user: &UserId,
        pending: &Pending,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        let at = now();
        let mut set = doc! {
            "changedAt": at,
            "nextAttemptAt": at,
            "attempts": 0,
            "instance": pending.instance,
        };
        if let Some(g) = &pending.g_event_id {
            set.insert("gEventId", g.as_str());
        }
        if let Some(c) = &pending.g_calendar_id {
            set.insert("gCalendarId", c.as_str());
        }
        if let Some(etag) = &pending.g_etag {
            set.insert("gEtag", etag.as_str());
        }
        let mut on_insert = doc! { "createdAt": at };
        if let Some(slot) = pending.slot {
            on_insert.insert("slot", slot.to_string());
        }
        let update = doc! {
            "$set": set,
            "$inc": { "version": 1_i64 },
            "$unset": { "failed": "", "lastError": "" },
            "$setOnInsert": on_insert,
        };
        let filter = doc! { "_id": event_oid(&pending.event), "user": user_oid(user) };
        in_session!(self.raw.update_one(filter, update).upsert(true), session)?;
        Ok(())
    }

    /// Drops the entry of an event that never reached Google (deleted before its create was pushed).
    pub async fn cancel(
        &self,
        user: &UserId,
        event: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": event_oid(event),
            "user": user_oid(user),
            "gEventId": { "$exists": false },
        };
        let result = in_session!(self.raw.delete_one(filter), session)?;
        Ok(result.deleted_count == 1)
    }

    /// Turns the pending create of a deleted event into a removal of the Google id its create uses (its
    /// Compass id): the create may have reached Google with its answer lost. An entry that already names
    /// another Google copy (a Google event moved to someday and back) keeps it; no entry, nothing owed.
    pub async fn remove_own_copy(
        &self,
        user: &UserId,
        event: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        let at = now();
        let filter = doc! {
            "_id": event_oid(event),
            "user": user_oid(user),
            "gEventId": { "$exists": false },
        };
        let update = doc! {
            "$set": { "gEventId": event.as_str(), "changedAt": at, "nextAttemptAt": at, "attempts": 0 },
            "$inc": { "version": 1_i64 },
            "$unset": { "failed": "", "lastError": "" },
        };
        in_session!(self.raw.update_one(filter, update), session)?;
        Ok(())
    }

    /// A This and Following edit made the instance `event` the first of a new series: its pending This Event
    /// entry, if any, now names its occurrence there (`slot`) and no Google copy (the old series' instance is
    /// cut off at Google by the old series' new end). The version goes up, so that a push of the old entry in
    /// flight does not complete it.
    pub async fn move_instance_slot(
        &self,
        user: &UserId,
        event: &EventId,
        slot: EventDate,
        session: Option<&mut ClientSession>,
    ) -> Result<(), StoreError> {
        let at = now();
        let filter = doc! { "_id": event_oid(event), "user": user_oid(user), "instance": true };
        let update = doc! {
            "$set": { "slot": slot.to_string(), "changedAt": at, "nextAttemptAt": at, "attempts": 0 },
            "$inc": { "version": 1_i64 },
            "$unset": { "gEventId": "", "gEtag": "", "failed": "", "lastError": "" },
        };
        in_session!(self.raw.update_one(filter, update), session)?;
        Ok(())
    }

    /// One entry of the user.
    pub async fn get(
        &self,
        user: &UserId,
        event: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<Option<OutboxDoc>, StoreError> {
        let filter = doc! { "_id": event_oid(event), "user": user_oid(user) };
        match in_session!(self.raw.find_one(filter), session)? {
            Some(document) => Ok(Some(super::decode::decode_one(COLLECTION, document)?)),
            None => Ok(None),
        }
    }

    /// True when a Compass change of `event` waits to be pushed (failed entries excluded).
    pub async fn is_pending(
        &self,
        user: &UserId,
        event: &EventId,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": event_oid(event),
            "user": user_oid(user),
            "failed": { "$exists": false },
        };
        Ok(in_session!(
            self.raw.find_one(filter).projection(doc! { "_id": 1 }),
            session
        )?
        .is_some())
    }

    /// The user's pending (not failed) entries, read once for a batch inside `session`: the Compass
    /// events they are for, and the Google copies they are about to remove.
    pub async fn pending_index(
        &self,
        session: &mut ClientSession,
        user: &UserId,
    ) -> Result<(HashSet<EventId>, HashSet<String>), StoreError> {
        let mut cursor = self
            .raw
            .find(doc! { "user": user_oid(user), "failed": { "$exists": false } })
            .projection(doc! { "_id": 1, "gEventId": 1 })
            .session(&mut *session)
            .await?;
        let (mut events, mut copies) = (HashSet::new(), HashSet::new());
        while let Some(document) = cursor.next(session).await.transpose()? {
            if let Ok(id) = document.get_object_id("_id") {
                events.insert(super::convert::event_id(id));
            }
            if let Ok(gid) = document.get_str("gEventId") {
                copies.insert(gid.to_owned());
            }
        }
        Ok((events, copies))
    }

    /// The pending (not failed) This Event entries among `events` of `user`, with the slot each kept (the
    /// instance's start before its first change; `None` when the entry has none): a series push matches such
    /// an instance to its Google instance by that slot, and leaves pushing its change to its own entry.
    pub async fn pending_instances(
        &self,
        user: &UserId,
        events: &[EventId],
    ) -> Result<HashMap<EventId, Option<EventDate>>, StoreError> {
        if events.is_empty() {
            return Ok(HashMap::new());
        }
        let ids: Vec<ObjectId> = events.iter().map(event_oid).collect();
        let cursor = self
            .raw
            .find(doc! {
                "user": user_oid(user),
                "_id": { "$in": ids },
                "instance": true,
                "failed": { "$exists": false },
            })
            .await?;
        let entries: Listing<OutboxDoc> = decode_all(COLLECTION, cursor).await?;
        Ok(entries
            .into_items()
            .into_iter()
            .map(|entry| (entry.event_id(), entry.slot))
            .collect())
    }

    /// True when a pending entry is about to remove the Google copy `g_event_id`.
    pub async fn removes_google_copy(
        &self,
        user: &UserId,
        g_event_id: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "user": user_oid(user),
            "gEventId": g_event_id,
            "failed": { "$exists": false },
        };
        Ok(in_session!(
            self.raw.find_one(filter).projection(doc! { "_id": 1 }),
            session
        )?
        .is_some())
    }

    /// Users with an entry due at `at` (at most `limit`).
    pub async fn due_users(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        let users = self
            .raw
            .distinct(
                "user",
                doc! { "nextAttemptAt": { "$lte": to_bson_date(at) }, "failed": { "$exists": false } },
            )
            .await?;
        Ok(users
            .into_iter()
            .filter_map(|u| u.as_object_id())
            .take(limit)
            .map(super::convert::user_id)
            .collect())
    }

    /// The user's entries due at `at`, oldest first (a series before the later edits of its instances).
    pub async fn due(
        &self,
        user: &UserId,
        at: DateTime<Utc>,
        limit: i64,
    ) -> Result<Listing<OutboxDoc>, StoreError> {
        let options = FindOptions::builder()
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .limit(limit)
            .build();
        let cursor = self
            .raw
            .find(doc! {
                "user": user_oid(user),
                "nextAttemptAt": { "$lte": to_bson_date(at) },
                "failed": { "$exists": false },
            })
            .with_options(options)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// Every entry of the user (pending and failed), oldest first.
    pub async fn list(&self, user: &UserId) -> Result<Listing<OutboxDoc>, StoreError> {
        let options = FindOptions::builder()
            .sort(doc! { "createdAt": 1, "_id": 1 })
            .build();
        let cursor = self
            .raw
            .find(doc! { "user": user_oid(user) })
            .with_options(options)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// Removes the entry after Google answered, unless the event changed again since `version` was read.
    pub async fn complete(
        &self,
        user: &UserId,
        event: &EventId,
        version: i64,
        session: Option<&mut ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! { "_id": event_oid(event), "user": user_oid(user), "version": version };
        let result = in_session!(self.raw.delete_one(filter), session)?;
        Ok(result.deleted_count == 1)
    }

    /// A retryable failure: tried again at `next` (unless the event changed meanwhile, which makes it due now).
    pub async fn retry_later(
        &self,
        user: &UserId,
        event: &EventId,
        version: i64,
        next: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.raw
            .update_one(
                doc! { "_id": event_oid(event), "user": user_oid(user), "version": version },
                doc! {
                    "$set": { "nextAttemptAt": to_bson_date(next), "lastError": error },
                    "$inc": { "attempts": 1 },
                },
            )
            .await?;
        Ok(())
    }

    /// Not ready yet (the calendar list or the series is not known): tried again at `next`, no failure counted.
    pub async fn postpone(
        &self,
        user: &UserId,
        event: &EventId,
        version: i64,
        next: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.raw
            .update_one(
                doc! { "_id": event_oid(event), "user": user_oid(user), "version": version },
                doc! { "$set": { "nextAttemptAt": to_bson_date(next) } },
            )
            .await?;
        Ok(())
    }

    /// A permanent failure: the entry stays with its reason and is not tried again until the event changes.
    pub async fn fail(
        &self,
        user: &UserId,
        event: &EventId,
        version: i64,
        reason: &str,
        status: Option<u16>,
    ) -> Result<(), StoreError> {
        let mut failure = doc! { "reason": reason, "at": now() };
        if let Some(status) = status {
            failure.insert("status", i32::from(status));
        }
        self.raw
            .update_one(
                doc! { "_id": event_oid(event), "user": user_oid(user), "version": version },
                doc! { "$set": { "failed": failure }, "$inc": { "attempts": 1 } },
            )
            .await?;
        Ok(())
    }

    /// Forgets every entry of the user (Google revoked: nothing can be pushed any more).
    pub async fn delete_all(
        &self,
        user: &UserId,
        session: Option<&mut ClientSession>,
    ) -> Result<u64, StoreError> {
        let result = in_session!(
            self.raw.delete_many(doc! { "user": user_oid(user) }),
            session
        )?;
        Ok(result.deleted_count)
    }
}
