//! Bounded streams and the fast open path of `GET /api/events/stream`: caps per session, per user and per
//! server; the session cache never serving a signed-out or expired session; the cached `USER_METADATA`
//! following metadata changes.

use std::time::Duration;

use compass_backend::http::stream::{REPLACED_DATA, REPLACED_EVENT};
use serde_json::json;

use crate::support::app::{
    client_for, spawn_app, spawn_app_with, CookiePair, Read, SseFrame, SseReader,
};
use crate::support::wait::eventually;

/// Reads until the stream ends; returns the named events seen on the way (comments skipped).
async fn events_until_end(stream: &mut SseReader) -> Vec<SseFrame> {
    let mut seen = Vec::new();
    loop {
        match stream.read(Duration::from_secs(10)).await {
            Read::End => return seen,
            Read::Frame(SseFrame::Comment(_)) => {}
            Read::Frame(frame) => seen.push(frame),
            Read::Timeout => panic!("the stream did not end; saw {seen:?}"),
        }
    }
}

/// A client without a cookie jar that sends `cookie` and `Origin: origin` on every request.
fn client_sending(origin: &str, cookie: &CookiePair) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ORIGIN,
        reqwest::header::HeaderValue::from_str(origin).expect("origin header"),
    );
    headers.insert(
        reqwest::header::COOKIE,
        reqwest::header::HeaderValue::from_str(&cookie.0).expect("cookie header"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

fn is_replaced_notice(frame: &SseFrame) -> bool {
    frame.name() == Some(REPLACED_EVENT)
        && frame.json() == serde_json::from_str::<serde_json::Value>(REPLACED_DATA).expect("json")
}

#[tokio::test]
async fn a_new_stream_beyond_the_session_cap_replaces_the_oldest_which_is_told() {
    let app = spawn_app_with(|s| s.sse.max_per_session = 2).await;
    let (client, _, _) = app.signed_in_client().await;
    let mut oldest = app.open_stream_with(&client, None).await;
    let mut second = app.open_stream_with(&client, None).await;
    for tab in [&mut oldest, &mut second] {
        assert_eq!(tab.next_frame().await.name(), Some("USER_METADATA"));
    }
    // a reload: the third tab of the session gets in, the oldest goes
    let mut third = app.open_stream_with(&client, None).await;
    assert_eq!(third.next_frame().await.name(), Some("USER_METADATA"));
    let last = events_until_end(&mut oldest).await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(is_replaced_notice(&last[0]), "{last:?}");
    assert_eq!(app.app_state().hub.connection_count(), 2);
    second.expect_no_event(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_new_stream_beyond_the_user_cap_replaces_the_users_oldest_in_any_session() {
    let app = spawn_app_with(|s| {
        s.sse.max_per_session = 10;
        s.sse.max_per_user = 2;
    })
    .await;
    let (first_session, user, _) = app.signed_in_client().await;
    let second_session = client_for(&app.address);
    let (status, _) = app.signin_with(&second_session, &user).await;
    assert!(status.is_success());

    let mut oldest = app.open_stream_with(&first_session, None).await;
    let mut kept = app.open_stream_with(&first_session, None).await;
    for tab in [&mut oldest, &mut kept] {
        assert_eq!(tab.next_frame().await.name(), Some("USER_METADATA"));
    }
    let mut newest = app.open_stream_with(&second_session, None).await;
    assert_eq!(newest.next_frame().await.name(), Some("USER_METADATA"));
    let last = events_until_end(&mut oldest).await;
    assert!(last.last().is_some_and(is_replaced_notice), "{last:?}");
    kept.expect_no_event(Duration::from_millis(200)).await;

    // another user is not affected by this user's cap
    let (other, _, _) = app.signed_in_client().await;
    let mut theirs = app.open_stream_with(&other, None).await;
    assert_eq!(theirs.next_frame().await.name(), Some("USER_METADATA"));
    kept.expect_no_event(Duration::from_millis(200)).await;
    assert_eq!(app.app_state().hub.connection_count(), 3);
}

#[tokio::test]
async fn beyond_the_server_cap_a_new_stream_gets_a_503_json_until_one_closes() {
    let app = spawn_app_with(|s| {
        s.sse.max_streams = 2;
        s.sse.max_per_session = 1;
    })
    .await;
    let (a, _, _) = app.signed_in_client().await;
    let (b, _, _) = app.signed_in_client().await;
    let (c, _, _) = app.signed_in_client().await;
    let mut stream_a = app.open_stream_with(&a, None).await;
    let mut stream_b = app.open_stream_with(&b, None).await;
    assert_eq!(stream_a.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(stream_b.next_frame().await.name(), Some("USER_METADATA"));

    let refused = app.stream_response(&c, None).await;
    assert_eq!(refused.status(), 503);
    let body: serde_json::Value = refused.json().await.expect("json body");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Too many open event streams")),
        "{body}"
    );
    // a tab reloading at its own cap still gets in while the server is full (it replaces its old stream)
    let mut a_again = app.open_stream_with(&a, None).await;
    assert_eq!(a_again.next_frame().await.name(), Some("USER_METADATA"));
    assert!(events_until_end(&mut stream_a)
        .await
        .last()
        .is_some_and(is_replaced_notice));
    drop(a_again);

    eventually("a slot is free again", Duration::from_secs(5), || {
        std::future::ready(app.app_state().hub.connection_count() < 2)
    })
    .await;
    let mut stream_c = app.open_stream_with(&c, None).await;
    assert_eq!(stream_c.next_frame().await.name(), Some("USER_METADATA"));
}

#[tokio::test]
async fn a_cached_session_is_refused_at_once_after_sign_out() {
    let app = spawn_app_with(|s| s.sse.cache_ttl = Duration::from_secs(3600)).await;
    let (_, cookie) = app
        .signup_cookie("cached@example.test", "a long password 123", "Cached")
        .await;
    // a client that keeps sending the cookie even after sign-out (a replayed or stolen cookie)
    let replaying = client_sending(&app.origin, &cookie);
    let mut stream = app.open_stream_with(&replaying, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(app.app_state().sessions.len(), 1, "the session is cached");

    let signed_out = app
        .post_with_cookie("/api/auth/signout", &json!({}), Some(&cookie))
        .await;
    assert!(signed_out.status().is_success());
    assert_eq!(app.stream_response(&replaying, None).await.status(), 401);
    assert!(events_until_end(&mut stream).await.is_empty());
    assert_eq!(
        app.app_state().sessions.len(),
        0,
        "the refused entry is dropped"
    );
}

#[tokio::test]
async fn a_cached_session_is_not_served_past_its_expiry() {
    let app = spawn_app_with(|s| {
        s.session_ttl = Duration::from_secs(2);
        s.sse.cache_ttl = Duration::from_secs(3600);
    })
    .await;
    let (client, _, _) = app.signed_in_client().await;
    let mut stream = app.open_stream_with(&client, None).await;
    assert_eq!(stream.next_frame().await.name(), Some("USER_METADATA"));
    assert_eq!(app.app_state().sessions.len(), 1, "the session is cached");
    eventually(
        "the expired session is refused",
        Duration::from_secs(10),
        || async { app.stream_response(&client, None).await.status() == 401 },
    )
    .await;
}

#[tokio::test]
async fn a_new_stream_sees_metadata_changed_since_it_was_cached() {
    let app = spawn_app_with(|s| s.sse.cache_ttl = Duration::from_secs(3600)).await;
    let (client, _, _) = app.signed_in_client().await;
    let mut first = app.open_stream_with(&client, None).await;
    let before = first.next_frame().await.json();
    assert!(before.get("skipOnboarding").is_none(), "{before}");

    let response = client
        .post(app.url("/api/user/metadata"))
        .json(&json!({"skipOnboarding": true}))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    // the open tab is told, and a new tab starts from the new metadata (not the cached one)
    assert_eq!(first.next_event().await.json()["skipOnboarding"], true);
    let mut second = app.open_stream_with(&client, None).await;
    assert_eq!(second.next_frame().await.json()["skipOnboarding"], true);
}

#[tokio::test]
async fn without_a_cookie_or_with_an_unknown_one_the_stream_is_a_401() {
    let app = spawn_app().await;
    let stranger = client_for(&app.address);
    assert_eq!(app.stream_response(&stranger, None).await.status(), 401);
    let forged = app
        .http
        .get(app.url("/api/events/stream"))
        .header(
            "cookie",
            "compass_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(forged.status(), 401);
    assert_eq!(app.app_state().sessions.len(), 0);
}
