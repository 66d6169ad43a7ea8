//! The `user` collection: accounts (normalised email, argon2id hash, profile), the linked Google account
//! (refresh token encrypted at rest) and the per-user metadata JSON (`metadata` field).
//!
//! Unique indexes: `email_unique` on `email`; `google_id_unique` on `google.googleId` (partial: only
//! documents that have one), so a Google account belongs to at most one Compass user. Both are created by
//! the migrations (`migrations/0001_initial_indexes.json`).

use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use compass_core::{GoogleConnectionState, SyncStatus, UserMetadata};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::{self, doc, Bson, Document};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::metadata::{connection_state, ClientPatch, GoogleLink};
use crate::domain::Email;

/// Collection name.
pub const COLLECTION: &str = "user";
/// Name of the unique index on `email`.
pub const EMAIL_INDEX: &str = "email_unique";
/// Name of the unique (partial) index on `google.googleId`.
pub const GOOGLE_ID_INDEX: &str = "google_id_unique";
/// The connection state last sent to the user's tabs (`crate::sync::health`), kept beside the document.
const PUBLISHED_STATE: &str = "publishedConnectionState";

/// The stored string of a sync status (`"RESTART"`, ...).
fn status_bson(status: SyncStatus) -> Bson {
    match status {
        SyncStatus::Restart => Bson::String("RESTART".into()),
        SyncStatus::Importing => Bson::String("IMPORTING".into()),
        SyncStatus::Completed => Bson::String("COMPLETED".into()),
        SyncStatus::Errored => Bson::String("ERRORED".into()),
    }
}

/// Converts a chrono time to a BSON date (millisecond precision).
pub(crate) fn bson_date(at: DateTime<Utc>) -> bson::DateTime {
    bson::DateTime::from_millis(at.timestamp_millis())
}

/// Converts a BSON date to chrono.
pub(crate) fn chrono_date(at: bson::DateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(at.timestamp_millis()).unwrap_or_default()
}

/// The Google account linked to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoogleLinkDoc {
    /// Google's stable account id (`sub`). Kept after revocation.
    #[serde(rename = "googleId")]
    pub google_id: String,
    /// Avatar URL, or `"not provided"`.
    #[serde(default)]
    pub picture: String,
    /// The refresh token, encrypted (`crate::accounts::token_cipher`); `""` when revoked or never granted.
    #[serde(rename = "gRefreshToken", default)]
    pub refresh_token_encrypted: String,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDoc {
    /// The user id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// Normalised email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// First word of the name.
    #[serde(rename = "firstName", default)]
    pub first_name: String,
    /// Rest of the name.
    #[serde(rename = "lastName", default)]
    pub last_name: String,
    /// Locale, or `"not provided"`.
    #[serde(default)]
    pub locale: String,
    /// argon2id PHC string; absent for accounts created through Google.
    #[serde(
        rename = "passwordHash",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub password_hash: Option<String>,
    /// Linked Google account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google: Option<GoogleLinkDoc>,
    /// Creation time.
    #[serde(rename = "signedUpAt")]
    pub signed_up_at: bson::DateTime,
    /// Last successful sign-in.
    #[serde(rename = "lastLoggedInAt")]
    pub last_logged_in_at: bson::DateTime,
    /// Metadata (`skipOnboarding`, `sync.*`); `google.connectionState` is never stored.
    #[serde(default)]
    pub metadata: UserMetadata,
}

impl UserDoc {
    /// The user id as the wire type.
    pub fn user_id(&self) -> UserId {
        UserId::from_bytes(self.id.bytes())
    }

    /// A Google account is linked.
    pub fn has_google(&self) -> bool {
        self.google.is_some()
    }

    /// A (non-empty) encrypted refresh token is stored.
    pub fn has_refresh_token(&self) -> bool {
        self.google
            .as_ref()
            .is_some_and(|g| !g.refresh_token_encrypted.is_empty())
    }

