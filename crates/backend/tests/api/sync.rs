//! Google → Compass sync end to end, over HTTP against the gcal-emulator: the import after Google
//! sign-in (every shape: timed, all-day, series across a DST change with an exception and a cancelled
//! instance, cancelled events, a selected secondary calendar), changes made in Google reaching an open
//! tab through a push notification (new event, series cut by UNTIL plus its new series, detached
//! instance, sparse tombstone of a master), forged notifications refused, the polling backstop for lost
//! notifications, a 410 resync without duplicates, repair and concurrent imports, and two users holding
//! the same Google id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use compass_backend::sync::watches::channel_token;
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::app::{
    cookie_pair, spawn_app, CookiePair, SseReader, TestApp, ENCRYPTION_KEY, STREAM_DEADLINE,
};
use crate::support::wait::eventually;

pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// A user signed in with Google.
pub(crate) struct GoogleUser {
    pub(crate) email: String,
    pub(crate) cookie: CookiePair,
    /// Sends the session cookie and the app's `Origin`.
    pub(crate) client: reqwest::Client,
}

impl GoogleUser {
    pub(crate) async fn get_json(&self, app: &TestApp, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(app.url(path)).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Every grid event.
    pub(crate) async fn grid(&self, app: &TestApp) -> Vec<Value> {
        let (status, body) = self
            .get_json(app, "/api/event?start=2000-01-01&end=2100-01-01")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body.as_array().unwrap().clone()
    }

    pub(crate) async fn titles(&self, app: &TestApp) -> Vec<String> {
        let mut titles: Vec<String> = self
            .grid(app)
            .await
            .iter()
            .map(|e| e["title"].as_str().unwrap_or_default().to_owned())
            .collect();
        titles.sort();
        titles
    }

    pub(crate) async fn import_status(&self, app: &TestApp) -> Value {
        let (_, metadata) = self.get_json(app, "/api/user/metadata").await;
        metadata["sync"]["importGCal"].clone()
    }

    /// The import completed and has ended (its `IMPORT_GCAL_END` is sent before it lets go of its lease,
    /// so a stream opened after this does not see it).
    pub(crate) async fn wait_imported(&self, app: &TestApp) {
        eventually("the import completes", WAIT, || async {
            self.import_status(app).await == "COMPLETED"
        })
        .await;
        eventually("the import lets go of its lease", WAIT, || async {
            app.store()
                .collection::<Document>("lease")
                .count_documents(doc! { "_id": { "$regex": "^import:" } })
                .await
                .unwrap()
                == 0
        })
        .await;
    }

    /// The import completed and a watch channel is open at Google (notifications will arrive).
    pub(crate) async fn wait_synced(&self, app: &TestApp) {
        self.wait_imported(app).await;
        eventually("a watch is open", WAIT, || async {
            !app.control().channels().await.unwrap().is_empty()
        })
        .await;
    }

    pub(crate) async fn stream(&self, app: &TestApp) -> SseReader {
        app.open_stream_with(&self.client, None).await
    }

    pub(crate) async fn import(&self, app: &TestApp, body: &Value) -> StatusCode {
        self.client
            .post(app.url("/api/sync/import-gcal"))
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
    }
}

pub(crate) async fn google_app() -> TestApp {
    spawn_app().with_google().await
}

/// Creates `email` at Google and signs in to Compass with it (the import starts in the background).
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> GoogleUser {
    let control = app.control();
    let _ = control.create_user(email, Some("Gina")).await;
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
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pair(callback.headers(), "compass_session").unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(&app.address).unwrap());
    headers.insert(COOKIE, HeaderValue::from_str(&cookie.0).unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    GoogleUser {
        email: email.to_owned(),
        cookie,
        client,
    }
}

pub(crate) fn timed(summary: &str, start: &str, end: &str) -> Value {
    json!({
        "summary": summary,
        "start": {"dateTime": start, "timeZone": "UTC"},
        "end": {"dateTime": end, "timeZone": "UTC"},
    })
}

pub(crate) async fn insert(app: &TestApp, email: &str, calendar: &str, event: &Value) -> String {
    let created = app
        .control()
        .insert_event(email, calendar, event)
        .await
        .unwrap();
    created["id"].as_str().unwrap().to_owned()
}

fn utc(event: &Value, key: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(event[key].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Reads events until one named `name` arrives (others, e.g. `USER_METADATA`, are skipped).
pub(crate) async fn expect_event(stream: &mut SseReader, name: &str) -> Value {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < until, "no {name} in time");
        let frame = stream.next_event().await;
        if frame.name() == Some(name) {
            return frame.json();
        }
    }
}

async fn raw_events(app: &TestApp) -> Vec<Document> {
    use futures::TryStreamExt;
    app.store()
        .collection::<Document>("event")
        .find(doc! {})
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn google_sign_in_imports_every_shape_of_every_synced_calendar() {
    let app = google_app().await;
    let email = "gina@example.com";
    let control = app.control();
    control.create_user(email, Some("Gina")).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Standup", "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z"),
    )
    .await;
    insert(
        &app,
        email,
        email,
        &json!({"summary": "Holiday", "start": {"date": "2026-12-24"}, "end": {"date": "2026-12-25"}}),
    )
    .await;
    // A weekly series across the start of US daylight saving time (14 March 2027).
    let series = insert(
        &app,
        email,
        email,
        &json!({
            "summary": "Weekly",
            "start": {"dateTime": "2027-03-01T10:00:00-05:00", "timeZone": "America/New_York"},
            "end": {"dateTime": "2027-03-01T11:00:00-05:00", "timeZone": "America/New_York"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=5"],
        }),
    )
    .await;
    control
        .patch_event(
            email,
            email,
            &format!("{series}_20270308T150000Z"),
            &json!({"summary": "Weekly (moved)",
                    "start": {"dateTime": "2027-03-09T10:00:00-05:00", "timeZone": "America/New_York"},
                    "end": {"dateTime": "2027-03-09T11:00:00-05:00", "timeZone": "America/New_York"}}),
        )
        .await
        .unwrap();
    control
        .delete_event(email, email, &format!("{series}_20270329T140000Z"))
        .await
        .unwrap();
    let gone = insert(
        &app,
        email,
        email,
        &timed("Cancelled", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"),
    )
    .await;
    control.delete_event(email, email, &gone).await.unwrap();
    let secondary = control.create_calendar(email, "Team").await.unwrap();
    let secondary = secondary["id"].as_str().unwrap().to_owned();
    insert(
        &app,
        email,
        &secondary,
        &timed("Team lunch", "2026-12-03T12:00:00Z", "2026-12-03T13:00:00Z"),
    )
    .await;

    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;

    assert_eq!(
        user.titles(&app).await,
        [
            "Holiday",
            "Standup",
            "Team lunch",
            "Weekly",
            "Weekly",
            "Weekly",
            "Weekly (moved)"
        ]
    );
    let grid = user.grid(&app).await;
    let holiday = grid.iter().find(|e| e["title"] == "Holiday").unwrap();
    assert_eq!(holiday["isAllDay"], true);
    assert_eq!(holiday["startDate"], "2026-12-24");
    // Instances follow New York's clock across the DST change: 15:00 UTC before, 14:00 UTC after.
    let mut weekly: Vec<&Value> = grid.iter().filter(|e| e["title"] == "Weekly").collect();
    weekly.sort_by_key(|e| utc(e, "startDate"));
    let hours: Vec<String> = weekly
        .iter()
        .map(|e| utc(e, "startDate").format("%m-%d %H:%M").to_string())
        .collect();
    assert_eq!(hours, ["03-01 15:00", "03-15 14:00", "03-22 14:00"]);
    let moved = grid
        .iter()
        .find(|e| e["title"] == "Weekly (moved)")
        .unwrap();
    assert_eq!(
        utc(moved, "startDate").to_rfc3339(),
        "2027-03-09T15:00:00+00:00"
    );
    // Every instance is linked to the stored base; one document per Google id.
    let raw = raw_events(&app).await;
    let base = raw
        .iter()
        .find(|d| d.get_str("gEventId") == Ok(series.as_str()))
        .expect("the base is stored");
    let base_id = base.get_object_id("_id").unwrap();
    let linked = raw
        .iter()
        .filter(|d| {
            d.get_document("recurrence")
                .ok()
                .and_then(|r| r.get_object_id("eventId").ok())
                == Some(base_id)
        })
        .count();
    assert_eq!(linked, 4);
    let mut ids: Vec<&str> = raw
        .iter()
        .filter_map(|d| d.get_str("gEventId").ok())
        .collect();
    let all = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), all, "no Google id stored twice");
    assert!(raw.iter().all(|d| d.get_str("provenance") == Ok("google")));

    // The calendar list: the primary and the secondary calendar, both synced.
    let (status, calendars) = user.get_json(&app, "/api/calendars").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calendars["calendars"].as_array().unwrap().len(), 2);
    assert_eq!(calendars["calendars"][0]["primary"], true);

