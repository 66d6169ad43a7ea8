//! Creating the Google copy of a Compass event: `events.insert` with the Compass id as Google id, so that a retry
//! can never make a second copy. When that id is already taken by our own copy — an earlier insert whose answer was
//! lost (a restart, a failed answer after Google committed), or our copy deleted when the event went to someday —
//! the copy is taken over instead of duplicated. A copy that no longer holds what Compass sent was changed at Google
//! since (seeds 15780, 11611: the insert reached Google, the server stopped before recording it, Google's user then
//! renamed and moved it): the later-writer rule settles it, as for a 412 — Google later ⇒ its version comes to
//! Compass; Compass later ⇒ the copy is patched with `If-Match` on the etag just read. Before, the copy was taken
//! as Compass's own write: Compass recorded its etag and kept its own content, and neither side ever changed again.

use super::{google_id, Push};
use crate::google::calendar::{Event, EventDateTime, GoogleError};
use crate::store::events::{EventDoc, Events, GoogleCopy};
use crate::sync::conflicts::{self, Winner};
use crate::sync::engine::SyncError;
use crate::sync::google_body::google_body;

impl Push<'_> {
    /// Inserts the event with its Compass id as Google id (see the module docs); `None` when Google's later
    /// version of a copy it already held was applied to Compass instead.
    pub(super) async fn create(&self, doc: &EventDoc) -> Result<Option<Event>, SyncError> {
        let id = google_id(&doc.id.to_hex())?;
        let mut body = google_body(doc, false);
        body.id = Some(id.clone());
        let held = match self.client.insert_event(self.calendar, &body).await {
            Ok(event) => event,
            Err(GoogleError::Conflict(details)) => {
                // The id is taken: by our own copy (see the module docs), or by something that is not ours to
                // overwrite.
                let existing = self.client.get_event(self.calendar, &id).await?;
                if existing.private_property("compassId") != Some(id.as_str())
                    && !existing.is_cancelled()
                {
                    return Err(GoogleError::Conflict(details).into());
                }
                if existing.is_cancelled() {
                    // Our copy, deleted at Google (by Compass itself when the event went to someday, or by
                    // Google's user): it comes back. See docs/sync.md "Not yet".
                    tracing::info!(event = %doc.id, "insert met our own cancelled copy at Google; restored");
                    let restored = self
                        .client
                        .patch_event(self.calendar, &id, &google_body(doc, true), None)
                        .await?;
                    return Ok(Some(restored));
                }
                existing
            }
            Err(other) => return Err(other.into()),
        };
        if holds(&held, &body) {
            return Ok(Some(held));
        }
        self.settle_changed_copy(doc, held).await
    }

    /// Google holds our copy with changes made there since it was inserted: the later writer wins.
    async fn settle_changed_copy(
        &self,
        doc: &EventDoc,
        current: Event,
    ) -> Result<Option<Event>, SyncError> {
        let google_later = self.google_later(&current).await?;
        conflicts::record(
            &self.engine.store,
            self.user,
            conflicts::Conflict {
                event: &doc.event_id(),
                compass_change: "created",
                compass_changed_at: self.entry.changed_at(),
                compass_seen_etag: None,
                google: &current,
                g_calendar_id: self.calendar,
                winner: Winner::of(google_later),
            },
        )
        .await;
        let id = google_id(&doc.id.to_hex())?;
        if google_later {
            // Compass's event learns its Google id first, so that Google's version replaces it (rather than
            // arriving as a second event); no etag, so that it is not taken for an echo.
            let copy = GoogleCopy {
                g_event_id: id.as_str().to_owned(),
                g_recurring_event_id: None,
                g_calendar_id: self.calendar.to_owned(),
                etag: None,
                updated: None,
            };
            Events::new(&self.engine.store)
                .set_google_copy(self.user, &doc.event_id(), None, &copy, None)
                .await?;
            self.take_google_version(current).await?;
            return Ok(None);
        }
        let written = self
            .client
            .patch_event(
                self.calendar,
                &id,
                &google_body(doc, true),
                current.etag.as_deref(),
            )
            .await?;
        Ok(Some(written))
    }
}

