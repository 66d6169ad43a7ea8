//! User metadata: the small JSON document with onboarding and Google sync state, sent as `USER_METADATA`
//! and by `GET /api/user/metadata`.
//!
//! Every key is optional. The two sync statuses are nullable and keep absent and `null` apart ([`Nullable`]):
//! in a metadata update an absent key keeps the stored value while `null` clears it (see
//! [`UserMetadata::merge`]). All value sets are Compass-owned, so an unknown string is a parse error.

use serde::{Deserialize, Serialize};

use crate::Nullable;

/// The state of a Google import (`sync.importGCal`) or incremental sync (`sync.incrementalGCalSync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SyncStatus {
    /// A (re)import is wanted; the web starts one when it sees this.
    #[serde(rename = "RESTART")]
    Restart,
    /// An import is running.
    #[serde(rename = "IMPORTING")]
    Importing,
    /// The import finished.
    #[serde(rename = "COMPLETED")]
    Completed,
    /// The import failed.
    #[serde(rename = "ERRORED")]
    Errored,
}

/// How the user's Google connection looks, computed by the server on every read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GoogleConnectionState {
    /// The user never connected Google.
    #[serde(rename = "NOT_CONNECTED")]
    NotConnected,
    /// The user connected Google once, but there is no usable refresh token now.
    #[serde(rename = "RECONNECT_REQUIRED")]
    ReconnectRequired,
    /// A Google import is running.
    #[serde(rename = "IMPORTING")]
    Importing,
    /// Sync tokens and watches are in place.
    #[serde(rename = "HEALTHY")]
    Healthy,
    /// Sync needs a repair (restart pending, or tokens/watches missing).
    #[serde(rename = "ATTENTION")]
    Attention,
}

/// The `sync` object of the user metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncMetadata {
    /// `sync.importGCal`: state of the full import / repair.
    #[serde(
        rename = "importGCal",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub import_gcal: Nullable<SyncStatus>,
    /// `sync.incrementalGCalSync`: state of the incremental import.
    #[serde(
        rename = "incrementalGCalSync",
        default,
        skip_serializing_if = "Nullable::is_absent"
    )]
    pub incremental_gcal_sync: Nullable<SyncStatus>,
}

/// The `google` object of the user metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleMetadata {
    /// `google.connectionState` (server-computed; not meant to be stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<GoogleConnectionState>,
}

/// The user metadata document (`{}` for a new user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMetadata {
    /// Whether the web may skip onboarding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_onboarding: Option<bool>,
    /// Google import state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncMetadata>,
    /// Google connection state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google: Option<GoogleMetadata>,
}

/// Merges one nullable patch field: absent keeps, `null` clears, a value replaces.
fn merge_field<T: Clone>(target: &mut Nullable<T>, patch: &Nullable<T>) {
    if !patch.is_absent() {
        *target = patch.clone();
    }
}

impl UserMetadata {
    /// The value of `sync.importGCal` (absent and `null` both give `None`).
    pub fn import_gcal(&self) -> Option<SyncStatus> {
        self.sync
            .as_ref()
            .and_then(|s| s.import_gcal.value().copied())
    }

    /// The value of `sync.incrementalGCalSync` (absent and `null` both give `None`).
    pub fn incremental_gcal_sync(&self) -> Option<SyncStatus> {
        self.sync
            .as_ref()
            .and_then(|s| s.incremental_gcal_sync.value().copied())
    }

    /// The value of `google.connectionState`.
    pub fn connection_state(&self) -> Option<GoogleConnectionState> {
        self.google.as_ref().and_then(|g| g.connection_state)
    }

    /// Whether a full Google import may start: false while one is `IMPORTING` or once it is `COMPLETED`.
    pub fn should_import_gcal(&self) -> bool {
        !matches!(
            self.import_gcal(),
            Some(SyncStatus::Importing | SyncStatus::Completed)
        )
    }

    /// Whether an incremental Google sync may start: false while one is `IMPORTING` or once it is
    /// `COMPLETED`.
    pub fn should_do_incremental_gcal_sync(&self) -> bool {
        !matches!(
            self.incremental_gcal_sync(),
            Some(SyncStatus::Importing | SyncStatus::Completed)
        )
    }

    /// Whether the web should start an import by itself: `sync.importGCal` is `RESTART` and Google is
    /// neither `NOT_CONNECTED` nor `RECONNECT_REQUIRED`.
    pub fn should_auto_start_import(&self) -> bool {
        self.import_gcal() == Some(SyncStatus::Restart)
            && !matches!(
                self.connection_state(),
                Some(
                    GoogleConnectionState::NotConnected | GoogleConnectionState::ReconnectRequired
                )
            )
    }

