//! The bodies of the auth, session and config routes (`POST /api/auth/signup|signin`,
//! `GET /api/auth/session`, `GET /api/config`), shared by the backend handlers and the web app.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// `POST /api/auth/signup` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpRequest {
    /// Email.
    pub email: String,
    /// Password (at least 8 characters).
    pub password: String,
    /// Display name.
    pub name: String,
}

/// `POST /api/auth/signin` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRequest {
    /// Email.
    pub email: String,
    /// Password.
    pub password: String,
}

/// What sign-up and sign-in answer: `{status: "OK", userId, email, name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedIn {
    /// Always `OK` (the reference's answer shape).
    #[serde(default = "ok")]
    pub status: String,
    /// The user's id.
    pub user_id: String,
    /// Normalised email.
    pub email: String,
    /// Display name.
    pub name: String,
}

fn ok() -> String {
    "OK".to_owned()
}

/// `GET /api/auth/session`: who is signed in and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    /// The signed-in user's id.
    pub user_id: String,
    /// When the session ends (absent in older answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// `GET /api/config`: the public part of the server's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicConfig {
    /// Google settings.
    pub google: GoogleConfig,
}

/// `GET /api/config` → `google`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleConfig {
    /// Whether Google sign-in and sync are configured on the server.
    pub is_configured: bool,
}

/// `POST /api/sync/import-gcal` body: `{"force": true}` re-imports everything (Repair).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportGCalRequest {
    /// Whether to re-import even when an import already ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_read_and_write_the_wire_names() {
        let signed_in: SignedIn = serde_json::from_value(
            json!({"status": "OK", "userId": "u1", "email": "a@b.c", "name": "Ann"}),
        )
        .unwrap();
        assert_eq!(signed_in.user_id, "u1");
        let session: SessionInfo = serde_json::from_value(
            json!({"userId": "u1", "expiresAt": "2025-01-05T10:00:00.000Z"}),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&session).unwrap(),
            json!({"userId": "u1", "expiresAt": "2025-01-05T10:00:00.000Z"})
        );
        let config = PublicConfig {
            google: GoogleConfig {
                is_configured: true,
            },
        };
        assert_eq!(
            serde_json::to_value(config).unwrap(),
            json!({"google": {"isConfigured": true}})
        );
        let repair = ImportGCalRequest { force: Some(true) };
        assert_eq!(
            serde_json::to_value(repair).unwrap(),
            json!({"force": true})
        );
        let sign_up = SignUpRequest {
            email: "a@b.c".into(),
            password: "secret123".into(),
            name: "Ann".into(),
        };
        assert_eq!(
            serde_json::to_value(&sign_up).unwrap(),
            json!({"email": "a@b.c", "password": "secret123", "name": "Ann"})
        );
    }
}
