//! Watches: one push channel (`events.watch`) per synced calendar, opened after the import committed
//! when the notification address is usable (https, or loopback for the emulator; see
//! `crate::settings::SyncSettings`), renewed by the worker before it expires — the new channel first,
//! then the stored record swapped in one transaction (a notification from either channel is accepted
//! up to the swap, and from the new one after it), then the old channel stopped — and
//! stopped on revocation.
//!
//! The channel token Google echoes in `X-Goog-Channel-Token` is an HMAC-SHA256 of the channel id under
//! the server's encryption key: nothing secret is stored, and [`verify_channel_token`] checks a
//! notification in constant time before anything is looked up.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use compass_core::UserId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::engine::{SyncEngine, SyncError};
use crate::google::calendar::{CalendarClient, GoogleError, WatchRequest};
use crate::store::watches::{WatchDoc, Watches};

type HmacSha256 = Hmac<Sha256>;

const CONTEXT: &[u8] = b"compass gcal channel v1:";

fn mac(key: &[u8; 32], channel_id: &str) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    mac.update(CONTEXT);
    mac.update(channel_id.as_bytes());
    Some(mac)
}

/// The token given to Google for channel `channel_id`.
pub fn channel_token(key: &[u8; 32], channel_id: &str) -> String {
    mac(key, channel_id)
        .map(|m| URL_SAFE_NO_PAD.encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// True when `token` is the one [`channel_token`] gives for `channel_id` (constant-time).
pub fn verify_channel_token(key: &[u8; 32], channel_id: &str, token: &str) -> bool {
    let Ok(raw) = URL_SAFE_NO_PAD.decode(token.trim()) else {
        return false;
    };
    mac(key, channel_id).is_some_and(|m| m.verify_slice(&raw).is_ok())
}

impl SyncEngine {
    /// Makes sure `user`'s calendar has a live channel that does not expire within the renewal margin:
    /// keeps a good one, otherwise opens a new one and then stops the old. Does nothing when the
    /// notification address is not usable.
    pub(crate) async fn ensure_watch(
        &self,
        client: &CalendarClient,
        user: &UserId,
        calendar: &str,
    ) -> Result<(), SyncError> {
        let Some(address) = self
            .settings
            .sync
            .usable_notification_url(&self.settings.public_url)
        else {
            return Ok(());
        };
        let watches = Watches::new(&self.store);
        let margin = chrono::Duration::from_std(self.settings.sync.watch_renew_margin)
            .unwrap_or(chrono::Duration::MAX);
        let old = watches.for_calendar(user, calendar).await?;
        if old.as_ref().is_some_and(|w| {
            w.expiration.timestamp_millis() > (Utc::now() + margin).timestamp_millis()
        }) {
            return Ok(());
        }
        let ttl = chrono::Duration::from_std(self.settings.sync.watch_ttl)
            .unwrap_or(chrono::Duration::days(7));
        let requested = Utc::now() + ttl;
        let mut doc = WatchDoc::new(user, calendar, "", requested);
        let channel_id = doc.id.to_hex();
        let request = WatchRequest::new(&channel_id, address.as_str())
            .with_token(channel_token(
                self.settings.encryption_key.expose(),
                &channel_id,
            ))
            .expiring_at(requested);
        let channel = client.watch_events(calendar, &request).await?;
        let Some(resource_id) = channel.resource_id.clone() else {
            return Err(SyncError::Google(GoogleError::Unexpected(
                "events.watch answered without a resourceId".into(),
            )));
        };
        doc.resource_id = resource_id;
        if let Some(expires) = channel.expires_at() {
            doc.expiration = mongodb::bson::DateTime::from_millis(expires.timestamp_millis());
        }
        let stored = match &old {
            Some(old) => {
                let old_id = old.id;
                self.store
                    .transaction(|mut session| {
                        let (watches, doc) = (watches.clone(), doc.clone());
                        async move {
                            let result = watches.swap(&mut session, &old_id, &doc).await;
                            (session, result)
                        }
                    })
                    .await
            }
            None => watches.insert(&doc).await,
        };
        if let Err(error) = stored {
            // Someone else stored a channel meanwhile: ours is not needed.
            let _ = client.stop_channel(&channel_id, &doc.resource_id).await;
            return Err(error.into());
        }
        if let Some(old) = old {
            if let Err(error) = client
                .stop_channel(&old.id.to_hex(), &old.resource_id)
                .await
            {
                tracing::info!(%error, "old channel not stopped (it lapses by itself)");
            }
        }
        tracing::info!(user = %user, "watch opened");
        Ok(())
    }

    /// Stops every channel of `user` at Google (best effort) and forgets them.
    pub(crate) async fn stop_watches(&self, user: &UserId, client: Option<&CalendarClient>) {
        let watches = Watches::new(&self.store);
        let listed = match watches.list(user).await {
            Ok(listed) => listed.items,
            Err(error) => {
                tracing::warn!(%error, "watches not listed");
                return;
            }
        };
        for watch in listed {
            if let Some(client) = client {
                if let Err(error) = client
                    .stop_channel(&watch.id.to_hex(), &watch.resource_id)
                    .await
                {
                    tracing::info!(%error, "channel not stopped (it lapses by itself)");
                }
            }
            if let Err(error) = watches.delete(user, &watch.id).await {
                tracing::warn!(%error, "watch record not deleted");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_tokens_verify_only_for_their_channel_and_key() {
        let key = [7u8; 32];
        let token = channel_token(&key, "abc");
        assert!(verify_channel_token(&key, "abc", &token));
        assert!(!verify_channel_token(&key, "abd", &token));
        assert!(!verify_channel_token(&[8u8; 32], "abc", &token));
        assert!(!verify_channel_token(&key, "abc", "not base64 !"));
        assert!(!verify_channel_token(&key, "abc", ""));
    }
}
