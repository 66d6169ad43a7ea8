//! The sync worker: one background loop per server ([`SyncEngine::start`]) that wakes on a notification
//! or every `sync.tick`, and then
//!
//! - starts the imports the server owes (users whose `sync.importGCal` is `RESTART` with a live grant);
//! - marks dirty every calendar not synced for `sync.backstop` (the polling backstop: a lost
//!   notification costs at most that long);
//! - drains every dirty (user, calendar), one task per calendar, each holding the calendar's lease
//!   (`crate::store::leases`) so that one server instance works on it at a time: every page of
//!   `events.list?syncToken=…`, then one transaction with the changes and the new token
//!   ([`sync_calendar`]); a 410 drops the token and lists the calendar in full under the same lease;
//! - starts one outbox drain per user with due entries (Compass → Google, [`super::outbox`]);
//! - re-reads the calendar list when its channel said it changed ([`super::calendars`]);
//! - renews watches that expire soon and opens the wanted ones that are missing, stops the ones no
//!   longer wanted ([`super::watches`]).
//!
//! It stops with the server ([`SyncEngine::stop`]; `super::engine` says what happens to work under way).
//!
//! A calendar whose sync fails is retried after an exponential backoff (1 s doubling up to 5 min, per
//! process). The dirty flag is cleared only with the generation read before draining, so a notification that
//! arrives meanwhile makes the calendar dirty again (at least once, never lost).

use std::time::Duration;

use chrono::Utc;
use compass_core::{Origin, SseEvent, UserId};

use super::engine::{SyncEngine, SyncError};
use super::from_google::{self, Applied, Target};
use crate::google::calendar::{CalendarClient, EventsQuery, GoogleError};
use crate::store::events::Events;
use crate::store::outbox::Outbox;
use crate::store::sync_dirty::DirtyMarks;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::watches::{Watches, CALENDAR_LIST};

/// How often the worker looks for users whose import is pending when nothing woke it (the user
/// collection has no index for it; a Google sign-in wakes the worker at once).
const PENDING_SCAN: Duration = Duration::from_secs(30);
/// Page size of event listings (Google's maximum).
const PAGE: u32 = 2500;
/// How many dirty calendars, imports or watches one tick takes on.
const BATCH: i64 = 100;

impl SyncEngine {
    /// Starts the background worker (unless disabled in the settings or Google is not configured). It
    /// runs until [`SyncEngine::stop`]: the pass under way ends (its jobs abandon what they wait on Google
    /// for, see `super::engine`), then the loop ends.
    pub fn start(&self) {
        if !self.settings.sync.worker || self.api.is_none() {
            return;
        }
        let engine = self.clone();
        engine.set_worker_running(true);
        tokio::spawn(async move {
            let mut woken = true;
            let mut last_scan = tokio::time::Instant::now();
            while !engine.is_stopping() {
                let scan = woken || last_scan.elapsed() >= PENDING_SCAN;
                if scan {
                    last_scan = tokio::time::Instant::now();
                }
                if let Err(error) = engine.tick(scan).await {
                    tracing::warn!(%error, "sync worker tick failed");
                }
                woken = tokio::select! {
                    () = engine.wake.notified() => true,
                    () = tokio::time::sleep(engine.settings.sync.tick) => false,
                    () = engine.stop_requested() => false,
                };
            }
            tracing::info!("sync worker stopped");
            engine.set_worker_running(false);
        });
    }

