//! Compass → Google end to end, over HTTP against the gcal-emulator (its control API tells what Google
//! holds and which requests it got): timed and all-day events created, edited and deleted; a series and
//! its three scopes (This Event, This and Following, All Events) and an EXDATE delete; the someday round
//! trip (a Google event moved to someday also survives a revocation); the backfill after connecting
//! Google; echoes (no duplicate, no `EVENT_CHANGED`); concurrent edits resolved by the later writer;
//! faults (429, 5xx, a commit whose answer is lost, a permanent 403); an entry surviving its server; two
//! users kept apart.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::{DateTime, Utc};
use gcal_emulator::{FaultKind, FaultSpec};
use mongodb::bson::{doc, Document};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE, LOCATION, ORIGIN};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::{all_day, timed, Calendar};
use crate::support::app::{cookie_pair, spawn_app, CookiePair, SseReader, TestApp};
use crate::support::google::wait_synced_after;
use crate::support::wait::eventually;

const WAIT: Duration = Duration::from_secs(30);

async fn google_app() -> TestApp {
    spawn_app().with_google().await
}

/// A Compass user with Google connected.
struct GoogleUser<'a> {
    cal: Calendar<'a>,
    email: String,
}

/// Runs the OAuth round trip at the emulator as `email` (`intent`: signin or connect, with the session
/// for connect); returns the session cookie a sign-in sets.
async fn oauth(
    app: &TestApp,
    intent: &str,
    session: Option<&CookiePair>,
    email: &str,
) -> Option<CookiePair> {
    let control = app.control();
    let _ = control.create_user(email, Some("Gina")).await;
    control.set_auto_approve(Some(email)).await.unwrap();
    let start = app
        .get_with_cookie(&format!("/api/auth/google?intent={intent}"), session)
        .await;
    assert_eq!(start.status(), StatusCode::FOUND);
    let binding = cookie_pair(start.headers(), "compass_oauth").unwrap();
    let provider = start.headers()[LOCATION].to_str().unwrap().to_owned();
    let consent = app.http.get(&provider).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::FOUND);
    let back = consent.headers()[LOCATION].to_str().unwrap().to_owned();
    let query = back.split_once('?').unwrap().1;
    let cookies = match session {
        Some(s) => CookiePair(format!("{}; {}", s.0, binding.0)),
        None => binding,
    };
    let callback = app
        .get_with_cookie(
            &format!("/api/auth/google/callback?{query}"),
            Some(&cookies),
        )
        .await;
    assert_eq!(callback.status(), StatusCode::SEE_OTHER);
    cookie_pair(callback.headers(), "compass_session")
}

/// A client sending `cookie` and the app's `Origin`.
fn client_with(app: &TestApp, cookie: &CookiePair) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ORIGIN, HeaderValue::from_str(&app.address).unwrap());
    headers.insert(COOKIE, HeaderValue::from_str(&cookie.0).unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn calendar_for<'a>(app: &'a TestApp, cookie: &CookiePair) -> Calendar<'a> {
    let client = client_with(app, cookie);
    let who: Value = client
        .get(app.url("/api/auth/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Calendar {
        app,
        client,
        user_id: who["userId"].as_str().unwrap().to_owned(),
    }
}

/// Signs in with Google as `email` and waits until the first import completed.
async fn sign_in<'a>(app: &'a TestApp, email: &str) -> GoogleUser<'a> {
    let cookie = oauth(app, "signin", None, email).await.unwrap();
    let user = GoogleUser {
        cal: calendar_for(app, &cookie).await,
        email: email.to_owned(),
    };
    user.wait_imported().await;
    user
}

impl GoogleUser<'_> {
    async fn wait_imported(&self) {
        eventually("the import completes", WAIT, || async {
            let (_, metadata) = self
                .cal
                .send(reqwest::Method::GET, "/user/metadata", None)
                .await;
            metadata["sync"]["importGCal"] == "COMPLETED"
        })
        .await;
    }

    /// Creates one event and returns its id.
    async fn create(&self, body: &Value) -> String {
        let mut body = body.clone();
        let id = mongodb::bson::oid::ObjectId::new().to_hex();
        body["_id"] = json!(id);
        self.cal.create_ok(&body).await;
        id
    }

    /// The Compass event `id`, once it has a `gEventId`.
    async fn pushed(&self, id: &str) -> Value {
        eventually("the event reaches Google", WAIT, || async {
            let (status, event) = self.cal.get(id).await;
            status == StatusCode::OK && event["gEventId"].is_string()
        })
        .await;
        self.cal.get(id).await.1
    }

    /// Every event stored at Google in the primary calendar (cancelled ones too).
    async fn at_google(&self) -> Vec<Value> {
        self.cal
            .app
            .control()
            .events(&self.email, &self.email)
            .await
            .unwrap()
    }

    async fn google_event(&self, id: &str) -> Option<Value> {
        self.at_google().await.into_iter().find(|e| e["id"] == id)
    }

    /// Waits until Google's copy `id` satisfies `check`.
    async fn wait_google<F>(&self, what: &str, id: &str, check: F) -> Value
    where
        F: Fn(&Value) -> bool,
    {
        eventually(what, WAIT, || async {
            check(&self.google_event(id).await.unwrap_or(Value::Null))
        })
        .await;
        self.google_event(id).await.unwrap_or(Value::Null)
    }

    /// Waits until this user's outbox is empty (everything pushed).
    async fn wait_outbox_drained(&self) {
        eventually("the outbox drains", WAIT, || async {
            outbox(self.cal.app, &self.cal.user_id).await.is_empty()
        })
        .await;
    }

    /// Lets Google's pending notifications go and waits until the primary calendar was synced after
    /// `since` (the echoes of Compass's writes have been seen).
    async fn sync_after(&self, since: DateTime<Utc>) {
        let app = self.cal.app;
        app.control().flush_notifications().await.unwrap();
        wait_synced_after(app, &self.email, since, WAIT).await;
    }

    async fn stream(&self) -> SseReader {
        self.cal.app.open_stream_with(&self.cal.client, None).await
    }
}

