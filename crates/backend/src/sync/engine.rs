//! [`SyncEngine`]: the sync handle the server holds (store, hub, settings, the shared Calendar API
//! client, the worker's wake-up, its stop signal and the background tasks it tracks), and [`SyncError`],
//! what a sync step can fail with.
//!
//! Stopping ([`SyncEngine::stop`], then [`SyncEngine::stopped`]): the worker loop ends after its current
//! pass, every job waiting on Google under a calendar lease is abandoned (nothing of it was committed: a
//! calendar's changes and its sync token are written in one transaction at the end) and its lease
//! released, an abandoned import puts `sync.importGCal` back to `RESTART` so the next server resumes it, and
//! the short jobs (a watch renewal, a channel stop) finish. A lease whose release failed lapses by itself.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use compass_core::{SseEvent, UserId};
use oauth2::RefreshToken;
use tokio::sync::Notify;

use crate::domain::token_cipher::TokenCipher;
use crate::google::calendar::{CalendarApi, CalendarClient, GoogleError, RetryPolicy};
use crate::settings::Settings;
use crate::sse::Hub;
use crate::store::leases::Leases;
use crate::store::users::Users;
use crate::store::{Store, StoreError};

/// How long a calendar's lease lasts unless renewed; its holder renews it every third of that while its
/// job runs (`Leases::renewing`), so a holder that died blocks the calendar this long at most.
pub(crate) const CALENDAR_LEASE: Duration = Duration::from_secs(30);

/// Why a sync step failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Google failed (already retried where that is safe).
    #[error(transparent)]
    Google(#[from] GoogleError),
    /// The user has no live Google grant (never connected, or revoked).
    #[error("the user has no Google grant")]
    NotConnected,
    /// Google is not configured on this server.
    #[error("Google is not configured")]
    NotConfigured,
    /// Another worker holds the calendar.
    #[error("the calendar is being synced elsewhere")]
    Busy,
    /// The server is stopping: the job was abandoned before anything was committed.
    #[error("the server is stopping")]
    Stopping,
}

impl SyncError {
    /// True when Google said the grant is dead (`invalid_grant`).
    pub fn is_revoked(&self) -> bool {
        matches!(self, SyncError::Google(GoogleError::Revoked))
    }
}

/// The sync engine. Cheap to clone (shared state behind `Arc`s).
#[derive(Clone)]
pub struct SyncEngine {
    pub(crate) store: Store,
    pub(crate) hub: Hub,
    pub(crate) settings: Arc<Settings>,
    pub(crate) api: Option<CalendarApi>,
    pub(crate) wake: Arc<Notify>,
    /// Background jobs this process runs now (`sync:<user>:<calendar>`, `import:<user>`).
    pub(crate) running: Arc<Mutex<HashSet<String>>>,
    /// Jobs that failed: how often in a row, and when they may run again (exponential backoff).
    pub(crate) failures: Arc<Mutex<HashMap<String, (u32, tokio::time::Instant)>>>,
    /// This instance, for lease holders.
    pub(crate) instance: String,
    /// Stop signal and the tracked background tasks.
    pub(crate) life: Arc<Life>,
}

/// The engine's stop signal and the background tasks it waits for when stopping.
#[derive(Debug, Default)]
pub(crate) struct Life {
    stopping: AtomicBool,
    stop: tokio::sync::Notify,
    tasks: AtomicUsize,
    idle: tokio::sync::Notify,
    worker: AtomicBool,
}

