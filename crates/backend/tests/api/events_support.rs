//! Helpers for the events API tests: a signed-in user's calendar client (one method per route) and
//! event bodies.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::app::{json_of, spawn_app, SseReader, TestApp};

/// One signed-in user of a running app.
pub struct Calendar<'a> {
    /// The app.
    pub app: &'a TestApp,
    /// A cookie-holding client signed in as this user.
    pub client: reqwest::Client,
    /// The user's id.
    pub user_id: String,
}

/// Spawns an app (its start-up applies the migrations: indexes and the `event` validator, so the tests
/// exercise the real schema).
pub async fn app() -> TestApp {
    spawn_app().await
}

impl<'a> Calendar<'a> {
    /// Signs up a fresh user on `app`.
    pub async fn sign_up(app: &'a TestApp) -> Calendar<'a> {
        let (client, _, user_id) = app.signed_in_client().await;
        Calendar {
            app,
            client,
            user_id,
        }
    }

    /// Any request to `/api{path}` with an optional JSON body: (status, JSON or null).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.app.url(&format!("/api{path}")));
        if let Some(body) = body {
            request = request.json(body);
        }
        json_of(request.send().await.expect("request sent")).await
    }

    /// `POST /api/event` (one event or an array).
    pub async fn create(&self, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, "/event", Some(body)).await
    }

    /// Creates and asserts 204.
    pub async fn create_ok(&self, body: &Value) {
        let (status, error) = self.create(body).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "create failed: {error}");
    }

    /// `GET /api/event?{query}`, asserting 200; the events.
    pub async fn list(&self, query: &str) -> Vec<Value> {
        let (status, body) = self
            .send(reqwest::Method::GET, &format!("/event?{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "list failed: {body}");
        body.as_array().expect("an array").clone()
    }

    /// Every grid event in a wide range.
    pub async fn grid(&self) -> Vec<Value> {
        self.list("start=2000-01-01&end=2100-01-01").await
    }

    /// Every someday event.
    pub async fn someday(&self) -> Vec<Value> {
        self.list("someday=true").await
    }

    /// `GET /api/event/:id`.
    pub async fn get(&self, id: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, &format!("/event/{id}"), None)
            .await
    }

    /// `PUT /api/event/:id?applyTo=`.
    pub async fn put(&self, id: &str, scope: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::PUT,
            &format!("/event/{id}{}", scope_query(scope)),
            Some(body),
        )
        .await
    }

    /// PUT and assert 204.
    pub async fn put_ok(&self, id: &str, scope: Option<&str>, body: &Value) {
        let (status, error) = self.put(id, scope, body).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "update failed: {error}");
    }

    /// `DELETE /api/event/:id?applyTo=`.
    pub async fn delete(&self, id: &str, scope: Option<&str>) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::DELETE,
            &format!("/event/{id}{}", scope_query(scope)),
            None,
        )
        .await
    }

    /// `PUT /api/event/reorder`.
    pub async fn reorder(&self, body: &Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, "/event/reorder", Some(body))
            .await
    }

    /// Opens this user's SSE stream and consumes the initial `USER_METADATA`.
    pub async fn stream(&self) -> SseReader {
        let mut reader = self.app.open_stream_with(&self.client, None).await;
        assert_eq!(reader.next_event().await.name(), Some("USER_METADATA"));
        reader
    }
}

fn scope_query(scope: Option<&str>) -> String {
    match scope {
        Some(scope) => format!("?applyTo={}", scope.replace(' ', "%20")),
        None => String::new(),
    }
}

/// A timed event body.
pub fn timed(title: &str, start: &str, end: &str) -> Value {
    json!({
        "title": title,
        "startDate": start,
        "endDate": end,
        "isAllDay": false,
        "isSomeday": false,
        "origin": "compass",
        "priority": "work",
    })
}

/// An all-day event body.
pub fn all_day(title: &str, start: &str, end: &str) -> Value {
    json!({
        "title": title,
        "startDate": start,
        "endDate": end,
        "isAllDay": true,
        "origin": "compass",
        "priority": "self",
    })
}

/// A someday event body.
pub fn someday(title: &str, start: &str, end: &str) -> Value {
    json!({
        "title": title,
        "startDate": start,
        "endDate": end,
        "isAllDay": false,
        "isSomeday": true,
        "origin": "compass",
        "priority": "unassigned",
    })
}

/// A weekly timed series of `count` starting Monday 2025-01-06 09:00-06:00.
pub fn weekly(title: &str, count: u32) -> Value {
    let mut body = timed(
        title,
        "2025-01-06T09:00:00-06:00",
        "2025-01-06T09:30:00-06:00",
    );
    body["recurrence"] = json!({ "rule": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")] });
    body
}

/// The string field `key` of an event.
pub fn field<'v>(event: &'v Value, key: &str) -> &'v str {
    event[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string {key} in {event}"))
}

/// The titles of `events`, in order.
pub fn titles(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| field(e, "title").to_owned())
        .collect()
}

/// The `_id`s of `events`, in order.
pub fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| field(e, "_id").to_owned()).collect()
}

/// Reads events until the set of names seen equals `expected` (each at least once), failing on any other
/// name; then checks that nothing else follows within a short window.
pub async fn expect_events(reader: &mut SseReader, expected: &[&str]) {
    let want: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
    let mut seen = BTreeSet::new();
    while seen != want {
        let frame = reader.next_event().await;
        let name = frame.name().expect("named").to_owned();
        assert!(
            want.contains(&name),
            "unexpected event {name}, wanted {want:?}"
        );
        assert_eq!(frame.json(), json!({}));
        seen.insert(name);
    }
    reader.expect_no_event(Duration::from_millis(300)).await;
}

/// Asserts that no event arrives (used after refused writes and for other users).
pub async fn expect_silence(reader: &mut SseReader) {
    reader.expect_no_event(Duration::from_millis(500)).await;
}