    /// One pass of the worker (see the module docs); `pending_imports`: also look for imports to start
    /// (on a wake-up, e.g. after a Google sign-in, and every [`PENDING_SCAN`]).
    pub async fn tick(&self, pending_imports: bool) -> Result<(), SyncError> {
        if self.is_stopping() {
            return Ok(());
        }
        let pending = if pending_imports {
            Users::new(&self.store).pending_imports(BATCH).await?
        } else {
            Vec::new()
        };
        for user in pending {
            let key = format!("import:{user}");
            if !self.begin(&key) {
                continue;
            }
            let engine = self.clone();
            self.spawn(async move {
                engine.import(&user, false).await;
                engine.end(&key);
            });
        }
        let states = SyncStates::new(&self.store);
        let backstop = chrono::Duration::from_std(self.settings.sync.backstop)
            .unwrap_or(chrono::Duration::MAX);
        let marks = DirtyMarks::new(&self.store);
        for state in states.stale(Utc::now() - backstop, BATCH).await?.items {
            if state.next_sync_token.is_some() {
                marks.mark(&state.user_id(), &state.g_calendar_id).await?;
            }
        }
        for mark in marks.due(BATCH).await?.items {
            let user = mark.user_id();
            let calendar = mark.g_calendar_id.clone();
            let key = format!("sync:{user}:{calendar}");
            if self.backing_off(&key) || !self.begin(&key) {
                continue;
            }
            let engine = self.clone();
            self.spawn(async move {
                let drained = if calendar == CALENDAR_LIST {
                    engine
                        .drain_calendar_list(&user, mark.dirty_generation)
                        .await
                } else {
                    engine.drain(&user, &calendar, mark.dirty_generation).await
                };
                let failed = match drained {
                    Ok(()) | Err(SyncError::Busy | SyncError::Stopping) => false,
                    Err(error) if error.is_revoked() => {
                        engine.revoke(&user).await;
                        false
                    }
                    Err(SyncError::NotConnected) => {
                        // Disconnected (its states and marks are gone, or going): a mark set meanwhile,
                        // e.g. by a backstop pass that read the state just before, has nothing to sync.
                        if let Err(error) = DirtyMarks::new(&engine.store).delete(&user, &calendar).await {
                            tracing::warn!(%error, "the mark of a disconnected user was not deleted");
                        }
                        false
                    }
                    Err(error) => {
                        tracing::warn!(%error, user = %user, "calendar sync failed; retried after a backoff");
                        true
                    }
                };
                if let Some(wait) = engine.record(&key, failed) {
                    let until = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    if let Err(error) = DirtyMarks::new(&engine.store).defer(&user, &calendar, until).await {
                        tracing::warn!(%error, "a failed calendar's mark was not deferred");
                    }
                }
                engine.end(&key);
            });
        }
        self.drain_outboxes().await?;
        self.renew_watches().await
    }

    /// Syncs one dirty calendar and clears its dirty flag (if nothing new arrived meanwhile). A calendar
    /// synced for the first time may change the user's health; one without a watch record gets one
    /// (the renewal pass opens it: a watch that should exist and does not is repaired).
    async fn drain(&self, user: &UserId, calendar: &str, generation: i64) -> Result<(), SyncError> {
        let client = self.client_for(user).await?;
        let first_sync = SyncStates::new(&self.store)
            .get(user, calendar, None)
            .await?
            .is_none_or(|state| state.next_sync_token.is_none());
        let synced = self
            .with_calendar_lease(user, calendar, Duration::ZERO, || {
                sync_calendar(self, &client, user, calendar)
            })
            .await;
        let applied = match synced {
            Err(SyncError::Google(GoogleError::NotFound(_))) => {
                return self.forget_calendar(user, calendar).await;
            }
            other => other?,
        };
        if applied.grid {
            self.publish(user, &SseEvent::EventChanged);
        }
        if applied.someday {
            self.publish(user, &SseEvent::SomedayEventChanged);
        }
        DirtyMarks::new(&self.store)
            .clear(user, calendar, generation)
            .await?;
        self.want_watches(user, &[calendar.to_owned()]).await?;
        if first_sync {
            self.refresh_health(user).await;
        }
        Ok(())
    }

    /// The calendar is gone at Google (deleted, or no longer shared): its Google events, sync state and
    /// watch record go (the calendar list is refreshed by the next import).
    async fn forget_calendar(&self, user: &UserId, calendar: &str) -> Result<(), SyncError> {
        tracing::info!(user = %user, "calendar gone at Google: its events are removed");
        let gone = Events::new(&self.store)
            .delete_google_calendar_except(user, calendar, &[], None)
            .await?;
        SyncStates::new(&self.store).delete(user, calendar).await?;
        self.stop_watch(user, calendar, None).await?;
        if gone > 0 {
            self.publish(user, &SseEvent::EventChanged);
        }
        self.refresh_health(user).await;
        Ok(())
    }

    /// Renews the watches that expire within the margin, and opens the wanted ones that are not open
    /// (records without a channel, see [`super::watches`]): new channel first, then the old one stops. A
    /// watch no longer wanted (the user has no session left, no grant, or stopped syncing the calendar) is
    /// stopped and forgotten instead. A failure is retried after the same backoff as calendar syncs,
    /// written to the record (`retryAt`) so that failing records do not take the batch from the others.
    async fn renew_watches(&self) -> Result<(), SyncError> {
        let margin = chrono::Duration::from_std(self.settings.sync.watch_renew_margin)
            .unwrap_or(chrono::Duration::MAX);
        let expiring = Watches::new(&self.store)
            .expiring_before(Utc::now() + margin, Utc::now(), BATCH)
            .await?;
        for watch in expiring.items {
            let user = watch.user_id();
            let key = format!("watch:{user}:{}", watch.g_calendar_id);
            if self.backing_off(&key) || !self.begin(&key) {
                continue;
            }
            let engine = self.clone();
            self.spawn(async move {
                let failed = match engine.renew_watch(&user, &watch.g_calendar_id).await {
                    Ok(()) => false,
                    Err(error) if error.is_revoked() => {
                        engine.revoke(&user).await;
                        false
                    }
                    Err(error) => {
                        tracing::warn!(%error, user = %user, "watch not opened; retried after a backoff");
                        true
                    }
                };
                if let Some(wait) = engine.record(&key, failed) {
                    let until = Utc::now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                    if let Err(error) = Watches::new(&engine.store)
                        .postpone(&user, &watch.g_calendar_id, until)
                        .await
                    {
                        tracing::warn!(%error, "watch retry not postponed");
                    }
                }
                engine.refresh_health(&user).await;
                engine.end(&key);
            });
        }
        Ok(())
    }
}

