//! Revocation and disconnect.
//!
//! **Revocation**: when Google answers `invalid_grant` (during an import, a sync, a watch renewal, or a
//! REST route that called Google), removes the Google-derived events only
//! (`crate::domain::Provenance::Google`; Compass-made events survive, and lose their links into the lost
//! account so that a later connect pushes them again), forgets the pending Google writes (the outbox),
//! stops the channels (Google usually refuses by then: the refusal is logged and the records removed
//! anyway), forgets the sync state, clears the refresh token (the link stays: `RECONNECT_REQUIRED`, as in the reference, §15 item 30), sets both
//! sync statuses to `RESTART` and publishes `GOOGLE_REVOKED`, then `USER_METADATA`. Calendars stay (the
//! reference keeps them).
//!
//! **Disconnect** (`POST /api/auth/google/disconnect`): the user asks Compass to forget Google — the
//! channels are stopped, the Google-owned data (events, sync state, calendars) removed, the Google link
//! and the sync statuses removed (`NOT_CONNECTED`; the Google account may be linked again). Compass-made
//! events stay (unlinked, so a later connect pushes them again) and the pending Google writes go.
//! `EVENT_CHANGED` and `USER_METADATA` follow.

use compass_core::{SseEvent, SyncStatus, UserId};

use super::engine::SyncEngine;
use crate::domain::Provenance;
use crate::store::calendars::Calendars;
use crate::store::events::Events;
use crate::store::outbox::Outbox;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::watches::Watches;
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

    /// The channels are stopped while the grant may still work; then the grant is cleared *before*
    /// anything is deleted, so a sync that was reading Google meanwhile either committed before (and is
    /// deleted here) or finds no grant and writes nothing (`Users::touch_grant`).
    async fn prune(&self, user: &UserId) -> Result<(), StoreError> {
        self.stop_watches(user).await;
        let users = Users::new(&self.store);
        users.clear_refresh_token(user).await?;
        Watches::new(&self.store).delete_all(user, None).await?;
        let events = Events::new(&self.store);
        events
            .delete_by_provenance(user, Provenance::Google, None)
            .await?;
        events
            .forget_google_copies(user, Provenance::Compass, None)
            .await?;
        Outbox::new(&self.store).delete_all(user, None).await?;
        SyncStates::new(&self.store).delete_all(user).await?;
        users
            .set_sync_status(user, Some(SyncStatus::Restart), Some(SyncStatus::Restart))
            .await
    }

    /// Disconnects Google from `user` (see the module docs; the same order as a revocation: channels
    /// stopped, the link cleared, then the Google data deleted).
    pub async fn disconnect(&self, user: &UserId) -> Result<(), StoreError> {
        self.stop_watches(user).await;
        Users::new(&self.store).unlink_google(user).await?;
        Watches::new(&self.store).delete_all(user, None).await?;
        let events = Events::new(&self.store);
        let removed = events
            .delete_by_provenance(user, Provenance::Google, None)
            .await?;
        events
            .forget_google_copies(user, Provenance::Compass, None)
            .await?;
        Outbox::new(&self.store).delete_all(user, None).await?;
        SyncStates::new(&self.store).delete_all(user).await?;
        Calendars::new(&self.store).delete_all(user, None).await?;
        tracing::info!(user = %user, "Google disconnected: Google data removed");
        if removed > 0 {
            self.publish(user, &SseEvent::EventChanged);
        }
        self.publish_metadata(user).await;
        Ok(())
    }
}
