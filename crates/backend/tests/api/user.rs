//! `/api/user/profile` and `/api/user/metadata` against the real app: shapes, computed connection state,
//! client-writable keys only, and isolation between users.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::app::{spawn_app, PUBLIC_URL};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn profile_has_the_reference_shape_and_needs_a_session() {
    let app = spawn_app().with_public_url(PUBLIC_URL).await;
    let (user_id, cookie) = app
        .signup_cookie("Ann@Example.com", PASSWORD, "Ann Lee Smith")
        .await;
    let (status, profile) = app
        .get_json_with_cookie("/api/user/profile", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        profile,
        json!({
            "_id": user_id,
            "userId": user_id,
            "picture": "",
            "firstName": "Ann",
            "lastName": "Lee Smith",
            "name": "Ann Lee Smith",
            "email": "ann@example.com",
            "locale": "not provided",
        })
    );
    let (status, body) = app.get_json_with_cookie("/api/user/profile", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["result"], "Unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn new_users_are_not_connected_and_may_write_skip_onboarding() {
    let app = spawn_app().with_public_url(PUBLIC_URL).await;
    let (_, cookie) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let (status, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        metadata,
        json!({"google": {"connectionState": "NOT_CONNECTED"}})
    );

    let (status, updated) = app
        .post_json_with_cookie(
            "/api/user/metadata",
            &json!({"skipOnboarding": true}),
            Some(&cookie),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        updated,
        json!({"skipOnboarding": true, "google": {"connectionState": "NOT_CONNECTED"}})
    );
    let (_, reread) = app
        .get_json_with_cookie("/api/user/metadata", Some(&cookie))
        .await;
    assert_eq!(reread, updated);
    let (_, updated) = app
        .post_json_with_cookie(
            "/api/user/metadata",
            &json!({"skipOnboarding": false}),
            Some(&cookie),
        )
        .await;
    assert_eq!(updated["skipOnboarding"], false);
    app.stop().await;
}

#[tokio::test]
async fn server_owned_unknown_and_mistyped_metadata_keys_are_refused() {
    let app = spawn_app().with_public_url(PUBLIC_URL).await;
    let (_, cookie) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    for (patch, field) in [
        (json!({"sync": {"importGCal": "COMPLETED"}}), "sync"),
        (json!({"google": {"connectionState": "HEALTHY"}}), "google"),
        (
            json!({"skipOnboarding": true, "sync": {"incrementalGCalSync": "RESTART"}}),
            "sync",
        ),
        (json!({"theme": "dark"}), "theme"),
        (json!({"skipOnboarding": "yes"}), "skipOnboarding"),
        (json!({"skipOnboarding": null}), "skipOnboarding"),
        (json!([{"skipOnboarding": true}]), "metadata"),
    ] {
        let (status, body) = app
            .post_json_with_cookie("/api/user/metadata", &patch, Some(&cookie))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}");
        assert_eq!(body["result"], "Bad Request");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{field}:")),
            "{patch}: {message}"
        );
    }
    // None of them changed anything (not even the valid key next to a refused one).
    let (_, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&cookie))
        .await;
    assert_eq!(
        metadata,
        json!({"google": {"connectionState": "NOT_CONNECTED"}})
    );
    let (status, _) = app
        .post_json_with_cookie("/api/user/metadata", &json!({"skipOnboarding": true}), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn users_only_ever_see_and_change_their_own_profile_and_metadata() {
    let app = spawn_app().with_public_url(PUBLIC_URL).await;
    let (ann_id, ann) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let (bob_id, bob) = app.signup_cookie("bob@example.com", PASSWORD, "Bob").await;
    assert_ne!(ann_id, bob_id);
    let (status, _) = app
        .post_json_with_cookie(
            "/api/user/metadata",
            &json!({"skipOnboarding": true}),
            Some(&ann),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (_, bob_metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&bob))
        .await;
    assert!(
        bob_metadata.get("skipOnboarding").is_none(),
        "{bob_metadata}"
    );
    let (_, bob_profile): (_, Value) = app
        .get_json_with_cookie("/api/user/profile", Some(&bob))
        .await;
    assert_eq!(bob_profile["userId"], bob_id.as_str());
    assert_eq!(bob_profile["email"], "bob@example.com");
    let (_, ann_profile) = app
        .get_json_with_cookie("/api/user/profile", Some(&ann))
        .await;
    assert_eq!(ann_profile["userId"], ann_id.as_str());
    // Ids in query strings are not a way in either.
    let (_, bob_again) = app
        .get_json_with_cookie(&format!("/api/user/profile?userId={ann_id}"), Some(&bob))
        .await;
    assert_eq!(bob_again["userId"], bob_id.as_str());
    app.stop().await;
}