/// Brings one calendar up to date: every page since the stored sync token (or a full listing when
/// there is none, or when Google answers 410), applied in one transaction with the new token, then
/// The caller holds the lease and publishes `EVENT_CHANGED` / `SOMEDAY_EVENT_CHANGED` once after it.
pub async fn sync_calendar(
    engine: &SyncEngine,
    client: &CalendarClient,
    user: &UserId,
    calendar: &str,
) -> Result<Applied, SyncError> {
    let started = std::time::Instant::now();
    let states = SyncStates::new(&engine.store);
    let token = states
        .get(user, calendar, None)
        .await?
        .and_then(|s| s.next_sync_token);
    let (page, complete) = match token.clone() {
        Some(token) => {
            match client
                .list_all_events(calendar, &EventsQuery::incremental(token).max_results(PAGE))
                .await
            {
                Ok(page) => (page, false),
                Err(GoogleError::FullSyncRequired(_)) => {
                    tracing::info!(user = %user, "sync token expired (410): full resync of the calendar");
                    states.reset_tokens(user, calendar).await?;
                    (
                        client
                            .list_all_events(calendar, &EventsQuery::full().max_results(PAGE))
                            .await?,
                        true,
                    )
                }
                Err(other) => return Err(other.into()),
            }
        }
        None => (
            client
                .list_all_events(calendar, &EventsQuery::full().max_results(PAGE))
                .await?,
            true,
        ),
    };
    let next_token = page.next_sync_token.clone().ok_or_else(|| {
        SyncError::Google(GoogleError::Unexpected(
            "events.list ended without a nextSyncToken".into(),
        ))
    })?;
    let calendar_zone = page.time_zone.clone();
    let listed = started.elapsed();
    let changes = from_google::collect(client, calendar, page.items).await?;
    let collected = started.elapsed();
    if let (Some(from), false, true) = (token.as_deref(), complete, changes.is_empty()) {
        // Nothing changed at Google (a backstop pass, or the echo of a write already recorded): the new
        // token alone, in one write (a transaction costs the database about six operations).
        if !states
            .advance_token(user, calendar, from, &next_token)
            .await?
            && states.get(user, calendar, None).await?.is_none()
        {
            return Err(SyncError::NotConnected);
        }
        tracing::debug!(user = %user, list_ms = listed.as_millis() as u64, "calendar synced: no change");
        return Ok(Applied::default());
    }
    let origin = if complete {
        Origin::GoogleImport
    } else {
        Origin::Google
    };
    let changes = std::sync::Arc::new(changes);
    let events = Events::new(&engine.store);
    let outbox = Outbox::new(&engine.store);
    let applied = engine
        .store
        .transaction(|mut session| {
            let (events, states, outbox) = (events.clone(), states.clone(), outbox.clone());
            let (changes, next_token) = (changes.clone(), next_token.clone());
            let (user, calendar) = (user.clone(), calendar.to_owned());
            let calendar_zone = calendar_zone.clone();
            async move {
                let target = Target {
                    user: &user,
                    g_calendar_id: &calendar,
                    origin,
                    complete,
                    time_zone: calendar_zone.as_deref(),
                };
                let result = async {
                    // Disconnected (or revoked) while Google was being read: write nothing (a write on
                    // the user document, so that this transaction and the clearing of the grant are
                    // ordered).
                    if !Users::new(&engine.store)
                        .touch_grant(&user, &mut session)
                        .await?
                    {
                        return Ok(None);
                    }
                    let applied =
                        from_google::apply(&events, &outbox, &mut session, target, &changes)
                            .await?;
                    states
                        .commit_sync_token(&user, &calendar, &next_token, Some(&mut session))
                        .await?;
                    Ok(Some(applied))
                }
                .await;
                (session, result)
            }
        })
        .await?;
    tracing::debug!(
        user = %user,
        complete,
        changes = changes.len(),
        list_ms = listed.as_millis() as u64,
        instances_ms = (collected - listed).as_millis() as u64,
        apply_commit_ms = (started.elapsed() - collected).as_millis() as u64,
        "calendar synced"
    );
    applied.ok_or(SyncError::NotConnected)
}
