//! Google's strictness where the emulator used to be kinder: date-only `UNTIL`, cutting a series, nested patch
//! merges, times rendered in the calendar's (or the request's) zone, all-day windows in the calendar's zone,
//! `sequence` checks, partial responses (`fields`), per-method scopes and Google's listing habits.
#![allow(clippy::unwrap_used)]

use gcal_emulator::{EmulatorConfig, ListingBehaviour};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{spawn, spawn_with, TestEmu, ALICE};

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An emulator with kind (exact) listings, so page and tombstone shapes are predictable.
async fn spawn_exact() -> TestEmu {
    spawn_with(EmulatorConfig {
        listing: ListingBehaviour::exact(),
        ..EmulatorConfig::default()
    })
    .await
}

#[tokio::test]
async fn an_all_day_series_with_a_date_only_until_is_accepted_and_ends_on_that_day() {
    let t = spawn().await;
    let r = t
        .post(
            "/calendars/primary/events",
            &json!({"id": "alldaa0001", "summary": "Weekly", "start": {"date": "2026-12-07"},
                    "end": {"date": "2026-12-08"}, "recurrence": ["RRULE:FREQ=WEEKLY;UNTIL=20261228"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    assert_eq!(
        ids(&items),
        [
            "alldaa0001_20261207",
            "alldaa0001_20261214",
            "alldaa0001_20261221",
            "alldaa0001_20261228"
        ]
    );
    let r = t
        .get("/calendars/primary/events/alldaa0001/instances", &[])
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn a_timed_series_with_a_date_only_until_includes_that_day() {
    let t = spawn().await;
    let r = t
        .post(
            "/calendars/primary/events",
            &json!({"id": "timedu0001", "summary": "Daily",
                    "start": {"dateTime": "2030-03-01T22:30:00-05:00", "timeZone": "America/New_York"},
                    "end": {"dateTime": "2030-03-01T23:00:00-05:00", "timeZone": "America/New_York"},
                    "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300303"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    assert_eq!(items.len(), 3, "{items:?}");
    // A floating UNTIL is read in the series' zone: 22:30 New York on the 2nd is the last instance.
    let r = t
        .patch(
            "/calendars/primary/events/timedu0001",
            &json!({"recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300302T223000"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    assert_eq!(items.len(), 2, "{items:?}");
}

#[tokio::test]
async fn cutting_a_series_cancels_its_exceptions_beyond_the_new_end() {
    let t = spawn_exact().await;
    t.insert(json!({"id": "cutseries01", "summary": "Daily",
        "start": {"dateTime": "2030-01-01T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-01T10:00:00Z", "timeZone": "UTC"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=10"]}))
        .await;
    for day in ["02", "08"] {
        let id = format!("cutseries01_203001{day}T090000Z");
        let r = t
            .patch(
                &format!("/calendars/primary/events/{id}"),
                &json!({"summary": "moved"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let (_, token, _) = t.list_all(&[]).await;
    let r = t
        .patch(
            "/calendars/primary/events/cutseries01",
            &json!({"recurrence": ["RRULE:FREQ=DAILY;UNTIL=20300105T090000Z"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    let listed = ids(&items);
    assert_eq!(listed.len(), 5, "{listed:?}");
    assert!(listed.contains(&"cutseries01_20300102T090000Z".to_owned()));
    assert!(!listed.contains(&"cutseries01_20300108T090000Z".to_owned()));

    let (delta, _, _) = t.list_all(&[("syncToken", &token)]).await;
    let cut = delta
        .iter()
        .find(|i| i["id"] == "cutseries01_20300108T090000Z")
        .expect("the cut exception is in the next incremental sync");
    assert_eq!(cut["status"], "cancelled");
    assert!(!delta
        .iter()
        .any(|i| i["id"] == "cutseries01_20300102T090000Z"));
    let r = t
        .get(
            "/calendars/primary/events/cutseries01_20300108T090000Z",
            &[],
        )
        .await;
    assert_eq!(r.body["status"], "cancelled");
}

#[tokio::test]
async fn moving_a_series_start_cancels_the_exceptions_whose_slot_it_no_longer_has() {
    let t = spawn_exact().await;
    t.insert(json!({"id": "moveseries1", "summary": "Weekly",
        "start": {"dateTime": "2030-01-07T15:30:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T16:15:00Z", "timeZone": "UTC"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}))
        .await;
    // The second instance moved an hour later on its own (an exception of the 15:30 slot).
    let r = t
        .patch(
            "/calendars/primary/events/moveseries1_20300114T153000Z",
            &json!({"start": {"dateTime": "2030-01-14T16:30:00Z"},
                    "end": {"dateTime": "2030-01-14T17:15:00Z"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (_, token, _) = t.list_all(&[]).await;
    // The whole series moves an hour earlier: its slots are 14:30 now, the 15:30 exception has none.
    let r = t
        .patch(
            "/calendars/primary/events/moveseries1",
            &json!({"start": {"dateTime": "2030-01-07T14:30:00Z"},
                    "end": {"dateTime": "2030-01-07T15:15:00Z"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let expected = [
        "moveseries1_20300107T143000Z",
        "moveseries1_20300114T143000Z",
        "moveseries1_20300121T143000Z",
    ];
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    assert_eq!(ids(&items), expected);
    // `events.instances` says the same as the expanded listing.
    let r = t
        .get("/calendars/primary/events/moveseries1/instances", &[])
        .await;
    assert_eq!(ids(r.body["items"].as_array().unwrap()), expected);
    let (delta, _, _) = t.list_all(&[("syncToken", &token)]).await;
    let orphan = delta
        .iter()
        .find(|i| i["id"] == "moveseries1_20300114T153000Z")
        .expect("the orphaned exception is in the next incremental sync");
    assert_eq!(orphan["status"], "cancelled");
}

#[tokio::test]
async fn a_patch_of_start_date_time_keeps_the_stored_time_zone() {
    let t = spawn().await;
    t.insert(json!({"id": "patchta0001", "summary": "Berlin",
        "start": {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T11:00:00+01:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"]}))
        .await;
    let r = t
        .patch(
            "/calendars/primary/events/patchta0001",
            &json!({"start": {"dateTime": "2030-01-07T12:00:00+01:00"},
                    "end": {"dateTime": "2030-01-07T13:00:00+01:00"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["start"]["timeZone"], "Europe/Berlin");
    assert_eq!(r.body["end"]["timeZone"], "Europe/Berlin");
    assert_eq!(r.body["start"]["dateTime"], "2030-01-07T11:00:00Z");
}

#[tokio::test]
async fn date_times_are_rendered_in_the_calendar_zone_or_the_requested_one() {
    let t = spawn().await;
    t.ctl
        .change_calendar(ALICE, "primary", &json!({"timeZone": "America/New_York"}))
        .await
        .unwrap();
    let e = t
        .insert(json!({"id": "rendered01", "summary": "z",
            "start": {"dateTime": "2030-01-07T15:00:00Z"}, "end": {"dateTime": "2030-01-07T16:00:00Z"}}))
        .await;
    assert_eq!(e["start"]["dateTime"], "2030-01-07T10:00:00-05:00");
    let r = t.get("/calendars/primary/events/rendered01", &[]).await;
    assert_eq!(r.body["start"]["dateTime"], "2030-01-07T10:00:00-05:00");
    let r = t
        .get(
            "/calendars/primary/events/rendered01",
            &[("timeZone", "Asia/Tokyo")],
        )
        .await;
    assert_eq!(r.body["end"]["dateTime"], "2030-01-08T01:00:00+09:00");
    let r = t
        .get(
            "/calendars/primary/events",
            &[("timeZone", "Europe/Berlin")],
        )
        .await;
    assert_eq!(
        r.body["items"][0]["start"]["dateTime"],
        "2030-01-07T16:00:00+01:00"
    );
    let r = t
        .get("/calendars/primary/events", &[("timeZone", "Not/AZone")])
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn all_day_windows_use_the_calendar_zone() {
    let t = spawn().await;
    t.ctl
        .change_calendar(ALICE, "primary", &json!({"timeZone": "America/New_York"}))
        .await
        .unwrap();
    t.insert(json!({"id": "alldaband01", "summary": "day",
        "start": {"date": "2030-01-07"}, "end": {"date": "2030-01-08"}}))
        .await;
    // The day is 05:00Z..05:00Z next day in New York: a window ending at 03:00Z on the 7th misses it, one from
    // 03:00Z on the 8th still sees it.
    let before = t
        .get(
            "/calendars/primary/events",
            &[
                ("timeMin", "2030-01-06T00:00:00Z"),
                ("timeMax", "2030-01-07T03:00:00Z"),
            ],
        )
        .await;
    assert_eq!(before.body["items"].as_array().unwrap().len(), 0);
    let late = t
        .get(
            "/calendars/primary/events",
            &[
                ("timeMin", "2030-01-08T03:00:00Z"),
                ("timeMax", "2030-01-09T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(late.body["items"].as_array().unwrap().len(), 1);
    // 03:00Z on the 7th is the evening of the 6th in New York: before the all-day event of the 7th.
    t.insert(json!({"id": "evening001", "summary": "evening",
        "start": {"dateTime": "2030-01-07T03:00:00Z"}, "end": {"dateTime": "2030-01-07T04:00:00Z"}}))
        .await;
    let (ordered, _, _) = t
        .list_all(&[("singleEvents", "true"), ("orderBy", "startTime")])
        .await;
    assert_eq!(ids(&ordered), ["evening001", "alldaband01"]);
}

#[tokio::test]
async fn an_update_with_a_sequence_below_the_stored_one_is_refused() {
    let t = spawn().await;
    let mut e = json!({"id": "sequence001", "summary": "s", "sequence": 3,
        "start": {"dateTime": "2030-01-07T15:00:00Z"}, "end": {"dateTime": "2030-01-07T16:00:00Z"}});
    t.insert(e.clone()).await;
    e["sequence"] = json!(2);
    let r = t.put("/calendars/primary/events/sequence001", &e).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.reason(), "invalid");
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("Invalid sequence value"));
    let r = t
        .patch(
            "/calendars/primary/events/sequence001",
            &json!({"sequence": 1}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = t
        .patch(
            "/calendars/primary/events/sequence001",
            &json!({"sequence": 3, "summary": "same"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

/// Mints an access token for Alice with exactly `scope`.
async fn token_with(t: &TestEmu, scope: &str) -> String {
    let r = t
        .http
        .post(format!("{}/_emulator/users/{ALICE}/tokens", t.base))
        .json(&json!({"scope": scope}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn scopes_are_checked_per_method() {
    let t = spawn().await;
    let events_only = token_with(&t, "https://www.googleapis.com/auth/calendar.events").await;
    let r = t
        .send(
            Method::GET,
            &t.api("/users/me/calendarList"),
            Some(&events_only),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.reason(), "insufficientPermissions");
    assert_eq!(r.body["error"]["code"], 403);
    assert!(r.headers["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("insufficient_scope"));
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(&events_only),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let list_only = token_with(
        &t,
        "https://www.googleapis.com/auth/calendar.calendarlist.readonly",
    )
    .await;
    let r = t
        .send(
            Method::GET,
            &t.api("/calendars/primary/events"),
            Some(&list_only),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = t
        .send(
            Method::GET,
            &t.api("/users/me/calendarList"),
            Some(&list_only),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let read_only = token_with(
        &t,
        "https://www.googleapis.com/auth/calendar.events.readonly",
    )
    .await;
    let r = t
        .send(
            Method::POST,
            &t.api("/calendars/primary/events"),
            Some(&read_only),
            &[],
            Some(&json!({"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn partial_responses_keep_only_the_requested_fields() {
    let t = spawn_exact().await;
    t.insert(json!({"id": "fields0001", "summary": "f",
        "start": {"dateTime": "2030-01-07T15:00:00Z", "timeZone": "UTC"}, "end": {"dateTime": "2030-01-07T16:00:00Z"}}))
        .await;
    let r = t
        .get(
            "/calendars/primary/events",
            &[("fields", "items(id),nextSyncToken")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["items", "nextSyncToken"]);
    assert_eq!(r.body["items"][0], json!({"id": "fields0001"}));

    let r = t
        .get(
            "/calendars/primary/events",
            &[("fields", "items(start/dateTime,summary)")],
        )
        .await;
    assert_eq!(
        r.body,
        json!({"items": [{"start": {"dateTime": "2030-01-07T15:00:00Z"}, "summary": "f"}]})
    );
    let r = t
        .get(
            "/calendars/primary/events/fields0001",
            &[("fields", "id,end")],
        )
        .await;
    assert_eq!(
        r.body,
        json!({"id": "fields0001", "end": {"dateTime": "2030-01-07T16:00:00Z"}})
    );
    let r = t.get("/calendars/primary/events", &[("fields", "*")]).await;
    assert!(r.body["items"][0]["etag"].is_string());
    assert!(r.body["kind"].is_string());
    let r = t
        .get("/calendars/primary/events", &[("fields", "items(*)")])
        .await;
    assert!(r.body["items"][0]["etag"].is_string());
    assert!(r.body.get("kind").is_none());
    let r = t
        .get("/calendars/primary/events", &[("fields", "items(id")])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = t
        .get(
            "/users/me/calendarList",
            &[("fields", "items(id,timeZone)")],
        )
        .await;
    assert!(r.body["items"][0]["timeZone"].is_string());
    assert!(r.body["items"][0].get("summary").is_none());
    let r = t
        .patch(
            "/calendars/primary/events/fields0001",
            &json!({"summary": "g"}),
        )
        .await;
    assert_eq!(r.body["summary"], "g");
    let r = t
        .send(
            Method::PATCH,
            &t.api("/calendars/primary/events/fields0001"),
            Some(&t.token),
            &[("fields", "etag")],
            Some(&json!({"summary": "h"})),
            &[],
        )
        .await;
    assert_eq!(r.body.as_object().unwrap().len(), 1, "{}", r.body);
}

#[tokio::test]
async fn google_like_listings_have_short_pages_and_bare_cancelled_instances() {
    let t = spawn_with(EmulatorConfig {
        listing: ListingBehaviour {
            seed: Some(42),
            ..ListingBehaviour::google_like()
        },
        ..EmulatorConfig::default()
    })
    .await;
    for i in 0..60 {
        t.insert(json!({"summary": format!("e{i}"),
            "start": {"dateTime": "2030-01-07T15:00:00Z"}, "end": {"dateTime": "2030-01-07T16:00:00Z"}}))
            .await;
    }
    let mut sizes = Vec::new();
    let mut page: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    loop {
        let mut q = vec![("maxResults", "10".to_owned())];
        if let Some(p) = &page {
            q.push(("pageToken", p.clone()));
        }
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = t.get("/calendars/primary/events", &q).await;
        let items = r.body["items"].as_array().unwrap();
        sizes.push(items.len());
        for i in items {
            assert!(
                seen.insert(i["id"].as_str().unwrap().to_owned()),
                "no item twice"
            );
        }
        match r.body["nextPageToken"].as_str() {
            Some(p) => page = Some(p.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60);
    let (last, before) = sizes.split_last().unwrap();
    assert!(*last <= 10);
    assert!(
        before.iter().any(|s| *s < 10),
        "some page before the last is short: {sizes:?}"
    );
    assert!(before.iter().all(|s| (5..=10).contains(s)), "{sizes:?}");

    t.insert(json!({"id": "sparse0001", "summary": "s",
        "start": {"dateTime": "2030-01-01T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-01T10:00:00Z", "timeZone": "UTC"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}))
        .await;
    let (_, token, _) = t.list_all(&[]).await;
    assert_eq!(
        t.delete("/calendars/primary/events/sparse0001_20300102T090000Z")
            .await
            .status,
        204
    );
    let (delta, _, _) = t.list_all(&[("syncToken", &token)]).await;
    // Sorted: serde_json keeps insertion order when another workspace crate enables `preserve_order`.
    let mut keys: Vec<&String> = delta[0].as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["etag", "id", "kind", "status"], "{delta:?}");
    // A full listing still tells which slot of which series is cancelled.
    let (full, _, _) = t.list_all(&[("showDeleted", "true")]).await;
    let cancelled = full
        .iter()
        .find(|i| i["id"] == "sparse0001_20300102T090000Z")
        .unwrap();
    assert_eq!(cancelled["recurringEventId"], "sparse0001");

    let exact = spawn_exact().await;
    exact
        .insert(json!({"id": "sparse0001", "summary": "s",
        "start": {"dateTime": "2030-01-01T09:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-01T10:00:00Z", "timeZone": "UTC"},
        "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"]}))
        .await;
    let (_, token, _) = exact.list_all(&[]).await;
    exact
        .delete("/calendars/primary/events/sparse0001_20300102T090000Z")
        .await;
    let (delta, _, _) = exact.list_all(&[("syncToken", &token)]).await;
    assert_eq!(delta[0]["recurringEventId"], "sparse0001");
}

#[tokio::test]
async fn event_types_filter_and_max_attendees_trim_like_google() {
    let t = spawn_exact().await;
    t.insert(json!({"id": "focus00001", "eventType": "focusTime", "summary": "focus",
        "start": {"dateTime": "2030-01-07T15:00:00Z"}, "end": {"dateTime": "2030-01-07T16:00:00Z"}}))
        .await;
    t.insert(json!({"id": "meeting001", "summary": "meeting",
        "attendees": [{"email": "bob@example.com"}, {"email": ALICE}, {"email": "carol@example.com"}],
        "start": {"dateTime": "2030-01-08T15:00:00Z"}, "end": {"dateTime": "2030-01-08T16:00:00Z"}}))
        .await;
    let r = t
        .get("/calendars/primary/events", &[("eventTypes", "focusTime")])
        .await;
    assert_eq!(ids(r.body["items"].as_array().unwrap()), ["focus00001"]);
    let r = t
        .get(
            "/calendars/primary/events",
            &[("eventTypes", "focusTime"), ("eventTypes", "default")],
        )
        .await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 2);
    let r = t
        .get("/calendars/primary/events", &[("eventTypes", "party")])
        .await;
    assert_eq!(r.status, 400);
    let r = t.get("/calendars/primary/events", &[("q", "CAROL")]).await;
    assert_eq!(ids(r.body["items"].as_array().unwrap()), ["meeting001"]);

    let r = t
        .get(
            "/calendars/primary/events/meeting001",
            &[("maxAttendees", "2")],
        )
        .await;
    assert_eq!(r.body["attendees"], json!([{"email": ALICE}]));
    assert_eq!(r.body["attendeesOmitted"], true);
    let r = t
        .get("/calendars/primary/events", &[("maxAttendees", "3")])
        .await;
    let meeting = &r.body["items"][1];
    assert_eq!(meeting["attendees"].as_array().unwrap().len(), 3);
    assert!(meeting.get("attendeesOmitted").is_none());
    let r = t
        .get(
            "/calendars/primary/events/meeting001",
            &[("maxAttendees", "0")],
        )
        .await;
    assert_eq!(r.status, 400);
}
