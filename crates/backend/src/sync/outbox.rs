//! The outbox drain: the worker's side of Compass → Google. The events flows record one entry per
//! changed event in the same transaction as the change (`crate::store::outbox`, written through
//! `crate::events::propagate`), so a crash between the commit and Google loses nothing; the HTTP layer
//! wakes the worker after each write, and the worker's tick finds due entries anyway.
//!
//! - **Leased per user**: the entries of one user are pushed by one server instance at a time (lease
//!   `outbox:<user>` in `crate::store::leases`), in the order they were first recorded (a series before
//!   later edits of its instances), each under its calendar's lease (so a sync of that calendar never
//!   sees a half-recorded push).
//! - **At least once**: an entry is removed only after Google answered and the answer is recorded
//!   ([`super::to_google`]), and only with the version it pushed (a change made meanwhile is pushed next).
//!   Pushes are idempotent: inserts carry the Compass id as Google id.
//! - **Failures**: retryable ones (429, 403 rate limit, 5xx, timeouts, transport; the client has already
//!   retried inside the call) come back after a backoff (1 s doubling to 5 min, on the entry, so it
//!   survives a restart); permanent ones (400, 403 permission, 404 calendar, an id taken by someone
//!   else) are recorded on the entry with Google's reason and not retried until the event changes
//!   again; `invalid_grant` takes the revocation path (which drops the user's entries). An entry that is
//!   not ready (no calendar list yet, a series not yet at Google) is postponed without counting a failure.
//! - **Backfill** ([`SyncEngine::backfill`]): after an import completes, the user's grid events and series
//!   that Google does not hold yet (made before Google was connected) get entries; idempotent by event id.

use std::time::Duration;

use chrono::Utc;
use compass_core::UserId;
use mongodb::bson::oid::ObjectId;

use super::engine::{SyncEngine, SyncError};
use super::to_google::{self, Pushed};
use crate::google::calendar::GoogleError;
use crate::store::events::Events;
use crate::store::leases::Leases;
use crate::store::outbox::{Outbox, OutboxDoc, Pending};

/// How long a user's outbox lease lasts unless renewed (renewed every third of that while the drain runs,
/// `Leases::renewing`; a drainer that died blocks the user's pushes this long at most).
const OUTBOX_LEASE: Duration = Duration::from_secs(30);
/// How many users one tick drains.
const USERS_PER_TICK: usize = 100;
/// How many entries of a user one batch takes.
const ENTRIES_PER_BATCH: i64 = 200;
/// How long an entry that is not ready waits.
const NOT_READY_DELAY: Duration = Duration::from_secs(2);
/// Most events one backfill records.
const BACKFILL_LIMIT: i64 = 10_000;

/// How one entry ended.
enum Outcome {
    /// Pushed, superseded, or postponed: go on with the next entry.
    Next,
    /// Google is unhappy (rate limit, outage): stop this user's batch; the entry has its backoff.
    Stop,
    /// The grant is dead: revoke.
    Revoked,
}

impl SyncEngine {
    /// Starts one drain task per user with due outbox entries (the worker calls this every tick).
    pub(crate) async fn drain_outboxes(&self) -> Result<(), SyncError> {
        let users = Outbox::new(&self.store)
            .due_users(Utc::now(), USERS_PER_TICK)
            .await?;
        for user in users {
            let key = format!("outbox:{user}");
            if !self.begin(&key) {
                continue;
            }
            let engine = self.clone();
            // Tracked: a stopping server waits for the drain (which stops at its next entry), so no push is
            // cut off between Google's answer and the transaction that records it.
            self.spawn(async move {
                if let Err(error) = engine.drain_outbox(&user).await {
                    tracing::warn!(%error, user = %user, "outbox drain failed; retried next tick");
                }
                engine.end(&key);
            });
        }
        Ok(())
    }

    /// Pushes `user`'s due entries, holding the user's outbox lease (see the module docs).
    pub async fn drain_outbox(&self, user: &UserId) -> Result<(), SyncError> {
        let name = format!("outbox:{user}");
        let holder = format!("{}:{}", self.instance, ObjectId::new().to_hex());
        let leases = Leases::new(&self.store);
        if leases
            .acquire(&name, &holder, OUTBOX_LEASE)
            .await?
            .is_none()
        {
            return Ok(());
        }
        let result = leases
            .renewing(&name, &holder, OUTBOX_LEASE, self.drain_leased(user))
            .await;
        if let Err(error) = leases.release(&name, &holder).await {
            tracing::warn!(%error, "outbox lease not released (it will lapse)");
        }
        result
    }

