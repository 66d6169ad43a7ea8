//! The `sync_dirty` collection: whether Google has changes that Compass has not read yet, per user and
//! Google calendar (or the calendar list). A push notification, the polling backstop, a watch opened after a
//! gap or a newly selected calendar set the mark ([`DirtyMarks::mark`]); the sync worker lists the marked
//! calendars ([`DirtyMarks::due`]) and clears a mark once it has drained that calendar
//! ([`DirtyMarks::clear`]).
//!
//! A mark whose sync fails is deferred ([`DirtyMarks::defer`], the worker's backoff written down), and the
//! mark of a user who is no longer connected is deleted by the worker: either would otherwise stay due for
//! ever, and enough of them filled the worker's batch (the oldest first) so that no other calendar was synced
//! (the long convergence run: the backstop marked calendars of users who were disconnecting, 102 such marks,
//! and Google's changes stopped reaching every later user).
//!
//! The marks work at least once: [`DirtyMarks::mark`] bumps `dirtyGeneration`, and the worker clears
//! with the generation it read before draining, so a notification that arrived meanwhile keeps the mark.
//!
//! **Never written inside a transaction.** The marks used to be fields of the sync cursor (`sync`), which the
//! calendar's sync transaction writes together with the changes. A write to a document that an open
//! transaction has written waits until that transaction ends (mongod and SecantusDB alike), so every
//! notification for a calendar being synced held a pooled connection while it waited; enough of them, and
//! the transaction itself could not get a connection to commit (a convergence run stalled that way). Kept
//! apart, a notification never waits for a sync.

use chrono::{DateTime, Utc};
use compass_core::UserId;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::ReturnDocument;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::convert::{now, to_bson_date, user_oid};
use super::decode::{decode_all, decode_one, Listing};
use super::scoped::UserScoped;
use super::{Store, StoreError};

/// Collection name.
pub const COLLECTION: &str = "sync_dirty";

/// The dirty mark of one user's Google calendar (or of the calendar list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirtyMark {
    /// Record id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Google calendar id, or `calendarlist`.
    pub g_calendar_id: String,
    /// Changes are waiting at Google.
    #[serde(default)]
    pub dirty: bool,
    /// Bumped by every [`DirtyMarks::mark`].
    #[serde(default)]
    pub dirty_generation: i64,
    /// When the calendar first became dirty (since last cleared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dirty_since: Option<bson::DateTime>,
    /// Its last sync failed: not due before this time ([`DirtyMarks::defer`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<bson::DateTime>,
    /// Last write.
    pub updated_at: bson::DateTime,
}

impl DirtyMark {
    /// The owner.
    pub fn user_id(&self) -> UserId {
        super::convert::user_id(self.user)
    }
}

/// Typed access to the `sync_dirty` collection.
#[derive(Clone, Debug)]
pub struct DirtyMarks {
    raw: Collection<Document>,
    scoped: UserScoped,
}

fn key(user: &UserId, g_calendar_id: &str) -> Document {
    doc! { "user": user_oid(user), "gCalendarId": g_calendar_id }
}

impl DirtyMarks {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        DirtyMarks {
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
        }
    }

    /// Records that Google has changes for this calendar; returns the mark.
    pub async fn mark(&self, user: &UserId, g_calendar_id: &str) -> Result<DirtyMark, StoreError> {
        let update = doc! {
            "$set": { "dirty": true, "updatedAt": now() },
            "$inc": { "dirtyGeneration": 1_i64 },
            "$min": { "dirtySince": now() },
            "$setOnInsert": { "_id": ObjectId::new() },
        };
        let stored = self
            .raw
            .find_one_and_update(key(user, g_calendar_id), update)
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?
            .ok_or_else(|| StoreError::not_found(COLLECTION, g_calendar_id))?;
        Ok(decode_one(COLLECTION, stored)?)
    }

    /// Clears the mark if no notification arrived since the worker read `generation`. Returns whether it
    /// was cleared.
    pub async fn clear(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        generation: i64,
    ) -> Result<bool, StoreError> {
        let mut filter = key(user, g_calendar_id);
        filter.insert("dirtyGeneration", generation);
        let result = self
            .raw
            .update_one(
                filter,
                doc! {
                    "$set": { "dirty": false, "updatedAt": now() },
                    "$unset": { "dirtySince": "", "retryAt": "" },
                },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Keeps the mark out of [`DirtyMarks::due`] until `until` (its sync failed and backs off). Stored, so
    /// that failing calendars never fill the worker's batch while others wait behind them.
    pub async fn defer(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.raw
            .update_one(
                key(user, g_calendar_id),
                doc! { "$set": { "retryAt": to_bson_date(until), "updatedAt": now() } },
            )
            .await?;
        Ok(())
    }

    /// The marked calendars of all users, longest waiting first (for the sync worker); a deferred mark only
    /// once its `retryAt` has passed.
    pub async fn due(&self, limit: i64) -> Result<Listing<DirtyMark>, StoreError> {
        let cursor = self
            .raw
            .find(doc! {
                "dirty": true,
                "$or": [ { "retryAt": { "$exists": false } }, { "retryAt": { "$lte": now() } } ],
            })
            .sort(doc! { "dirtySince": 1 })
            .limit(limit)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// The mark of one calendar, if it was ever marked.
    pub async fn get(
        &self,
        user: &UserId,
        g_calendar_id: &str,
    ) -> Result<Option<DirtyMark>, StoreError> {
        self.scoped
            .find_one(user, doc! { "gCalendarId": g_calendar_id }, None)
            .await
    }

    /// Forgets the mark of one calendar (no longer synced).
    pub async fn delete(&self, user: &UserId, g_calendar_id: &str) -> Result<bool, StoreError> {
        self.scoped
            .delete_one(user, doc! { "gCalendarId": g_calendar_id }, None)
            .await
    }

    /// Forgets all of the user's marks (Google disconnected). Returns the count.
    pub async fn delete_all(&self, user: &UserId) -> Result<u64, StoreError> {
        self.scoped.delete_many(user, doc! {}, None).await
    }
}
