//! Revocation: when Google answers `invalid_grant`, removes the Google-derived events only
//! (`crate::domain::Provenance::Google`; Compass-made events survive, and lose their links into the lost
//! account so that a later connect pushes them again), forgets the pending Google writes (the outbox),
//! the sync state and the watches (no Google call: the grant is dead), clears the refresh token, sets
//! both sync statuses to `RESTART` and publishes `GOOGLE_REVOKED`. Calendars stay (the reference keeps
//! them).

use compass_core::{SseEvent, SyncStatus, UserId};

use super::engine::SyncEngine;
use crate::domain::Provenance;
use crate::store::events::Events;
use crate::store::outbox::Outbox;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::StoreError;

impl SyncEngine {
    /// Prunes `user`'s Google data after `invalid_grant` and tells their tabs (see the module docs).
    pub async fn revoke(&self, user: &UserId) {
        match self.prune(user).await {
            Ok(()) => {
                tracing::info!(user = %user, "Google grant revoked: Google data pruned");
                self.publish(user, &SseEvent::GoogleRevoked);
                self.publish_metadata(user).await;
            }
            Err(error) => tracing::warn!(%error, user = %user, "pruning after revocation failed"),
        }
    }

    async fn prune(&self, user: &UserId) -> Result<(), StoreError> {
        self.stop_watches(user, None).await;
        let events = Events::new(&self.store);
        events
            .delete_by_provenance(user, Provenance::Google, None)
            .await?;
        events
            .forget_google_copies(user, Provenance::Compass, None)
            .await?;
        Outbox::new(&self.store).delete_all(user, None).await?;
        SyncStates::new(&self.store).delete_all(user, None).await?;
        let users = Users::new(&self.store);
        users.clear_refresh_token(user).await?;
        users
            .set_sync_status(user, Some(SyncStatus::Restart), Some(SyncStatus::Restart))
            .await
    }
}