    async fn drain_leased(&self, user: &UserId) -> Result<(), SyncError> {
        let client = match self.client_for(user).await {
            Ok(client) => client,
            // No grant any more (an edit recorded while Google was being disconnected): nothing can be
            // pushed, and a reconnect imports and backfills, as after any disconnect. Left here, the entries
            // would stay due for ever and, a hundred such users, fill every tick's batch of users.
            Err(SyncError::NotConnected) => {
                let dropped = Outbox::new(&self.store).delete_all(user, None).await?;
                tracing::info!(user = %user, dropped, "outbox entries of a user without Google dropped");
                return Ok(());
            }
            Err(other) => return Err(other),
        };
        let outbox = Outbox::new(&self.store);
        let entries = outbox
            .due(user, Utc::now(), ENTRIES_PER_BATCH)
            .await?
            .into_items();
        for entry in entries {
            if self.is_stopping() {
                break;
            }
            match self.push_entry(&client, user, &entry).await? {
                Outcome::Next => {}
                Outcome::Stop => break,
                Outcome::Revoked => {
                    self.revoke(user).await;
                    break;
                }
            }
        }
        Ok(())
    }

    /// Pushes one entry and books the outcome on it.
    async fn push_entry(
        &self,
        client: &crate::google::calendar::CalendarClient,
        user: &UserId,
        entry: &OutboxDoc,
    ) -> Result<Outcome, SyncError> {
        let outbox = Outbox::new(&self.store);
        let event = entry.event_id();
        match to_google::push(self, client, user, entry).await {
            Ok(Pushed::Done | Pushed::GoogleWon) => Ok(Outcome::Next),
            Ok(Pushed::NotReady(why)) => {
                tracing::debug!(event = %event, why, "outbox entry not ready; postponed");
                let next =
                    Utc::now() + chrono::Duration::from_std(NOT_READY_DELAY).unwrap_or_default();
                outbox.postpone(user, &event, entry.version, next).await?;
                Ok(Outcome::Next)
            }
            Err(SyncError::Busy) => {
                let next =
                    Utc::now() + chrono::Duration::from_std(NOT_READY_DELAY).unwrap_or_default();
                outbox.postpone(user, &event, entry.version, next).await?;
                Ok(Outcome::Next)
            }
            Err(error) if error.is_revoked() => Ok(Outcome::Revoked),
            Err(SyncError::Google(error)) if is_permanent(&error) => {
                let status = status_of(&error);
                tracing::warn!(event = %event, user = %user, %error, "Google refused an outbox write for good; recorded on the entry");
                outbox
                    .fail(user, &event, entry.version, &error.to_string(), status)
                    .await?;
                Ok(Outcome::Next)
            }
            Err(error) => {
                let attempts = u32::try_from(entry.attempts.max(0)).unwrap_or(0);
                let wait = backoff(attempts);
                tracing::warn!(event = %event, user = %user, %error, retry_in = ?wait, "outbox write failed; retried after a backoff");
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                outbox
                    .retry_later(user, &event, entry.version, next, &error.to_string())
                    .await?;
                Ok(Outcome::Stop)
            }
        }
    }

    /// Records an outbox entry for each of `user`'s grid events and series that Google does not hold yet
    /// (made before Google was connected), then wakes the worker. Idempotent: an event with an entry
    /// keeps one entry, and a pushed event has a `gEventId` and is not selected again.
    pub async fn backfill(&self, user: &UserId) -> Result<usize, SyncError> {
        let ids = Events::new(&self.store)
            .without_google_copy(user, BACKFILL_LIMIT)
            .await?;
        let outbox = Outbox::new(&self.store);
        for id in &ids {
            if outbox.get(user, id, None).await?.is_some() {
                continue;
            }
            let pending = Pending {
                event: id.clone(),
                instance: false,
                g_event_id: None,
                g_calendar_id: None,
                g_etag: None,
                slot: None,
            };
            outbox.record(user, &pending, None).await?;
        }
        if !ids.is_empty() {
            tracing::info!(user = %user, events = ids.len(), "Compass events made before Google was connected are pushed");
            self.wake();
        }
        Ok(ids.len())
    }
}

/// Google refused the write itself; sending it again would not help.
fn is_permanent(error: &GoogleError) -> bool {
    matches!(
        error,
        GoogleError::BadRequest(_)
            | GoogleError::Forbidden(_)
            | GoogleError::NotFound(_)
            | GoogleError::Conflict(_)
            | GoogleError::Config(_)
    )
}

/// The HTTP status Google answered with.
fn status_of(error: &GoogleError) -> Option<u16> {
    match error {
        GoogleError::BadRequest(d)
        | GoogleError::Forbidden(d)
        | GoogleError::NotFound(d)
        | GoogleError::Conflict(d) => Some(d.status),
        _ => None,
    }
}

/// 1 s doubling per failed attempt, at most 5 min.
fn backoff(attempts: u32) -> Duration {
    Duration::from_secs(1u64 << attempts.min(9)).min(Duration::from_secs(300))
}
