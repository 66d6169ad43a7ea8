//! Watches: push channels — one `events.watch` channel per synced calendar and one `calendarList.watch`
//! channel per user (record `gCalendarId = "calendarlist"`) — opened after the import committed when the
//! notification address is usable (https, or loopback for the emulator; see
//! `crate::settings::SyncSettings`), renewed by the worker before they expire — the new channel first,
//! then the stored record swapped in one transaction (a notification from either channel is accepted up
//! to the swap, and from the new one after it), then the old channel stopped — and stopped on the
//! sign-out of the user's last session, on disconnect, on revocation (Google may refuse by then: the
//! failure is logged and the record removed anyway) and when a calendar stops being synced.
//!
//! **Wanted watches.** A user's watches are wanted while the address is usable, the user has a live
//! grant and at least one active session (the reference stops them when the last session signs out,
//! backend spec §8.6, and so does Compass; a session that simply expires lets them lapse at the next
//! renewal). A wanted watch that is not open is stored as a record without a channel (`resourceId`
//! `not-open`, expiration at the epoch): the worker's renewal pass picks it up like an expiring one and
//! opens it — so a failed create, a calendar newly selected or a user signing in again is repaired by
//! the same loop (the "watch repair" the reference only describes, §15 item 42). Such a record never
//! matches a notification. A channel reopened after a gap (no live channel before) marks its calendar
//! (or the list) dirty, so changes made in the gap are caught up at once, incrementally.
//!
//! The channel token Google echoes in `X-Goog-Channel-Token` is an HMAC-SHA256 of the channel id under
//! the server's encryption key: nothing secret is stored, and [`verify_channel_token`] checks a
//! notification in constant time before anything is looked up (both kinds of channel alike).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use compass_core::{SyncStatus, UserId};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::engine::{SyncEngine, SyncError};
use crate::google::calendar::{CalendarClient, GoogleError, WatchRequest};
use crate::store::calendars::Calendars;
use crate::store::sessions::Sessions;
use crate::store::sync_dirty::DirtyMarks;
use crate::store::users::Users;
use crate::store::watches::{WatchDoc, Watches, CALENDAR_LIST, NOT_OPEN, USER_CALENDAR_INDEX};
use crate::store::StoreError;

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
    /// Makes sure `user`'s calendar (or, for [`CALENDAR_LIST`], calendar list) has a live channel that
    /// does not expire within the renewal margin: keeps a good one, otherwise opens a new one, swaps the
    /// record, then stops the old channel. Does nothing when the notification address is not usable.
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
            w.is_open()
                && w.expiration.timestamp_millis() > (Utc::now() + margin).timestamp_millis()
        }) {
            return Ok(());
        }
        let ttl = chrono::Duration::from_std(self.settings.sync.watch_ttl)
            .unwrap_or(chrono::Duration::days(7));
        let requested = Utc::now() + ttl;
        let mut doc = WatchDoc::new(user, calendar, NOT_OPEN, requested);
        let channel_id = doc.id.to_hex();
        let request = WatchRequest::new(&channel_id, address.as_str())
            .with_token(channel_token(
                self.settings.encryption_key.expose(),
                &channel_id,
            ))
            .expiring_at(requested);
        let channel = if calendar == CALENDAR_LIST {
            client.watch_calendar_list(&request).await?
        } else {
            client.watch_events(calendar, &request).await?
        };
        let Some(resource_id) = channel.resource_id.clone() else {
            return Err(SyncError::Google(GoogleError::Unexpected(
                "the watch answer has no resourceId".into(),
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
        if let Some(old) = old.filter(WatchDoc::is_open) {
            if let Err(error) = client
                .stop_channel(&old.id.to_hex(), &old.resource_id)
                .await
            {
                tracing::info!(%error, "old channel not stopped (it lapses by itself)");
            }
        }
        tracing::info!(user = %user, list = calendar == CALENDAR_LIST, "watch opened");
        Ok(())
    }

    /// One pass of the renewal worker for one record: opens or renews the channel when it is wanted,
    /// otherwise stops and forgets it.
    pub(crate) async fn renew_watch(&self, user: &UserId, calendar: &str) -> Result<(), SyncError> {
        if !self.watch_wanted(user, calendar).await? {
            return self.stop_watch(user, calendar, None).await;
        }
        let client = self.client_for(user).await?;
        // No live channel until now (never opened, failed, expired, stopped at sign-out): changes made
        // in the gap sent no notification, so the calendar (or the list) is synced once it is open —
        // incrementally from its sync token, in full when Google says the token is too old.
        let gap = !Watches::new(&self.store)
            .for_calendar(user, calendar)
            .await?
            .is_some_and(|w| w.is_live(Utc::now()));
        self.ensure_watch(&client, user, calendar).await?;
        // A sign-out of the last session while the channel opened: do not leave it behind.
        if !self.watch_wanted(user, calendar).await? {
            return self.stop_watch(user, calendar, Some(&client)).await;
        }
        if gap {
            DirtyMarks::new(&self.store).mark(user, calendar).await?;
            self.wake();
        }
        Ok(())
    }

    /// True when `user`'s watches are wanted at all (see the module docs).
    pub(crate) async fn watches_wanted(&self, user: &UserId) -> Result<bool, StoreError> {
        if self
            .settings
            .sync
            .usable_notification_url(&self.settings.public_url)
            .is_none()
        {
            return Ok(false);
        }
        let granted = Users::new(&self.store)
            .find(user)
            .await?
            .is_some_and(|u| u.has_refresh_token());
        if !granted {
            return Ok(false);
        }
        Ok(Sessions::new(&self.store)
            .count_active(user, Utc::now())
            .await?
            > 0)
    }

    /// True when a channel on `calendar` (or the calendar list) is wanted for `user`.
    async fn watch_wanted(&self, user: &UserId, calendar: &str) -> Result<bool, StoreError> {
        if calendar != CALENDAR_LIST
            && !self
                .synced_calendars(user)
                .await?
                .iter()
                .any(|c| c == calendar)
        {
            return Ok(false);
        }
        self.watches_wanted(user).await
    }

    /// The Google ids of the calendars synced for `user`: the primary and the selected ones.
    pub(crate) async fn synced_calendars(&self, user: &UserId) -> Result<Vec<String>, StoreError> {
        Ok(Calendars::new(&self.store)
            .list(user)
            .await?
            .items
            .into_iter()
            .filter(|c| c.primary || c.selected)
            .map(|c| c.metadata.id)
            .collect())
    }

    /// Records that `user` wants channels on `calendars` (when watches are wanted at all): each one
    /// without a record gets a record without a channel, which the renewal pass opens. Wakes the worker.
    pub(crate) async fn want_watches(
        &self,
        user: &UserId,
        calendars: &[String],
    ) -> Result<(), StoreError> {
        if self
            .settings
            .sync
            .usable_notification_url(&self.settings.public_url)
            .is_none()
        {
            return Ok(());
        }
        let watches = Watches::new(&self.store);
        let mut missing = Vec::new();
        for calendar in calendars {
            if watches.for_calendar(user, calendar).await?.is_none() {
                missing.push(calendar);
            }
        }
        if missing.is_empty() || !self.watches_wanted(user).await? {
            return Ok(());
        }
        for calendar in missing {
            match watches.insert(&WatchDoc::wanted(user, calendar)).await {
                Ok(()) => {}
                Err(error) if error.is_conflict_on(USER_CALENDAR_INDEX) => {}
                Err(error) => return Err(error),
            }
        }
        self.wake();
        Ok(())
    }

    /// A session started for `user` (a sign-in): when the import completed, the calendar list and every
    /// synced calendar get their channels back (the sign-out of the last session stopped them). The
    /// worker opens them within a tick; best effort (logged).
    pub async fn resume_watches(&self, user: &UserId) {
        let result = async {
            let completed = Users::new(&self.store)
                .find(user)
                .await?
                .is_some_and(|u| u.metadata.import_gcal() == Some(SyncStatus::Completed));
            if !completed {
                return Ok(());
            }
            let mut calendars = self.synced_calendars(user).await?;
            calendars.push(CALENDAR_LIST.to_owned());
            self.want_watches(user, &calendars).await
        }
        .await;
        if let Err(error) = result {
            tracing::warn!(%error, user = %user, "watches not resumed");
        }
    }

    /// A session of `user` ended (sign-out): when it was the last one, every channel is stopped at
    /// Google and forgotten (backend spec §8.6), in the background; the next sign-in reopens them.
    pub async fn signed_out(&self, user: &UserId) {
        match Sessions::new(&self.store)
            .count_active(user, Utc::now())
            .await
        {
            Ok(0) => {
                let engine = self.clone();
                let user = user.clone();
                self.spawn(async move {
                    if engine.stop_watches(&user).await > 0 {
                        engine.refresh_health(&user).await;
                    }
                });
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sign-out: sessions not counted"),
        }
    }

    /// Stops `user`'s channel on `calendar` (or the calendar list) at Google — with `client` or one built
    /// now — and forgets it. A refused stop is logged (the channel lapses at its expiration), except
    /// `invalid_grant`, returned (after the record is deleted) so that the caller revokes.
    pub(crate) async fn stop_watch(
        &self,
        user: &UserId,
        calendar: &str,
        client: Option<&CalendarClient>,
    ) -> Result<(), SyncError> {
        let watches = Watches::new(&self.store);
        let Some(watch) = watches.for_calendar(user, calendar).await? else {
            return Ok(());
        };
        let mut stopped = Ok(());
        if watch.is_live(Utc::now()) {
            let built;
            let client = match client {
                Some(client) => Some(client),
                None => match self.client_for(user).await {
                    Ok(client) => {
                        built = client;
                        Some(&built)
                    }
                    Err(error) => {
                        tracing::info!(%error, "channel not stopped (it lapses by itself)");
                        None
                    }
                },
            };
            if let Some(client) = client {
                stopped = stop_channel(client, &watch).await;
            }
        }
        watches.delete(user, &watch.id).await?;
        stopped.map_err(SyncError::Google)
    }

    /// Stops every live channel of `user` at Google (best effort: a refused stop is logged, e.g. after a
    /// revocation) and forgets every record. Returns how many records there were.
    pub(crate) async fn stop_watches(&self, user: &UserId) -> usize {
        let watches = Watches::new(&self.store);
        let listed = match watches.list(user).await {
            Ok(listed) => listed.items,
            Err(error) => {
                tracing::warn!(%error, "watches not listed");
                return 0;
            }
        };
        if listed.is_empty() {
            return 0;
        }
        let count = listed.len();
        let now = Utc::now();
        let client = if listed.iter().any(|w| w.is_live(now)) {
            match self.client_for(user).await {
                Ok(client) => Some(client),
                Err(error) => {
                    tracing::info!(%error, "channels not stopped (they lapse by themselves)");
                    None
                }
            }
        } else {
            None
        };
        for watch in listed {
            if let (Some(client), true) = (&client, watch.is_live(now)) {
                let _ = stop_channel(client, &watch).await;
            }
            if let Err(error) = watches.delete(user, &watch.id).await {
                tracing::warn!(%error, "watch record not deleted");
            }
        }
        tracing::info!(user = %user, "watches stopped");
        count
    }
}

/// `channels.stop` for one record; a failure is logged (the channel lapses at its expiration), and
/// returned only when it is `invalid_grant`.
async fn stop_channel(client: &CalendarClient, watch: &WatchDoc) -> Result<(), GoogleError> {
    match client
        .stop_channel(&watch.id.to_hex(), &watch.resource_id)
        .await
    {
        Ok(()) => Ok(()),
        Err(GoogleError::Revoked) => {
            tracing::info!("channel not stopped: the grant is revoked (it lapses by itself)");
            Err(GoogleError::Revoked)
        }
        Err(error) => {
            tracing::info!(%error, "channel not stopped (it lapses by itself)");
            Ok(())
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