    /// The metadata as clients see it (`GET /api/user/metadata`, SSE `USER_METADATA`): the stored keys
    /// and `google.connectionState` computed from the Google link and `sync_healthy` (§11.2), which
    /// `crate::sync::health` works out from the sync records.
    pub fn client_metadata(&self, sync_healthy: bool) -> UserMetadata {
        let link = GoogleLink {
            linked: self.has_google(),
            has_refresh_token: self.has_refresh_token(),
            sync_healthy,
        };
        let state = connection_state(link, &self.metadata);
        self.metadata.clone().with_connection_state(state)
    }
}

/// Splits a display name into first and last name (`"Ann Lee Smith"` → `"Ann"`, `"Lee Smith"`).
pub fn split_name(name: &str) -> (String, String) {
    let mut words = name.split_whitespace();
    let first = words.next().unwrap_or_default().to_owned();
    let last = words.collect::<Vec<_>>().join(" ");
    (first, last)
}

/// What is needed to create a user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Normalised email.
    pub email: Email,
    /// Display name (already validated).
    pub name: String,
    /// Locale, if known.
    pub locale: Option<String>,
    /// argon2id hash, for password accounts.
    pub password_hash: Option<String>,
    /// Google link, for accounts created by Google sign-in (token already encrypted for this user id).
    pub google: Option<GoogleLinkDoc>,
    /// Initial metadata.
    pub metadata: UserMetadata,
}

/// Typed access to the `user` collection.
#[derive(Debug, Clone)]
pub struct Users {
    collection: Collection<UserDoc>,
}

fn object_id(user: &UserId) -> ObjectId {
    ObjectId::from_bytes(user.to_bytes())
}

