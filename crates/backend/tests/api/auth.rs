//! Email + password accounts, sessions, CSRF and attempt limits against the real app (`/api/auth/*`).

mod google;
mod signout_outage;
mod streams;

use chrono::Utc;
use mongodb::bson::{doc, Document};
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::app::{
    cookie_pair, set_cookie_header, spawn_app, CookiePair, TestApp, PUBLIC_ORIGIN, PUBLIC_URL,
};

const PASSWORD: &str = "correct horse battery";

async fn app() -> TestApp {
    spawn_app().with_public_url(PUBLIC_URL).await
}

fn hex_sha256(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn signup_sets_an_httponly_lax_cookie_and_opens_a_session() {
    let app = app().await;
    let response = app
        .signup_raw("  Ann.Lee@Example.COM ", PASSWORD, " Ann Lee ")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = set_cookie_header(response.headers(), "compass_session").expect("cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=1209600"] {
        assert!(header.contains(attribute), "{header} lacks {attribute}");
    }
    assert!(
        !header.contains("Secure"),
        "http base URL: no Secure ({header})"
    );
    let cookie = cookie_pair(response.headers(), "compass_session").unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "OK");
    assert_eq!(body["email"], "ann.lee@example.com");
    assert_eq!(body["name"], "Ann Lee");
    let user_id = body["userId"].as_str().unwrap();
    assert_eq!(user_id.len(), 24);

    let (status, session) = app
        .get_json_with_cookie("/api/auth/session", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["userId"], user_id);
    assert!(session["expiresAt"].is_string());

    let (status, body) = app.get_json_with_cookie("/api/auth/session", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["result"], "Unauthorized");
    app.stop().await;
}

#[tokio::test]
async fn only_hashes_are_stored_for_passwords_and_session_tokens() {
    let app = app().await;
    let (user_id, cookie) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let store = app.store();
    let user: Document = store
        .collection::<Document>("user")
        .find_one(doc! { "email": "ann@example.com" })
        .await
        .unwrap()
        .expect("user stored");
    assert_eq!(user.get_object_id("_id").unwrap().to_hex(), user_id);
    let hash = user.get_str("passwordHash").unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));

    let token = cookie.0.trim_start_matches("compass_session=");
    let sessions: Vec<Document> = {
        use futures::TryStreamExt;
        store
            .collection::<Document>("session")
            .find(doc! {})
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap()
    };
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].get_str("tokenHash").unwrap(), hex_sha256(token));
    assert!(!format!("{:?}", sessions[0]).contains(token));
    app.stop().await;
}

#[tokio::test]
async fn signin_accepts_any_spelling_of_the_email_and_starts_a_new_session() {
    let app = app().await;
    let (user_id, first) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let response = app.signin_raw(" ANN@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = cookie_pair(response.headers(), "compass_session").unwrap();
    assert_ne!(first, second);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["userId"], user_id.as_str());
    for cookie in [&first, &second] {
        let (status, session) = app
            .get_json_with_cookie("/api/auth/session", Some(cookie))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(session["userId"], user_id.as_str());
    }
    app.stop().await;
}

#[tokio::test]
async fn signin_failures_do_not_reveal_which_emails_exist() {
    let app = app().await;
    app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let wrong_password = app.signin_raw("ann@example.com", "not the password").await;
    let unknown_email = app.signin_raw("bob@example.com", PASSWORD).await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    assert!(cookie_pair(wrong_password.headers(), "compass_session").is_none());
    let a: Value = wrong_password.json().await.unwrap();
    let b: Value = unknown_email.json().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(a["message"], "Invalid email or password");
    app.stop().await;
}

