//! The profile and metadata flows of `/api/user/*` ([`Profiles`]), and the metadata a client sees
//! (`GET /api/user/metadata`, SSE `USER_METADATA`): the stored metadata with `google.connectionState`
//! computed from the user's Google link and sync health (`crate::sync::health`, the one rule the sync
//! engine uses too). A metadata write publishes `USER_METADATA` to the user's tabs after it is stored.

use compass_core::ids::UserId;
use compass_core::UserMetadata;

use crate::domain::metadata::ClientPatch;
use crate::sse::Hub;
use crate::store::users::{UserDoc, Users};
use crate::store::{Store, StoreError};
use crate::sync::health;

/// The client view of one user's stored metadata (`crate::sync::health::client_metadata`).
pub async fn client_view(store: &Store, user: &UserDoc) -> Result<UserMetadata, StoreError> {
    health::client_metadata(store, user).await
}

/// Loads a user's metadata as clients see it. An unknown user is [`StoreError::NotFound`].
pub async fn metadata_for_client(store: &Store, user: &UserId) -> Result<UserMetadata, StoreError> {
    let doc = Users::new(store)
        .find(user)
        .await?
        .ok_or_else(|| StoreError::not_found(crate::store::users::COLLECTION, user))?;
    client_view(store, &doc).await
}

/// The `/api/user/*` flows over the handles they need.
#[derive(Debug, Clone, Copy)]
pub struct Profiles<'a> {
    store: &'a Store,
    hub: &'a Hub,
}

impl<'a> Profiles<'a> {
    /// The flows on `store`, publishing through `hub`.
    pub fn new(store: &'a Store, hub: &'a Hub) -> Self {
        Self { store, hub }
    }

    /// The stored account of `user` (`None` when it no longer exists).
    pub async fn profile(&self, user: &UserId) -> Result<Option<UserDoc>, StoreError> {
        Users::new(self.store).find(user).await
    }

    /// The metadata of `user` as clients see it.
    pub async fn metadata(&self, user: &UserId) -> Result<UserMetadata, StoreError> {
        metadata_for_client(self.store, user).await
    }

    /// Applies a client patch, then tells the user's tabs; answers the metadata as clients see it.
    pub async fn update_metadata(
        &self,
        user: &UserId,
        patch: &ClientPatch,
    ) -> Result<UserMetadata, StoreError> {
        let stored = Users::new(self.store)
            .apply_client_patch(user, patch)
            .await?;
        health::publish(self.store, self.hub, user).await?;
        client_view(self.store, &stored).await
    }
}
