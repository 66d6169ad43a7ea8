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
//! are opened after the events are committed. `invalid_grant` revokes ([`super::revocation`]).

use std::time::Duration;

use compass_core::{ImportGCalEndPayload, ImportGCalOperation, SseEvent, SyncStatus, UserId};
use mongodb::bson::oid::ObjectId;
use mongodb::bson::Document;

use super::engine::{SyncEngine, SyncError};
use super::worker::sync_calendar;
use crate::google::calendar::{CalendarClient, CalendarListEntry, CalendarListQuery, GoogleError};
use crate::store::calendars::{CalendarEntry, Calendars};
use crate::store::events::Events;
use crate::store::leases::Leases;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::watches::CALENDAR_LIST;

/// How long an import holds the user's import lease (a crashed import blocks the next one this long).
const IMPORT_LEASE: Duration = Duration::from_secs(30 * 60);
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
    /// otherwise), then starts the import in the background and returns.
    pub async fn start_import(&self, user: &UserId, force: bool) -> Result<(), SyncError> {
        let connected = Users::new(&self.store)
            .find(user)
            .await?
            .is_some_and(|u| u.has_refresh_token());
        if !connected {
            return Err(SyncError::NotConnected);
        }
        self.request_import(user, force);
        Ok(())
    }

    /// Starts a full import of `user` in the background (`force`: a repair). Returns at once.
    pub fn request_import(&self, user: &UserId, force: bool) {
        let engine = self.clone();
        let user = user.clone();
        tokio::spawn(async move { engine.import(&user, force).await });
    }

    /// Runs a full import of `user` (see the module docs); reports through SSE and metadata only.
    pub async fn import(&self, user: &UserId, force: bool) {
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
        self.run_import(user, operation).await;
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
            Err(error) if error.is_revoked() => self.revoke(user).await,
            // The grant went while the import started (another job met `invalid_grant` and revoked):
            // the import is owed again once the user reconnects (`RESTART`, as the revocation left it);
            // `ERRORED` or a lingering `IMPORTING` would hide that.
            Err(SyncError::NotConnected) => {
                tracing::info!(user = %user, "import ended: the Google grant was revoked meanwhile");
                if let Err(error) = users
                    .set_sync_status(user, Some(SyncStatus::Restart), None)
                    .await
                {
                    tracing::warn!(%error, "import status not stored");
                }
                self.publish_metadata(user).await;
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

    /// The import itself: calendars, then each synced calendar's events, then watches.
    async fn import_all(&self, user: &UserId) -> Result<Imported, SyncError> {
        let client = self.client_for(user).await?;
        let synced = self.import_calendars(&client, user).await?;
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
        for calendar in &synced {
            if let Err(error) = self.ensure_watch(&client, user, calendar).await {
                if error.is_revoked() {
                    return Err(error);
                }
                tracing::warn!(%error, user = %user, "watch not opened; the polling backstop covers it");
            }
        }
        Ok(imported)
    }

    /// Refreshes the user's calendar list and returns the ids of the calendars to sync (the primary
    /// and the selected ones); forgets the Google events and sync state of the others.
    async fn import_calendars(
        &self,
        client: &CalendarClient,
        user: &UserId,
    ) -> Result<Vec<String>, SyncError> {
        let page = client
            .list_all_calendars(&CalendarListQuery::default())
            .await?;
        let calendars = Calendars::new(&self.store);
        let mut keep = Vec::new();
        for entry in page.items.iter().filter(|e| !e.deleted) {
            calendars
                .upsert_from_google(user, &calendar_entry(entry), None)
                .await?;
            keep.push(entry.id.clone());
        }
        if keep.is_empty() {
            return Err(SyncError::Google(GoogleError::Unexpected(
                "the calendar list is empty".into(),
            )));
        }
        calendars.delete_missing(user, &keep, None).await?;
        let synced: Vec<String> = calendars
            .list(user)
            .await?
            .items
            .into_iter()
            .filter(|c| c.primary || c.selected)
            .map(|c| c.metadata.id)
            .collect();
        Events::new(&self.store)
            .delete_google_outside(user, &synced, None)
            .await?;
        let states = SyncStates::new(&self.store);
        for state in states.list(user).await?.items {
            let id = state.g_calendar_id;
            if id != CALENDAR_LIST && !synced.contains(&id) {
                states.delete(user, &id).await?;
            }
        }
        Ok(synced)
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

/// The stored form of a calendar-list entry.
fn calendar_entry(entry: &CalendarListEntry) -> CalendarEntry {
    let mut rest = Document::new();
    if let Some(summary) = entry.summary_override.as_ref().or(entry.summary.as_ref()) {
        rest.insert("summary", summary.as_str());
    }
    if let Some(description) = &entry.description {
        rest.insert("description", description.as_str());
    }
    if let Some(role) = &entry.access_role {
        rest.insert("accessRole", role.as_str());
    }
    let color = entry
        .extra
        .get("foregroundColor")
        .and_then(|v| v.as_str())
        .unwrap_or("#000000")
        .to_owned();
    CalendarEntry {
        g_calendar_id: entry.id.clone(),
        background_color: entry
            .background_color
            .clone()
            .unwrap_or_else(|| "#9fe1e7".into()),
        color,
        selected: entry.selected || entry.primary,
        primary: entry.primary,
        timezone: entry.time_zone.clone(),
        rest,
    }
}
