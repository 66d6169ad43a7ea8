//! Pending Google authorizations (`oauth_state` collection): one record per redirect to Google, keyed by
//! the SHA-256 of the `state` parameter, holding the PKCE verifier (encrypted), the intent, the user for
//! a connect, and the SHA-256 of a nonce that also sits in a short-lived HttpOnly cookie of the browser
//! that started it. The callback takes the record out exactly once (single use) and checks the cookie,
//! so a `state` cannot be replayed or completed in another browser. A TTL index drops stale records.

use std::time::Duration;

use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use mongodb::bson::{self, doc};
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::TokenDigest;

/// Collection name.
pub const COLLECTION: &str = "oauth_state";
/// How long a started authorization stays valid.
pub const LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Why the user went to Google.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Intent {
    /// Sign in (or sign up) with Google.
    Signin,
    /// Connect Google to the signed-in account.
    Connect,
}

/// A pending authorization.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingAuthorization {
    /// SHA-256 of `state`.
    #[serde(rename = "_id")]
    pub state_hash: String,
    /// SHA-256 of the browser-binding cookie.
    pub binding: String,
    /// The PKCE verifier, encrypted with the refresh-token key (context: the state hash).
    pub verifier: String,
    /// Sign-in or connect.
    pub intent: Intent,
    /// The signed-in user for a connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// When it stops being valid.
    #[serde(rename = "expiresAt")]
    pub expires_at: bson::DateTime,
}

impl PendingAuthorization {
    /// The connecting user, if any.
    pub fn user_id(&self) -> Option<UserId> {
        self.user.as_deref().and_then(|u| UserId::parse(u).ok())
    }
}

/// Typed access to `oauth_state`.
#[derive(Debug, Clone)]
pub struct PendingAuthorizations {
    collection: Collection<PendingAuthorization>,
}

impl PendingAuthorizations {
    /// The collection in `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            collection: store.collection(COLLECTION),
        }
    }

    /// Stores a pending authorization.
    pub async fn insert(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        self.collection.insert_one(pending).await?;
        Ok(())
    }

    /// Takes out (deletes and returns) the unexpired record for `state`.
    pub async fn take(
        &self,
        state: &TokenDigest,
        now: DateTime<Utc>,
    ) -> Result<Option<PendingAuthorization>, StoreError> {
        let found = self
            .collection
            .find_one_and_delete(doc! { "_id": state.as_str() })
            .await?;
        Ok(found.filter(|p| p.expires_at.timestamp_millis() > now.timestamp_millis()))
    }
}