impl Users {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            collection: store.collection(COLLECTION),
        }
    }

    /// A fresh id for a user about to be created (needed first to bind the encrypted token to it).
    pub fn new_id() -> UserId {
        UserId::from_bytes(ObjectId::new().bytes())
    }

    /// Inserts a user with the given id. A taken email or Google account is a
    /// [`StoreError::Conflict`] on [`EMAIL_INDEX`] / [`GOOGLE_ID_INDEX`].
    pub async fn insert(
        &self,
        id: &UserId,
        new: NewUser,
        now: DateTime<Utc>,
    ) -> Result<UserDoc, StoreError> {
        let (first_name, last_name) = split_name(&new.name);
        let user = UserDoc {
            id: object_id(id),
            email: new.email.as_str().to_owned(),
            name: new.name,
            first_name,
            last_name,
            locale: new.locale.unwrap_or_else(|| "not provided".to_owned()),
            password_hash: new.password_hash,
            google: new.google,
            signed_up_at: bson_date(now),
            last_logged_in_at: bson_date(now),
            metadata: new.metadata,
        };
        self.collection.insert_one(&user).await?;
        Ok(user)
    }

    /// The user with this id.
    pub async fn find(&self, id: &UserId) -> Result<Option<UserDoc>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "_id": object_id(id) })
            .await?)
    }

    /// The users with these ids, in one query (`$in` on `_id`; the stream route batches the cold metadata
    /// reads of a reconnect storm, `crate::accounts::batch`). Each id is the session user of the caller that
    /// asked for it, and each document goes back to that caller only; unknown ids are absent.
    pub async fn find_many(&self, ids: &[UserId]) -> Result<Vec<UserDoc>, StoreError> {
        let ids: Vec<ObjectId> = ids.iter().map(object_id).collect();
        let cursor = self.collection.find(doc! { "_id": { "$in": ids } }).await?;
        Ok(futures::TryStreamExt::try_collect(cursor).await?)
    }

    /// True when the user has a (non-empty) refresh token stored (read inside `session` when given).
    pub async fn has_grant(
        &self,
        id: &UserId,
        session: Option<&mut mongodb::ClientSession>,
    ) -> Result<bool, StoreError> {
        let filter = doc! {
            "_id": object_id(id),
            "google.gRefreshToken": { "$nin": ["", null] },
        };
        let found = in_session!(self.collection.count_documents(filter), session)?;
        Ok(found > 0)
    }

    /// Inside `session` (the transaction that writes Google's changes): marks the grant as used and says
    /// whether there still is one. Being a write on the user document, it serialises that transaction
    /// with a disconnect or a revocation (both clear the grant first): either the transaction commits
    /// before the grant is cleared — and their deletes run after it — or it sees no grant and writes
    /// nothing.
    pub async fn touch_grant(
        &self,
        id: &UserId,
        session: &mut mongodb::ClientSession,
    ) -> Result<bool, StoreError> {
        let result = self
            .collection
            .update_one(
                doc! { "_id": object_id(id), "google.gRefreshToken": { "$nin": ["", null] } },
                doc! { "$set": { "google.grantUsedAt": bson::DateTime::now() } },
            )
            .session(session)
            .await?;
        Ok(result.matched_count == 1)
    }

    /// The user with this (normalised) email.
    pub async fn find_by_email(&self, email: &Email) -> Result<Option<UserDoc>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "email": email.as_str() })
            .await?)
    }

    /// The user linked to this Google account.
    pub async fn find_by_google_id(&self, google_id: &str) -> Result<Option<UserDoc>, StoreError> {
        Ok(self
            .collection
            .find_one(doc! { "google.googleId": google_id })
            .await?)
    }

    /// Records a successful sign-in.
    pub async fn touch_login(&self, id: &UserId, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": object_id(id) },
                doc! { "$set": { "lastLoggedInAt": bson_date(now) } },
            )
            .await?;
        Ok(())
    }

    /// Links (or re-links) a Google account and records a sign-in. `refresh_token_encrypted = None` keeps
    /// the stored token. A Google account owned by someone else is a conflict on [`GOOGLE_ID_INDEX`].
    pub async fn link_google(
        &self,
        id: &UserId,
        google_id: &str,
        picture: &str,
        refresh_token_encrypted: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut set = doc! {
            "google.googleId": google_id,
            "google.picture": picture,
            "lastLoggedInAt": bson_date(now),
        };
        if let Some(token) = refresh_token_encrypted {
            set.insert("google.gRefreshToken", token);
        }
        let result = self
            .collection
            .update_one(doc! { "_id": object_id(id) }, doc! { "$set": set })
            .await?;
        if result.matched_count == 0 {
            return Err(StoreError::not_found(COLLECTION, id));
        }
        Ok(())
    }

    /// Forgets the refresh token (Google revoked it); keeps `googleId` and `picture`.
    pub async fn clear_refresh_token(&self, id: &UserId) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": object_id(id), "google": { "$exists": true } },
                doc! { "$set": { "google.gRefreshToken": "" } },
            )
            .await?;
        Ok(())
    }

    /// Forgets the Google link entirely (disconnect): `google` and the sync statuses go, so the state is
    /// `NOT_CONNECTED` and the Google account may be linked again, here or to another account.
    pub async fn unlink_google(&self, id: &UserId) -> Result<(), StoreError> {
        self.collection
            .update_one(
                doc! { "_id": object_id(id) },
                doc! { "$unset": { "google": "", "metadata.sync": "", PUBLISHED_STATE: "" } },
            )
            .await?;
        Ok(())
    }

    /// Remembers the connection state last sent to the user's tabs; `true` when it differs from the one
    /// remembered (or none was).
    pub async fn record_published_state(
        &self,
        id: &UserId,
        state: GoogleConnectionState,
    ) -> Result<bool, StoreError> {
        let value = format!("{state:?}");
        let result = self
            .collection
            .update_one(
                doc! { "_id": object_id(id), PUBLISHED_STATE: { "$ne": &value } },
                doc! { "$set": { PUBLISHED_STATE: value } },
            )
            .await?;
        Ok(result.modified_count == 1)
    }

    /// Sets the server-owned sync statuses (`None` leaves one unchanged), leaving other keys alone.
    pub async fn set_sync_status(
        &self,
        id: &UserId,
        import_gcal: Option<SyncStatus>,
        incremental_gcal_sync: Option<SyncStatus>,
    ) -> Result<(), StoreError> {
        let mut set = Document::new();
        for (path, status) in [
            ("metadata.sync.importGCal", import_gcal),
            ("metadata.sync.incrementalGCalSync", incremental_gcal_sync),
        ] {
            if let Some(status) = status {
                set.insert(path, status_bson(status));
            }
        }
        if set.is_empty() {
            return Ok(());
        }
        let result = self
            .collection
            .update_one(doc! { "_id": object_id(id) }, doc! { "$set": set })
            .await?;
        if result.matched_count == 0 {
            return Err(StoreError::not_found(COLLECTION, id));
        }
        Ok(())
    }

    /// Marks the user's full import as running (`sync.importGCal = IMPORTING`); without `force`, only
    /// if the import had not `COMPLETED`. The caller holds the user's import lease, which is what keeps
    /// two imports apart (a crashed import's `IMPORTING` does not block the next one once its lease
    /// lapsed). `false` when the mark was refused.
    pub async fn claim_import(&self, id: &UserId, force: bool) -> Result<bool, StoreError> {
        let mut filter = doc! { "_id": object_id(id) };
        if !force {
            filter.insert(
                "metadata.sync.importGCal",
                doc! { "$ne": status_bson(SyncStatus::Completed) },
            );
        }
        let result = self
            .collection
            .update_one(
                filter,
                doc! { "$set": { "metadata.sync.importGCal": status_bson(SyncStatus::Importing) } },
            )
            .await?;
        Ok(result.matched_count == 1)
    }

    /// Users with a live Google grant whose import is wanted (`sync.importGCal == RESTART`), at most
    /// `limit`: the sync worker starts their import.
    pub async fn pending_imports(&self, limit: i64) -> Result<Vec<UserId>, StoreError> {
        let cursor = self
            .collection
            .clone_with_type::<Document>()
            .find(doc! {
                "metadata.sync.importGCal": status_bson(SyncStatus::Restart),
                "google.gRefreshToken": { "$nin": ["", null] },
            })
            .projection(doc! { "_id": 1 })
            .limit(limit)
            .await?;
        let documents: Vec<Document> = futures::TryStreamExt::try_collect(cursor).await?;
        Ok(documents
            .iter()
            .filter_map(|d| d.get_object_id("_id").ok())
            .map(|oid| UserId::from_bytes(oid.bytes()))
            .collect())
    }

    /// Applies a validated client patch and returns the user afterwards.
    pub async fn apply_client_patch(
        &self,
        id: &UserId,
        patch: &ClientPatch,
    ) -> Result<UserDoc, StoreError> {
        let filter = doc! { "_id": object_id(id) };
        if let Some(skip) = patch.skip_onboarding {
            self.collection
                .update_one(
                    filter.clone(),
                    doc! { "$set": { "metadata.skipOnboarding": skip } },
                )
                .await?;
        }
        let user = self
            .collection
            .find_one(filter)
            .await?
            .ok_or_else(|| StoreError::not_found(COLLECTION, id))?;
        Ok(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_on_whitespace() {
        assert_eq!(split_name("Ann"), ("Ann".into(), String::new()));
        assert_eq!(
            split_name("  Ann  Lee Smith "),
            ("Ann".into(), "Lee Smith".into())
        );
    }

    #[test]
    fn dates_round_trip_to_the_millisecond() {
        let now = DateTime::<Utc>::from_timestamp_millis(1_700_000_000_123).unwrap();
        assert_eq!(chrono_date(bson_date(now)), now);
    }
}
