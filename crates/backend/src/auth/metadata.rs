//! User metadata rules: which keys a client may write, the deep merge of a client patch, and the
//! computed Google connection state (backend spec §2.8, §11.2).
//!
//! Metadata is a JSON object per user. `sync.*` and `google.*` belong to the server (a client write to
//! them is a 400 — the reference let clients overwrite them, §15 item 40); the client may write the keys
//! in [`CLIENT_KEYS`]. `google.connectionState` is never stored: it is computed on every read.

use serde_json::{Map, Value};

/// Top-level keys a client may write with `POST /api/user/metadata`.
pub const CLIENT_KEYS: &[&str] = &["skipOnboarding"];
/// Top-level keys only the server writes.
pub const SERVER_KEYS: &[&str] = &["sync", "google"];

/// Why a metadata patch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataPatchError {
    /// The body is not a JSON object.
    #[error("metadata must be a JSON object")]
    NotAnObject,
    /// The patch touches a server-owned key.
    #[error("{0} is managed by the server and cannot be written")]
    ServerOwned(String),
    /// The patch names a key Compass does not know.
    #[error("{0} is not a known metadata key")]
    Unknown(String),
    /// A known key has a value of the wrong type.
    #[error("{key} must be {expected}")]
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

/// A client patch that passed [`parse_client_patch`]: top-level client keys with their new values
/// (`null` clears a key).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientPatch(pub Map<String, Value>);

/// Checks a client patch: an object whose keys are all in [`CLIENT_KEYS`] with values of the right type.
pub fn parse_client_patch(body: Value) -> Result<ClientPatch, MetadataPatchError> {
    let Value::Object(map) = body else {
        return Err(MetadataPatchError::NotAnObject);
    };
    for (key, value) in &map {
        if SERVER_KEYS.contains(&key.as_str()) {
            return Err(MetadataPatchError::ServerOwned(key.clone()));
        }
        if !CLIENT_KEYS.contains(&key.as_str()) {
            return Err(MetadataPatchError::Unknown(key.clone()));
        }
        if key == "skipOnboarding" && !(value.is_boolean() || value.is_null()) {
            return Err(MetadataPatchError::WrongType {
                key: key.clone(),
                expected: "a boolean",
            });
        }
    }
    Ok(ClientPatch(map))
}

/// Deep merge with lodash `merge` semantics on objects: nested objects merge key by key, any other value
/// (including `null` and arrays) replaces what was there.
pub fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                match into.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        into.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// The Google connection state shown to clients (§11.2), as its wire string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// No Google account linked.
    NotConnected,
    /// Linked, but no usable refresh token (revoked or never granted).
    ReconnectRequired,
    /// A full import is running.
    Importing,
    /// Connected but sync needs a repair or (re)start.
    Attention,
    /// Connected and in sync.
    Healthy,
}

impl ConnectionState {
    /// The exact wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::NotConnected => "NOT_CONNECTED",
            ConnectionState::ReconnectRequired => "RECONNECT_REQUIRED",
            ConnectionState::Importing => "IMPORTING",
            ConnectionState::Attention => "ATTENTION",
            ConnectionState::Healthy => "HEALTHY",
        }
    }
}

/// What the state computation needs to know about a user.
#[derive(Debug, Clone, Copy)]
pub struct GoogleLink {
    /// A Google account is linked (`google.googleId` present).
    pub linked: bool,
    /// A refresh token is stored.
    pub has_refresh_token: bool,
    /// The sync engine reports healthy sync (tokens and watches); see `docs/auth.md`.
    pub sync_healthy: bool,
}

/// §11.2 in order: not linked → NOT_CONNECTED; no refresh token → RECONNECT_REQUIRED; `sync.importGCal`
/// IMPORTING → IMPORTING; RESTART → ATTENTION; healthy → HEALTHY; otherwise ATTENTION.
pub fn connection_state(link: GoogleLink, stored: &Value) -> ConnectionState {
    if !link.linked {
        return ConnectionState::NotConnected;
    }
    if !link.has_refresh_token {
        return ConnectionState::ReconnectRequired;
    }
    match stored.pointer("/sync/importGCal").and_then(Value::as_str) {
        Some("IMPORTING") => ConnectionState::Importing,
        Some("RESTART") => ConnectionState::Attention,
        _ if link.sync_healthy => ConnectionState::Healthy,
        _ => ConnectionState::Attention,
    }
}

