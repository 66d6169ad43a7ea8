//! The `sync_conflict` collection: one record per conflict between a Compass change and a Google change of
//! the same event that the sync engine resolved by the later-writer rule (`crate::sync::conflicts`), so that a
//! user or an operator can see afterwards which edit was dropped. Records name both versions (the Compass
//! event and its write time, the Google copy with its etag and `updated`) and the winner; they expire after
//! [`RETENTION_SECS`] (TTL index `at_ttl`, `migrations/0007_sync_conflicts.json`).

use chrono::{DateTime, Utc};
use compass_core::{EventId, UserId};
use mongodb::bson::{self, doc, oid::ObjectId, Document};
use mongodb::options::FindOptions;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::convert::{event_oid, to_bson_date, user_oid};
use super::decode::{decode_all, Listing};
use super::{Store, StoreError};

/// Collection name.
pub const COLLECTION: &str = "sync_conflict";
/// How long a record is kept (the TTL index's `expireAfterSeconds`): 90 days.
pub const RETENTION_SECS: u64 = 90 * 24 * 3600;

/// One resolved conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConflictDoc {
    /// Record id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Owner.
    pub user: ObjectId,
    /// When the conflict was resolved.
    pub at: bson::DateTime,
    /// The Compass event.
    pub event: ObjectId,
    /// What Compass did: `changed` (an edit pushed as a patch) or `removed` (deleted, or moved to someday).
    pub compass_change: String,
    /// When Compass made its change.
    pub compass_changed_at: bson::DateTime,
    /// The Google etag Compass had last seen (what the push's `If-Match` carried).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compass_seen_etag: Option<String>,
    /// The Google copy.
    pub g_event_id: String,
    /// Its calendar.
    pub g_calendar_id: String,
    /// Its current etag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_etag: Option<String>,
    /// When Google last changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_updated: Option<bson::DateTime>,
    /// Google's title, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_summary: Option<String>,
    /// `compass` or `google`: whose version both sides hold now.
    pub winner: String,
}

/// What a resolver records.
#[derive(Debug, Clone)]
pub struct NewConflict {
    /// The Compass event.
    pub event: EventId,
    /// `changed` or `removed`.
    pub compass_change: &'static str,
    /// When Compass made its change.
    pub compass_changed_at: DateTime<Utc>,
    /// The etag Compass had last seen.
    pub compass_seen_etag: Option<String>,
    /// The Google copy.
    pub g_event_id: String,
    /// Its calendar.
    pub g_calendar_id: String,
    /// Its current etag.
    pub google_etag: Option<String>,
    /// When Google last changed it.
    pub google_updated: Option<DateTime<Utc>>,
    /// Google's title.
    pub google_summary: Option<String>,
    /// `compass` or `google`.
    pub winner: &'static str,
}

/// Typed access to the `sync_conflict` collection; every method is scoped to one user.
#[derive(Clone, Debug)]
pub struct Conflicts {
    raw: Collection<Document>,
    typed: Collection<ConflictDoc>,
}

impl Conflicts {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Conflicts {
            raw: store.collection(COLLECTION),
            typed: store.collection(COLLECTION),
        }
    }

    /// Records a resolved conflict of `user`.
    pub async fn record(&self, user: &UserId, conflict: &NewConflict) -> Result<(), StoreError> {
        let record = ConflictDoc {
            id: ObjectId::new(),
            user: user_oid(user),
            at: to_bson_date(Utc::now()),
            event: event_oid(&conflict.event),
            compass_change: conflict.compass_change.to_owned(),
            compass_changed_at: to_bson_date(conflict.compass_changed_at),
            compass_seen_etag: conflict.compass_seen_etag.clone(),
            g_event_id: conflict.g_event_id.clone(),
            g_calendar_id: conflict.g_calendar_id.clone(),
            google_etag: conflict.google_etag.clone(),
            google_updated: conflict.google_updated.map(to_bson_date),
            google_summary: conflict.google_summary.clone(),
            winner: conflict.winner.to_owned(),
        };
        self.typed.insert_one(&record).await?;
        Ok(())
    }

    /// The user's most recent conflicts, newest first (at most `limit`).
    pub async fn recent(
        &self,
        user: &UserId,
        limit: i64,
    ) -> Result<Listing<ConflictDoc>, StoreError> {
        let options = FindOptions::builder()
            .sort(doc! { "at": -1, "_id": -1 })
            .limit(limit)
            .build();
        let cursor = self
            .raw
            .find(doc! { "user": user_oid(user) })
            .with_options(options)
            .await?;
        decode_all(COLLECTION, cursor).await
    }
}
