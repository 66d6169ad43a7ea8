//! Google sign-in and connect against the gcal-emulator (OAuth 2 code flow with PKCE): accounts created
//! and linked, refresh tokens stored encrypted, conflicts refused with the reference's codes, and the
//! `state` bound to one browser and usable once. A failed callback redirects to the app with
//! `?auth_error=<code>` (more of them, and the scope check, in `sync_lifecycle.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use compass_backend::accounts::token_cipher::TokenCipher;
use mongodb::bson::{doc, Document};
use reqwest::header::LOCATION;
use reqwest::StatusCode;

use crate::support::app::{
    cookie_pair, spawn_app, CookiePair, TestApp, CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY,
    PUBLIC_URL,
};

const PASSWORD: &str = "correct horse battery";

/// The sync worker is off: it would start the import at once, and these tests look at the state that
/// linking leaves (`RESTART`); `tests/api/sync.rs` covers what the worker does with it.
async fn google_app() -> TestApp {
    spawn_app()
        .with_public_url(PUBLIC_URL)
        .with_google()
        .with_settings(|s| s.sync.worker = false)
        .await
}

fn both(a: &CookiePair, b: &CookiePair) -> CookiePair {
    CookiePair(format!("{}; {}", a.0, b.0))
}

/// Starts a flow and lets the emulator approve it as `google_email`: returns the callback query string
/// and the browser-binding cookie.
async fn authorize(
    app: &TestApp,
    intent: &str,
    session: Option<&CookiePair>,
    google_email: &str,
) -> (String, CookiePair) {
    app.control()
        .set_auto_approve(Some(google_email))
        .await
        .expect("auto-approve");
    let start = app
        .get_with_cookie(&format!("/api/auth/google?intent={intent}"), session)
        .await;
    assert_eq!(start.status(), StatusCode::FOUND, "start {intent}");
    let binding = cookie_pair(start.headers(), "compass_oauth").expect("binding cookie");
    let provider = start.headers()[LOCATION].to_str().unwrap().to_owned();
    let emulator = app.emulator.as_ref().unwrap().base_url();
    assert!(
        provider.starts_with(&format!("{emulator}/o/oauth2/v2/auth?")),
        "{provider}"
    );
    let consent = app.http.get(&provider).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND, "emulator approves");
    let back = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let expected = format!("{PUBLIC_URL}/api/auth/google/callback?");
    assert!(back.starts_with(&expected), "{back}");
    (back[expected.len()..].to_owned(), binding)
}

async fn callback(app: &TestApp, query: &str, cookie: Option<&CookiePair>) -> reqwest::Response {
    app.get_with_cookie(&format!("/api/auth/google/callback?{query}"), cookie)
        .await
}

/// The callback failed the way a browser sees it: `303` to the app with `?auth_error=<code>`, no session
/// cookie, the binding cookie cleared. Returns the code.
fn auth_error(response: &reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(cookie_pair(response.headers(), "compass_session").is_none());
    let location = response.headers()[LOCATION].to_str().unwrap();
    let (home, query) = location.split_once('?').expect("a query with the code");
    assert_eq!(home, format!("{PUBLIC_URL}/"));
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "auth_error")
        .map(|(_, v)| v.into_owned())
        .expect("auth_error in the redirect")
}

async fn user_doc(app: &TestApp, email: &str) -> Document {
    app.store()
        .collection::<Document>("user")
        .find_one(doc! { "email": email })
        .await
        .unwrap()
        .expect("user stored")
}

