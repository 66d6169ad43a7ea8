//! Series in an IANA time zone (`timeZone`) over HTTP: a weekly 09:00 series across a DST change keeps
//! 09:00 local on every instance (and its scope edits keep it too), unknown zones are a 400, events
//! without a zone behave as before (fixed offset), and a series imported from the Google emulator and
//! then re-expanded by Compass lands on the same instants as Google's own `events.instances`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, FixedOffset, NaiveTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::events_support::{app, field, weekly, Calendar};
use crate::support::app::TestApp;
use crate::sync::{google_app, sign_in};

const ALL: Option<&str> = Some("All Events");
const FOLLOWING: Option<&str> = Some("This and Following Events");
const THIS: Option<&str> = Some("This Event");
const CHICAGO: chrono_tz::Tz = chrono_tz::America::Chicago;

/// A weekly 09:00–09:30 series of `count` from Monday 2025-02-24 (winter) in America/Chicago; the US
/// changes to summer time on 2025-03-09.
fn chicago_weekly(title: &str, count: u32) -> Value {
    let mut body = weekly(title, count);
    body["startDate"] = json!("2025-02-24T09:00:00-06:00");
    body["endDate"] = json!("2025-02-24T09:30:00-06:00");
    body["timeZone"] = json!("America/Chicago");
    body
}

fn date(event: &Value, key: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(field(event, key)).unwrap()
}

/// The local start time of each event in Chicago.
fn chicago_times(events: &[Value]) -> Vec<NaiveTime> {
    events
        .iter()
        .map(|e| date(e, "startDate").with_timezone(&CHICAGO).time())
        .collect()
}

fn nine() -> NaiveTime {
    NaiveTime::from_hms_opt(9, 0, 0).unwrap()
}

#[tokio::test]
async fn a_weekly_series_in_a_zone_keeps_nine_local_across_the_dst_change() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    me.create_ok(&chicago_weekly("Standup", 6)).await;
    let instances = me.grid().await;
    let starts: Vec<&str> = instances.iter().map(|e| field(e, "startDate")).collect();
    assert_eq!(
        starts,
        [
            "2025-02-24T09:00:00-06:00",
            "2025-03-03T09:00:00-06:00",
            "2025-03-10T09:00:00-05:00",
            "2025-03-17T09:00:00-05:00",
            "2025-03-24T09:00:00-05:00",
            "2025-03-31T09:00:00-05:00"
        ]
    );
    assert_eq!(field(&instances[2], "endDate"), "2025-03-10T09:30:00-05:00");
    for instance in &instances {
        assert_eq!(field(instance, "timeZone"), "America/Chicago");
    }
    let base = instances[0]["recurrence"]["eventId"].as_str().unwrap();
    let (_, read) = me.get(base).await;
    assert_eq!(field(&read, "timeZone"), "America/Chicago");

    // This and Following from the fourth instance (summer), from a client that sends no zone: the
    // series is cut there and the new series keeps the zone and 09:00 local.
    let mut edit = instances[3].clone();
    edit.as_object_mut().unwrap().remove("timeZone");
    edit["title"] = json!("Standup (new room)");
    me.put_ok(field(&instances[3], "_id"), FOLLOWING, &edit)
        .await;
    let after = me.grid().await;
    assert_eq!(after.len(), 6);
    assert!(chicago_times(&after).iter().all(|t| *t == nine()));
    assert!(after
        .iter()
        .all(|e| field(e, "timeZone") == "America/Chicago"));
    let titles: Vec<&str> = after.iter().map(|e| field(e, "title")).collect();
    assert_eq!(
        titles,
        [
            "Standup",
            "Standup",
            "Standup",
            "Standup (new room)",
            "Standup (new room)",
            "Standup (new room)"
        ]
    );

    // Deleting one summer instance (its occurrence goes into EXDATE), then editing All Events of the
    // first part with a longer rule that keeps the EXDATE: the re-expansion keeps 09:00 local and
    // does not bring the deleted occurrence back.
    me.delete(field(&after[2], "_id"), THIS).await;
    let first = me.grid().await[0].clone();
    let mut lines: Vec<Value> = first["recurrence"]["rule"].as_array().unwrap().clone();
    assert!(
        lines[1].as_str().unwrap().starts_with("EXDATE:"),
        "{lines:?}"
    );
    lines[0] = json!("RRULE:FREQ=WEEKLY;COUNT=4");
    let mut longer = first.clone();
    longer["recurrence"]["rule"] = Value::Array(lines);
    me.put_ok(field(&first, "_id"), ALL, &longer).await;
    let last = me.grid().await;
    let first_part: Vec<&Value> = last.iter().filter(|e| e["title"] == "Standup").collect();
    let starts: Vec<&str> = first_part.iter().map(|e| field(e, "startDate")).collect();
    assert_eq!(
        starts,
        [
            "2025-02-24T09:00:00-06:00",
            "2025-03-03T09:00:00-06:00",
            "2025-03-17T09:00:00-05:00"
        ]
    );
}