/// The outbox entries of a user (raw documents).
async fn outbox(app: &TestApp, user: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    let user = mongodb::bson::oid::ObjectId::parse_str(user).unwrap();
    app.store()
        .collection::<Document>("outbox")
        .find(doc! { "user": user })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

/// The event writes Google received, in order: `"<operation> <status>"`.
async fn event_writes(app: &TestApp) -> Vec<String> {
    app.control()
        .requests(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method != "GET")
        .filter_map(|r| {
            let op = r.operation?;
            op.starts_with("calendar.events.")
                .then(|| format!("{op} {}", r.status))
        })
        .filter(|w| !w.starts_with("calendar.events.watch"))
        .collect()
}

/// Every stored event of a user (raw documents).
async fn stored(app: &TestApp, user: &str) -> Vec<Document> {
    use futures::TryStreamExt;
    let user = mongodb::bson::oid::ObjectId::parse_str(user).unwrap();
    app.store()
        .collection::<Document>("event")
        .find(doc! { "user": user })
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap()
}

fn instant(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Reads frames until `name` arrives.
async fn expect_event(stream: &mut SseReader, name: &str) {
    let until = tokio::time::Instant::now() + WAIT;
    loop {
        assert!(tokio::time::Instant::now() < until, "no {name} in time");
        if stream.next_event().await.name() == Some(name) {
            return;
        }
    }
}

/// Reads frames until none arrives for half a second.
async fn settle(stream: &mut SseReader) {
    while tokio::time::timeout(Duration::from_millis(500), stream.next_event())
        .await
        .is_ok()
    {}
}

/// Asserts that no `EVENT_CHANGED`/`SOMEDAY_EVENT_CHANGED` arrives within `window`.
async fn expect_no_change(stream: &mut SseReader, window: Duration) {
    let until = tokio::time::Instant::now() + window;
    while let Some(left) = until.checked_duration_since(tokio::time::Instant::now()) {
        match tokio::time::timeout(left, stream.next_event()).await {
            Err(_) => return,
            Ok(frame) => assert!(
                !matches!(
                    frame.name(),
                    Some("EVENT_CHANGED" | "SOMEDAY_EVENT_CHANGED")
                ),
                "an echo caused {:?}",
                frame.name()
            ),
        }
    }
}

#[tokio::test]
async fn a_timed_event_reaches_google_in_its_zone_and_its_echo_changes_nothing() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let mut stream = gina.stream().await;
    // The import's own frames (published just after its status turned COMPLETED) go first.
    settle(&mut stream).await;
    let since = Utc::now();
    let id = gina
        .create(&timed(
            "Dentist",
            "2026-03-02T10:00:00+02:00",
            "2026-03-02T11:00:00+02:00",
        ))
        .await;
    expect_event(&mut stream, "EVENT_CHANGED").await;
    let event = gina.pushed(&id).await;
    assert_eq!(event["gEventId"], id.as_str(), "Google id = Compass id");
    let google = gina.google_event(&id).await.expect("at Google");
    assert_eq!(google["summary"], "Dentist");
    assert_eq!(google["status"], "confirmed");
    assert_eq!(google["start"]["timeZone"], "Etc/GMT-2");
    assert_eq!(
        instant(&google["start"]["dateTime"]),
        instant(&json!("2026-03-02T08:00:00Z"))
    );
    let private = &google["extendedProperties"]["private"];
    assert_eq!(private["compassId"], id.as_str());
    assert_eq!(private["priority"], "work");
    assert_eq!(private["origin"], "compass");
    gina.wait_outbox_drained().await;

    // The echo (notification + incremental listing) is recognised: no duplicate, no refetch.
    gina.sync_after(since).await;
    expect_no_change(&mut stream, Duration::from_millis(800)).await;
    let events = stored(&app, &gina.cal.user_id).await;
    assert_eq!(events.len(), 1, "no duplicate: {events:?}");
    assert_eq!(events[0].get_str("provenance").unwrap(), "compass");
    assert_eq!(events[0].get_str("gCalendarId").unwrap(), gina.email);
    app.stop().await;
}

#[tokio::test]
async fn all_day_events_are_updated_with_if_match_and_deleted_at_google() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let id = gina
        .create(&all_day("Holiday", "2026-04-01", "2026-04-03"))
        .await;
    gina.pushed(&id).await;
    let google = gina.google_event(&id).await.unwrap();
    assert_eq!(google["start"]["date"], "2026-04-01");
    assert_eq!(google["end"]["date"], "2026-04-03");
    gina.wait_outbox_drained().await;
    let etag = google["etag"].as_str().unwrap().to_owned();

    // An edit that also turns it into a timed event.
    gina.cal
        .put_ok(
            &id,
            None,
            &timed(
                "Holiday (morning)",
                "2026-04-01T08:00:00-05:00",
                "2026-04-01T12:00:00-05:00",
            ),
        )
        .await;
    let google = gina
        .wait_google("the edit reaches Google", &id, |e| {
            e["summary"] == "Holiday (morning)"
        })
        .await;
    assert!(google["start"].get("date").is_none(), "{google}");
    assert_eq!(google["start"]["timeZone"], "Etc/GMT+5");
    let patches = app
        .control()
        .requests(Some("calendar.events.patch"))
        .await
        .unwrap();
    assert_eq!(patches.len(), 1, "one patch");
    assert_eq!(
        patches[0].headers.get("if-match").map(String::as_str),
        Some(etag.as_str()),
        "sent with the etag Compass recorded"
    );

    let (status, _) = gina.cal.delete(&id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.wait_google("the delete reaches Google", &id, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
    app.stop().await;
}

#[tokio::test]
async fn a_series_and_its_three_scopes_reach_google() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let mut body = timed(
        "Standup",
        "2026-01-05T09:00:00+01:00",
        "2026-01-05T09:15:00+01:00",
    );
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=DAILY;COUNT=6"] });
    let base = gina.create(&body).await;
    gina.pushed(&base).await;
    gina.wait_outbox_drained().await;
    let master = gina.google_event(&base).await.unwrap();
    assert_eq!(master["recurrence"], json!(["RRULE:FREQ=DAILY;COUNT=6"]));
    assert_eq!(master["start"]["timeZone"], "Etc/GMT-1");

    // Every Compass instance carries its Google instance id.
    let instances = gina.cal.list("start=2026-01-01&end=2026-01-31").await;
    assert_eq!(instances.len(), 6);
    for instance in &instances {
        let start = instant(&instance["startDate"]);
        assert_eq!(
            instance["gEventId"],
            format!("{base}_{}", start.format("%Y%m%dT%H%M%SZ")),
            "{instance}"
        );
        assert_eq!(instance["gRecurringEventId"], base.as_str());
    }
    let id_of = |i: usize| instances[i]["_id"].as_str().unwrap().to_owned();
    let gid_of = |i: usize| instances[i]["gEventId"].as_str().unwrap().to_owned();

    // This Event: the instance is patched by its instance id (an exception at Google).
    let mut second = instances[1].clone();
    second["title"] = json!("Standup (moved)");
    second["startDate"] = json!("2026-01-06T10:00:00+01:00");
    second["endDate"] = json!("2026-01-06T10:15:00+01:00");
    gina.cal
        .put_ok(&id_of(1), Some("This Event"), &second)
        .await;
    let exception = gina
        .wait_google("the exception reaches Google", &gid_of(1), |e| {
            e["summary"] == "Standup (moved)"
        })
        .await;
    assert_eq!(exception["recurringEventId"], base.as_str());

    // This Event delete (EXDATE in Compass): the Google instance is cancelled.
    let (status, _) = gina.cal.delete(&id_of(2), Some("This Event")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.wait_google("the instance is cancelled", &gid_of(2), |e| {
        e["status"] == "cancelled"
    })
    .await;

    // All Events: the master changes.
    let mut all = instances[0].clone();
    all["title"] = json!("Daily");
    gina.cal.put_ok(&id_of(0), Some("All Events"), &all).await;
    gina.wait_google("the master is renamed", &base, |e| e["summary"] == "Daily")
        .await;

    // This and Following from the fourth: the old master gets UNTIL, a new series starts.
    let mut following = instances[3].clone();
    following["title"] = json!("Late standup");
    gina.cal
        .put_ok(&id_of(3), Some("This and Following Events"), &following)
        .await;
    let old = gina
        .wait_google("the old series is cut", &base, |e| {
            e["recurrence"][0]
                .as_str()
                .is_some_and(|r| r.contains("UNTIL="))
        })
        .await;
    assert!(!old["recurrence"][0].as_str().unwrap().contains("COUNT"));
    gina.wait_outbox_drained().await;
    let grid = gina.cal.list("start=2026-01-01&end=2026-01-31").await;
    let late: Vec<&Value> = grid
        .iter()
        .filter(|e| e["title"] == "Late standup")
        .collect();
    assert_eq!(late.len(), 3, "{grid:?}");
    let new_master = late[0]["gRecurringEventId"].as_str().unwrap();
    assert_ne!(new_master, base);
    let google = gina.google_event(new_master).await.expect("a new series");
    assert_eq!(google["summary"], "Late standup");
    assert!(google["recurrence"][0]
        .as_str()
        .unwrap()
        .starts_with("RRULE:FREQ=DAILY"));

    // All of it was written once: a listing at Google shows one live master per series.
    let masters: Vec<Value> = gina
        .at_google()
        .await
        .into_iter()
        .filter(|e| e["recurrence"].is_array() && e["status"] == "confirmed")
        .collect();
    assert_eq!(masters.len(), 2, "{masters:?}");

    // All Events to someday: the old series' master is deleted at Google, its Compass copy keeps no ids.
    let mut to_someday = instances[0].clone();
    to_someday["title"] = json!("Daily");
    to_someday["isSomeday"] = json!(true);
    gina.cal
        .put_ok(&id_of(0), Some("All Events"), &to_someday)
        .await;
    gina.wait_google("the old master is deleted", &base, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
    let (_, old_first) = gina.cal.get(&id_of(0)).await;
    assert_eq!(old_first["isSomeday"], true, "{old_first}");
    assert!(old_first.get("gEventId").is_none(), "{old_first}");

    // All Events delete: the new series goes.
    let (status, _) = gina
        .cal
        .delete(late[0]["_id"].as_str().unwrap(), Some("All Events"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    gina.wait_google("the new series is deleted", new_master, |e| {
        e["status"] == "cancelled"
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn someday_round_trip_deletes_and_recreates_the_google_copy() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let body = timed(
        "Read a book",
        "2026-05-04T18:00:00Z",
        "2026-05-04T19:00:00Z",
    );
    let id = gina.create(&body).await;
    gina.pushed(&id).await;
    gina.wait_outbox_drained().await;

    let mut someday = body.clone();
    someday["isSomeday"] = json!(true);
    gina.cal.put_ok(&id, None, &someday).await;
    gina.wait_google("the Google copy is deleted", &id, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
    let (_, event) = gina.cal.get(&id).await;
    assert_eq!(event["isSomeday"], true);
    assert!(event.get("gEventId").is_none(), "{event}");

    // Someday events never reach Google: editing it records nothing to push.
    let mut renamed = someday.clone();
    renamed["title"] = json!("Read two books");
    gina.cal.put_ok(&id, None, &renamed).await;
    assert!(outbox(&app, &gina.cal.user_id).await.is_empty());
    let before = event_writes(&app).await;

    // Back to the grid: Google holds it again (the same id, confirmed).
    let mut back = renamed.clone();
    back["isSomeday"] = json!(false);
    gina.cal.put_ok(&id, None, &back).await;
    gina.pushed(&id).await;
    let google = gina
        .wait_google("the copy is back", &id, |e| e["status"] == "confirmed")
        .await;
    assert_eq!(google["summary"], "Read two books");
    // The id was taken by the deleted copy: insert (409), read, patch it back — no second event.
    let writes: Vec<String> = event_writes(&app)
        .await
        .into_iter()
        .skip(before.len())
        .collect();
    assert_eq!(
        writes,
        ["calendar.events.insert 409", "calendar.events.patch 200"],
        "{writes:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_google_event_moved_to_someday_is_compass_owned_and_survives_revocation() {
    let app = google_app().await;
    let email = "gina@example.com";
    let control = app.control();
    control.create_user(email, Some("Gina")).await.unwrap();
    let created = control
        .insert_event(
            email,
            email,
            &json!({
                "summary": "From Google",
                "start": {"dateTime": "2026-06-01T09:00:00Z", "timeZone": "UTC"},
                "end": {"dateTime": "2026-06-01T10:00:00Z", "timeZone": "UTC"},
            }),
        )
        .await
        .unwrap();
    let gid = created["id"].as_str().unwrap().to_owned();
    let team = control.create_calendar(email, "Team").await.unwrap();
    let team = team["id"].as_str().unwrap().to_owned();
    let team_event = control
        .insert_event(
            email,
            &team,
            &json!({
                "summary": "Team offsite",
                "start": {"date": "2026-06-10"},
                "end": {"date": "2026-06-11"},
            }),
        )
        .await
        .unwrap();
    let team_gid = team_event["id"].as_str().unwrap().to_owned();
    let gina = sign_in(&app, email).await;
    let grid = gina.cal.grid().await;
    assert_eq!(grid.len(), 2);

    // An edit of a Google event goes to the calendar it belongs to, with If-Match.
    let offsite = grid.iter().find(|e| e["title"] == "Team offsite").unwrap();
    let mut renamed = offsite.clone();
    renamed["title"] = json!("Team offsite (Lisbon)");
    gina.cal
        .put_ok(offsite["_id"].as_str().unwrap(), None, &renamed)
        .await;
    eventually("the team calendar has the edit", WAIT, || async {
        control
            .events(email, &team)
            .await
            .unwrap()
            .iter()
            .any(|e| e["id"] == team_gid.as_str() && e["summary"] == "Team offsite (Lisbon)")
    })
    .await;
    gina.wait_outbox_drained().await;
    let patch = control
        .requests(Some("calendar.events.patch"))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(patch.headers.contains_key("if-match"));
    assert_eq!(
        gina.google_event(&gid).await.unwrap()["summary"],
        "From Google"
    );

    let grid: Vec<Value> = gina
        .cal
        .grid()
        .await
        .into_iter()
        .filter(|e| e["title"] == "From Google")
        .collect();
    let id = grid[0]["_id"].as_str().unwrap().to_owned();
    let mut someday = grid[0].clone();
    someday["isSomeday"] = json!(true);
    gina.cal.put_ok(&id, None, &someday).await;
    gina.wait_google("the Google copy is deleted", &gid, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
    let events = stored(&app, &gina.cal.user_id).await;
    assert_eq!(events.len(), 2, "the deletion's echo removed nothing");
    let moved = events
        .iter()
        .find(|e| e.get_str("title") == Ok("From Google"))
        .unwrap();
    assert_eq!(moved.get_str("provenance").unwrap(), "compass");

    // Revocation prunes Google-owned events only: the someday event stays.
    control.revoke_user(email).await.unwrap();
    // The route checks the grant first: it revokes, then answers the reference's GOOGLE_REVOKED.
    let (status, answer) = gina
        .cal
        .send(
            reqwest::Method::POST,
            "/sync/import-gcal",
            Some(&json!({"force": true})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(answer["code"], "GOOGLE_REVOKED");
    eventually("the revocation is noticed", WAIT, || async {
        let (_, metadata) = gina
            .cal
            .send(reqwest::Method::GET, "/user/metadata", None)
            .await;
        metadata["sync"]["importGCal"] == "RESTART"
    })
    .await;
    let someday_list = gina.cal.someday().await;
    assert_eq!(someday_list.len(), 1, "{someday_list:?}");
    assert_eq!(someday_list[0]["title"], "From Google");
    assert!(
        gina.cal.grid().await.is_empty(),
        "the Google-owned event is pruned"
    );
    app.stop().await;
}

#[tokio::test]
async fn events_made_before_connecting_google_are_backfilled_once() {
    let app = google_app().await;
    let (_, session) = app
        .signup_cookie("gina@example.com", "correct horse battery staple", "Gina")
        .await;
    let gina = GoogleUser {
        cal: calendar_for(&app, &session).await,
        email: "gina@example.com".into(),
    };
    let standalone = gina
        .create(&timed(
            "Old plan",
            "2026-02-02T09:00:00Z",
            "2026-02-02T10:00:00Z",
        ))
        .await;
    let mut series = all_day("Gym", "2026-02-03", "2026-02-04");
    series["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;COUNT=3"] });
    let base = gina.create(&series).await;
    let idea = gina
        .create(&crate::events_support::someday(
            "An idea",
            "2026-02-01T00:00:00Z",
            "2026-02-08T00:00:00Z",
        ))
        .await;
    assert!(
        outbox(&app, &gina.cal.user_id).await.is_empty(),
        "nothing owed without Google"
    );

    oauth(&app, "connect", Some(&session), "gina@example.com").await;
    gina.wait_imported().await;
    gina.pushed(&standalone).await;
    gina.pushed(&base).await;
    gina.wait_outbox_drained().await;
    assert_eq!(
        gina.google_event(&standalone).await.unwrap()["summary"],
        "Old plan"
    );
    let gym = gina.google_event(&base).await.unwrap();
    assert_eq!(gym["recurrence"], json!(["RRULE:FREQ=WEEKLY;COUNT=3"]));
    assert!(
        gina.google_event(&idea).await.is_none(),
        "someday stays in Compass"
    );
    let instances = gina.cal.list("start=2026-02-01&end=2026-03-01").await;
    let gym_instances: Vec<&Value> = instances.iter().filter(|e| e["title"] == "Gym").collect();
    assert_eq!(gym_instances.len(), 3);
    assert!(gym_instances.iter().all(|i| i["gEventId"]
        .as_str()
        .is_some_and(|g| g.starts_with(&format!("{base}_")))));

    // A repair import backfills again: nothing new at Google.
    let inserts = app
        .control()
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap()
        .len();
    assert_eq!(inserts, 2);
    let mut stream = gina.stream().await;
    let (status, _) = gina
        .cal
        .send(
            reqwest::Method::POST,
            "/sync/import-gcal",
            Some(&json!({"force": true})),
        )
        .await;
    assert!(status.is_success());
    expect_event(&mut stream, "IMPORT_GCAL_END").await;
    gina.wait_imported().await;
    gina.wait_outbox_drained().await;
    assert_eq!(
        app.control()
            .requests(Some("calendar.events.insert"))
            .await
            .unwrap()
            .len(),
        2,
        "no second push"
    );
    let live: Vec<Value> = gina
        .at_google()
        .await
        .into_iter()
        .filter(|e| e["status"] == "confirmed")
        .collect();
    assert_eq!(live.len(), 2, "{live:?}");
    assert_eq!(stored(&app, &gina.cal.user_id).await.len(), 1 + 1 + 3 + 1);
    app.stop().await;
}

#[tokio::test]
async fn a_pending_compass_edit_survives_the_echo_and_the_later_writer_wins() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let body = timed("Plan", "2026-07-01T09:00:00Z", "2026-07-01T10:00:00Z");
    let before_create = Utc::now();
    let id = gina.create(&body).await;
    gina.pushed(&id).await;
    gina.wait_outbox_drained().await;
    // The create's echo is synced first (its notification delivered, the sync it started finished): a
    // sync still running would otherwise read Google's change below before Compass's edit is pushed, and
    // there would be no stale etag to detect (failed once in the fresh-clone CI).
    gina.sync_after(before_create).await;
    let control = app.control();

    // 1. Google changes the event, Compass does not know yet (notifications held); then Compass edits
    //    it: Compass is the later writer, the 412 is resolved in its favour.
    control.pause_notifications().await.unwrap();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({"summary": "Google title"}),
        )
        .await
        .unwrap();
    let mut edit = body.clone();
    edit["title"] = json!("Compass title");
    gina.cal.put_ok(&id, None, &edit).await;
    gina.wait_google("Compass's later edit wins at Google", &id, |e| {
        e["summary"] == "Compass title"
    })
    .await;
    gina.wait_outbox_drained().await;
    let preconditions = control
        .requests(Some("calendar.events.patch"))
        .await
        .unwrap()
        .iter()
        .filter(|r| r.status == 412)
        .count();
    assert_eq!(preconditions, 1, "the stale etag was detected");
    control.resume_notifications().await.unwrap();
    gina.sync_after(Utc::now()).await;
    let (_, event) = gina.cal.get(&id).await;
    assert_eq!(event["title"], "Compass title", "no echo overwrote it");

    // 2. Compass edits (its push keeps failing), then Google changes the event: Google is the later
    //    writer; the echo of Google's change does not overwrite the pending edit, the push's 412 does.
    let fault = control
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::ServiceUnavailable).times(1000),
        )
        .await
        .unwrap();
    let mut edit = body.clone();
    edit["title"] = json!("Compass again");
    gina.cal.put_ok(&id, None, &edit).await;
    eventually("the push failed once", WAIT, || async {
        outbox(&app, &gina.cal.user_id)
            .await
            .first()
            .is_some_and(|e| e.get_i32("attempts").unwrap_or(0) >= 1)
    })
    .await;
    // Google's clock runs a minute ahead: its change is unmistakably the later one.
    control.advance_clock(60).await.unwrap();
    control
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({"summary": "Google later"}),
        )
        .await
        .unwrap();
    gina.sync_after(Utc::now()).await;
    let (_, event) = gina.cal.get(&id).await;
    assert_eq!(
        event["title"], "Compass again",
        "the pending edit is kept until pushed"
    );
    control.clear_fault(fault).await.unwrap();
    eventually("Google's later edit wins in Compass", WAIT, || async {
        gina.cal.get(&id).await.1["title"] == "Google later"
    })
    .await;
    gina.wait_outbox_drained().await;
    assert_eq!(
        gina.google_event(&id).await.unwrap()["summary"],
        "Google later"
    );
    assert_eq!(stored(&app, &gina.cal.user_id).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn throttling_and_lost_answers_never_duplicate_and_a_permanent_403_is_recorded() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let control = app.control();

    // 429 twice: retried, one event.
    control
        .add_fault(&FaultSpec::new("calendar.events.insert", FaultKind::RateLimit429).times(2))
        .await
        .unwrap();
    let throttled = gina
        .create(&timed(
            "Throttled",
            "2026-08-01T09:00:00Z",
            "2026-08-01T10:00:00Z",
        ))
        .await;
    gina.pushed(&throttled).await;

    // Google fails longer than one call retries (5 attempts): the entry keeps its error and backoff,
    // and a later drain pushes it.
    control
        .add_fault(
            &FaultSpec::new("calendar.events.insert", FaultKind::ServiceUnavailable).times(7),
        )
        .await
        .unwrap();
    let outage = gina
        .create(&timed(
            "Outage",
            "2026-08-01T11:00:00Z",
            "2026-08-01T12:00:00Z",
        ))
        .await;
    eventually("the entry records the failed attempt", WAIT, || async {
        outbox(&app, &gina.cal.user_id)
            .await
            .first()
            .is_some_and(|e| {
                e.get_i32("attempts").unwrap_or(0) >= 1
                    && e.get_str("lastError").is_ok_and(|m| m.contains("503"))
            })
    })
    .await;
    gina.pushed(&outage).await;
    gina.wait_outbox_drained().await;

    // The insert is committed at Google but the answer is lost (5xx after commit): the retry meets 409
    // and finds its own event, never a second one.
    control
        .add_fault(
            &FaultSpec::new("calendar.events.insert", FaultKind::BackendError)
                .after_commit()
                .times(3),
        )
        .await
        .unwrap();
    let lost = gina
        .create(&timed(
            "Lost answer",
            "2026-08-02T09:00:00Z",
            "2026-08-02T10:00:00Z",
        ))
        .await;
    gina.pushed(&lost).await;
    gina.wait_outbox_drained().await;
    control.clear_faults().await.unwrap();
    let live: Vec<Value> = gina
        .at_google()
        .await
        .into_iter()
        .filter(|e| e["status"] == "confirmed")
        .collect();
    assert_eq!(live.len(), 3, "{live:?}");

    // A grant without write access: Google answers 403 for good; the entry records why and stops.
    let minted: Value = reqwest::Client::new()
        .post(format!(
            "{}/_emulator/users/gina@example.com/tokens",
            app.emulator.as_ref().unwrap().base_url()
        ))
        .json(&json!({
            "scope": "openid https://www.googleapis.com/auth/calendar.readonly",
            "clientId": crate::support::app::CLIENT_ID,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = minted["refresh_token"].as_str().unwrap();
    let sealed = compass_backend::domain::token_cipher::TokenCipher::new(
        &crate::support::app::ENCRYPTION_KEY,
    )
    .encrypt(refresh, &gina.cal.user_id)
    .unwrap();
    app.store()
        .collection::<Document>("user")
        .update_one(
            doc! { "_id": mongodb::bson::oid::ObjectId::parse_str(&gina.cal.user_id).unwrap() },
            doc! { "$set": { "google.gRefreshToken": sealed } },
        )
        .await
        .unwrap();
    let refused = gina
        .create(&timed(
            "Refused",
            "2026-08-03T09:00:00Z",
            "2026-08-03T10:00:00Z",
        ))
        .await;
    eventually("the entry records the refusal", WAIT, || async {
        outbox(&app, &gina.cal.user_id)
            .await
            .first()
            .is_some_and(|e| e.get_document("failed").is_ok())
    })
    .await;
    let entry = outbox(&app, &gina.cal.user_id).await.remove(0);
    let failed = entry.get_document("failed").unwrap();
    assert_eq!(failed.get_i32("status").unwrap(), 403);
    assert!(
        failed.get_str("reason").unwrap().contains("403"),
        "{failed}"
    );
    assert_eq!(entry.get_object_id("_id").unwrap().to_hex(), refused);
    let inserts = control
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap()
        .len();
    // A window for retries that must not come (the worker ticks every second, a backoff is 1–2 s).
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        control
            .requests(Some("calendar.events.insert"))
            .await
            .unwrap()
            .len(),
        inserts,
        "a permanent failure is not retried"
    );
    let (_, event) = gina.cal.get(&refused).await;
    assert!(event.get("gEventId").is_none());
    app.stop().await;
}

/// Creates `title` while Google stores the event but its answer is lost and the client's own retries fail: Compass
/// does not know that Google holds it. Returns its id once the first push has failed.
async fn create_whose_answer_is_lost(app: &TestApp, gina: &GoogleUser<'_>, title: &str) -> String {
    app.control()
        .add_fault(
            &FaultSpec::new("calendar.events.insert", FaultKind::BackendError).after_commit(),
        )
        .await
        .unwrap();
    for operation in ["calendar.events.insert", "calendar.events.get"] {
        app.control()
            .add_fault(&FaultSpec::new(operation, FaultKind::ServiceUnavailable).times(100))
            .await
            .unwrap();
    }
    let id = gina
        .create(&timed(
            title,
            "2026-08-03T09:00:00Z",
            "2026-08-03T10:00:00Z",
        ))
        .await;
    eventually(
        "the first push failed after Google committed",
        WAIT,
        || async {
            outbox(app, &gina.cal.user_id)
                .await
                .first()
                .is_some_and(|e| e.get_i32("attempts").unwrap_or(0) >= 1)
        },
    )
    .await;
    assert_eq!(
        gina.google_event(&id).await.map(|e| e["status"].clone()),
        Some(json!("confirmed"))
    );
    id
}

#[tokio::test]
async fn a_delete_after_a_create_whose_answer_was_lost_removes_what_google_got() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let id = create_whose_answer_is_lost(&app, &gina, "Lost, then deleted").await;
    // Deleted in Compass before a push gets through: Google's copy (under the Compass id) goes too.
    assert_eq!(gina.cal.delete(&id, None).await.0, StatusCode::NO_CONTENT);
    app.control().clear_faults().await.unwrap();
    gina.wait_google("Google's copy is deleted", &id, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
}

/// Seed 10966: the same with a move to someday instead of a delete. Someday events never reach Google, so the
/// move left the pending create alone, whose next push found a someday event and nothing to remove: Google kept
/// the copy its lost-answer insert had made.
#[tokio::test]
async fn a_move_to_someday_after_a_create_whose_answer_was_lost_removes_what_google_got() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let id = create_whose_answer_is_lost(&app, &gina, "Lost, then someday").await;
    let (_, mut someday) = gina.cal.get(&id).await;
    someday["isSomeday"] = json!(true);
    gina.cal.put_ok(&id, None, &someday).await;
    app.control().clear_faults().await.unwrap();
    gina.wait_google("Google's copy is deleted", &id, |e| {
        e["status"] == "cancelled"
    })
    .await;
    gina.wait_outbox_drained().await;
    let (_, event) = gina.cal.get(&id).await;
    assert_eq!(event["isSomeday"], json!(true), "{event}");
}

/// A create whose answer was lost ([`create_whose_answer_is_lost`]), then renamed at Google; its id.
async fn lost_then_renamed_at_google(app: &TestApp, gina: &GoogleUser<'_>) -> String {
    let id = create_whose_answer_is_lost(app, gina, "Lost").await;
    app.control()
        .patch_event(
            &gina.email,
            &gina.email,
            &id,
            &json!({ "summary": "Renamed at Google" }),
        )
        .await
        .unwrap();
    id
}

/// Seeds 15780 and 11611 of the long run: a create whose insert reached Google with its answer lost, then renamed at
/// Google before the push was retried. The retry met its own copy and took it for its own write: Compass recorded
/// Google's etag with its own title, and the two sides never agreed again. Google's rename is the later write: it
/// comes to Compass, on the same event (no second one).
#[tokio::test]
async fn a_create_whose_answer_was_lost_then_renamed_at_google_takes_google_s_rename() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let id = lost_then_renamed_at_google(&app, &gina).await;
    app.control().clear_faults().await.unwrap();
    gina.wait_outbox_drained().await;
    eventually("Google's rename reaches Compass", WAIT, || async {
        gina.cal.get(&id).await.1["title"] == "Renamed at Google"
    })
    .await;
    let google = gina.google_event(&id).await.unwrap();
    assert_eq!(google["summary"], "Renamed at Google", "{google}");
    let events = stored(&app, &gina.cal.user_id).await;
    assert_eq!(events.len(), 1, "{events:#?}");
}

/// The same with a Compass rename after Google's: Compass's is the later write, and it reaches Google.
#[tokio::test]
async fn a_create_whose_answer_was_lost_then_renamed_on_both_sides_keeps_the_later_rename() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let id = lost_then_renamed_at_google(&app, &gina).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, mut renamed) = gina.cal.get(&id).await;
    renamed["title"] = json!("Renamed in Compass");
    gina.cal.put_ok(&id, None, &renamed).await;
    app.control().clear_faults().await.unwrap();
    gina.wait_google("Compass's later rename reaches Google", &id, |e| {
        e["summary"] == "Renamed in Compass"
    })
    .await;
    gina.wait_outbox_drained().await;
    assert_eq!(gina.cal.get(&id).await.1["title"], "Renamed in Compass");
    assert_eq!(stored(&app, &gina.cal.user_id).await.len(), 1);
}

#[tokio::test]
async fn an_entry_outlives_its_server_and_another_instance_pushes_it() {
    // The first instance records entries but never drains (its worker is off: as if it crashed
    // right after the commit).
    let first = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.worker = false)
        .await;
    let database = first.app_state().settings.database.clone();
    let google = first.app_state().settings.google.clone();
    let cookie = oauth(&first, "signin", None, "gina@example.com")
        .await
        .unwrap();
    let cal = calendar_for(&first, &cookie).await;
    let mut body = timed("Survivor", "2026-09-01T09:00:00Z", "2026-09-01T10:00:00Z");
    body["_id"] = json!(mongodb::bson::oid::ObjectId::new().to_hex());
    let id = body["_id"].as_str().unwrap().to_owned();
    cal.create_ok(&body).await;
    let entries = outbox(&first, &cal.user_id).await;
    assert_eq!(entries.len(), 1, "recorded with the change");
    assert_eq!(entries[0].get_object_id("_id").unwrap().to_hex(), id);

    // A second instance on the same database (and the same Google) imports and pushes it.
    let second = spawn_app()
        .with_settings(move |s| {
            s.database = database;
            s.google = google;
        })
        .await;
    let gina = GoogleUser {
        cal: calendar_for(&second, &cookie).await,
        email: "gina@example.com".into(),
    };
    gina.wait_imported().await;
    gina.pushed(&id).await;
    gina.wait_outbox_drained().await;
    let control = first.control();
    let at_google = control
        .events("gina@example.com", "gina@example.com")
        .await
        .unwrap();
    assert_eq!(at_google.len(), 1);
    assert_eq!(at_google[0]["summary"], "Survivor");
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn one_users_writes_never_reach_another_users_google() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let bob = sign_in(&app, "bob@example.com").await;
    let id = gina
        .create(&timed(
            "Gina's",
            "2026-10-01T09:00:00Z",
            "2026-10-01T10:00:00Z",
        ))
        .await;
    gina.pushed(&id).await;
    gina.wait_outbox_drained().await;
    assert!(bob.at_google().await.is_empty());
    assert!(outbox(&app, &bob.cal.user_id).await.is_empty());
    assert!(bob.cal.grid().await.is_empty());
    // Bob cannot reach Gina's event (404), so nothing is recorded for him.
    let (status, _) = bob
        .cal
        .put(
            &id,
            None,
            &timed("Bob's now", "2026-10-01T09:00:00Z", "2026-10-01T10:00:00Z"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(outbox(&app, &bob.cal.user_id).await.is_empty());
    assert!(outbox(&app, &gina.cal.user_id).await.is_empty());
    let inserts = app
        .control()
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap();
    assert_eq!(inserts.len(), 1);
    assert_eq!(inserts[0].user.as_deref(), Some("gina@example.com"));
    app.stop().await;
}

#[tokio::test]
async fn entries_coalesce_per_event_and_a_delete_before_the_push_removes_by_the_compass_id() {
    // No worker: the entries stay as the flows wrote them.
    let app = spawn_app()
        .with_google()
        .with_settings(|s| s.sync.worker = false)
        .await;
    let cookie = oauth(&app, "signin", None, "gina@example.com")
        .await
        .unwrap();
    let cal = calendar_for(&app, &cookie).await;
    let body = timed("Draft", "2026-11-02T09:00:00Z", "2026-11-02T10:00:00Z");
    let mut with_id = body.clone();
    let id = mongodb::bson::oid::ObjectId::new().to_hex();
    with_id["_id"] = json!(id);
    cal.create_ok(&with_id).await;
    for title in ["Draft 2", "Draft 3"] {
        let mut edit = body.clone();
        edit["title"] = json!(title);
        cal.put_ok(&id, None, &edit).await;
    }
    let entries = outbox(&app, &cal.user_id).await;
    assert_eq!(entries.len(), 1, "one entry per event: {entries:?}");
    assert_eq!(entries[0].get_i64("version").unwrap(), 3);
    assert!(entries[0].get("gEventId").is_none());

    // Someday events owe Google nothing; a reorder neither.
    let idea = mongodb::bson::oid::ObjectId::new().to_hex();
    let mut someday =
        crate::events_support::someday("Idea", "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z");
    someday["_id"] = json!(idea);
    cal.create_ok(&someday).await;
    let (status, _) = cal.reorder(&json!([{"_id": idea, "order": 2}])).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(outbox(&app, &cal.user_id).await.len(), 1);

    // Deleted while its create is pending: the create may have reached Google with its answer lost, so
    // the entry becomes a removal of the Google id a create uses, the Compass id (a 404 when it never got
    // there).
    let (status, _) = cal.delete(&id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let entries = outbox(&app, &cal.user_id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].get_str("gEventId").unwrap(), id);
    assert_eq!(entries[0].get_i64("version").unwrap(), 4);
    app.stop().await;
}

#[tokio::test]
async fn a_standalone_event_becomes_a_series_and_back_at_google() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    let body = timed(
        "Review",
        "2026-12-07T15:00:00-05:00",
        "2026-12-07T16:00:00-05:00",
    );
    let id = gina.create(&body).await;
    gina.pushed(&id).await;
    gina.wait_outbox_drained().await;

    let mut series = body.clone();
    series["recurrence"] = json!({ "rule": ["RRULE:FREQ=WEEKLY;COUNT=3"] });
    gina.cal.put_ok(&id, None, &series).await;
    let google = gina
        .wait_google("the event becomes a series at Google", &id, |e| {
            e["recurrence"].is_array()
        })
        .await;
    assert_eq!(google["recurrence"], json!(["RRULE:FREQ=WEEKLY;COUNT=3"]));
    assert_eq!(google["start"]["timeZone"], "Etc/GMT+5");
    gina.wait_outbox_drained().await;
    let instances = gina.cal.list("start=2026-12-01&end=2026-12-31").await;
    assert_eq!(instances.len(), 3);
    assert!(instances.iter().all(|i| i["gEventId"]
        .as_str()
        .is_some_and(|g| g.starts_with(&format!("{id}_")))));

    // All Events with `rule: null`: one standalone event again, at Google without recurrence.
    let mut single = instances[1].clone();
    single["recurrence"] = json!({ "rule": null });
    single["title"] = json!("Review (once)");
    gina.cal
        .put_ok(single["_id"].as_str().unwrap(), Some("All Events"), &single)
        .await;
    let google = gina
        .wait_google("the series becomes one event at Google", &id, |e| {
            e["summary"] == "Review (once)"
        })
        .await;
    assert!(google.get("recurrence").is_none(), "{google}");
    assert_eq!(
        instant(&google["start"]["dateTime"]),
        instant(&json!("2026-12-14T20:00:00Z")),
        "the edited instance's dates"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_instance_moved_before_its_series_reached_google_is_found_by_its_slot() {
    let app = google_app().await;
    let gina = sign_in(&app, "gina@example.com").await;
    // Google is slow to answer the insert: the instance is moved while the series is on its way.
    app.control()
        .add_fault(&FaultSpec::new("calendar.events.insert", FaultKind::Latency).latency(1500))
        .await
        .unwrap();
    let mut body = timed("Yoga", "2026-02-09T07:00:00Z", "2026-02-09T08:00:00Z");
    body["recurrence"] = json!({ "rule": ["RRULE:FREQ=DAILY;COUNT=3"] });
    let base = gina.create(&body).await;
    let instances = gina.cal.list("start=2026-02-01&end=2026-02-28").await;
    assert_eq!(instances.len(), 3);
    let mut moved = instances[1].clone();
    moved["title"] = json!("Yoga (late)");
    moved["startDate"] = json!("2026-02-10T18:00:00Z");
    moved["endDate"] = json!("2026-02-10T19:00:00Z");
    let moved_id = moved["_id"].as_str().unwrap().to_owned();
    gina.cal.put_ok(&moved_id, Some("This Event"), &moved).await;
    assert!(
        gina.cal.get(&base).await.1["gEventId"].is_null(),
        "the edit came before the series reached Google"
    );

    let slot_id = format!("{base}_20260210T070000Z");
    let exception = gina
        .wait_google("the moved instance reaches Google", &slot_id, |e| {
            e["summary"] == "Yoga (late)"
        })
        .await;
    assert_eq!(
        instant(&exception["start"]["dateTime"]),
        instant(&json!("2026-02-10T18:00:00Z"))
    );
    gina.wait_outbox_drained().await;
    assert_eq!(
        gina.cal.get(&moved_id).await.1["gEventId"],
        slot_id.as_str()
    );
    app.stop().await;
}

#[tokio::test]
async fn two_instances_push_each_entry_once() {
    let first = google_app().await;
    let database = first.app_state().settings.database.clone();
    let google = first.app_state().settings.google.clone();
    let second = spawn_app()
        .with_settings(move |s| {
            s.database = database;
            s.google = google;
        })
        .await;
    let gina = sign_in(&first, "gina@example.com").await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(
            gina.create(&timed(
                &format!("E{i}"),
                "2026-09-07T09:00:00Z",
                "2026-09-07T10:00:00Z",
            ))
            .await,
        );
    }
    gina.wait_outbox_drained().await;
    for id in &ids {
        gina.pushed(id).await;
    }
    let inserts = first
        .control()
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap();
    assert_eq!(
        inserts.len(),
        10,
        "one insert per event across both instances"
    );
    assert_eq!(gina.at_google().await.len(), 10);
    second.stop().await;
    first.stop().await;
}
