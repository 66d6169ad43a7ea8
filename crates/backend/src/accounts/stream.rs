//! Opening a signed-in user's SSE stream ([`Streams::open`]) without waiting on the database when it can:
//!
//! 1. the session is resolved through the [`SessionCache`] (a database read only on a miss);
//! 2. the connection is registered with the hub *before* the metadata is read, so nothing published in
//!    between is lost. Registration refuses a session that was signed out on this server, atomically with
//!    `Hub::end_session`, so a session resolved (from memory or the database) just before its sign-out
//!    cannot open a stream that the sign-out missed;
//! 3. `USER_METADATA` is put in front of the replay and the live events: from the hub's per-user cache when
//!    no event reached the user since it was read (every metadata change publishes one), otherwise read
//!    from the database and cached; concurrent opens of one user's tabs share that read.
//!
//! A cold open (nothing cached) thus costs two database lookups (session, then user) for the first tab
//! of a user, and none for the tabs that open while those reads are in flight. Both lookups go through
//! batched reads (`super::batch`): during a reconnect storm, the cold opens of many users share `$in`
//! queries of up to `BATCH_MAX` keys each instead of two round trips per user.

use std::sync::Arc;

use chrono::Utc;
use compass_core::SseEvent;

use super::profile::client_view;
use super::session::SessionCache;
use crate::domain::SecretToken;
use crate::sse::{EventStream, Hub, SubscribeError};
use crate::store::{Store, StoreError};

/// Why a stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenStreamError {
    /// No session, or it expired or was revoked (401, so `EventSource` stops).
    #[error("Not signed in")]
    SignedOut,
    /// The server is shutting down (503).
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The server holds as many streams as it is configured for (503).
    #[error("the server has too many open streams")]
    ServerFull,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SubscribeError> for OpenStreamError {
    fn from(error: SubscribeError) -> Self {
        match error {
            SubscribeError::Closed => Self::ShuttingDown,
            SubscribeError::ServerFull => Self::ServerFull,
            SubscribeError::SessionEnded => Self::SignedOut,
        }
    }
}

/// The stream flow over the handles it needs.
#[derive(Debug, Clone, Copy)]
pub struct Streams<'a> {
    store: &'a Store,
    hub: &'a Hub,
    sessions: &'a SessionCache,
}

impl<'a> Streams<'a> {
    /// The flow on `store` and `hub`, resolving sessions through `sessions`.
    pub fn new(store: &'a Store, hub: &'a Hub, sessions: &'a SessionCache) -> Self {
        Self {
            store,
            hub,
            sessions,
        }
    }

    /// Opens a stream for the session whose cookie held `token`, resuming after `last_event_id` when the
    /// hub still has it. The stream ends when the session expires.
    pub async fn open(
        &self,
        token: Option<&SecretToken>,
        last_event_id: Option<&str>,
    ) -> Result<EventStream, OpenStreamError> {
        let token = token.ok_or(OpenStreamError::SignedOut)?;
        let now = Utc::now();
        let session = self
            .sessions
            .resolve(self.store, token, now)
            .await?
            .ok_or(OpenStreamError::SignedOut)?;
        let lifetime = (session.expires_at - now)
            .to_std()
            .map_err(|_| OpenStreamError::SignedOut)?;
        let subscribed = self.hub.subscribe(
            &session.user_id,
            session.session_id.as_str(),
            last_event_id,
            Some(lifetime),
        );
        let mut events = match subscribed {
            Ok(events) => events,
            Err(error) => {
                if error == SubscribeError::SessionEnded {
                    self.sessions.forget(token);
                }
                return Err(error.into());
            }
        };
        let data = match self.hub.cached_metadata(&session.user_id) {
            Ok(data) => data,
            Err(ticket) => {
                // Concurrent opens of this user's tabs share one read (single flight).
                let data = ticket
                    .read(|| async {
                        let user = self
                            .sessions
                            .user(self.store, &session.user_id)
                            .await?
                            .ok_or_else(|| {
                                StoreError::not_found(
                                    crate::store::users::COLLECTION,
                                    &session.user_id,
                                )
                            })?;
                        let metadata = client_view(self.store, &user).await?;
                        Ok::<_, StoreError>(Arc::from(
                            SseEvent::UserMetadata(metadata).data_string(),
                        ))
                    })
                    .await?;
                self.hub
                    .cache_metadata(&session.user_id, ticket, Arc::clone(&data));
                data
            }
        };
        events.set_metadata_data(data);
        tracing::debug!(user = %session.user_id, resumed = last_event_id.is_some(), "SSE stream opened");
        Ok(events)
    }
}
