//! Full imports: the first import after connecting Google (the worker starts it when `sync.importGCal`
//! is `RESTART`) and the repair (`POST /api/sync/import-gcal {"force": true}`), announced with
//! `IMPORT_GCAL_START` / `IMPORT_GCAL_END` and tracked in `sync.importGCal`.
//!
//! An import holds the user's import lease (`crate::store::leases`, `import:<user>`), so a second import
//! while one runs ends `IGNORED`, across server instances too; without `force` it also ends `IGNORED`
//! when the import already `COMPLETED`. A crashed import's lease lapses, so it never blocks for good. The import never wipes first: for each synced calendar it lists **every
//! page**, fetches each series' instances, and only then, in one transaction, upserts what Google has,
//! deletes the calendar's Google events Google no longer lists, and stores the calendar's sync token.
//! A failed import or repair therefore leaves the user's Google events as they were (backend spec §15
//! item 2). Calendars: the primary and every calendar the user selected (`GET /api/calendars`,
//! `PUT /api/calendars/select`); the Google events of calendars no longer synced are removed. Watches
//! are opened after the events are committed — the calendar list's and each synced calendar's; one
//! that fails is left as a wanted record that the worker opens ([`super::watches`]). `invalid_grant`
//! revokes ([`super::revocation`]). A server that stops abandons the import at the next Google call
//! (nothing half-committed: each calendar is one transaction) and sets `sync.importGCal` back to
//! `RESTART`, so the next server resumes it.

use std::time::Duration;

use compass_core::{ImportGCalEndPayload, ImportGCalOperation, SseEvent, SyncStatus, UserId};
use mongodb::bson::oid::ObjectId;

use super::engine::{SyncEngine, SyncError};
use super::worker::sync_calendar;
use crate::google::calendar::{CalendarListQuery, GoogleError};
use crate::store::leases::Leases;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::watches::CALENDAR_LIST;

/// The `IMPORT_GCAL_END` message of an import that found the grant revoked.
const REVOKED_MESSAGE: &str =
    "Google access was revoked or has expired. Please reconnect Google Calendar.";
/// How long `POST /api/sync/import-gcal` waits for its grant check before answering anyway.
const GRANT_CHECK: Duration = Duration::from_secs(5);
/// How long the user's import lease lasts unless renewed (renewed every third of that while the import
/// runs, `Leases::renewing`; a crashed import blocks the next one this long at most).
const IMPORT_LEASE: Duration = Duration::from_secs(60);
/// How long an import waits for a calendar that the worker is syncing.
const LEASE_PATIENCE: Duration = Duration::from_secs(60);

/// What a finished import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Imported {
    /// Compass events written.
    pub events: u64,
    /// Google calendars synced.
    pub calendars: u64,
}

impl SyncEngine {
    /// `POST /api/sync/import-gcal`: checks that `user` has a Google grant ([`SyncError::NotConnected`]
    /// otherwise) and that Google still honours it (one small `calendarList.list`): `invalid_grant` runs
    /// the revocation and is returned (the route answers `GOOGLE_REVOKED`). Then starts the import in the
    /// background and returns.
    pub async fn start_import(&self, user: &UserId, force: bool) -> Result<(), SyncError> {
        let connected = Users::new(&self.store)
            .find(user)
            .await?
            .is_some_and(|u| u.has_refresh_token());
        if !connected {
            return Err(SyncError::NotConnected);
        }
        let client = self.client_for(user).await?;
        let probe = CalendarListQuery {
            max_results: Some(1),
            ..CalendarListQuery::default()
        };
        match tokio::time::timeout(GRANT_CHECK, client.list_calendars(&probe)).await {
            Ok(Ok(_)) => {}
            Ok(Err(GoogleError::Revoked)) => {
                self.revoke(user).await;
                return Err(SyncError::Google(GoogleError::Revoked));
            }
            // Anything else (or a slow Google) is the import's to report, over SSE.
            Ok(Err(error)) => tracing::info!(%error, "grant check failed; the import reports it"),
            Err(_) => tracing::info!("grant check timed out; the import reports any failure"),
        }
        self.request_import(user, force);
        Ok(())
    }

    /// Starts a full import of `user` in the background (`force`: a repair). Returns at once.
    pub fn request_import(&self, user: &UserId, force: bool) {
        let engine = self.clone();
        let user = user.clone();
        self.spawn(async move { engine.import(&user, force).await });
    }

