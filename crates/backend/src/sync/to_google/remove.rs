//! Removing a Google copy for an event that is gone from Compass's grid (deleted, or moved to someday): the
//! delete is sent with `If-Match: <the etag Compass last saw>` (kept on the outbox entry), so that it never
//! silently destroys a Google edit Compass has not seen. A 412 is settled by the later-writer rule, as for
//! patches: Google's current version is read and its `updated` compared with the time of the Compass change
//! (`changedAt` of the entry). Google later ⇒ the Google version comes back to Compass (a someday event it
//! replaces is removed, so the event is back on the grid) and the entry completes; Compass later (or equal) ⇒
//! the delete is sent again with the current etag. Either way the conflict is traced (a `WARN` naming both
//! versions and a stored record, [`super::super::conflicts`]).

use compass_core::GoogleEventId;

use super::{google_id, Push, Pushed};
use crate::google::calendar::GoogleError;
use crate::store::events::Events;
use crate::sync::conflicts::{self, Winner};
use crate::sync::engine::SyncError;

/// How a removal ended.
enum Removed {
    /// Google no longer holds the copy.
    Gone,
    /// Google's later version was applied to Compass instead.
    GoogleWon,
}

impl Push<'_> {
    /// The event is gone or on a someday list: its Google copy (kept on the entry) goes, unless Google
    /// changed it later than Compass did (see the module docs).
    pub(super) async fn remove_copy(&self) -> Result<Pushed, SyncError> {
        if let Some(gid) = &self.entry.g_event_id {
            let calendar = self.entry.g_calendar_id.as_deref().unwrap_or(self.calendar);
            if let Removed::GoogleWon = self.delete_checked(calendar, gid).await? {
                return Ok(Pushed::GoogleWon);
            }
        }
        self.outbox()
            .complete(self.user, &self.entry.event_id(), self.entry.version, None)
            .await?;
        Ok(Pushed::Done)
    }

    /// Deletes `gid` with `If-Match` on the etag the entry kept; settles a 412 by the later writer.
    async fn delete_checked(&self, calendar: &str, gid: &str) -> Result<Removed, SyncError> {
        let id = google_id(gid)?;
        let seen = self.entry.g_etag.as_deref();
        match self.client.delete_event(calendar, &id, seen).await {
            Ok(_) | Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => Ok(Removed::Gone),
            Err(GoogleError::PreconditionFailed(_)) => self.resolve_delete(calendar, &id).await,
            Err(other) => Err(other.into()),
        }
    }

    /// Both sides changed the event: Compass removed it, Google edited it.
    async fn resolve_delete(
        &self,
        calendar: &str,
        id: &GoogleEventId,
    ) -> Result<Removed, SyncError> {
        let current = match self.client.get_event(calendar, id).await {
            Ok(current) if !current.is_cancelled() => current,
            Ok(_) | Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => {
                return Ok(Removed::Gone)
            }
            Err(other) => return Err(other.into()),
        };
        let compass_at = self.entry.changed_at();
        let google_later = self.google_later(&current).await?;
        let winner = Winner::of(google_later);
        conflicts::record(
            &self.engine.store,
            self.user,
            conflicts::Conflict {
                event: &self.entry.event_id(),
                compass_change: "removed",
                compass_changed_at: compass_at,
                compass_seen_etag: self.entry.g_etag.as_deref(),
                google: &current,
                g_calendar_id: calendar,
                winner,
            },
        )
        .await;
        if google_later {
            // A someday event is the one Google's version takes the place of: it goes back to the grid.
            let someday = Events::new(&self.engine.store)
                .get(self.user, &self.entry.event_id(), None)
                .await?
                .filter(|doc| doc.is_someday)
                .map(|doc| doc.event_id());
            self.take_google_version_in(calendar, current, someday)
                .await?;
            return Ok(Removed::GoogleWon);
        }
        match self
            .client
            .delete_event(calendar, id, current.etag.as_deref())
            .await
        {
            Ok(_) | Err(GoogleError::NotFound(_) | GoogleError::Deleted(_)) => Ok(Removed::Gone),
            Err(other) => Err(other.into()),
        }
    }
}
