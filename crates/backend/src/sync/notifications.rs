//! Notification ingress: turns a Google push notification into a dirty mark on (user, calendar) in
//! `crate::store::sync_state` and wakes the worker — nothing more, so the answer is immediate.
//!
//! A notification is accepted only when its channel token is the HMAC of its channel id (checked
//! before any lookup, see [`super::watches`]), its channel id and resource id name a stored watch
//! together, and that watch has not expired. Anything else is [`NotificationError::Refused`]: no side
//! effect, and the caller answers the same for every refusal (nothing tells a forger which part was
//! wrong). `sync` (Google's handshake when a channel opens, possibly before the watch is stored) is
//! acknowledged after the token check, without any lookup.
//!
//! The stored record tells the two kinds of channel apart: an events channel marks its calendar dirty
//! (the worker lists its events), the calendar-list channel (record `gCalendarId = "calendarlist"`) marks
//! the user's calendar list dirty (the worker re-reads it, `super::calendars`). The token check is the
//! same for both.

use chrono::Utc;
use mongodb::bson::oid::ObjectId;

use super::engine::SyncEngine;
use super::watches::verify_channel_token;
use crate::store::sync_dirty::DirtyMarks;
use crate::store::watches::{Watches, CALENDAR_LIST};
use crate::store::StoreError;

/// The `X-Goog-*` headers of a notification, as received.
#[derive(Debug, Clone, Default)]
pub struct Notification {
    /// `X-Goog-Channel-ID`.
    pub channel_id: String,
    /// `X-Goog-Resource-ID`.
    pub resource_id: String,
    /// `X-Goog-Resource-State` (`sync`, `exists`, `not_exists`).
    pub resource_state: String,
    /// `X-Goog-Channel-Token` (a secret: never logged).
    pub channel_token: String,
}

/// What was done with an accepted notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A `sync` handshake, acknowledged.
    Initialized,
    /// The calendar is marked dirty; the worker will sync it.
    Queued,
    /// The calendar list is marked dirty; the worker will re-read it.
    CalendarListQueued,
}

impl Outcome {
    /// The reference's body text for this outcome.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Initialized => "INITIALIZED",
            Outcome::Queued | Outcome::CalendarListQueued => "PROCESSED",
        }
    }
}

/// Why a notification was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// Forged, unknown, expired or malformed.
    #[error("Not Authorized")]
    Refused,
    /// The database failed (Google retries).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncEngine {
    /// Checks a notification and marks its calendar dirty (see the module docs).
    pub async fn receive(&self, notification: &Notification) -> Result<Outcome, NotificationError> {
        let key = self.settings.encryption_key.expose();
        if notification.channel_id.is_empty()
            || notification.resource_id.is_empty()
            || !verify_channel_token(key, &notification.channel_id, &notification.channel_token)
        {
            return Err(NotificationError::Refused);
        }
        match notification.resource_state.as_str() {
            "sync" => return Ok(Outcome::Initialized),
            "exists" | "not_exists" => {}
            _ => return Err(NotificationError::Refused),
        }
        let channel = ObjectId::parse_str(&notification.channel_id)
            .map_err(|_| NotificationError::Refused)?;
        let watch = Watches::new(&self.store)
            .by_channel(&channel, &notification.resource_id)
            .await?
            .filter(|w| w.expiration.timestamp_millis() > Utc::now().timestamp_millis())
            .ok_or(NotificationError::Refused)?;
        let marks = DirtyMarks::new(&self.store);
        let outcome = if watch.g_calendar_id == CALENDAR_LIST {
            marks.mark(&watch.user_id(), CALENDAR_LIST).await?;
            Outcome::CalendarListQueued
        } else {
            marks.mark(&watch.user_id(), &watch.g_calendar_id).await?;
            Outcome::Queued
        };
        self.wake();
        Ok(outcome)
    }
}