#[tokio::test]
async fn signout_revokes_only_that_session_and_clears_the_cookie() {
    let app = app().await;
    let (_, first) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let second = cookie_pair(
        app.signin_raw("ann@example.com", PASSWORD).await.headers(),
        "compass_session",
    )
    .unwrap();

    let response = app
        .post_with_cookie("/api/auth/signout", &json!({}), Some(&first))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared =
        set_cookie_header(response.headers(), "compass_session").expect("clearing cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    let (status, _) = app
        .get_json_with_cookie("/api/auth/session", Some(&first))
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "revoked session is refused"
    );
    let (status, _) = app
        .get_json_with_cookie("/api/auth/session", Some(&second))
        .await;
    assert_eq!(status, StatusCode::OK, "the other session lives on");
    // Signing out again (stale tab) is harmless.
    let again = app
        .post_with_cookie("/api/auth/signout", &json!({}), Some(&first))
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn expired_and_forged_sessions_are_refused() {
    let app = app().await;
    let (_, cookie) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let (status, _) = app
        .get_json_with_cookie("/api/auth/session", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);

    // Let the session expire (as the clock would) by moving its expiry into the past.
    let past = mongodb::bson::DateTime::from_millis(Utc::now().timestamp_millis() - 1_000);
    let updated = app
        .store()
        .collection::<Document>("session")
        .update_many(doc! {}, doc! { "$set": { "expiresAt": past } })
        .await
        .unwrap();
    assert_eq!(updated.modified_count, 1);
    let (status, body) = app
        .get_json_with_cookie("/api/auth/session", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["message"], "Not signed in");

    for forged in [
        "compass_session=",
        "compass_session=garbage",
        "compass_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        let (status, _) = app
            .get_json_with_cookie("/api/auth/session", Some(&CookiePair(forged.into())))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{forged}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_signup_inputs_are_400s_naming_the_field() {
    let app = app().await;
    for (body, field) in [
        (
            json!({"email": "ann@example.com", "password": "short", "name": "Ann"}),
            "password",
        ),
        (
            json!({"email": "ann@example.com", "password": "          ", "name": "Ann"}),
            "password",
        ),
        (
            json!({"email": "not-an-email", "password": PASSWORD, "name": "Ann"}),
            "email",
        ),
        (
            json!({"email": "", "password": PASSWORD, "name": "Ann"}),
            "email",
        ),
        (
            json!({"email": "ann@example.com", "password": PASSWORD, "name": "   "}),
            "name",
        ),
        (
            json!({"email": "ann@example.com", "password": PASSWORD}),
            "name",
        ),
        (
            json!({"email": "ann@example.com", "password": 12345678, "name": "Ann"}),
            "password",
        ),
    ] {
        let (status, response) = app
            .post_json_with_cookie("/api/auth/signup", &body, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = response["message"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
    }
    let response = app
        .http
        .post(format!("{}/api/auth/signup", app.address))
        .header("Origin", PUBLIC_ORIGIN)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, _) = app
        .post_json_with_cookie("/api/auth/signin", &json!({"email": "x"}), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing was created by any of them.
    let users = app
        .store()
        .collection::<Document>("user")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(users, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_second_signup_for_the_same_email_is_refused_and_changes_nothing() {
    let app = app().await;
    let (user_id, _) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    let response = app
        .signup_raw("ANN@example.com", "another password", "Mallory")
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(cookie_pair(response.headers(), "compass_session").is_none());
    // The original password still works, the new one does not.
    let response = app.signin_raw("ann@example.com", PASSWORD).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["userId"], user_id.as_str());
    assert_eq!(body["name"], "Ann");
    let response = app.signin_raw("ann@example.com", "another password").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn csrf_state_changing_requests_need_the_own_origin() {
    let app = app().await;
    let signup = json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann"});
    // Login CSRF: no Origin/Referer, or a foreign one, on an auth route.
    for origin in [None, Some("http://evil.example"), Some("null")] {
        let response = app
            .request(
                Method::POST,
                "/api/auth/signup",
                Some(&signup),
                None,
                Some(origin),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{origin:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"], "Forbidden");
    }
    let (_, cookie) = app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;

    // A cookie-authenticated write from another site is refused and has no effect.
    let patch = json!({"skipOnboarding": true});
    let response = app
        .request(
            Method::POST,
            "/api/user/metadata",
            Some(&patch),
            Some(&cookie),
            Some(Some("http://evil.example")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .request(
            Method::POST,
            "/api/auth/signout",
            Some(&json!({})),
            Some(&cookie),
            Some(None),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (status, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&cookie))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(metadata.get("skipOnboarding").is_none(), "{metadata}");
    let (status, _) = app
        .get_json_with_cookie("/api/auth/session", Some(&cookie))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the refused sign-out did not sign out"
    );

    // Without Origin, a same-origin Referer is accepted; a foreign one is not.
    let referer = |value: &'static str| {
        app.http
            .post(format!("{}/api/user/metadata", app.address))
            .header("Cookie", &cookie.0)
            .header("Referer", value)
            .json(&patch)
            .send()
    };
    assert_eq!(
        referer("http://evil.example/http://compass.test/")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        referer("http://compass.test/week").await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn failed_signins_are_bounded_per_account_even_for_the_right_password() {
    let app = app().await;
    app.signup_cookie("ann@example.com", PASSWORD, "Ann").await;
    app.signup_cookie("bob@example.com", PASSWORD, "Bob").await;
    let limit = compass_backend::store::attempts::PER_ACCOUNT;
    for attempt in 0..limit {
        let response = app.signin_raw("ann@example.com", "wrong password").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    let response = app.signin_raw("Ann@Example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(cookie_pair(response.headers(), "compass_session").is_none());
    // Another account from the same client is not affected.
    assert_eq!(
        app.signin_raw("bob@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    // Unknown emails are bounded the same way (a lockout says nothing about existence).
    for _ in 0..limit {
        app.signin_raw("nobody@example.com", "whatever pass").await;
    }
    assert_eq!(
        app.signin_raw("nobody@example.com", "whatever pass")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.stop().await;
}

#[tokio::test]
async fn csrf_covers_put_and_delete_of_events_and_priorities() {
    let app = app().await;
    let (_, cookie) = app.signup_cookie("cho@example.com", PASSWORD, "Cho").await;
    let event = json!({
        "title": "Mine", "startDate": "2025-01-06T09:00:00Z", "endDate": "2025-01-06T10:00:00Z",
        "isAllDay": false, "isSomeday": false, "origin": "compass", "priority": "work",
    });
    let response = app
        .post_with_cookie("/api/event", &event, Some(&cookie))
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (_, events) = app
        .get_json_with_cookie("/api/event?start=2025-01-01&end=2025-02-01", Some(&cookie))
        .await;
    let event_id = events[0]["_id"].as_str().unwrap().to_owned();
    let (_, labels) = app
        .get_json_with_cookie("/api/priority", Some(&cookie))
        .await;
    let label_id = labels[0]["_id"].as_str().unwrap().to_owned();

    let mut changed = event.clone();
    changed["title"] = json!("Changed by another site");
    let attempts = [
        (Method::PUT, format!("/api/event/{event_id}"), Some(changed)),
        (Method::DELETE, format!("/api/event/{event_id}"), None),
        (
            Method::PUT,
            "/api/event/reorder".to_owned(),
            Some(json!([{ "_id": event_id, "order": 9 }])),
        ),
        (
            Method::PUT,
            format!("/api/priority/{label_id}"),
            Some(json!({ "name": "pwned" })),
        ),
        (Method::DELETE, format!("/api/priority/{label_id}"), None),
        (
            Method::POST,
            "/api/priority".to_owned(),
            Some(json!({ "name": "x" })),
        ),
    ];
    for (method, path, body) in &attempts {
        for origin in [Some("http://evil.example"), None] {
            let response = app
                .request(
                    method.clone(),
                    path,
                    body.as_ref(),
                    Some(&cookie),
                    Some(origin),
                )
                .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} from {origin:?}"
            );
        }
    }
    let (_, after) = app
        .get_json_with_cookie(&format!("/api/event/{event_id}"), Some(&cookie))
        .await;
    assert_eq!(after["title"], "Mine");
    assert!(after.get("order").is_none(), "{after}");
    let (_, labels_after) = app
        .get_json_with_cookie("/api/priority", Some(&cookie))
        .await;
    assert_eq!(labels_after, labels);
    app.stop().await;
}
