//! The Google connection lifecycle end to end, against the gcal-emulator: the calendar-list channel (a
//! calendar added in Google is imported and watched, a removed one forgotten), channels stopped on the
//! sign-out of the last session and reopened at the next sign-in, disconnect (Google data and grant gone,
//! Compass events kept), revocation found by a REST route (`401 GOOGLE_REVOKED`, channels forgotten even
//! though Google refuses the stop), a failed or expired watch repaired by the worker with the computed
//! health and its `USER_METADATA` following it, the OAuth callback's error redirects (missing Calendar
//! scope, a rejected code that is not a revocation), and the sync worker stopping with the server while
//! a second server on the same database picks up the work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::app::{cookie_pair, spawn_app, SseReader, TestApp};
use crate::support::wait::eventually;
use crate::sync::{expect_event, google_app, insert, sign_in, timed, GoogleUser, WAIT};

/// The user's stored watch records as `(gCalendarId, resourceId)`.
async fn watch_records(app: &TestApp) -> Vec<(String, String)> {
    use futures::TryStreamExt;
    let docs: Vec<Document> = app
        .store()
        .collection::<Document>("watch")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    let mut records: Vec<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d.get_str("gCalendarId").unwrap().to_owned(),
                d.get_str("resourceId").unwrap().to_owned(),
            )
        })
        .collect();
    records.sort();
    records
}

/// The live channels at Google as `calendarId` (`None` for the calendar-list channel).
async fn google_channels(app: &TestApp) -> Vec<Option<String>> {
    let mut channels: Vec<Option<String>> = app
        .control()
        .channels()
        .await
        .unwrap()
        .iter()
        .map(|c| c["calendarId"].as_str().map(str::to_owned))
        .collect();
    channels.sort();
    channels
}

async fn connection_state(user: &GoogleUser, app: &TestApp) -> Value {
    let (status, metadata) = user.get_json(app, "/api/user/metadata").await;
    assert_eq!(status, StatusCode::OK, "{metadata}");
    metadata["google"]["connectionState"].clone()
}

/// Reads `USER_METADATA` events until one reports `state`; returns the states seen on the way.
async fn expect_state(stream: &mut SseReader, state: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let metadata = expect_event(stream, "USER_METADATA").await;
        let current = metadata["google"]["connectionState"]
            .as_str()
            .unwrap()
            .to_owned();
        seen.push(current.clone());
        if current == state {
            return seen;
        }
    }
}