/// The metadata a client reads: the stored object with `google.connectionState` replaced by `state`.
pub fn with_connection_state(mut stored: Value, state: ConnectionState) -> Value {
    if !stored.is_object() {
        stored = Value::Object(Map::new());
    }
    deep_merge(
        &mut stored,
        &serde_json::json!({ "google": { "connectionState": state.as_str() } }),
    );
    stored
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_patch_accepts_only_client_keys() {
        assert!(parse_client_patch(json!({"skipOnboarding": true})).is_ok());
        assert!(parse_client_patch(json!({"skipOnboarding": null})).is_ok());
        assert!(parse_client_patch(json!({})).is_ok());
        assert_eq!(
            parse_client_patch(json!({"sync": {"importGCal": "COMPLETED"}})).unwrap_err(),
            MetadataPatchError::ServerOwned("sync".into())
        );
        assert_eq!(
            parse_client_patch(json!({"google": {"connectionState": "HEALTHY"}}))
                .unwrap_err()
                .field(),
            "google"
        );
        assert_eq!(
            parse_client_patch(json!({"theme": "dark"})).unwrap_err(),
            MetadataPatchError::Unknown("theme".into())
        );
        assert!(matches!(
            parse_client_patch(json!({"skipOnboarding": "yes"})).unwrap_err(),
            MetadataPatchError::WrongType { .. }
        ));
        assert_eq!(
            parse_client_patch(json!([1])).unwrap_err(),
            MetadataPatchError::NotAnObject
        );
    }

    #[test]
    fn deep_merge_merges_objects_and_replaces_the_rest() {
        let mut stored = json!({"a": {"x": 1, "y": [1, 2]}, "b": true, "c": {"k": 1}});
        deep_merge(
            &mut stored,
            &json!({"a": {"y": [3], "z": null}, "b": false, "c": 5}),
        );
        assert_eq!(
            stored,
            json!({"a": {"x": 1, "y": [3], "z": null}, "b": false, "c": 5})
        );
    }

    #[test]
    fn connection_state_follows_the_spec_order() {
        let healthy = GoogleLink {
            linked: true,
            has_refresh_token: true,
            sync_healthy: true,
        };
        let stored = |s: &str| json!({"sync": {"importGCal": s}});
        assert_eq!(
            connection_state(
                GoogleLink {
                    linked: false,
                    ..healthy
                },
                &stored("IMPORTING")
            ),
            ConnectionState::NotConnected
        );
        assert_eq!(
            connection_state(
                GoogleLink {
                    has_refresh_token: false,
                    ..healthy
                },
                &stored("IMPORTING")
            ),
            ConnectionState::ReconnectRequired
        );
        assert_eq!(
            connection_state(healthy, &stored("IMPORTING")),
            ConnectionState::Importing
        );
        assert_eq!(
            connection_state(healthy, &stored("RESTART")),
            ConnectionState::Attention
        );
        assert_eq!(
            connection_state(healthy, &stored("ERRORED")),
            ConnectionState::Healthy
        );
        assert_eq!(
            connection_state(healthy, &json!({})),
            ConnectionState::Healthy
        );
        assert_eq!(
            connection_state(
                GoogleLink {
                    sync_healthy: false,
                    ..healthy
                },
                &stored("COMPLETED")
            ),
            ConnectionState::Attention
        );
    }

    #[test]
    fn computed_state_replaces_a_stored_one() {
        let shown = with_connection_state(
            json!({"skipOnboarding": true, "google": {"connectionState": "HEALTHY"}}),
            ConnectionState::NotConnected,
        );
        assert_eq!(
            shown,
            json!({"skipOnboarding": true, "google": {"connectionState": "NOT_CONNECTED"}})
        );
        assert_eq!(
            with_connection_state(Value::Null, ConnectionState::Healthy)["google"]
                ["connectionState"],
            "HEALTHY"
        );
    }
}
