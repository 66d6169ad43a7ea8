//! The auth, session and config answers read as the compass-core types the web app uses
//! (`compass_core::{SignedIn, SessionInfo, PublicConfig}`): the handlers and the shared types must agree.

#![allow(clippy::unwrap_used)]

use compass_core::{PublicConfig, SessionInfo, SignInRequest, SignedIn};
use reqwest::StatusCode;

use crate::support::app::{spawn_app, TestUser};

#[tokio::test]
async fn auth_session_and_config_answers_are_the_core_types() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    let (status, body) = app.signup(&user).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let signed_up: SignedIn = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(signed_up.status, "OK");
    assert_eq!(signed_up.email, user.email.to_lowercase());

    let (status, body) = app.get_json("/api/auth/session").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session: SessionInfo = serde_json::from_value(body).unwrap();
    assert_eq!(session.user_id, signed_up.user_id);
    assert!(session.expires_at.is_some());

    let sign_in = serde_json::to_value(SignInRequest {
        email: user.email.clone(),
        password: user.password.clone(),
    })
    .unwrap();
    let (status, body) = app.post_json("/api/auth/signin", &sign_in).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let signed_in: SignedIn = serde_json::from_value(body).unwrap();
    assert_eq!(signed_in.user_id, signed_up.user_id);

    let (status, body) = app.get_json("/api/config").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let config: PublicConfig = serde_json::from_value(body).unwrap();
    assert!(!config.google.is_configured);
}