#[tokio::test]
async fn the_calendar_list_channel_imports_a_new_calendar_and_forgets_a_removed_one() {
    let app = google_app().await;
    let email = "lena@example.com";
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    eventually("both channels are open", WAIT, || async {
        google_channels(&app).await == [None, Some(email.to_owned())]
    })
    .await;
    let records = watch_records(&app).await;
    assert_eq!(
        records.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["calendarlist", email]
    );
    assert!(records.iter().all(|r| r.1 != "not-open"), "{records:?}");
    eventually("HEALTHY", WAIT, || async {
        connection_state(&user, &app).await == "HEALTHY"
    })
    .await;
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    // A calendar created in Google (with an event already in it) reaches Compass through the list's
    // channel alone, and gets its own channel.
    let control = app.control();
    control.pause_notifications().await.unwrap();
    let team = control.create_calendar(email, "Team").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    insert(
        &app,
        email,
        &team,
        &timed("Team lunch", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z"),
    )
    .await;
    control.resume_notifications().await.unwrap();
    eventually("the new calendar's event is imported", WAIT, || async {
        user.titles(&app).await == ["Team lunch"]
    })
    .await;
    eventually("the new calendar is watched", WAIT, || async {
        google_channels(&app).await.contains(&Some(team.clone()))
            && watch_records(&app)
                .await
                .iter()
                .any(|(c, r)| c == &team && r != "not-open")
    })
    .await;
    eventually("still HEALTHY with three channels", WAIT, || async {
        connection_state(&user, &app).await == "HEALTHY"
    })
    .await;
    let (_, calendars) = user.get_json(&app, "/api/calendars").await;
    assert_eq!(calendars["calendars"].as_array().unwrap().len(), 2);

    // Deleted in Google: its events, sync state and watch record go.
    control.delete_calendar(email, &team).await.unwrap();
    eventually("its events are gone", WAIT, || async {
        user.titles(&app).await.is_empty()
    })
    .await;
    eventually("its watch record is gone", WAIT, || async {
        !watch_records(&app).await.iter().any(|(c, _)| c == &team)
    })
    .await;
    let states = app
        .store()
        .collection::<Document>("sync")
        .count_documents(doc! { "gCalendarId": &team })
        .await
        .unwrap();
    assert_eq!(states, 0);
    let (_, calendars) = user.get_json(&app, "/api/calendars").await;
    assert_eq!(calendars["calendars"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_last_sign_out_stops_the_channels_and_the_next_sign_in_reopens_them() {
    let app = google_app().await;
    let email = "otto@example.com";
    app.control().create_user(email, None).await.unwrap();
    let first = sign_in(&app, email).await;
    first.wait_synced(&app).await;
    let second = sign_in(&app, email).await;
    eventually("both channels are open", WAIT, || async {
        google_channels(&app).await.len() == 2
    })
    .await;

    // Another session remains: the channels stay.
    assert_eq!(app.signout_with(&first.client).await, StatusCode::OK);
    assert_eq!(google_channels(&app).await.len(), 2);
    assert_eq!(watch_records(&app).await.len(), 2);

    // The last session ends: stopped at Google and forgotten.
    assert_eq!(app.signout_with(&second.client).await, StatusCode::OK);
    eventually("no channel is left, at Google or stored", WAIT, || async {
        google_channels(&app).await.is_empty() && watch_records(&app).await.is_empty()
    })
    .await;
    let stops = app
        .control()
        .requests(Some("calendar.channels.stop"))
        .await
        .unwrap();
    assert_eq!(stops.len(), 2, "one channels.stop per channel");

    // A change made in Google while nobody is signed in sends no notification; the next sign-in
    // reopens both channels, and the reopened channel catches the gap up at once (not at the 15-minute
    // backstop).
    insert(
        &app,
        email,
        email,
        &timed("While away", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    let third = sign_in(&app, email).await;
    eventually("the channels are reopened", WAIT, || async {
        google_channels(&app).await == [None, Some(email.to_owned())]
    })
    .await;
    eventually("the gap is caught up", WAIT, || async {
        third.titles(&app).await == ["While away"]
    })
    .await;
    eventually("HEALTHY again", WAIT, || async {
        connection_state(&third, &app).await == "HEALTHY"
    })
    .await;
}

#[tokio::test]
async fn deselecting_a_calendar_whose_channel_stop_finds_the_grant_revoked_answers_google_revoked()
{
    let app = google_app().await;
    let email = "sela@example.com";
    let control = app.control();
    control.create_user(email, None).await.unwrap();
    let team = control.create_calendar(email, "Team").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    eventually("the secondary calendar is watched", WAIT, || async {
        watch_records(&app)
            .await
            .iter()
            .any(|(c, r)| c == &team && r != "not-open")
    })
    .await;

    control.revoke_user(email).await.unwrap();
    let response = user
        .client
        .put(app.url("/api/calendars/select"))
        .json(&json!([{"id": team, "selected": false}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "GOOGLE_REVOKED");
    assert!(watch_records(&app).await.is_empty());
    assert_eq!(connection_state(&user, &app).await, "RECONNECT_REQUIRED");
}

#[tokio::test]
async fn an_import_that_finds_the_grant_revoked_ends_errored_after_google_revoked() {
    let app = google_app().await;
    let email = "iris@example.com";
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;
    // The repair's event listing waits 1.5 s; the grant is revoked meanwhile.
    app.control()
        .add_fault(&FaultSpec {
            latency_ms: Some(1_500),
            ..FaultSpec::new("calendar.events.list", FaultKind::Latency).times(1)
        })
        .await
        .unwrap();
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    expect_event(&mut stream, "IMPORT_GCAL_START").await;
    app.control().revoke_user(email).await.unwrap();
    expect_event(&mut stream, "GOOGLE_REVOKED").await;
    let end = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(end["status"], "ERRORED", "{end}");
    assert_eq!(end["operation"], "REPAIR", "{end}");
    assert_eq!(connection_state(&user, &app).await, "RECONNECT_REQUIRED");
}

#[tokio::test]
async fn disconnect_stops_the_channels_removes_google_data_and_keeps_compass_events() {
    let app = google_app().await;
    let email = "dina@example.com";
    app.control().create_user(email, None).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed(
            "From Google",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let created = user
        .client
        .post(app.url("/api/event"))
        .json(&crate::events_support::timed(
            "Mine",
            "2026-12-02T09:00:00+00:00",
            "2026-12-02T10:00:00+00:00",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::NO_CONTENT);
    assert_eq!(user.titles(&app).await, ["From Google", "Mine"]);
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    let response = user
        .client
        .post(app.url("/api/auth/google/disconnect"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(expect_state(&mut stream, "NOT_CONNECTED").await.len(), 1);
    assert_eq!(user.titles(&app).await, ["Mine"]);
    assert!(google_channels(&app).await.is_empty());
    assert!(watch_records(&app).await.is_empty());
    let store = app.store();
    for collection in ["sync", "calendar"] {
        let left = store
            .collection::<Document>(collection)
            .count_documents(doc! {})
            .await
            .unwrap();
        assert_eq!(left, 0, "{collection}");
    }
    let user_doc = store
        .collection::<Document>("user")
        .find_one(doc! { "email": email })
        .await
        .unwrap()
        .unwrap();
    assert!(user_doc.get("google").is_none(), "grant and link cleared");
    let (_, metadata) = user.get_json(&app, "/api/user/metadata").await;
    assert_eq!(metadata["google"]["connectionState"], "NOT_CONNECTED");
    assert!(metadata.get("sync").is_none(), "{metadata}");
    // Nothing left to import: the import route refuses.
    assert_eq!(user.import(&app, &json!({})).await, StatusCode::BAD_REQUEST);
    // Disconnect needs a session.
    let anonymous = app
        .http
        .post(app.url("/api/auth/google/disconnect"))
        .header("origin", &app.origin)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_disconnect_during_an_import_is_not_undone_by_it() {
    let app = google_app().await;
    // The disconnect lands while the repair reads the events, then while it reads the calendar list
    // (the route's own grant check takes the first slow calendarList.list).
    disconnect_during_import(&app, "dora@example.com", "calendar.events.list", 1).await;
    disconnect_during_import(&app, "lisa@example.com", "calendar.calendarList.list", 2).await;
}

/// Signs `email` in, slows the next `times` calls of `operation` by 1.5 s, starts a repair and
/// disconnects during it: nothing of the repair may survive the disconnect.
async fn disconnect_during_import(app: &TestApp, email: &str, operation: &str, times: u32) {
    app.control().create_user(email, None).await.unwrap();
    insert(
        app,
        email,
        email,
        &timed(
            "From Google",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    let user = sign_in(app, email).await;
    user.wait_imported(app).await;
    let mut stream = user.stream(app).await;
    expect_event(&mut stream, "USER_METADATA").await;
    app.control()
        .add_fault(&FaultSpec {
            latency_ms: Some(1_500),
            user: Some(email.to_owned()),
            ..FaultSpec::new(operation, FaultKind::Latency).times(times)
        })
        .await
        .unwrap();
    assert_eq!(
        user.import(app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    expect_event(&mut stream, "IMPORT_GCAL_START").await;
    let response = user
        .client
        .post(app.url("/api/auth/google/disconnect"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let end = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(end["status"], "ERRORED", "{operation}: {end}");
    // What the repair read came back after the disconnect: nothing of it was kept.
    assert!(user.titles(app).await.is_empty(), "{operation}");
    let store = app.store();
    let user_id = store
        .collection::<Document>("user")
        .find_one(doc! { "email": email })
        .await
        .unwrap()
        .unwrap()
        .get_object_id("_id")
        .unwrap();
    for collection in ["sync", "calendar", "watch"] {
        let found = store
            .collection::<Document>(collection)
            .find_one(doc! { "user": user_id })
            .await
            .unwrap();
        assert!(found.is_none(), "{operation}: {collection}: {found:?}");
    }
    assert_eq!(connection_state(&user, app).await, "NOT_CONNECTED");
}

#[tokio::test]
async fn a_revoked_grant_found_by_a_rest_route_answers_google_revoked_after_pruning() {
    let app = google_app().await;
    let email = "rita@example.com";
    app.control().create_user(email, None).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed(
            "From Google",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    eventually("both channels are open", WAIT, || async {
        watch_records(&app).await.len() == 2
    })
    .await;
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    app.control().revoke_user(email).await.unwrap();
    let response = user
        .client
        .post(app.url("/api/sync/import-gcal"))
        .json(&json!({"force": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({
            "result": "Google access revoked",
            "message": "Google access revoked. Your Google data has been removed.",
            "code": "GOOGLE_REVOKED",
        })
    );
    // The revocation ran before the answer: Google data, sync state and watch records are gone (Google
    // refused to stop the channels: the records go anyway), and the tabs were told.
    expect_event(&mut stream, "GOOGLE_REVOKED").await;
    expect_state(&mut stream, "RECONNECT_REQUIRED").await;
    assert!(user.titles(&app).await.is_empty());
    assert!(watch_records(&app).await.is_empty());
    assert_eq!(
        google_channels(&app).await.len(),
        2,
        "Google refused the stops (the grant is dead): the channels lapse by themselves"
    );
    assert_eq!(connection_state(&user, &app).await, "RECONNECT_REQUIRED");
    assert_eq!(user.import_status(&app).await, "RESTART");
    // No import was started (no IMPORT_GCAL_START after the revocation).
    let until = tokio::time::Instant::now() + Duration::from_millis(800);
    while tokio::time::Instant::now() < until {
        match stream.read(Duration::from_millis(200)).await {
            crate::support::app::Read::Frame(frame) => {
                assert_ne!(frame.name(), Some("IMPORT_GCAL_START"), "{frame:?}")
            }
            _ => continue,
        }
    }
}

#[tokio::test]
async fn a_failed_or_expired_watch_is_reopened_and_the_health_follows_it() {
    // Channels live 4 s and are renewed when they have less than 2 s left.
    let app = spawn_app()
        .with_google()
        .with_settings(|s| {
            s.sync.watch_ttl = Duration::from_secs(4);
            s.sync.watch_renew_margin = Duration::from_secs(2);
            s.sync.tick = Duration::from_millis(200);
        })
        .await;
    let email = "hugo@example.com";
    app.control().create_user(email, None).await.unwrap();
    // The import's events.watch and the worker's first retry fail.
    app.control()
        .add_fault(&FaultSpec::new("calendar.events.watch", FaultKind::BackendError).times(2))
        .await
        .unwrap();
    let user = sign_in(&app, email).await;
    let mut stream = user.stream(&app).await;
    user.wait_imported(&app).await;
    let seen = expect_state(&mut stream, "HEALTHY").await;
    assert!(
        seen.iter().any(|s| s == "ATTENTION"),
        "a completed import without its watch is ATTENTION first: {seen:?}"
    );
    let watch_calls = app
        .control()
        .requests(Some("calendar.events.watch"))
        .await
        .unwrap();
    assert!(watch_calls.len() >= 3, "{}", watch_calls.len());

    // Renewals fail long enough for the channel to expire: ATTENTION is published; then they succeed.
    app.control()
        .add_fault(
            &FaultSpec::new("calendar.events.watch", FaultKind::BackendError).for_millis(6_000),
        )
        .await
        .unwrap();
    expect_state(&mut stream, "ATTENTION").await;
    expect_state(&mut stream, "HEALTHY").await;
    assert_eq!(connection_state(&user, &app).await, "HEALTHY");
}

/// Starts a Google authorization for `email` with the provider URL passed through `edit`, and returns the
/// callback's response.
async fn google_callback_with(
    app: &TestApp,
    intent: &str,
    session: Option<&crate::support::app::CookiePair>,
    email: &str,
    edit: impl Fn(&str) -> String,
) -> reqwest::Response {
    let control = app.control();
    let _ = control.create_user(email, None).await;
    control.set_auto_approve(Some(email)).await.unwrap();
    let start = app
        .get_with_cookie(&format!("/api/auth/google?intent={intent}"), session)
        .await;
    assert_eq!(start.status(), StatusCode::FOUND);
    let binding = cookie_pair(start.headers(), "compass_oauth").unwrap();
    let provider = edit(start.headers()[LOCATION].to_str().unwrap());
    let consent = app.http.get(&provider).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let back = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let query = edit(back.split_once('?').unwrap().1);
    let cookie = match session {
        Some(session) => crate::support::app::CookiePair(format!("{}; {}", session.0, binding.0)),
        None => binding,
    };
    app.get_with_cookie(&format!("/api/auth/google/callback?{query}"), Some(&cookie))
        .await
}

/// `?auth_error=<code>` of a callback's redirect to the app (and no session cookie).
fn auth_error(response: &reqwest::Response) -> Option<String> {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()[LOCATION].to_str().unwrap();
    let code = location.split_once('?').and_then(|(_, query)| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "auth_error")
            .map(|(_, v)| v.into_owned())
    });
    if code.is_some() {
        assert!(cookie_pair(response.headers(), "compass_session").is_none());
    }
    code
}

/// Rewrites the `scope` parameter of a URL or query string to the OpenID scopes only.
fn without_calendar_scope(url: &str) -> String {
    let calendar =
        url::form_urlencoded::byte_serialize(b"https://www.googleapis.com/auth/calendar")
            .collect::<String>();
    url.replace(&format!("+{calendar}"), "")
        .replace(&format!("%20{calendar}"), "")
}

#[tokio::test]
async fn callback_failures_redirect_with_a_code_and_a_missing_scope_or_bad_code_stores_nothing() {
    let app = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.worker = false)
        .await;
    let users = || async {
        app.store()
            .collection::<Document>("user")
            .count_documents(doc! {})
            .await
            .unwrap()
    };
    // Any callback the server cannot use still lands on the app with a code, never JSON.
    for query in [
        "",
        "?state=a&state=b",
        "?error=access_denied",
        "?code=x&state=unknown",
    ] {
        let response = app
            .get_with_cookie(&format!("/api/auth/google/callback{query}"), None)
            .await;
        assert_eq!(
            auth_error(&response).as_deref(),
            Some("GOOGLE_SIGNIN_EXPIRED"),
            "{query}"
        );
    }
    // Sign-in without the Calendar scope: refused, no account.
    let response = google_callback_with(&app, "signin", None, "nora@example.com", |u| {
        without_calendar_scope(u)
    })
    .await;
    assert_eq!(
        auth_error(&response).as_deref(),
        Some("GOOGLE_PERMISSIONS_MISSING")
    );
    assert_eq!(users().await, 0);

    // Connect without the Calendar scope: refused, no grant stored.
    let (_, session) = app
        .signup_cookie("nora@example.com", "correct horse battery", "Nora")
        .await;
    let response = google_callback_with(
        &app,
        "connect",
        Some(&session),
        "nora@example.com",
        without_calendar_scope,
    )
    .await;
    assert_eq!(
        auth_error(&response).as_deref(),
        Some("GOOGLE_PERMISSIONS_MISSING")
    );
    let stored = app
        .store()
        .collection::<Document>("user")
        .find_one(doc! { "email": "nora@example.com" })
        .await
        .unwrap()
        .unwrap();
    assert!(stored.get("google").is_none(), "{stored}");

    // With every scope the same connect works (the check is not refusing everything).
    let response = google_callback_with(&app, "connect", Some(&session), "nora@example.com", |u| {
        u.to_owned()
    })
    .await;
    assert_eq!(auth_error(&response), None);
    assert_eq!(
        response.headers()[LOCATION].to_str().unwrap(),
        format!("{}/", app.address)
    );
    let (_, metadata) = app
        .get_json_with_cookie("/api/user/metadata", Some(&session))
        .await;
    assert_eq!(metadata["google"]["connectionState"], "ATTENTION");
}

#[tokio::test]
async fn a_rejected_code_on_connect_is_not_a_revocation() {
    let app = google_app().await;
    let email = "cody@example.com";
    app.control().create_user(email, None).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed(
            "From Google",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let before = watch_records(&app).await;

    // The connect callback comes back with a code Google does not know (expired, reused).
    let forge = |url: &str| -> String {
        match url.split_once("code=") {
            Some((head, tail)) => {
                let rest = tail.split_once('&').map(|(_, r)| r).unwrap_or("");
                format!("{head}code=forged-code&{rest}")
            }
            None => url.to_owned(),
        }
    };
    let response = google_callback_with(&app, "connect", Some(&user.cookie), email, forge).await;
    assert_eq!(
        auth_error(&response).as_deref(),
        Some("GOOGLE_CODE_REJECTED")
    );
    // Nothing was pruned: events, grant, watches and the state are as they were.
    assert_eq!(user.titles(&app).await, ["From Google"]);
    assert_eq!(watch_records(&app).await, before);
    assert_eq!(connection_state(&user, &app).await, "HEALTHY");
    assert_eq!(user.import_status(&app).await, "COMPLETED");
}

#[tokio::test]
async fn the_worker_stops_with_the_server_and_a_second_server_picks_up_the_work() {
    let mut first = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.tick = Duration::from_millis(200))
        .await;
    let email = "stan@example.com";
    first.control().create_user(email, None).await.unwrap();
    let user = sign_in(&first, email).await;
    user.wait_synced(&first).await;
    assert!(first.app_state().sync.worker_running());

    // The next events.list hangs for 30 s: the worker is mid-sync, holding the calendar's lease, when the
    // server stops.
    first
        .control()
        .add_fault(&FaultSpec {
            latency_ms: Some(30_000),
            ..FaultSpec::new("calendar.events.list", FaultKind::Latency).times(1)
        })
        .await
        .unwrap();
    insert(
        &first,
        email,
        email,
        &timed("Late", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    let store = first.store();
    let lease = format!("sync:{}", user_id_of(&first, email).await);
    eventually("the worker holds the calendar's lease", WAIT, || async {
        store
            .collection::<Document>("lease")
            .count_documents(doc! { "_id": { "$regex": format!("^{lease}:") } })
            .await
            .unwrap()
            == 1
    })
    .await;

    let stopping = Instant::now();
    first.stop_server().await.unwrap();
    let took = stopping.elapsed();
    eprintln!("server and sync worker stopped in {took:?} with a 30 s Google call in flight");
    assert!(took < Duration::from_secs(5), "{took:?}");
    let sync = &first.app_state().sync;
    assert!(!sync.worker_running());
    assert_eq!(sync.running_jobs(), 0);
    // The abandoned sync released its lease, committed nothing, and left the calendar dirty.
    let leases = store
        .collection::<Document>("lease")
        .count_documents(doc! { "_id": { "$regex": format!("^{lease}:") } })
        .await
        .unwrap();
    assert_eq!(leases, 0);
    let state = store
        .collection::<Document>("sync_dirty")
        .find_one(doc! { "gCalendarId": email })
        .await
        .unwrap()
        .unwrap();
    assert!(state.get_bool("dirty").unwrap(), "{state}");
    let events = store
        .collection::<Document>("event")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(events, 0, "nothing of the abandoned sync was committed");

    // A second server on the same database (and the same Google) drains it.
    let second = successor(&first).await;
    eventually("the second server syncs the change", WAIT, || async {
        user.titles(&second).await == ["Late"]
    })
    .await;
}

/// An outbox drain is tracked work: the server waits for it when stopping, so the push in flight is abandoned
/// before its answer is recorded (the entry stays, with its backoff) and the user's outbox lease is released
/// before the server says it stopped; the next server pushes the event.
#[tokio::test]
async fn a_stopping_server_waits_for_its_outbox_drains_and_the_next_one_pushes_their_entries() {
    let mut first = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.tick = Duration::from_millis(200))
        .await;
    let email = "olga@example.com";
    first.control().create_user(email, None).await.unwrap();
    let user = sign_in(&first, email).await;
    user.wait_synced(&first).await;
    // The push's insert hangs for 30 s: the drain holds the user's outbox lease when the server stops.
    first
        .control()
        .add_fault(&FaultSpec {
            latency_ms: Some(30_000),
            ..FaultSpec::new("calendar.events.insert", FaultKind::Latency).times(1)
        })
        .await
        .unwrap();
    let response = user
        .client
        .post(first.url("/api/event"))
        .json(&crate::events_support::timed(
            "Pending",
            "2026-12-02T09:00:00Z",
            "2026-12-02T10:00:00Z",
        ))
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        response.text().await.unwrap()
    );
    let store = first.store();
    let lease = format!("outbox:{}", user_id_of(&first, email).await);
    let leases = || async {
        store
            .collection::<Document>("lease")
            .count_documents(doc! { "_id": &lease })
            .await
            .unwrap()
    };
    eventually("the drain holds the outbox lease", WAIT, || async {
        leases().await == 1
    })
    .await;
    let stopping = Instant::now();
    first.stop_server().await.unwrap();
    let took = stopping.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(first.app_state().sync.running_jobs(), 0);
    assert_eq!(
        leases().await,
        0,
        "the drain ended before the server stopped"
    );
    let entries = store
        .collection::<Document>("outbox")
        .count_documents(doc! {})
        .await
        .unwrap();
    assert_eq!(entries, 1, "the abandoned push keeps its entry");

    let second = successor(&first).await;
    eventually("the second server pushes the event", WAIT, || async {
        let events = first.control().events(email, email).await.unwrap();
        events.iter().filter(|e| e["summary"] == "Pending").count() == 1
    })
    .await;
    drop(second);
}

/// A second server on `first`'s database and Google, with a 200 ms worker tick.
async fn successor(first: &TestApp) -> TestApp {
    let settings = first.app_state().settings.clone();
    spawn_app()
        .with_settings(move |s| {
            s.database = settings.database.clone();
            s.google = settings.google.clone();
            s.sync.tick = Duration::from_millis(200);
        })
        .await
}

/// The Compass user id of `email`.
async fn user_id_of(app: &TestApp, email: &str) -> String {
    app.store()
        .collection::<Document>("user")
        .find_one(doc! { "email": email })
        .await
        .unwrap()
        .unwrap()
        .get_object_id("_id")
        .unwrap()
        .to_hex()
}