#[tokio::test]
async fn google_signin_creates_an_account_with_an_encrypted_refresh_token() {
    let app = google_app().await;
    let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
    assert!(params.contains_key("code") && params.contains_key("state"));

    let response = callback(&app, &query, Some(&binding)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], format!("{PUBLIC_URL}/"));
    let session = cookie_pair(response.headers(), "compass_session").expect("signed in");

    let (status, profile) = app
        .get_json_with_cookie("/api/user/profile", Some(&session))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(profile["email"], "gina@example.com");
    assert_ne!(profile["picture"], "");
    let (_, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&session))
        .await;
    assert_eq!(metadata["skipOnboarding"], false);
    assert_eq!(metadata["sync"]["importGCal"], "RESTART");
    assert_eq!(metadata["sync"]["incrementalGCalSync"], "RESTART");
    assert_eq!(metadata["google"]["connectionState"], "ATTENTION");

    // The refresh token is stored encrypted (bound to the user id) and is a live grant at Google.
    let user = user_doc(&app, "gina@example.com").await;
    assert!(user.get("passwordHash").is_none());
    let google = user.get_document("google").unwrap();
    let sealed = google.get_str("gRefreshToken").unwrap();
    assert!(sealed.starts_with("v1:"), "{sealed}");
    let user_id = user.get_object_id("_id").unwrap().to_hex();
    assert_eq!(profile["userId"], user_id.as_str());
    let refresh_token = TokenCipher::new(&ENCRYPTION_KEY)
        .decrypt(sealed, &user_id)
        .expect("decrypts");
    assert!(!sealed.contains(&refresh_token));
    let emulator = app.emulator.as_ref().unwrap().base_url();
    let refreshed = app
        .http
        .post(format!("{emulator}/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);

    // The same `state` cannot be used twice.
    let replay = callback(&app, &query, Some(&binding)).await;
    assert_eq!(auth_error(&replay), "GOOGLE_SIGNIN_EXPIRED");
    // A second Google sign-in finds the same account.
    let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
    let response = callback(&app, &query, Some(&binding)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let again = cookie_pair(response.headers(), "compass_session").unwrap();
    let (_, session) = app
        .get_json_with_cookie("/api/auth/session", Some(&again))
        .await;
    assert_eq!(session["userId"], user_id.as_str());
    app.stop().await;
}

#[tokio::test]
async fn the_callback_must_come_from_the_browser_that_started_and_carry_a_valid_code() {
    let app = google_app().await;
    // Without the binding cookie (another browser): refused, and the state is spent.
    let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
    let response = callback(&app, &query, None).await;
    assert_eq!(auth_error(&response), "GOOGLE_SIGNIN_EXPIRED");
    assert_eq!(
        auth_error(&callback(&app, &query, Some(&binding)).await),
        "GOOGLE_SIGNIN_EXPIRED"
    );

    // A code Google does not know: refused (not a revocation), nothing created.
    let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
    let forged: String = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            if k == "code" {
                format!("code={}", "forged-code")
            } else {
                format!(
                    "{k}={}",
                    url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
                )
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let response = callback(&app, &forged, Some(&binding)).await;
    assert_eq!(auth_error(&response), "GOOGLE_CODE_REJECTED");
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
async fn connect_links_google_to_the_signed_in_account() {
    let app = google_app().await;
    let (user_id, session) = app
        .signup_cookie("gina@example.com", PASSWORD, "Gina")
        .await;
    let (query, binding) = authorize(&app, "connect", Some(&session), "gina@example.com").await;
    let response = callback(&app, &query, Some(&both(&session, &binding))).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        cookie_pair(response.headers(), "compass_session").is_none(),
        "connect keeps the session"
    );
    let (_, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&session))
        .await;
    assert_eq!(metadata["google"]["connectionState"], "ATTENTION");
    assert_eq!(metadata["sync"]["importGCal"], "RESTART");
    let (_, profile) = app
        .get_json_with_cookie("/api/user/profile", Some(&session))
        .await;
    assert_eq!(profile["userId"], user_id.as_str());
    assert_ne!(profile["picture"], "");
    // Google sign-in now reaches the same account, and the password still works.
    let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
    let response = callback(&app, &query, Some(&binding)).await;
    let google_session = cookie_pair(response.headers(), "compass_session").unwrap();
    let (_, who) = app
        .get_json_with_cookie("/api/auth/session", Some(&google_session))
        .await;
    assert_eq!(who["userId"], user_id.as_str());
    assert_eq!(
        app.signin_raw("gina@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn connect_conflicts_are_409_with_codes_and_change_nothing() {
    let app = google_app().await;
    let (_, gina) = app
        .signup_cookie("gina@example.com", PASSWORD, "Gina")
        .await;
    let (query, binding) = authorize(&app, "connect", Some(&gina), "gina@example.com").await;
    assert_eq!(
        callback(&app, &query, Some(&both(&gina, &binding)))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    let (_, bob) = app.signup_cookie("bob@example.com", PASSWORD, "Bob").await;
    for (google_email, code) in [
        ("gina@example.com", "GOOGLE_ACCOUNT_ALREADY_CONNECTED"),
        ("carol@example.com", "GOOGLE_CONNECT_EMAIL_MISMATCH"),
    ] {
        let (query, binding) = authorize(&app, "connect", Some(&bob), google_email).await;
        let response = callback(&app, &query, Some(&both(&bob, &binding))).await;
        assert_eq!(auth_error(&response), code, "{google_email}");
    }
    let (_, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&bob))
        .await;
    assert_eq!(metadata["google"]["connectionState"], "NOT_CONNECTED");
    assert!(metadata.get("sync").is_none(), "{metadata}");
    assert!(user_doc(&app, "bob@example.com")
        .await
        .get("google")
        .is_none());

    // Connect needs a session at the start and the same session at the end.
    let start = app
        .get_with_cookie("/api/auth/google?intent=connect", None)
        .await;
    assert_eq!(start.status(), StatusCode::UNAUTHORIZED);
    let (query, binding) = authorize(&app, "connect", Some(&bob), "bob@example.com").await;
    let response = callback(&app, &query, Some(&both(&gina, &binding))).await;
    assert_eq!(auth_error(&response), "NOT_SIGNED_IN");
    let bad_intent = app
        .get_with_cookie("/api/auth/google?intent=steal", None)
        .await;
    assert_eq!(bad_intent.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn google_routes_answer_503_when_google_is_not_configured() {
    let app = spawn_app().with_public_url(PUBLIC_URL).await;
    let (status, body) = app
        .get_json_with_cookie("/api/auth/google?intent=signin", None)
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "GOOGLE_NOT_CONFIGURED");
    app.stop().await;
}

#[tokio::test]
async fn google_outages_are_503_and_create_nothing() {
    use gcal_emulator::{FaultKind, FaultSpec};
    let app = google_app().await;
    for operation in ["oauth.token", "oauth.userinfo"] {
        let (query, binding) = authorize(&app, "signin", None, "gina@example.com").await;
        app.control()
            .add_fault(&FaultSpec::new(operation, FaultKind::ServiceUnavailable))
            .await
            .expect("fault added");
        let response = callback(&app, &query, Some(&binding)).await;
        assert_eq!(auth_error(&response), "GOOGLE_UNAVAILABLE", "{operation}");
        app.control().clear_faults().await.expect("faults cleared");
    }
    let users = app
        .store()
        .collection::<Document>("user")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(users, 0);
    app.stop().await;
}