    /// Deep-merges `patch` into `self` the way the reference stores metadata updates: nested objects are
    /// merged, absent keys keep the stored value, `null` overwrites it, values replace it.
    pub fn merge(&mut self, patch: &UserMetadata) {
        if let Some(skip) = patch.skip_onboarding {
            self.skip_onboarding = Some(skip);
        }
        if let Some(sync_patch) = &patch.sync {
            let sync = self.sync.get_or_insert_with(SyncMetadata::default);
            merge_field(&mut sync.import_gcal, &sync_patch.import_gcal);
            merge_field(
                &mut sync.incremental_gcal_sync,
                &sync_patch.incremental_gcal_sync,
            );
        }
        if let Some(google_patch) = &patch.google {
            let google = self.google.get_or_insert_with(GoogleMetadata::default);
            if let Some(state) = google_patch.connection_state {
                google.connection_state = Some(state);
            }
        }
    }

    /// A copy with `google.connectionState` replaced by a freshly computed value (what clients receive).
    pub fn with_connection_state(mut self, state: GoogleConnectionState) -> Self {
        self.google = Some(GoogleMetadata {
            connection_state: Some(state),
        });
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(value: serde_json::Value) -> UserMetadata {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn new_user_is_empty_object() {
        let m = meta(json!({}));
        assert_eq!(m, UserMetadata::default());
        assert_eq!(serde_json::to_value(&m).unwrap(), json!({}));
    }

    #[test]
    fn keeps_absent_and_null_statuses_apart() {
        let m = meta(json!({"sync": {"importGCal": null}}));
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!({"sync": {"importGCal": null}})
        );
        assert_eq!(m.import_gcal(), None);
        assert!(m.sync.as_ref().unwrap().incremental_gcal_sync.is_absent());
    }

    #[test]
    fn unknown_values_are_rejected() {
        assert!(serde_json::from_value::<UserMetadata>(
            json!({"sync": {"importGCal": "importing"}})
        )
        .is_err());
        assert!(serde_json::from_value::<UserMetadata>(
            json!({"google": {"connectionState": "OK"}})
        )
        .is_err());
    }

    #[test]
    fn import_helpers_follow_the_reference() {
        for (status, expected) in [
            (json!(null), true),
            (json!("RESTART"), true),
            (json!("ERRORED"), true),
            (json!("IMPORTING"), false),
            (json!("COMPLETED"), false),
        ] {
            let m = meta(json!({"sync": {"importGCal": status, "incrementalGCalSync": status}}));
            assert_eq!(m.should_import_gcal(), expected, "{status}");
            assert_eq!(m.should_do_incremental_gcal_sync(), expected, "{status}");
        }
        assert!(UserMetadata::default().should_import_gcal());
        assert!(UserMetadata::default().should_do_incremental_gcal_sync());
    }

    #[test]
    fn auto_start_needs_restart_and_a_usable_connection() {
        let restart = meta(json!({"sync": {"importGCal": "RESTART"}}));
        assert!(restart.should_auto_start_import());
        assert!(restart
            .clone()
            .with_connection_state(GoogleConnectionState::Attention)
            .should_auto_start_import());
        assert!(!restart
            .clone()
            .with_connection_state(GoogleConnectionState::NotConnected)
            .should_auto_start_import());
        assert!(!restart
            .with_connection_state(GoogleConnectionState::ReconnectRequired)
            .should_auto_start_import());
        assert!(!UserMetadata::default().should_auto_start_import());
    }

    #[test]
    fn merge_keeps_absent_clears_null_and_replaces_values() {
        let mut stored = meta(json!({
            "skipOnboarding": true,
            "sync": {"importGCal": "COMPLETED", "incrementalGCalSync": "ERRORED"}
        }));
        stored.merge(&meta(json!({"sync": {"incrementalGCalSync": null}})));
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"skipOnboarding": true, "sync": {"importGCal": "COMPLETED", "incrementalGCalSync": null}})
        );
        stored.merge(&meta(
            json!({"sync": {"importGCal": "RESTART"}, "skipOnboarding": false}),
        ));
        assert_eq!(
            serde_json::to_value(&stored).unwrap(),
            json!({"skipOnboarding": false, "sync": {"importGCal": "RESTART", "incrementalGCalSync": null}})
        );
    }
}
