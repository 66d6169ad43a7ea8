//! Sync health: what `google.connectionState` reports (`GET /api/user/metadata`, SSE `USER_METADATA`), and
//! publishing `USER_METADATA` whenever the computed state changes.
//!
//! The state, in order (backend spec §11.2, with the reference's revocation answer kept, §15 item 30):
//! no Google link → `NOT_CONNECTED`; no refresh token (revoked) → `RECONNECT_REQUIRED`; `sync.importGCal`
//! `IMPORTING` → `IMPORTING`; `RESTART` → `ATTENTION`; healthy → `HEALTHY`; otherwise `ATTENTION`.
//!
//! **Healthy** ([`sync_healthy`]) means: the import `COMPLETED` (an `ERRORED` repair is not healthy, unlike
//! the reference), every synced calendar (the primary and the selected ones) has a sync token, and — when
//! the user has watches at all — the calendar list and every synced calendar have a live (open, unexpired)
//! channel. Watch records exist exactly when watches are wanted (a usable notification address, a live
//! grant, a session; `super::watches`): a wanted channel that is not open yet, failed, or expired keeps
//! its record and so makes the user `ATTENTION` until the worker opens it. Without any record — no
//! usable notification address, or no session left — the polling backstop (`sync.backstop`) is what keeps
//! the calendars fresh, and it counts.
//!
//! [`publish`] always sends `USER_METADATA` and remembers the state sent (`user.publishedConnectionState`);
//! `SyncEngine::refresh_health` sends it only when the state differs from the one last sent, so the
//! engine calls it after everything that may change it (watch opened, expired, stopped; import done;
//! calendars changed) without flooding the tabs.

use chrono::Utc;
use compass_core::{GoogleConnectionState, SseEvent, SyncStatus, UserId, UserMetadata};

use super::engine::SyncEngine;
use crate::domain::metadata::{connection_state, GoogleLink};
use crate::sse::Hub;
use crate::store::calendars::Calendars;
use crate::store::sync_state::SyncStates;
use crate::store::users::{UserDoc, Users};
use crate::store::watches::{Watches, CALENDAR_LIST};
use crate::store::{Store, StoreError};

/// True when `user`'s Google sync is healthy (see the module docs).
pub async fn sync_healthy(store: &Store, user: &UserDoc) -> Result<bool, StoreError> {
    if !user.has_refresh_token() || user.metadata.import_gcal() != Some(SyncStatus::Completed) {
        return Ok(false);
    }
    let id = user.user_id();
    let synced: Vec<String> = Calendars::new(store)
        .list(&id)
        .await?
        .items
        .into_iter()
        .filter(|c| c.primary || c.selected)
        .map(|c| c.metadata.id)
        .collect();
    if synced.is_empty() {
        return Ok(false);
    }
    let states = SyncStates::new(store).list(&id).await?.items;
    let tokens = synced.iter().all(|calendar| {
        states
            .iter()
            .any(|s| &s.g_calendar_id == calendar && s.next_sync_token.is_some())
    });
    if !tokens {
        return Ok(false);
    }
    let watches = Watches::new(store).list(&id).await?.items;
    if watches.is_empty() {
        return Ok(true);
    }
    let now = Utc::now();
    let live = synced
        .iter()
        .map(String::as_str)
        .chain([CALENDAR_LIST])
        .all(|calendar| {
            watches
                .iter()
                .any(|w| w.g_calendar_id == calendar && w.is_live(now))
        });
    Ok(live)
}

/// The connection state of `user` (see the module docs).
pub async fn state_of(store: &Store, user: &UserDoc) -> Result<GoogleConnectionState, StoreError> {
    let mut link = GoogleLink {
        linked: user.has_google(),
        has_refresh_token: user.has_refresh_token(),
        sync_healthy: false,
    };
    let stored = &user.metadata;
    // Only a state that depends on it reads the sync records.
    if link.linked
        && link.has_refresh_token
        && !matches!(
            stored.import_gcal(),
            Some(SyncStatus::Importing | SyncStatus::Restart)
        )
    {
        link.sync_healthy = sync_healthy(store, user).await?;
    }
    Ok(connection_state(link, stored))
}

/// The metadata of `user` as clients see it: the stored keys and the computed `google.connectionState`.
pub async fn client_metadata(store: &Store, user: &UserDoc) -> Result<UserMetadata, StoreError> {
    let state = state_of(store, user).await?;
    Ok(user.metadata.clone().with_connection_state(state))
}

/// Sends `USER_METADATA` to `user`'s tabs (after a write the caller made) and remembers the state sent.
pub async fn publish(store: &Store, hub: &Hub, user: &UserId) -> Result<(), StoreError> {
    let users = Users::new(store);
    let Some(doc) = users.find(user).await? else {
        return Ok(());
    };
    let metadata = client_metadata(store, &doc).await?;
    if let Some(state) = metadata.connection_state() {
        users.record_published_state(user, state).await?;
    }
    hub.publish(user, &SseEvent::UserMetadata(metadata));
    Ok(())
}

impl SyncEngine {
    /// Tells the user's tabs their metadata changed (after the write): `USER_METADATA` with the computed
    /// connection state.
    pub(crate) async fn publish_metadata(&self, user: &UserId) {
        if let Err(error) = publish(&self.store, &self.hub, user).await {
            tracing::warn!(%error, "metadata not published");
        }
    }

    /// Sends `USER_METADATA` when `user`'s computed connection state differs from the one last sent.
    pub(crate) async fn refresh_health(&self, user: &UserId) {
        let result = async {
            let users = Users::new(&self.store);
            let Some(doc) = users.find(user).await? else {
                return Ok(());
            };
            let metadata = client_metadata(&self.store, &doc).await?;
            if let Some(state) = metadata.connection_state() {
                if users.record_published_state(user, state).await? {
                    tracing::debug!(user = %user, ?state, "connection state changed");
                    self.publish(user, &SseEvent::UserMetadata(metadata));
                }
            }
            Ok::<(), StoreError>(())
        }
        .await;
        if let Err(error) = result {
            tracing::warn!(%error, "health not refreshed");
        }
    }
}