    /// Runs a full import of `user` (see the module docs); reports through SSE and metadata only.
    pub async fn import(&self, user: &UserId, force: bool) {
        if self.is_stopping() {
            // Not started: `sync.importGCal` is unchanged, so the next server starts it.
            return;
        }
        let operation = if force {
            ImportGCalOperation::Repair
        } else {
            ImportGCalOperation::Incremental
        };
        let users = Users::new(&self.store);
        let leases = Leases::new(&self.store);
        let lease = format!("import:{user}");
        let holder = format!("{}:{}", self.instance, ObjectId::new().to_hex());
        let claimed = match leases.acquire(&lease, &holder, IMPORT_LEASE).await {
            Ok(Some(_)) => match users.claim_import(user, force).await {
                Ok(true) => true,
                Ok(false) => false,
                Err(error) => {
                    tracing::warn!(%error, user = %user, "import not started");
                    let _ = leases.release(&lease, &holder).await;
                    return;
                }
            },
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, user = %user, "import not started");
                return;
            }
        };
        if !claimed {
            let _ = leases.release(&lease, &holder).await;
            self.publish(
                user,
                &SseEvent::ImportGCalEnd(ImportGCalEndPayload::Ignored {
                    operation,
                    message: format!(
                        "User {user} gcal import is in progress or completed, ignoring this request"
                    ),
                }),
            );
            return;
        }
        leases
            .renewing(
                &lease,
                &holder,
                IMPORT_LEASE,
                self.run_import(user, operation),
            )
            .await;
        if let Err(error) = leases.release(&lease, &holder).await {
            tracing::warn!(%error, "import lease not released (it will lapse)");
        }
    }

    /// The claimed import: announce, import, report.
    async fn run_import(&self, user: &UserId, operation: ImportGCalOperation) {
        let users = Users::new(&self.store);
        let force = operation == ImportGCalOperation::Repair;
        self.publish(user, &SseEvent::ImportGCalStart);
        self.publish_metadata(user).await;
        tracing::info!(user = %user, force, "Google import started");
        match self.import_all(user).await {
            Ok(imported) => {
                if let Err(error) = users
                    .set_sync_status(user, Some(SyncStatus::Completed), None)
                    .await
                {
                    tracing::warn!(%error, "import status not stored");
                }
                // Compass events made before Google was connected go to Google now (idempotent).
                if let Err(error) = self.backfill(user).await {
                    tracing::warn!(%error, user = %user, "backfill not recorded; the next import retries");
                }
                self.publish_metadata(user).await;
                tracing::info!(user = %user, events = imported.events, calendars = imported.calendars, "Google import completed");
                self.publish(
                    user,
                    &SseEvent::ImportGCalEnd(ImportGCalEndPayload::Completed {
                        operation,
                        events_count: Some(imported.events),
                        calendars_count: Some(imported.calendars),
                    }),
                );
                self.publish(user, &SseEvent::EventChanged);
            }
            Err(error) if error.is_revoked() => {
                self.revoke(user).await;
                // The reference ends a revoked import without IMPORT_GCAL_END (§15 item 32), leaving a
                // tab that waits for it spinning: here it ends ERRORED, after GOOGLE_REVOKED.
                self.publish(
                    user,
                    &SseEvent::ImportGCalEnd(ImportGCalEndPayload::Errored {
                        operation,
                        message: REVOKED_MESSAGE.into(),
                    }),
                );
            }
            Err(SyncError::NotConnected) => {
                // Disconnected (or revoked) while the import ran: nothing of it was written after that,
                // and the status belongs to whoever cleared the grant.
                tracing::info!(user = %user, "Google import ended: the grant is gone");
                self.publish(
                    user,
                    &SseEvent::ImportGCalEnd(ImportGCalEndPayload::Errored {
                        operation,
                        message: REVOKED_MESSAGE.into(),
                    }),
                );
            }
            Err(SyncError::Stopping) => {
                // The server is stopping: the next one (or this one, restarted) imports again.
                tracing::info!(user = %user, "Google import abandoned: the server is stopping");
                if let Err(error) = users
                    .set_sync_status(user, Some(SyncStatus::Restart), None)
                    .await
                {
                    tracing::warn!(%error, "import status not stored");
                }
            }
            Err(error) => {
                tracing::warn!(%error, user = %user, "Google import failed");
                if let Err(error) = users
                    .set_sync_status(user, Some(SyncStatus::Errored), None)
                    .await
                {
                    tracing::warn!(%error, "import status not stored");
                }
                self.publish_metadata(user).await;
                self.publish(
                    user,
                    &SseEvent::ImportGCalEnd(ImportGCalEndPayload::Errored {
                        operation,
                        message: failure_message(&error).into(),
                    }),
                );
            }
        }
    }

    /// The import itself: calendars, then each synced calendar's events, then watches (the calendar list
    /// and each synced calendar; one that cannot be opened is left to the worker's repair).
    async fn import_all(&self, user: &UserId) -> Result<Imported, SyncError> {
        let client = self.client_for(user).await?;
        let listed = self
            .with_calendar_lease(user, CALENDAR_LIST, LEASE_PATIENCE, || {
                self.apply_calendar_list(&client, user)
            })
            .await?;
        let synced = listed.synced;
        let mut imported = Imported {
            events: 0,
            calendars: synced.len() as u64,
        };
        for calendar in &synced {
            let applied = self
                .with_calendar_lease(user, calendar, LEASE_PATIENCE, || async {
                    // A repair lists in full even when a sync token is stored.
                    SyncStates::new(&self.store)
                        .reset_tokens(user, calendar)
                        .await?;
                    sync_calendar(self, &client, user, calendar).await
                })
                .await?;
            imported.events += applied.written + applied.unchanged;
        }
        if self.is_stopping() {
            return Err(SyncError::Stopping);
        }
        let mut watched = synced.clone();
        watched.push(CALENDAR_LIST.to_owned());
        if self.watches_wanted(user).await? {
            for calendar in &watched {
                // The renewal worker may be opening it already (the same key keeps them apart).
                let key = format!("watch:{user}:{calendar}");
                if !self.begin(&key) {
                    continue;
                }
                let opened = self.ensure_watch(&client, user, calendar).await;
                self.end(&key);
                if let Err(error) = opened {
                    if error.is_revoked() {
                        return Err(error);
                    }
                    tracing::warn!(%error, user = %user, "watch not opened; the worker retries");
                    self.want_watches(user, std::slice::from_ref(calendar))
                        .await?;
                }
            }
        }
        Ok(imported)
    }
}

/// The reference's `IMPORT_GCAL_END` message for a failure (§5.4).
fn failure_message(error: &SyncError) -> &'static str {
    match error {
        SyncError::Google(GoogleError::RateLimited(_) | GoogleError::TooManyRequests(_)) => {
            "Google Calendar repair hit a Google API limit. Please wait a few minutes and try again."
        }
        _ => "Google Calendar repair failed. Please try again.",
    }
}
