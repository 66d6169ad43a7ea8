//! Opening a signed-in user's SSE stream ([`Streams::open`]): the connection is registered with the hub
//! *before* the metadata is read, so nothing published in between is lost; the session is then read again
//! (a sign-out that landed between the extractor's lookup and the registration has already revoked it and
//! found no stream to end); finally `USER_METADATA` is put in front of the replay and the live events.

use chrono::Utc;

use super::profile::metadata_for_client;
use super::session::still_active;
use super::SessionUser;
use crate::domain::SecretToken;
use crate::sse::{EventStream, Hub, HubClosed};
use crate::store::{Store, StoreError};

/// Why a stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenStreamError {
    /// The session expired or was revoked (401, so `EventSource` stops).
    #[error("Not signed in")]
    SignedOut,
    /// The server is shutting down (503).
    #[error(transparent)]
    ShuttingDown(#[from] HubClosed),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stream flow over the handles it needs.
#[derive(Debug, Clone, Copy)]
pub struct Streams<'a> {
    store: &'a Store,
    hub: &'a Hub,
}

impl<'a> Streams<'a> {
    /// The flow on `store` and `hub`.
    pub fn new(store: &'a Store, hub: &'a Hub) -> Self {
        Self { store, hub }
    }

    /// Opens a stream for `session` (whose cookie held `token`), resuming after `last_event_id` when
    /// the hub still has it. The stream ends when the session expires.
    pub async fn open(
        &self,
        session: &SessionUser,
        token: Option<&SecretToken>,
        last_event_id: Option<&str>,
    ) -> Result<EventStream, OpenStreamError> {
        let lifetime = (session.expires_at - Utc::now())
            .to_std()
            .map_err(|_| OpenStreamError::SignedOut)?;
        let mut events = self.hub.subscribe(
            &session.user_id,
            session.session_id.as_str(),
            last_event_id,
            Some(lifetime),
        )?;
        // Registered now, so a later sign-out reaches this stream; one that came earlier shows here.
        if !still_active(self.store, token, session).await? {
            return Err(OpenStreamError::SignedOut);
        }
        let metadata = metadata_for_client(self.store, &session.user_id).await?;
        events.set_metadata(metadata);
        tracing::debug!(user = %session.user_id, resumed = last_event_id.is_some(), "SSE stream opened");
        Ok(events)
    }
}