#[tokio::test]
async fn unknown_or_malformed_zones_are_refused_and_nothing_is_written() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    for (zone, expected) in [
        (json!("Mars/Olympus_Mons"), "timeZone: "),
        (json!("-06:00"), "timeZone: "),
        (json!(42), "timeZone: "),
    ] {
        let mut body = chicago_weekly("Standup", 3);
        body["timeZone"] = zone.clone();
        let (status, error) = me.create(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{zone}: {error}");
        let message = field(&error, "message");
        assert!(message.starts_with(expected), "{zone}: {message}");
    }
    let mut bad = chicago_weekly("Second", 2);
    bad["timeZone"] = json!("Europe/Atlantis");
    let (status, error) = me.create(&json!([chicago_weekly("First", 2), bad])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = field(&error, "message");
    assert!(message.starts_with("[1].timeZone: "), "{message}");
    assert!(message.contains("Europe/Atlantis"), "{message}");
    assert!(me.grid().await.is_empty());

    // On update too.
    me.create_ok(&chicago_weekly("Standup", 2)).await;
    let instances = me.grid().await;
    let mut edit = instances[0].clone();
    edit["timeZone"] = json!("America/Gotham");
    let (status, error) = me.put(field(&edit, "_id"), ALL, &edit).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(field(&error, "message").starts_with("timeZone: "));
}

#[tokio::test]
async fn without_a_zone_a_series_keeps_the_offset_of_its_start_as_before() {
    let app = app().await;
    let me = Calendar::sign_up(&app).await;
    let mut body = chicago_weekly("Standup", 4);
    body.as_object_mut().unwrap().remove("timeZone");
    me.create_ok(&body).await;
    let instances = me.grid().await;
    let starts: Vec<&str> = instances.iter().map(|e| field(e, "startDate")).collect();
    assert_eq!(
        starts,
        [
            "2025-02-24T09:00:00-06:00",
            "2025-03-03T09:00:00-06:00",
            "2025-03-10T09:00:00-06:00",
            "2025-03-17T09:00:00-06:00"
        ]
    );
    assert!(instances.iter().all(|e| e.get("timeZone").is_none()));
}

/// Google's `events.instances` of a series, as the emulator answers it for `email`.
async fn google_instances(app: &TestApp, email: &str, id: &str) -> Vec<DateTime<Utc>> {
    let token = app.control().mint_tokens(email).await.unwrap().access_token;
    let base = app.emulator.as_ref().unwrap().base_url();
    let calendar = email.replace('@', "%40");
    let url = format!("{base}/calendar/v3/calendars/{calendar}/events/{id}/instances");
    let page: Value = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(page["nextPageToken"].is_null(), "one page is enough here");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| date(&i["start"], "dateTime").with_timezone(&Utc))
        .collect()
}

