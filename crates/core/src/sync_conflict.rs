//! [`SyncConflict`]: one conflict between a Compass change and a Google change of the same event that the
//! sync settled by its later-writer rule, as `GET /api/sync/conflicts` lists them (newest first), so that a
//! user can see which edit was dropped.

use serde::{Deserialize, Serialize};

use crate::ids::{EventId, GoogleEventId};
use crate::timestamp::Timestamp;

/// Whose version both sides hold after a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConflictWinner {
    /// Compass's change was written to Google.
    Compass,
    /// Google's version was applied to Compass.
    Google,
}

/// What Compass did to the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompassChange {
    /// An edit (pushed as a patch).
    Changed,
    /// A delete, or a move to the someday list.
    Removed,
}

/// One resolved conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncConflict {
    /// When the sync settled it.
    pub at: Timestamp,
    /// The Compass event.
    pub event: EventId,
    /// What Compass did.
    pub compass_change: CompassChange,
    /// When Compass made its change.
    pub compass_changed_at: Timestamp,
    /// The Google copy.
    pub g_event_id: GoogleEventId,
    /// Its Google calendar.
    pub g_calendar_id: String,
    /// When Google last changed it, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_updated: Option<Timestamp>,
    /// Google's title at the time, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_summary: Option<String>,
    /// Whose version won.
    pub winner: ConflictWinner,
}

/// The body of `GET /api/sync/conflicts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncConflictList {
    /// Newest first.
    pub conflicts: Vec<SyncConflict>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const ONE: &str = r#"{"at":"2027-04-05T09:00:00.000Z","event":"65f0c0ffee0000000000abcd",
        "compassChange":"removed","compassChangedAt":"2027-04-05T08:59:00.000Z","gEventId":"abc123",
        "gCalendarId":"gina@example.com","googleSummary":"Lunch","winner":"compass"}"#;

    #[test]
    fn reads_and_writes_the_wire_shape() {
        let list: SyncConflictList =
            serde_json::from_str(&format!(r#"{{"conflicts":[{ONE}]}}"#)).unwrap();
        let conflict = &list.conflicts[0];
        assert_eq!(conflict.winner, ConflictWinner::Compass);
        assert_eq!(conflict.compass_change, CompassChange::Removed);
        assert_eq!(conflict.google_updated, None);
        assert_eq!(conflict.g_event_id.as_str(), "abc123");
        let again: SyncConflictList =
            serde_json::from_value(serde_json::to_value(&list).unwrap()).unwrap();
        assert_eq!(again, list);
    }

    #[test]
    fn refuses_an_unknown_winner_or_change() {
        assert!(serde_json::from_str::<SyncConflict>(ONE).is_ok());
        let nobody = ONE.replace(r#""winner":"compass""#, r#""winner":"nobody""#);
        assert!(serde_json::from_str::<SyncConflict>(&nobody).is_err());
        let moved = ONE.replace(r#""compassChange":"removed""#, r#""compassChange":"moved""#);
        assert!(serde_json::from_str::<SyncConflict>(&moved).is_err());
    }
}
