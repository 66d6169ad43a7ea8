//! The metadata a client sees (`GET /api/user/metadata`, SSE `USER_METADATA`): the stored metadata with
//! `google.connectionState` computed from the user's Google link and sync state.

use compass_core::ids::UserId;
use compass_core::{SyncStatus, UserMetadata};

use super::metadata::{connection_state, GoogleLink};
use crate::store::users::{UserDoc, Users};
use crate::store::{Store, StoreError};

/// Interim sync-health rule until the sync engine reports real health (tokens and watches, §11.1): the
/// last full import completed.
fn sync_healthy(stored: &UserMetadata) -> bool {
    stored.import_gcal() == Some(SyncStatus::Completed)
}

/// The client view of one user's stored metadata.
pub fn client_view(user: &UserDoc) -> UserMetadata {
    let link = GoogleLink {
        linked: user.has_google(),
        has_refresh_token: user.has_refresh_token(),
        sync_healthy: sync_healthy(&user.metadata),
    };
    let state = connection_state(link, &user.metadata);
    user.metadata.clone().with_connection_state(state)
}

/// Loads a user's metadata as clients see it. An unknown user is [`StoreError::NotFound`].
pub async fn metadata_for_client(store: &Store, user: &UserId) -> Result<UserMetadata, StoreError> {
    let doc = Users::new(store)
        .find(user)
        .await?
        .ok_or_else(|| StoreError::not_found(crate::store::users::COLLECTION, user))?;
    Ok(client_view(&doc))
}