/// Counts a tracked task until it is dropped.
struct TaskGuard(Arc<Life>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.tasks.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl std::fmt::Debug for SyncEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncEngine")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl SyncEngine {
    /// The engine over `store`, publishing to `hub`. Google unconfigured ⇒ an engine that never syncs.
    pub fn new(store: Store, hub: Hub, settings: Arc<Settings>) -> Self {
        let api = if settings.google.is_configured() {
            match CalendarApi::new(&settings.google, RetryPolicy::default()) {
                Ok(api) => Some(api),
                Err(error) => {
                    tracing::warn!(%error, "Calendar API client unavailable; Google sync is off");
                    None
                }
            }
        } else {
            None
        };
        Self {
            store,
            hub,
            settings,
            api,
            wake: Arc::new(Notify::new()),
            running: Arc::new(Mutex::new(HashSet::new())),
            failures: Arc::new(Mutex::new(HashMap::new())),
            instance: mongodb::bson::oid::ObjectId::new().to_hex(),
            life: Arc::new(Life::default()),
        }
    }

    /// Runs `job` in the background as a task [`Self::stopped`] waits for.
    pub(crate) fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        self.life.tasks.fetch_add(1, Ordering::SeqCst);
        let guard = TaskGuard(self.life.clone());
        tokio::spawn(async move {
            job.await;
            drop(guard);
        });
    }

    /// True once [`Self::stop`] was called.
    pub fn is_stopping(&self) -> bool {
        self.life.stopping.load(Ordering::SeqCst)
    }

    /// Resolves when [`Self::stop`] is called (at once if it was).
    pub(crate) async fn stop_requested(&self) {
        let notified = self.life.stop.notified();
        if self.is_stopping() {
            return;
        }
        notified.await;
    }

    /// Asks the worker and every tracked job to stop (see the module docs). Returns at once.
    pub fn stop(&self) {
        self.life.stopping.store(true, Ordering::SeqCst);
        self.life.stop.notify_waiters();
        self.wake.notify_one();
    }

    /// True while the background worker loop runs.
    pub fn worker_running(&self) -> bool {
        self.life.worker.load(Ordering::SeqCst)
    }

    /// How many tracked background jobs are running.
    pub fn running_jobs(&self) -> usize {
        self.life.tasks.load(Ordering::SeqCst)
    }

    /// [`Self::stop`], then waits up to `patience` for the worker loop and the tracked jobs to end.
    /// Returns whether everything ended in time.
    pub async fn stopped(&self, patience: Duration) -> bool {
        self.stop();
        let until = tokio::time::Instant::now() + patience;
        loop {
            let idle = self.life.idle.notified();
            if !self.worker_running() && self.running_jobs() == 0 {
                return true;
            }
            if tokio::time::timeout_at(until, idle).await.is_err() {
                let ended = !self.worker_running() && self.running_jobs() == 0;
                if !ended {
                    tracing::warn!(
                        jobs = self.running_jobs(),
                        "sync jobs still running at shutdown"
                    );
                }
                return ended;
            }
        }
    }

    /// Marks the worker loop as running or ended (and wakes [`Self::stopped`]).
    pub(crate) fn set_worker_running(&self, running: bool) {
        self.life.worker.store(running, Ordering::SeqCst);
        if !running {
            self.life.idle.notify_waiters();
        }
    }

    /// Wakes the worker now (a notification marked a calendar dirty).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A Calendar client acting for `user`'s Google grant.
    pub(crate) async fn client_for(&self, user: &UserId) -> Result<CalendarClient, SyncError> {
        let api = self.api.as_ref().ok_or(SyncError::NotConfigured)?;
        let doc = Users::new(&self.store)
            .find(user)
            .await?
            .ok_or(SyncError::NotConnected)?;
        let sealed = doc
            .google
            .as_ref()
            .map(|g| g.refresh_token_encrypted.as_str())
            .filter(|s| !s.is_empty())
            .ok_or(SyncError::NotConnected)?;
        let token = TokenCipher::new(self.settings.encryption_key.expose())
            .decrypt(sealed, user.as_str())
            .map_err(|_| SyncError::NotConnected)?;
        Ok(api
            .client(RefreshToken::new(token))
            .with_quota_user(user.as_str()))
    }

    /// Publishes `event` to the user's tabs.
    pub(crate) fn publish(&self, user: &UserId, event: &SseEvent) {
        self.hub.publish(user, event);
    }

    /// Marks `key` as running in this process; `false` when it already is.
    pub(crate) fn begin(&self, key: &str) -> bool {
        self.running
            .lock()
            .map(|mut r| r.insert(key.to_owned()))
            .unwrap_or(false)
    }

    /// True when `key` failed recently and its backoff has not elapsed.
    pub(crate) fn backing_off(&self, key: &str) -> bool {
        self.failures.lock().is_ok_and(|f| {
            f.get(key)
                .is_some_and(|(_, until)| *until > tokio::time::Instant::now())
        })
    }

    /// Records the outcome of job `key`: a failure doubles its backoff (1 s up to 5 min), a success clears
    /// it. Returns the backoff after a failure.
    pub(crate) fn record(&self, key: &str, failed: bool) -> Option<Duration> {
        let Ok(mut failures) = self.failures.lock() else {
            return None;
        };
        if !failed {
            failures.remove(key);
            return None;
        }
        let count = failures.get(key).map_or(0, |(n, _)| *n).saturating_add(1);
        let wait = Duration::from_secs(1u64 << count.min(9)).min(Duration::from_secs(300));
        failures.insert(key.to_owned(), (count, tokio::time::Instant::now() + wait));
        Some(wait)
    }

    /// Clears a [`Self::begin`] mark.
    pub(crate) fn end(&self, key: &str) {
        if let Ok(mut running) = self.running.lock() {
            running.remove(key);
        }
    }

    /// Runs `job` holding the lease of `user`'s calendar (one worker per calendar across server
    /// instances); [`SyncError::Busy`] when someone else holds it after `patience`.
    pub(crate) async fn with_calendar_lease<T, F, Fut>(
        &self,
        user: &UserId,
        g_calendar_id: &str,
        patience: Duration,
        job: F,
    ) -> Result<T, SyncError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, SyncError>>,
    {
        let name = format!("sync:{user}:{g_calendar_id}");
        let holder = format!(
            "{}:{}",
            self.instance,
            mongodb::bson::oid::ObjectId::new().to_hex()
        );
        let leases = Leases::new(&self.store);
        let until = tokio::time::Instant::now() + patience;
        loop {
            if leases
                .acquire(&name, &holder, CALENDAR_LEASE)
                .await?
                .is_some()
            {
                break;
            }
            if tokio::time::Instant::now() >= until {
                return Err(SyncError::Busy);
            }
            if self.is_stopping() {
                return Err(SyncError::Stopping);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Stopping abandons the job (its writes are one transaction at its end, so nothing half-done
        // remains) and still releases the lease.
        let result = leases
            .renewing(&name, &holder, CALENDAR_LEASE, async {
                tokio::select! {
                    result = job() => result,
                    () = self.stop_requested() => Err(SyncError::Stopping),
                }
            })
            .await;
        if let Err(error) = leases.release(&name, &holder).await {
            tracing::warn!(%error, "calendar lease not released (it will lapse)");
        }
        result
    }
}
