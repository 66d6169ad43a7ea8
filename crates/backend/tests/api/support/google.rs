//! Google sign-in through the emulator for tests and benchmarks: [`sign_in_with_google`] runs the real OAuth
//! round trip (`/api/auth/google` → the emulator's automatic consent → the callback) and returns the session
//! cookie; [`session_client`] sends it with the app's `Origin` (rebuild it after [`TestApp::restart`], the
//! port changes); [`google_events`] reads what Google holds through the Calendar API itself.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Document};

use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::Value;

use super::app::{cookie_pair, CookiePair, TestApp};
use super::wait::eventually;

/// Creates `email` at Google (if needed) and signs in to Compass with it; the import starts in the background.
pub async fn sign_in_with_google(app: &TestApp, email: &str) -> CookiePair {
    let control = app.control();
    let _ = control.create_user(email, None).await;
    control.set_auto_approve(Some(email)).await.unwrap();
    let start = app
        .get_with_cookie("/api/auth/google?intent=signin", None)
        .await;
    assert_eq!(start.status(), StatusCode::FOUND);
    let binding = cookie_pair(start.headers(), "compass_oauth").unwrap();
    let provider = start.headers()[LOCATION].to_str().unwrap().to_owned();
    let consent = app.http.get(&provider).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let back = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let query = back.split_once('?').unwrap().1;
    let callback = app
        .get_with_cookie(
            &format!("/api/auth/google/callback?{query}"),
            Some(&binding),
        )
        .await;
    assert!(
        callback.status().is_redirection(),
        "callback answered {}",
        callback.status()
    );
    cookie_pair(callback.headers(), "compass_session").expect("a session cookie")
}

/// A client that sends `cookie` and the app's `Origin` on every request.
pub fn session_client(app: &TestApp, cookie: &CookiePair) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(&app.origin).unwrap());
    headers.insert(COOKIE, HeaderValue::from_str(&cookie.0).unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// Every event Google lists in `email`'s primary calendar with series expanded (`singleEvents=true`, cancelled
/// items left out), every page, read through the Calendar API with a freshly minted token.
pub async fn google_events(app: &TestApp, email: &str) -> Vec<Value> {
    google_events_in(app, email, email).await
}

/// [`google_events`] of the calendar `calendar` of `email`.
pub async fn google_events_in(app: &TestApp, email: &str, calendar: &str) -> Vec<Value> {
    let control = app.control();
    let token = control.mint_tokens(email).await.unwrap().access_token;
    let base = app.emulator.as_ref().expect("an emulator").base_url();
    let http = reqwest::Client::new();
    let mut items = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let mut request = http
            .get(format!("{base}/calendar/v3/calendars/{calendar}/events"))
            .bearer_auth(&token)
            .query(&[("singleEvents", "true"), ("maxResults", "2500")]);
        if let Some(page) = &page {
            request = request.query(&[("pageToken", page)]);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        items.extend(body["items"].as_array().cloned().unwrap_or_default());
        match body["nextPageToken"].as_str() {
            Some(next) => page = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// Waits (up to `wait`) until `calendar` is not dirty and was synced after `since`: the changes Google made
/// before `since`, echoes of Compass's own writes included, have been read. The caller lets the
/// notifications go first.
pub async fn wait_synced_after(
    app: &TestApp,
    calendar: &str,
    since: DateTime<Utc>,
    wait: Duration,
) {
    eventually("the calendar is synced again", wait, || async {
        let key = doc! { "gCalendarId": calendar };
        let store = app.store();
        let state = store
            .collection::<Document>("sync")
            .find_one(key.clone())
            .await
            .unwrap();
        let mark = store
            .collection::<Document>("sync_dirty")
            .find_one(key)
            .await
            .unwrap();
        mark.is_none_or(|m| !m.get_bool("dirty").unwrap_or(true))
            && state.is_some_and(|s| {
                s.get_datetime("lastSyncedAt")
                    .is_ok_and(|at| at.timestamp_millis() > since.timestamp_millis())
            })
    })
    .await;
}
