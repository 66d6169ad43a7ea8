//! The user's Google calendars as Compass shows them (`GET /api/calendars`) and the choice of which
//! ones to sync (`PUT /api/calendars/select`): a calendar newly selected is marked dirty (the worker
//! lists it in full); one deselected loses its Google events, its sync state and its watch. The
//! primary calendar is always synced.

use compass_core::{SseEvent, UserId};

use super::engine::SyncEngine;
use crate::store::calendars::{CalendarDoc, Calendars};
use crate::store::events::Events;
use crate::store::sync_state::SyncStates;
use crate::store::watches::Watches;
use crate::store::StoreError;

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

    /// Applies a selection; `false` when none of the ids named one of the user's calendars.
    pub async fn select_calendars(
        &self,
        user: &UserId,
        selections: &[Selection],
    ) -> Result<bool, StoreError> {
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
                    SyncStates::new(&self.store).mark_dirty(user, &g_id).await?;
                    self.wake();
                }
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
                let watches = Watches::new(&self.store);
                if let Some(watch) = watches.for_calendar(user, &g_id).await? {
                    if let Ok(client) = self.client_for(user).await {
                        let _ = client
                            .stop_channel(&watch.id.to_hex(), &watch.resource_id)
                            .await;
                    }
                    watches.delete(user, &watch.id).await?;
                }
            }
        }
        if purged {
            self.publish(user, &SseEvent::EventChanged);
        }
        Ok(any)
    }
}
