//! The trace of a conflict resolved by the later-writer rule (`super::to_google`): Compass changed or removed
//! an event while Google changed it too. Each one is logged as a structured `WARN` naming both versions and the
//! winner, and stored in `sync_conflict` (`crate::store::conflicts`, kept 90 days) so that a user or an operator
//! can see afterwards which edit was dropped (`GET /api/sync/conflicts`: [`recent`]). Failing to store the
//! record never fails the push (it is logged).

use chrono::{DateTime, Utc};
use compass_core::{
    CompassChange, ConflictWinner, EventId, GoogleEventId, SyncConflict, Timestamp, UserId,
};

use crate::google::calendar::Event;
use crate::store::conflicts::{ConflictDoc, Conflicts, NewConflict};
use crate::store::convert::{event_id, from_bson_date};
use crate::store::{Store, StoreError};

/// Whose version both sides hold after the conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Winner {
    /// Compass's change was written to Google.
    Compass,
    /// Google's version was applied to Compass.
    Google,
}

impl Winner {
    /// The winner of the later-writer rule: Google when its version is the later one.
    pub fn of(google_later: bool) -> Self {
        if google_later {
            Winner::Google
        } else {
            Winner::Compass
        }
    }

    /// `compass` or `google`.
    pub fn as_str(self) -> &'static str {
        match self {
            Winner::Compass => "compass",
            Winner::Google => "google",
        }
    }
}

/// Both versions of a conflict.
#[derive(Debug, Clone, Copy)]
pub struct Conflict<'a> {
    /// The Compass event.
    pub event: &'a EventId,
    /// `changed` (an edit) or `removed` (deleted, or moved to someday).
    pub compass_change: &'static str,
    /// When Compass made its change (`changedAt` of the outbox entry).
    pub compass_changed_at: DateTime<Utc>,
    /// The etag Compass had last seen.
    pub compass_seen_etag: Option<&'a str>,
    /// Google's current version.
    pub google: &'a Event,
    /// The calendar of the Google copy.
    pub g_calendar_id: &'a str,
    /// The winner.
    pub winner: Winner,
}

/// Logs `conflict` (a `WARN` naming both versions) and stores its record for `user`.
pub async fn record(store: &Store, user: &UserId, conflict: Conflict<'_>) {
    let google_id = conflict
        .google
        .id
        .as_ref()
        .map(|id| id.as_str().to_owned())
        .unwrap_or_default();
    tracing::warn!(
        user = %user,
        event = %conflict.event,
        compass_change = conflict.compass_change,
        compass_changed_at = %conflict.compass_changed_at,
        compass_seen_etag = conflict.compass_seen_etag.unwrap_or(""),
        google_id = google_id.as_str(),
        google_etag = conflict.google.etag.as_deref().unwrap_or(""),
        google_updated = ?conflict.google.updated,
        winner = conflict.winner.as_str(),
        "conflict: the event changed in Compass and in Google; the later write wins"
    );
    let record = NewConflict {
        event: conflict.event.clone(),
        compass_change: conflict.compass_change,
        compass_changed_at: conflict.compass_changed_at,
        compass_seen_etag: conflict.compass_seen_etag.map(str::to_owned),
        g_event_id: google_id,
        g_calendar_id: conflict.g_calendar_id.to_owned(),
        google_etag: conflict.google.etag.clone(),
        google_updated: conflict.google.updated,
        google_summary: conflict.google.summary.clone(),
        winner: conflict.winner.as_str(),
    };
    if let Err(error) = Conflicts::new(store).record(user, &record).await {
        tracing::warn!(%error, user = %user, "the conflict record was not stored (the WARN above is its trace)");
    }
}

/// The user's most recent resolved conflicts (at most `limit`), newest first, as the API lists them. A record
/// that does not read as one (an unknown winner, an empty Google id) is left out and logged.
pub async fn recent(
    store: &Store,
    user: &UserId,
    limit: i64,
) -> Result<Vec<SyncConflict>, StoreError> {
    let records = Conflicts::new(store)
        .recent(user, limit)
        .await?
        .into_items();
    Ok(records
        .iter()
        .filter_map(|record| {
            let wire = to_wire(record);
            if wire.is_none() {
                tracing::warn!(record = %record.id, "a sync_conflict record does not read as a conflict");
            }
            wire
        })
        .collect())
}

fn to_wire(record: &ConflictDoc) -> Option<SyncConflict> {
    Some(SyncConflict {
        at: Timestamp(from_bson_date(record.at)),
        event: event_id(record.event),
        compass_change: match record.compass_change.as_str() {
            "changed" => CompassChange::Changed,
            "removed" => CompassChange::Removed,
            _ => return None,
        },
        compass_changed_at: Timestamp(from_bson_date(record.compass_changed_at)),
        g_event_id: GoogleEventId::parse(&record.g_event_id).ok()?,
        g_calendar_id: record.g_calendar_id.clone(),
        google_updated: record
            .google_updated
            .map(|at| Timestamp(from_bson_date(at))),
        google_summary: record.google_summary.clone(),
        winner: match record.winner.as_str() {
            "compass" => ConflictWinner::Compass,
            "google" => ConflictWinner::Google,
            _ => return None,
        },
    })
}
