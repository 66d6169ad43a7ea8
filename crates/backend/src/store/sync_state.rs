//! The `sync` collection: the Google sync cursor of one user and one Google calendar (or the
//! calendar list): sync token, page token of an unfinished listing, last successful sync, and a
//! dirty flag that a push notification sets and the sync worker clears.
//!
//! The dirty flag works at least once: [`SyncStates::mark_dirty`] bumps `dirtyGeneration`; the
//! worker reads the state, drains every page, commits the new sync token (in the same transaction as
//! the changes) and then calls [`SyncStates::clear_dirty`] with the generation it saw — a
//! notification that arrived meanwhile keeps the flag set.

use chrono::{DateTime, Utc};
use compass_core::UserId;
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::ReturnDocument;
use mongodb::{ClientSession, Collection};
use serde::{Deserialize, Serialize};

use super::convert::{now, to_bson_date, user_oid};
use super::decode::{decode_all, decode_one, Listing};
use super::scoped::UserScoped;
use super::sync_dirty::DirtyMarks;
use super::{Store, StoreError};

/// Collection name (the reference's).
pub const COLLECTION: &str = "sync";
/// Unique index: one state per user and calendar.
pub const USER_CALENDAR_INDEX: &str = "user_gCalendarId_unique";

/// The sync cursor of one user's Google calendar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStateDoc {
    /// Record id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// Google calendar id, or `calendarlist`.
    pub g_calendar_id: String,
    /// Token for the next incremental listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_sync_token: Option<String>,
    /// Token of the next page of an unfinished listing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    /// Last time a sync token was committed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_synced_at: Option<bson::DateTime>,
    /// Last write.
    pub updated_at: bson::DateTime,
}

impl SyncStateDoc {
    /// The owner.
    pub fn user_id(&self) -> UserId {
        super::convert::user_id(self.user)
    }
}

/// Typed access to the `sync` collection.
#[derive(Clone, Debug)]
pub struct SyncStates {
    raw: Collection<Document>,
    scoped: UserScoped,
    marks: DirtyMarks,
}

fn key(user: &UserId, g_calendar_id: &str) -> Document {
    doc! { "user": user_oid(user), "gCalendarId": g_calendar_id }
}

impl SyncStates {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        SyncStates {
            raw: store.collection(COLLECTION),
            scoped: UserScoped::new(store, COLLECTION),
            marks: DirtyMarks::new(store),
        }
    }

    /// The state of one calendar, if any.
    pub async fn get(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<Option<SyncStateDoc>, StoreError> {
        self.scoped
            .find_one(user, doc! { "gCalendarId": g_calendar_id }, session)
            .await
    }

    /// All of the user's states.
    pub async fn list(&self, user: &UserId) -> Result<Listing<SyncStateDoc>, StoreError> {
        self.scoped
            .list(user, doc! {}, doc! { "gCalendarId": 1 }, None)
            .await
    }

    /// Applies `set` to the state (creating it if needed) and returns it.
    async fn upsert(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        mut update: Document,
        session: Option<&mut ClientSession>,
    ) -> Result<SyncStateDoc, StoreError> {
        let set = update.get_document_mut("$set").ok();
        match set {
            Some(set) => {
                set.insert("updatedAt", now());
            }
            None => {
                update.insert("$set", doc! { "updatedAt": now() });
            }
        }
        update.insert("$setOnInsert", doc! { "_id": ObjectId::new() });
        let stored = in_session!(
            self.raw
                .find_one_and_update(key(user, g_calendar_id), update)
                .upsert(true)
                .return_document(ReturnDocument::After),
            session
        )?
        .ok_or_else(|| StoreError::not_found(COLLECTION, g_calendar_id))?;
        Ok(decode_one(COLLECTION, stored)?)
    }

    /// States whose last sync is older than `before` (or that never synced): the polling backstop.
    pub async fn stale(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Listing<SyncStateDoc>, StoreError> {
        let cursor = self
            .raw
            .find(doc! { "$or": [
                { "lastSyncedAt": { "$lt": to_bson_date(before) } },
                { "lastSyncedAt": { "$exists": false } },
            ] })
            .sort(doc! { "lastSyncedAt": 1 })
            .limit(limit)
            .await?;
        decode_all(COLLECTION, cursor).await
    }

    /// Remembers where an unfinished listing stopped.
    pub async fn save_page_token(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        page_token: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<SyncStateDoc, StoreError> {
        let update = doc! { "$set": { "nextPageToken": page_token } };
        self.upsert(user, g_calendar_id, update, session).await
    }

    /// Commits the sync token of a finished listing (clears the page token, sets `lastSyncedAt`).
    /// Call it in the transaction that stores the changes.
    pub async fn commit_sync_token(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        sync_token: &str,
        session: Option<&mut ClientSession>,
    ) -> Result<SyncStateDoc, StoreError> {
        let update = doc! {
            "$set": { "nextSyncToken": sync_token, "lastSyncedAt": now() },
            "$unset": { "nextPageToken": "" },
        };
        self.upsert(user, g_calendar_id, update, session).await
    }

    /// Moves the sync token from `from` to `to` (sets `lastSyncedAt`) when an incremental listing brought
    /// no change: one write instead of a transaction. Never creates a state; `false` when the state is gone
    /// (Google disconnected meanwhile) or no longer holds `from`.
    pub async fn advance_token(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        let mut filter = key(user, g_calendar_id);
        filter.insert("nextSyncToken", from);
        let result = self
            .raw
            .update_one(
                filter,
                doc! {
                    "$set": { "nextSyncToken": to, "lastSyncedAt": now(), "updatedAt": now() },
                    "$unset": { "nextPageToken": "" },
                },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Forgets both tokens (Google answered 410: a full resync is needed).
    pub async fn reset_tokens(
        &self,
        user: &UserId,
        g_calendar_id: &str,
    ) -> Result<SyncStateDoc, StoreError> {
        let update = doc! { "$unset": { "nextSyncToken": "", "nextPageToken": "" } };
        self.upsert(user, g_calendar_id, update, None).await
    }

    /// Deletes the state of one calendar (no longer synced) and its dirty mark; `false` when there was
    /// no state.
    pub async fn delete(&self, user: &UserId, g_calendar_id: &str) -> Result<bool, StoreError> {
        self.marks.delete(user, g_calendar_id).await?;
        self.scoped
            .delete_one(user, doc! { "gCalendarId": g_calendar_id }, None)
            .await
    }

    /// Deletes all of the user's states and dirty marks (Google disconnected). Returns the count of states.
    pub async fn delete_all(&self, user: &UserId) -> Result<u64, StoreError> {
        self.marks.delete_all(user).await?;
        self.scoped.delete_many(user, doc! {}, None).await
    }
}
