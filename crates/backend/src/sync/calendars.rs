//! The user's Google calendars as Compass shows them (`GET /api/calendars`), the choice of which
//! ones to sync (`PUT /api/calendars/select`), and the calendar list read from Google (by the import, and
//! by the worker when the calendar-list channel says it changed).
//!
//! A calendar newly selected — or newly in the Google list and selected there — is marked dirty (the
//! worker lists it in full) and gets a watch; one deselected or gone from the Google list loses its
//! Google events, its sync state and its watch (stopped at Google). The primary calendar is always
//! synced.

use std::time::Duration;

use compass_core::{SseEvent, UserId};
use mongodb::bson::Document;

use super::engine::{SyncEngine, SyncError};
use crate::google::calendar::{CalendarClient, CalendarListEntry, CalendarListQuery, GoogleError};
use crate::store::calendars::{CalendarDoc, CalendarEntry, Calendars};
use crate::store::events::Events;
use crate::store::sync_dirty::DirtyMarks;
use crate::store::sync_state::SyncStates;
use crate::store::users::Users;
use crate::store::watches::CALENDAR_LIST;
use crate::store::StoreError;

/// What applying the Google calendar list changed.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListApplied {
    /// The calendars synced now (primary and selected).
    pub synced: Vec<String>,
    /// Synced now, not before.
    pub added: Vec<String>,
    /// Synced before, not now (their events, sync state and watch are gone).
    pub removed: Vec<String>,
    /// Google events removed with them.
    pub events_removed: u64,
}

/// One entry of a selection request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The calendar: its Compass id or its Google id.
    pub id: String,
    /// Sync and show it.
    pub selected: bool,
}

impl SyncEngine {
    /// The user's calendars, primary first.
    pub async fn calendars(&self, user: &UserId) -> Result<Vec<CalendarDoc>, StoreError> {
        Ok(Calendars::new(&self.store).list(user).await?.items)
    }

    /// Applies a selection; `false` when none of the ids named one of the user's calendars. Stopping a
    /// deselected calendar's channel may find the grant revoked: the revocation runs, and the error is
    /// returned (the route answers `GOOGLE_REVOKED`).
    pub async fn select_calendars(
        &self,
        user: &UserId,
        selections: &[Selection],
    ) -> Result<bool, SyncError> {
        match self.apply_selection(user, selections).await {
            Err(error) if error.is_revoked() => {
                self.revoke(user).await;
                Err(error)
            }
            other => other,
        }
    }

    async fn apply_selection(
        &self,
        user: &UserId,
        selections: &[Selection],
    ) -> Result<bool, SyncError> {
        let calendars = Calendars::new(&self.store);
        let owned = calendars.list(user).await?.items;
        let mut any = false;
        let mut purged = false;
        for selection in selections {
            let Some(calendar) = owned
                .iter()
                .find(|c| c.id.to_hex() == selection.id || c.metadata.id == selection.id)
            else {
                continue;
            };
            any = true;
            let g_id = calendar.metadata.id.clone();
            calendars
                .set_selected(user, &g_id, selection.selected)
                .await?;
            if selection.selected || calendar.primary {
                if !calendar.selected
                    || SyncStates::new(&self.store)
                        .get(user, &g_id, None)
                        .await?
                        .is_none()
                {
                    DirtyMarks::new(&self.store).mark(user, &g_id).await?;
                    self.wake();
                }
                self.want_watches(user, std::slice::from_ref(&g_id)).await?;
            } else {
                let synced: Vec<String> = owned
                    .iter()
                    .filter(|c| c.metadata.id != g_id && (c.primary || c.selected))
                    .map(|c| c.metadata.id.clone())
                    .collect();
                let gone = Events::new(&self.store)
                    .delete_google_outside(user, &synced, None)
                    .await?;
                purged |= gone > 0;
                SyncStates::new(&self.store).delete(user, &g_id).await?;
                self.stop_watch(user, &g_id, None).await?;
            }
        }
        if purged {
            self.publish(user, &SseEvent::EventChanged);
        }
        self.refresh_health(user).await;
        Ok(any)
    }

    /// Reads the whole Google calendar list and applies it: entries stored, calendars gone from the list
    /// deleted, the Google events, sync state and watch of calendars no longer synced removed, and the
    /// list's own sync cursor committed (so the polling backstop re-reads it too). The caller holds the
    /// calendar-list lease.
    pub(crate) async fn apply_calendar_list(
        &self,
        client: &CalendarClient,
        user: &UserId,
    ) -> Result<ListApplied, SyncError> {
        let before = self.synced_calendars(user).await?;
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
        let synced = self.synced_calendars(user).await?;
        let events_removed = Events::new(&self.store)
            .delete_google_outside(user, &synced, None)
            .await?;
        let states = SyncStates::new(&self.store);
        for state in states.list(user).await?.items {
            let id = state.g_calendar_id;
            if id != CALENDAR_LIST && !synced.contains(&id) {
                states.delete(user, &id).await?;
            }
        }
        let removed: Vec<String> = before
            .iter()
            .filter(|c| !synced.contains(c))
            .cloned()
            .collect();
        for calendar in &removed {
            self.stop_watch(user, calendar, Some(client)).await?;
        }
        if let Some(token) = &page.next_sync_token {
            states
                .commit_sync_token(user, CALENDAR_LIST, token, None)
                .await?;
        }
        let added = synced
            .iter()
            .filter(|c| !before.contains(c))
            .cloned()
            .collect();
        // Disconnected (or revoked) meanwhile: that flow cleared the grant before deleting, so whatever
        // was written here after its deletes is removed now.
        if !Users::new(&self.store).has_grant(user, None).await? {
            Calendars::new(&self.store).delete_all(user, None).await?;
            states.delete_all(user).await?;
            return Err(SyncError::NotConnected);
        }
        Ok(ListApplied {
            synced,
            added,
            removed,
            events_removed,
        })
    }

    /// The calendar-list channel said the list changed (or the backstop came round): re-reads it; a new
    /// synced calendar is marked dirty (listed in full by the worker) and gets a watch, a removed one
    /// loses its Google events, sync state and watch.
    pub(crate) async fn drain_calendar_list(
        &self,
        user: &UserId,
        generation: i64,
    ) -> Result<(), SyncError> {
        let client = self.client_for(user).await?;
        let applied = self
            .with_calendar_lease(user, CALENDAR_LIST, Duration::ZERO, || {
                self.apply_calendar_list(&client, user)
            })
            .await?;
        let marks = DirtyMarks::new(&self.store);
        for calendar in &applied.added {
            marks.mark(user, calendar).await?;
        }
        if !applied.added.is_empty() {
            self.want_watches(user, &applied.added).await?;
            self.wake();
        }
        if applied.events_removed > 0 {
            self.publish(user, &SseEvent::EventChanged);
        }
        marks.clear(user, CALENDAR_LIST, generation).await?;
        self.want_watches(user, &[CALENDAR_LIST.to_owned()]).await?;
        if !applied.added.is_empty() || !applied.removed.is_empty() {
            tracing::info!(
                user = %user,
                added = applied.added.len(),
                removed = applied.removed.len(),
                "calendar list changed"
            );
            self.refresh_health(user).await;
        }
        Ok(())
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