/// A weekly 09:00 Chicago series at Google across the US change to summer time (14 March 2027).
fn google_series(summary: &str, count: u32) -> Value {
    json!({
        "summary": summary,
        "start": {"dateTime": "2027-03-01T09:00:00-06:00", "timeZone": "America/Chicago"},
        "end": {"dateTime": "2027-03-01T09:30:00-06:00", "timeZone": "America/Chicago"},
        "recurrence": [format!("RRULE:FREQ=WEEKLY;COUNT={count}")],
    })
}

#[tokio::test]
async fn an_imported_series_expands_in_compass_exactly_as_google_expands_it() {
    let app = google_app().await;
    let email = "tz@example.com";
    let control = app.control();
    control.create_user(email, Some("Tess")).await.unwrap();
    let created = control
        .insert_event(email, email, &google_series("Weekly", 4))
        .await
        .unwrap();
    let series = created["id"].as_str().unwrap().to_owned();
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let imported = user.grid(&app).await;
    assert_eq!(imported.len(), 4);
    // Google's event zone is stored on the series and its instances.
    assert!(imported
        .iter()
        .all(|e| field(e, "timeZone") == "America/Chicago"));
    let instants = |events: &[Value]| -> Vec<DateTime<Utc>> {
        events
            .iter()
            .map(|e| date(e, "startDate").with_timezone(&Utc))
            .collect()
    };
    assert_eq!(
        instants(&imported),
        google_instances(&app, email, &series).await
    );

    // Compass re-expands the imported series itself (a longer rule, from a client that sends no zone).
    let mut edit = imported[0].clone();
    edit.as_object_mut().unwrap().remove("timeZone");
    edit["recurrence"]["rule"] = json!(["RRULE:FREQ=WEEKLY;COUNT=7"]);
    let response = user
        .client
        .put(app.url(&format!(
            "/api/event/{}?applyTo=All%20Events",
            field(&imported[0], "_id")
        )))
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    // The write is committed before the 204.
    let expanded = user.grid(&app).await;
    assert_eq!(expanded.len(), 7);
    assert!(chicago_times(&expanded).iter().all(|t| *t == nine()));

    // Google's expansion of the same series (same start, zone and rule) in another account.
    let reference = "reference@example.com";
    control.create_user(reference, None).await.unwrap();
    let twin = control
        .insert_event(reference, reference, &google_series("Twin", 7))
        .await
        .unwrap();
    let google = google_instances(&app, reference, twin["id"].as_str().unwrap()).await;
    assert_eq!(google.len(), 7);
    assert_eq!(instants(&expanded), google);
}

#[tokio::test]
async fn an_imported_event_without_a_zone_takes_the_calendar_s() {
    let app = google_app().await;
    let email = "berlin@example.com";
    let control = app.control();
    control.create_user(email, Some("Bea")).await.unwrap();
    control
        .change_calendar(email, email, &json!({"timeZone": "Europe/Berlin"}))
        .await
        .unwrap();
    control
        .insert_event(
            email,
            email,
            &json!({
                "summary": "Lunch",
                "start": {"dateTime": "2027-03-01T12:00:00+01:00"},
                "end": {"dateTime": "2027-03-01T13:00:00+01:00"},
            }),
        )
        .await
        .unwrap();
    control
        .insert_event(email, email, &google_series("Weekly", 2))
        .await
        .unwrap();
    let user = sign_in(&app, email).await;
    user.wait_imported(&app).await;
    let events = user.grid(&app).await;
    let zone_of = |title: &str| -> Vec<&str> {
        events
            .iter()
            .filter(|e| e["title"] == title)
            .map(|e| field(e, "timeZone"))
            .collect()
    };
    assert_eq!(zone_of("Lunch"), ["Europe/Berlin"]);
    // An event's own zone wins over the calendar's.
    assert_eq!(zone_of("Weekly"), ["America/Chicago", "America/Chicago"]);
}