/// True when Google's `held` copy still has what the insert `sent`: title, description, dates (compared as
/// instants) and rule.
fn holds(held: &Event, sent: &Event) -> bool {
    let (Some(held), Some(sent)) = (typed(held), typed(sent)) else {
        return false;
    };
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let rule = |r: &Option<Vec<String>>| r.clone().unwrap_or_default();
    let when = |a: &Option<EventDateTime>, b: &Option<EventDateTime>| match (a, b) {
        (Some(a), Some(b)) => a.date == b.date && a.date_time == b.date_time,
        (None, None) => true,
        _ => false,
    };
    text(&held.summary) == text(&sent.summary)
        && text(&held.description) == text(&sent.description)
        && when(&held.start, &sent.start)
        && when(&held.end, &sent.end)
        && rule(&held.recurrence) == rule(&sent.recurrence)
}

/// `event` with every field in its typed place: a body Compass builds may carry some (`start`, `end` with
/// explicit nulls for a patch) as raw JSON.
fn typed(event: &Event) -> Option<Event> {
    serde_json::to_value(event)
        .and_then(serde_json::from_value)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).expect("an event")
    }

    #[test]
    fn a_copy_holds_what_was_sent_whatever_the_offset_it_is_written_in() {
        let sent = event(serde_json::json!({
            "summary": "Plan",
            "start": { "dateTime": "2027-02-27T14:00:00+00:00", "timeZone": "UTC" },
            "end": { "dateTime": "2027-02-27T15:30:00+00:00", "timeZone": "UTC" },
        }));
        let held = event(serde_json::json!({
            "summary": "Plan",
            "description": "",
            "start": { "dateTime": "2027-02-27T15:00:00+01:00" },
            "end": { "dateTime": "2027-02-27T15:30:00Z" },
        }));
        assert!(holds(&held, &sent));
    }

    #[test]
    fn dates_sent_as_raw_json_are_compared_too() {
        let mut sent = event(serde_json::json!({ "summary": "Dentist" }));
        sent.extra.insert(
            "start".to_owned(),
            serde_json::json!({ "dateTime": "2026-03-02T10:00:00+02:00", "timeZone": "Etc/GMT-2" }),
        );
        sent.extra.insert(
            "end".to_owned(),
            serde_json::json!({ "dateTime": "2026-03-02T11:00:00+02:00", "timeZone": "Etc/GMT-2" }),
        );
        let held = event(serde_json::json!({
            "summary": "Dentist",
            "start": { "dateTime": "2026-03-02T08:00:00Z", "timeZone": "Etc/GMT-2" },
            "end": { "dateTime": "2026-03-02T09:00:00Z", "timeZone": "Etc/GMT-2" },
        }));
        assert!(holds(&held, &sent));
        let moved = event(serde_json::json!({
            "summary": "Dentist",
            "start": { "dateTime": "2026-03-02T09:00:00Z" },
            "end": { "dateTime": "2026-03-02T10:00:00Z" },
        }));
        assert!(!holds(&moved, &sent));
    }

    #[test]
    fn a_copy_renamed_or_moved_at_google_no_longer_holds_it() {
        let sent = event(serde_json::json!({
            "summary": "Plan",
            "start": { "dateTime": "2027-02-27T14:00:00Z" },
            "end": { "dateTime": "2027-02-27T15:30:00Z" },
        }));
        let mut renamed = sent.clone();
        renamed.summary = Some("Renamed".to_owned());
        assert!(!holds(&renamed, &sent));
        let moved = event(serde_json::json!({
            "summary": "Plan",
            "start": { "dateTime": "2027-02-27T16:00:00Z" },
            "end": { "dateTime": "2027-02-27T17:30:00Z" },
        }));
        assert!(!holds(&moved, &sent));
    }
}