    // Deselecting the secondary calendar removes its events.
    let response = user
        .client
        .put(app.url("/api/calendars/select"))
        .json(&json!([{"id": secondary, "selected": false}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!user.titles(&app).await.contains(&"Team lunch".to_owned()));
    // Selecting it again brings them back (the worker lists it in full).
    let response = user
        .client
        .put(app.url("/api/calendars/select"))
        .json(&json!([{"id": secondary, "selected": true}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.json::<Value>().await.unwrap(), json!(true));
    eventually("the reselected calendar is synced", WAIT, || async {
        user.titles(&app).await.contains(&"Team lunch".to_owned())
    })
    .await;
    assert_eq!(user.grid(&app).await.len(), 7);
}

#[tokio::test]
async fn changes_in_google_reach_an_open_tab_through_notifications() {
    let app = google_app().await;
    let email = "nora@example.com";
    app.control().create_user(email, None).await.unwrap();
    let series = insert(
        &app,
        email,
        email,
        &json!({
            "summary": "Daily",
            "start": {"dateTime": "2026-12-07T08:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-07T08:30:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"],
        }),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let mut stream = user.stream(&app).await;

    // A new event, its listing throttled once by Google (429): retried, then applied.
    app.control()
        .add_fault(&FaultSpec::new("calendar.events.list", FaultKind::RateLimit429).times(1))
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Dentist", "2026-12-10T15:00:00Z", "2026-12-10T16:00:00Z"),
    )
    .await;
    expect_event(&mut stream, "EVENT_CHANGED").await;
    eventually("the new event is listed", WAIT, || async {
        user.titles(&app).await.contains(&"Dentist".to_owned())
    })
    .await;

    // One instance moved in Google: an exception, still linked to its series.
    app.control()
        .patch_event(
            email,
            email,
            &format!("{series}_20261207T080000Z"),
            &json!({"start": {"dateTime": "2026-12-07T12:00:00Z", "timeZone": "UTC"},
                    "end": {"dateTime": "2026-12-07T12:30:00Z", "timeZone": "UTC"}}),
        )
        .await
        .unwrap();
    eventually("the moved instance is mirrored", WAIT, || async {
        user.grid(&app).await.iter().any(|e| {
            e["title"] == "Daily"
                && utc(e, "startDate").to_rfc3339() == "2026-12-07T12:00:00+00:00"
                && e["recurrence"]["eventId"].is_string()
        })
    })
    .await;

    // The series cut by UNTIL after its second day, and a new series for the rest.
    app.control()
        .patch_event(
            email,
            email,
            &series,
            &json!({"recurrence": ["RRULE:FREQ=DAILY;UNTIL=20261208T235959Z"]}),
        )
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &json!({
            "summary": "Daily (new)",
            "start": {"dateTime": "2026-12-09T09:00:00Z", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-09T09:30:00Z", "timeZone": "UTC"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        }),
    )
    .await;
    eventually("the split series is mirrored", WAIT, || async {
        let titles = user.titles(&app).await;
        titles.iter().filter(|t| *t == "Daily").count() == 2
            && titles.iter().filter(|t| *t == "Daily (new)").count() == 3
    })
    .await;

    // An instance detached into a standalone: cancelled in the series, re-created on its own.
    app.control()
        .delete_event(email, email, &format!("{series}_20261208T080000Z"))
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed(
            "Daily (alone)",
            "2026-12-08T10:00:00Z",
            "2026-12-08T10:30:00Z",
        ),
    )
    .await;
    eventually("the detached instance is a standalone", WAIT, || async {
        let titles = user.titles(&app).await;
        titles.iter().filter(|t| *t == "Daily").count() == 1
            && titles.contains(&"Daily (alone)".to_owned())
    })
    .await;

    // Deleting the new series' master: Google lists a sparse tombstone; every instance goes.
    let new_series = app
        .control()
        .events(email, email)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e["summary"] == "Daily (new)" && e.get("recurrence").is_some())
        .unwrap();
    app.control()
        .delete_event(email, email, new_series["id"].as_str().unwrap())
        .await
        .unwrap();
    eventually("the deleted series is gone", WAIT, || async {
        !user.titles(&app).await.contains(&"Daily (new)".to_owned())
    })
    .await;
    assert_eq!(
        user.titles(&app).await,
        ["Daily", "Daily (alone)", "Dentist"]
    );
}

#[tokio::test]
async fn forged_or_unknown_notifications_are_refused_without_side_effects() {
    let app = google_app().await;
    let email = "fay@example.com";
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let notify = |headers: Vec<(&'static str, String)>| {
        let mut request = app.http.post(app.url("/api/sync/gcal/notifications"));
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let channel = mongodb::bson::oid::ObjectId::new().to_hex();
    let good_token = channel_token(&ENCRYPTION_KEY, &channel);
    let headers = |token: &str, state: &str| {
        vec![
            ("X-Goog-Channel-ID", channel.clone()),
            ("X-Goog-Resource-ID", "resource-1".to_owned()),
            ("X-Goog-Resource-State", state.to_owned()),
            ("X-Goog-Channel-Token", token.to_owned()),
            ("X-Goog-Message-Number", "2".to_owned()),
        ]
    };
    // Forged token, no token, unknown channel with a well-formed token: all refused alike.
    for (token, state) in [
        ("forged", "exists"),
        ("", "exists"),
        (good_token.as_str(), "exists"),
        (good_token.as_str(), "bogus"),
    ] {
        let response = notify(headers(token, state)).await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{token} {state}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["description"], "Not Authorized");
    }
    let response = notify(vec![]).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // Google's `sync` handshake with a genuine token is acknowledged.
    let response = notify(headers(&good_token, "sync")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "INITIALIZED");
    // Nothing was marked dirty.
    let dirty = app
        .store()
        .collection::<Document>("sync_dirty")
        .count_documents(doc! { "dirty": true })
        .await
        .unwrap();
    assert_eq!(dirty, 0);
}

#[tokio::test]
async fn a_lost_notification_is_caught_by_the_polling_backstop_and_410_resyncs_without_duplicates()
{
    let app = spawn_app()
        .with_google()
        .with_settings(|s| {
            s.sync.backstop = Duration::from_millis(500);
            s.sync.tick = Duration::from_millis(200);
        })
        .await;
    let email = "lou@example.com";
    app.control().create_user(email, None).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Before", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    // Every notification is lost from now on.
    app.control()
        .add_fault(&FaultSpec::new(
            "notifications",
            FaultKind::DropNotification,
        ))
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Lost", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"),
    )
    .await;
    eventually("the backstop finds the change", WAIT, || async {
        user.titles(&app).await == ["Before", "Lost"]
    })
    .await;

    // A calendar created at Google after the import is unknown to Compass (selecting it answers false)
    // until the next import syncs it; deleted at Google, its events go.
    let team = app.control().create_calendar(email, "Team").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    insert(
        &app,
        email,
        &team,
        &timed("Team", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z"),
    )
    .await;
    let response = user
        .client
        .put(app.url("/api/calendars/select"))
        .json(&json!([{"id": team, "selected": true}]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!(false));
    user.import(&app, &json!({"force": true})).await;
    eventually("the selected calendar is synced", WAIT, || async {
        user.titles(&app).await.contains(&"Team".to_owned())
    })
    .await;
    app.control().delete_calendar(email, &team).await.unwrap();
    eventually("the deleted calendar's events go", WAIT, || async {
        user.titles(&app).await == ["Before", "Lost"]
    })
    .await;

    // The sync token expires (410): one full resync of the calendar, no duplicates.
    app.control()
        .expire_sync_tokens(Some(email), None)
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed("After 410", "2026-12-03T09:00:00Z", "2026-12-03T10:00:00Z"),
    )
    .await;
    eventually("the resync brings the change", WAIT, || async {
        user.titles(&app).await.contains(&"After 410".to_owned())
    })
    .await;
    assert_eq!(user.titles(&app).await, ["After 410", "Before", "Lost"]);
    assert_eq!(raw_events(&app).await.len(), 3);
}

#[tokio::test]
async fn repair_reports_repair_keeps_events_when_it_fails_and_a_concurrent_import_is_ignored() {
    let app = google_app().await;
    let email = "rae@example.com";
    app.control().create_user(email, None).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Kept", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    // A non-forced import after a completed one is ignored.
    assert_eq!(user.import(&app, &json!({})).await, StatusCode::NO_CONTENT);
    let end = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(end["status"], "IGNORED");
    assert_eq!(end["operation"], "INCREMENTAL");

    // A repair.
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    expect_event(&mut stream, "IMPORT_GCAL_START").await;
    let importing = expect_event(&mut stream, "USER_METADATA").await;
    assert_eq!(importing["google"]["connectionState"], "IMPORTING");
    let healthy = expect_event(&mut stream, "USER_METADATA").await;
    assert_eq!(healthy["google"]["connectionState"], "HEALTHY");
    let end = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(
        end,
        json!({"operation": "REPAIR", "status": "COMPLETED", "eventsCount": 1, "calendarsCount": 1})
    );
    expect_event(&mut stream, "EVENT_CHANGED").await;

    // A slow repair, and a second one while it runs: ignored.
    app.control()
        .add_fault(
            &FaultSpec {
                latency_ms: Some(1500),
                ..FaultSpec::new("calendar.events.list", FaultKind::Latency)
            }
            .times(1),
        )
        .await
        .unwrap();
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    expect_event(&mut stream, "IMPORT_GCAL_START").await;
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    let ignored = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(ignored["status"], "IGNORED");
    assert_eq!(ignored["operation"], "REPAIR");
    let done = expect_event(&mut stream, "IMPORT_GCAL_END").await;
    assert_eq!(done["status"], "COMPLETED");

    // A repair that fails (Google keeps failing) leaves the events in place.
    app.control()
        .add_fault(&FaultSpec::new(
            "calendar.events.list",
            FaultKind::BackendError,
        ))
        .await
        .unwrap();
    assert_eq!(
        user.import(&app, &json!({"force": true})).await,
        StatusCode::NO_CONTENT
    );
    expect_event(&mut stream, "IMPORT_GCAL_START").await;
    let failed = tokio::time::timeout(WAIT, expect_event(&mut stream, "IMPORT_GCAL_END"))
        .await
        .unwrap();
    assert_eq!(failed["status"], "ERRORED");
    assert_eq!(
        failed["message"],
        "Google Calendar repair failed. Please try again."
    );
    assert_eq!(user.titles(&app).await, ["Kept"]);
    assert_eq!(user.import_status(&app).await, "ERRORED");
    let _ = STREAM_DEADLINE;
}

#[tokio::test]
async fn the_same_google_id_in_two_accounts_never_crosses_users() {
    let app = google_app().await;
    let (ann, bob) = ("ann@example.com", "bob@example.com");
    for email in [ann, bob] {
        app.control().create_user(email, None).await.unwrap();
        let mut event = timed(
            &format!("Shared for {email}"),
            "2026-12-05T09:00:00Z",
            "2026-12-05T10:00:00Z",
        );
        event["id"] = json!("sharedevent0001");
        insert(&app, email, email, &event).await;
    }
    let ann_user = sign_in(&app, ann).await;
    ann_user.wait_imported(&app).await;
    let bob_user = sign_in(&app, bob).await;
    bob_user.wait_imported(&app).await;
    assert_eq!(ann_user.titles(&app).await, ["Shared for ann@example.com"]);
    assert_eq!(bob_user.titles(&app).await, ["Shared for bob@example.com"]);

    // Ann deletes hers in Google: Bob keeps his.
    let mut bob_stream = bob_user.stream(&app).await;
    expect_event(&mut bob_stream, "USER_METADATA").await;
    app.control()
        .delete_event(ann, ann, "sharedevent0001")
        .await
        .unwrap();
    eventually("Ann's copy is gone", WAIT, || async {
        ann_user.titles(&app).await.is_empty()
    })
    .await;
    bob_stream.expect_no_event(Duration::from_millis(500)).await;
    assert_eq!(bob_user.titles(&app).await, ["Shared for bob@example.com"]);
    let _ = (&ann_user.email, &ann_user.cookie);
}

#[tokio::test]
async fn duplicated_notifications_publish_once_and_a_revoked_grant_prunes_google_data_only() {
    let app = google_app().await;
    let email = "dee@example.com";
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    // Every notification is delivered twice: one batch, one EVENT_CHANGED.
    app.control()
        .add_fault(&FaultSpec::new(
            "notifications",
            FaultKind::DuplicateNotification,
        ))
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Twice", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    expect_event(&mut stream, "EVENT_CHANGED").await;
    stream.expect_no_event(Duration::from_millis(800)).await;
    assert_eq!(user.titles(&app).await, ["Twice"]);

    // A Compass-made event survives the revocation; the Google ones go.
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
    expect_event(&mut stream, "EVENT_CHANGED").await;
    app.control().expire_refresh_tokens(email).await.unwrap();
    insert(
        &app,
        email,
        email,
        &timed("Too late", "2026-12-03T09:00:00Z", "2026-12-03T10:00:00Z"),
    )
    .await;
    expect_event(&mut stream, "GOOGLE_REVOKED").await;
    assert_eq!(user.titles(&app).await, ["Mine"]);
    assert_eq!(user.import_status(&app).await, "RESTART");
}

#[tokio::test]
async fn watches_are_renewed_before_they_expire_and_notifications_keep_flowing() {
    // Channels live 4 s and are renewed when they have less than 3 s left.
    let app = spawn_app()
        .with_google()
        .with_settings(|s| {
            s.sync.watch_ttl = Duration::from_secs(4);
            s.sync.watch_renew_margin = Duration::from_secs(3);
            s.sync.tick = Duration::from_millis(200);
        })
        .await;
    let email = "wes@example.com";
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let watch_id = || async {
        app.store()
            .collection::<Document>("watch")
            .find_one(doc! {})
            .await
            .unwrap()
            .and_then(|w| w.get_object_id("_id").ok())
    };
    eventually("a watch is stored", WAIT, || async {
        watch_id().await.is_some()
    })
    .await;
    let first = watch_id().await.unwrap().to_hex();
    eventually(
        "the watch is renewed and the old channel stopped",
        WAIT,
        || async {
            let renewed = watch_id().await.is_some_and(|id| id.to_hex() != first);
            let channels = app.control().channels().await.unwrap();
            let old_live = channels
                .iter()
                .any(|c| c["id"].as_str() == Some(first.as_str()));
            renewed && !old_live
        },
    )
    .await;
    insert(
        &app,
        email,
        email,
        &timed(
            "Still heard",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    eventually(
        "the change arrives through the renewed channel",
        WAIT,
        || async { user.titles(&app).await == ["Still heard"] },
    )
    .await;
}

/// Moving an event to someday clears its Google ids (someday events are never in Google; removing the Google
/// copy is the Compass → Google direction's job): a later deletion in Google then touches nothing in Compass.
#[tokio::test]
async fn an_event_moved_to_someday_is_not_touched_by_a_deletion_in_google() {
    let app = google_app().await;
    let email = "sam@example.com";
    app.control().create_user(email, None).await.unwrap();
    let gid = insert(
        &app,
        email,
        email,
        &timed("Later", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let mut event = user.grid(&app).await.remove(0);
    let id = event["_id"].as_str().unwrap().to_owned();
    event["isSomeday"] = json!(true);
    let moved = user
        .client
        .put(app.url(&format!("/api/event/{id}")))
        .json(&event)
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    let mut stream = user.stream(&app).await;
    expect_event(&mut stream, "USER_METADATA").await;

    // Compass's own push may have deleted the copy already (moving to someday removes it): 410 then.
    if let Err(error) = app.control().delete_event(email, email, &gid).await {
        assert!(error.to_string().contains("410"), "{error}");
    }
    // The notification is processed (the calendar is synced) without any change reaching Compass.
    eventually("the deletion is synced", WAIT, || async {
        let dirty = app
            .store()
            .collection::<Document>("sync_dirty")
            .count_documents(doc! { "dirty": true })
            .await
            .unwrap();
        let delivered = app
            .control()
            .notifications()
            .await
            .unwrap()
            .iter()
            .any(|n| n.state == "exists");
        delivered && dirty == 0
    })
    .await;
    stream.expect_no_event(Duration::from_millis(300)).await;
    let (_, someday) = user.get_json(&app, "/api/event?someday=true").await;
    assert_eq!(someday.as_array().unwrap().len(), 1);
    assert_eq!(someday[0]["title"], "Later");
}

#[tokio::test]
async fn an_import_needs_a_google_grant() {
    let app = google_app().await;
    let (_, session) = app
        .signup_cookie("pat@example.com", "correct horse battery", "Pat")
        .await;
    let response = app
        .post_with_cookie(
            "/api/sync/import-gcal",
            &json!({"force": true}),
            Some(&session),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app
        .post_with_cookie(
            "/api/sync/import-gcal",
            &json!({"force": "yes"}),
            Some(&session),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = app
        .post_with_cookie("/api/sync/import-gcal", &json!({}), None)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn held_notifications_flushed_late_converge_on_google_s_state() {
    let app = google_app().await;
    let email = "hal@example.com";
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_synced(&app).await;
    let mut stream = user.stream(&app).await;
    // Notifications are held (one message per change), three changes happen, then all arrive at once.
    let control = app.control();
    control.set_notification_coalescing(false).await.unwrap();
    control.pause_notifications().await.unwrap();
    let first = insert(
        &app,
        email,
        email,
        &timed("First", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
    )
    .await;
    insert(
        &app,
        email,
        email,
        &timed("Second", "2026-12-02T09:00:00Z", "2026-12-02T10:00:00Z"),
    )
    .await;
    control.delete_event(email, email, &first).await.unwrap();
    assert!(
        user.titles(&app).await.is_empty(),
        "nothing before the flush"
    );
    assert!(control.flush_notifications().await.unwrap() >= 3);
    expect_event(&mut stream, "EVENT_CHANGED").await;
    eventually("Compass holds Google's state", WAIT, || async {
        user.titles(&app).await == ["Second"]
    })
    .await;
    assert_eq!(raw_events(&app).await.len(), 1);
}

/// An app whose sync worker ticks every 200 ms, and `email` signed in with Google, imported.
async fn imported_with_a_quick_worker(email: &str) -> (TestApp, GoogleUser) {
    let app = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.tick = Duration::from_millis(200))
        .await;
    app.control().create_user(email, None).await.unwrap();
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    (app, user)
}

#[tokio::test]
async fn marks_that_cannot_be_synced_never_keep_other_calendars_from_syncing() {
    let email = "mo@example.com";
    let (app, user) = imported_with_a_quick_worker(email).await;
    // More dirty marks than the worker takes per pass, all older than any new one, of users who are not
    // connected (as the backstop leaves behind when it marks a calendar whose user is disconnecting).
    let long_ago = mongodb::bson::DateTime::from_millis(0);
    let stale: Vec<Document> = (0..150)
        .map(|n| {
            doc! {
                "_id": mongodb::bson::oid::ObjectId::new(),
                "user": mongodb::bson::oid::ObjectId::new(),
                "gCalendarId": format!("gone-{n}@example.com"),
                "dirty": true,
                "dirtyGeneration": 1_i64,
                "dirtySince": long_ago,
                "updatedAt": long_ago,
            }
        })
        .collect();
    app.store()
        .collection::<Document>("sync_dirty")
        .insert_many(stale)
        .await
        .unwrap();
    insert(
        &app,
        email,
        email,
        &timed(
            "Behind them",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ),
    )
    .await;
    eventually(
        "the change passes the marks of disconnected users",
        WAIT,
        || async { user.titles(&app).await == ["Behind them"] },
    )
    .await;
    eventually("those marks are gone", WAIT, || async {
        app.store()
            .collection::<Document>("sync_dirty")
            .count_documents(doc! { "gCalendarId": { "$regex": "^gone-" } })
            .await
            .unwrap()
            == 0
    })
    .await;
}

#[tokio::test]
async fn outbox_entries_of_users_without_google_never_keep_others_from_being_pushed() {
    let email = "noor@example.com";
    let (app, user) = imported_with_a_quick_worker(email).await;
    // Due entries of more users than the worker drains per tick, none of whom has Google any more (an
    // edit recorded while its user disconnected).
    let long_ago = mongodb::bson::DateTime::from_millis(0);
    let stale: Vec<Document> = (0..150u8)
        .map(|n| {
            // User ids older than any real one: first in an index walk over the users.
            let mut old_user = [0u8; 12];
            old_user[11] = n;
            doc! {
                "_id": mongodb::bson::oid::ObjectId::new(),
                "user": mongodb::bson::oid::ObjectId::from_bytes(old_user),
                "version": 1_i64,
                "attempts": 0,
                "instance": false,
                "changedAt": long_ago,
                "createdAt": long_ago,
                "nextAttemptAt": long_ago,
            }
        })
        .collect();
    app.store()
        .collection::<Document>("outbox")
        .insert_many(stale)
        .await
        .unwrap();
    let response = user
        .client
        .post(app.url("/api/event"))
        .json(&crate::events_support::timed(
            "Pushed anyway",
            "2026-12-01T09:00:00Z",
            "2026-12-01T10:00:00Z",
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    eventually("the event reaches Google", WAIT, || async {
        app.control()
            .events(email, email)
            .await
            .unwrap()
            .iter()
            .any(|e| e["summary"] == "Pushed anyway")
    })
    .await;
    eventually("the orphaned entries are dropped", WAIT, || async {
        app.store()
            .collection::<Document>("outbox")
            .count_documents(doc! {})
            .await
            .unwrap()
            == 0
    })
    .await;
}
