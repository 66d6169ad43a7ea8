//! User metadata rules: which keys a client may write, and the computed Google connection state
//! (backend spec §2.8, §11.2). The metadata type itself is `compass_core::UserMetadata`.
//!
//! `sync.*` and `google.*` belong to the server (a client write to them is a 400 — the reference let
//! clients overwrite them, §15 item 40); a client may write the keys in [`CLIENT_KEYS`].
//! `google.connectionState` is never stored: it is computed on every read.

use compass_core::{GoogleConnectionState, SyncStatus, UserMetadata};
use serde_json::Value;

/// Top-level keys a client may write with `POST /api/user/metadata`.
pub const CLIENT_KEYS: &[&str] = &["skipOnboarding"];
/// Top-level keys only the server writes.
pub const SERVER_KEYS: &[&str] = &["sync", "google"];

/// Why a metadata patch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataPatchError {
    /// The body is not a JSON object.
    #[error("must be a JSON object")]
    NotAnObject,
    /// The patch touches a server-owned key.
    #[error("is managed by the server and cannot be written")]
    ServerOwned(String),
    /// The patch names a key Compass does not know.
    #[error("is not a known metadata key")]
    Unknown(String),
    /// A known key has a value of the wrong type.
    #[error("must be {expected}")]
    WrongType {
        /// The key.
        key: String,
        /// What it must be.
        expected: &'static str,
    },
}

impl MetadataPatchError {
    /// The field the error is about, for a `400` naming it.
    pub fn field(&self) -> &str {
        match self {
            MetadataPatchError::NotAnObject => "metadata",
            MetadataPatchError::ServerOwned(key) | MetadataPatchError::Unknown(key) => key,
            MetadataPatchError::WrongType { key, .. } => key,
        }
    }
}

/// A client patch that passed [`parse_client_patch`]; `None` leaves a key unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientPatch {
    /// New `skipOnboarding`.
    pub skip_onboarding: Option<bool>,
}

/// Checks a client patch: an object whose keys are all in [`CLIENT_KEYS`] with values of the right type.
pub fn parse_client_patch(body: &Value) -> Result<ClientPatch, MetadataPatchError> {
    let Value::Object(map) = body else {
        return Err(MetadataPatchError::NotAnObject);
    };
    let mut patch = ClientPatch::default();
    for (key, value) in map {
        if SERVER_KEYS.contains(&key.as_str()) {
            return Err(MetadataPatchError::ServerOwned(key.clone()));
        }
        match key.as_str() {
            "skipOnboarding" => {
                patch.skip_onboarding =
                    Some(
                        value
                            .as_bool()
                            .ok_or_else(|| MetadataPatchError::WrongType {
                                key: key.clone(),
                                expected: "a boolean",
                            })?,
                    )
            }
            _ => return Err(MetadataPatchError::Unknown(key.clone())),
        }
    }
    Ok(patch)
}

/// What the state computation needs to know about a user.
#[derive(Debug, Clone, Copy)]
pub struct GoogleLink {
    /// A Google account is linked (`google.googleId` present).
    pub linked: bool,
    /// A refresh token is stored.
    pub has_refresh_token: bool,
    /// Sync is healthy (import completed, sync tokens and live watches in place; `crate::sync::health`).
    pub sync_healthy: bool,
}

/// §11.2 in order: not linked → NOT_CONNECTED; no refresh token → RECONNECT_REQUIRED; `sync.importGCal`
/// IMPORTING → IMPORTING; RESTART → ATTENTION; healthy → HEALTHY; otherwise ATTENTION.
pub fn connection_state(link: GoogleLink, stored: &UserMetadata) -> GoogleConnectionState {
    if !link.linked {
        return GoogleConnectionState::NotConnected;
    }
    if !link.has_refresh_token {
        return GoogleConnectionState::ReconnectRequired;
    }
    match stored.import_gcal() {
        Some(SyncStatus::Importing) => GoogleConnectionState::Importing,
        Some(SyncStatus::Restart) => GoogleConnectionState::Attention,
        _ if link.sync_healthy => GoogleConnectionState::Healthy,
        _ => GoogleConnectionState::Attention,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_patch_accepts_only_client_keys() {
        assert_eq!(
            parse_client_patch(&json!({"skipOnboarding": true})).unwrap(),
            ClientPatch {
                skip_onboarding: Some(true)
            }
        );
        assert_eq!(
            parse_client_patch(&json!({})).unwrap(),
            ClientPatch::default()
        );
        assert_eq!(
            parse_client_patch(&json!({"sync": {"importGCal": "COMPLETED"}})).unwrap_err(),
            MetadataPatchError::ServerOwned("sync".into())
        );
        assert_eq!(
            parse_client_patch(&json!({"google": {"connectionState": "HEALTHY"}}))
                .unwrap_err()
                .field(),
            "google"
        );
        assert_eq!(
            parse_client_patch(&json!({"theme": "dark"})).unwrap_err(),
            MetadataPatchError::Unknown("theme".into())
        );
        for bad in [json!("yes"), json!(null), json!(1)] {
            assert!(matches!(
                parse_client_patch(&json!({ "skipOnboarding": bad })).unwrap_err(),
                MetadataPatchError::WrongType { .. }
            ));
        }
        assert_eq!(
            parse_client_patch(&json!([1])).unwrap_err(),
            MetadataPatchError::NotAnObject
        );
    }

    #[test]
    fn connection_state_follows_the_spec_order() {
        let healthy = GoogleLink {
            linked: true,
            has_refresh_token: true,
            sync_healthy: true,
        };
        let stored = |s: &str| -> UserMetadata {
            serde_json::from_value(json!({"sync": {"importGCal": s}})).unwrap()
        };
        assert_eq!(
            connection_state(
                GoogleLink {
                    linked: false,
                    ..healthy
                },
                &stored("IMPORTING")
            ),
            GoogleConnectionState::NotConnected
        );
        assert_eq!(
            connection_state(
                GoogleLink {
                    has_refresh_token: false,
                    ..healthy
                },
                &stored("IMPORTING")
            ),
            GoogleConnectionState::ReconnectRequired
        );
        assert_eq!(
            connection_state(healthy, &stored("IMPORTING")),
            GoogleConnectionState::Importing
        );
        assert_eq!(
            connection_state(healthy, &stored("RESTART")),
            GoogleConnectionState::Attention
        );
        assert_eq!(
            connection_state(healthy, &stored("ERRORED")),
            GoogleConnectionState::Healthy
        );
        assert_eq!(
            connection_state(healthy, &UserMetadata::default()),
            GoogleConnectionState::Healthy
        );
        assert_eq!(
            connection_state(
                GoogleLink {
                    sync_healthy: false,
                    ..healthy
                },
                &stored("COMPLETED")
            ),
            GoogleConnectionState::Attention
        );
    }
}
