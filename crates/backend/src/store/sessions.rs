//! The `session` collection: server-side sessions behind the session cookie.
//!
//! A session document holds the SHA-256 of the cookie's random token (`tokenHash`, unique index), the
//! user, and its expiry (`expiresAt`, TTL index so MongoDB removes expired ones). Lookups also check the
//! expiry themselves, since the TTL monitor runs only once a minute. Revoking a session deletes it.
//! The indexes are created by the migrations (`migrations/0001_initial_indexes.json`).

use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{self, doc};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::users::{bson_date, chrono_date};
use super::{Store, StoreError};
use crate::domain::TokenDigest;

/// Collection name.
pub const COLLECTION: &str = "session";
/// Unique index on `tokenHash`.
pub const TOKEN_INDEX: &str = "token_hash_unique";
/// TTL index on `expiresAt`.
pub const EXPIRY_INDEX: &str = "expires_at_ttl";

/// A stored session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionDoc {
    /// The session id (not secret; used to end this session's streams).
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// SHA-256 hex of the cookie token.
    #[serde(rename = "tokenHash")]
    pub token_hash: String,
    /// The signed-in user.
    pub user: ObjectId,
    /// Creation time.
    #[serde(rename = "createdAt")]
    pub created_at: bson::DateTime,
    /// When the session stops being valid.
    #[serde(rename = "expiresAt")]
    pub expires_at: bson::DateTime,
}

impl SessionDoc {
    /// The user as the wire id type.
    pub fn user_id(&self) -> UserId {
        UserId::from_bytes(self.user.bytes())
    }

    /// Expiry as chrono.
    pub fn expires_at(&self) -> DateTime<Utc> {
        chrono_date(self.expires_at)
    }
}

/// Typed access to the `session` collection.
#[derive(Debug, Clone)]
pub struct Sessions {
    collection: Collection<SessionDoc>,
}

impl Sessions {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            collection: store.collection(COLLECTION),
        }
    }

    /// Stores a new session for `user` identified by `token_hash`, valid until `expires_at`.
    pub async fn create(
        &self,
        user: &UserId,
        token_hash: &TokenDigest,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<SessionDoc, StoreError> {
        let session = SessionDoc {
            id: ObjectId::new(),
            token_hash: token_hash.as_str().to_owned(),
            user: ObjectId::from_bytes(user.to_bytes()),
            created_at: bson_date(now),
            expires_at: bson_date(expires_at),
        };
        self.collection.insert_one(&session).await?;
        Ok(session)
    }

    /// The unexpired session with this token hash.
    pub async fn find_active(
        &self,
        token_hash: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionDoc>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! {
                "tokenHash": token_hash.as_str(),
                "expiresAt": { "$gt": bson_date(now) },
            })
            .await?)
    }

    /// The unexpired sessions among these token hashes, in one query (`$in` on the unique token index; the
    /// stream route batches the cold lookups of a reconnect storm, `crate::accounts::batch`). Each document
    /// answers only the caller that presented its token hash; unknown, revoked or expired ones are absent.
    pub async fn find_active_many(
        &self,
        token_hashes: &[TokenDigest],
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionDoc>, StoreError> {
        let hashes: Vec<&str> = token_hashes.iter().map(TokenDigest::as_str).collect();
        let cursor = self
            .collection
            .find(doc! {
                "tokenHash": { "$in": hashes },
                "expiresAt": { "$gt": bson_date(now) },
            })
            .await?;
        Ok(futures::TryStreamExt::try_collect(cursor).await?)
    }

    /// Revokes one session of `user`. Returns whether it existed.
    pub async fn revoke(&self, user: &UserId, session: &ObjectId) -> Result<bool, StoreError> {
        let result = self
            .collection
            .delete_one(doc! { "_id": session, "user": ObjectId::from_bytes(user.to_bytes()) })
            .await?;
        Ok(result.deleted_count > 0)
    }

    /// Revokes every session of `user`; returns how many there were.
    pub async fn revoke_all(&self, user: &UserId) -> Result<u64, StoreError> {
        let result = self
            .collection
            .delete_many(doc! { "user": ObjectId::from_bytes(user.to_bytes()) })
            .await?;
        Ok(result.deleted_count)
    }

    /// Number of unexpired sessions of `user` (sign-out cleanup decides on "last session").
    pub async fn count_active(&self, user: &UserId, now: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(self
            .collection
            .count_documents(doc! {
                "user": ObjectId::from_bytes(user.to_bytes()),
                "expiresAt": { "$gt": bson_date(now) },
            })
            .await?)
    }
}
