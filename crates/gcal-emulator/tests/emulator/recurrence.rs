//! Recurring series: singleEvents expansion with Google's instance ids, events.instances, exceptions
//! (moved and cancelled instances) through the API and the control API, and how they appear in sync.
#![allow(clippy::unwrap_used)]

use serde_json::{json, Value};

use crate::support::{spawn, ALICE};

fn weekly(id: &str) -> Value {
    json!({
        "id": id, "summary": "Weekly sync",
        "start": {"dateTime": "2030-01-07T10:00:00+01:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2030-01-07T10:30:00+01:00", "timeZone": "Europe/Berlin"},
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
    })
}

#[tokio::test]
async fn single_events_expand_series_with_google_instance_ids() {
    let t = spawn().await;
    t.insert(weekly("series0001")).await;
    let (masters, _, _) = t.list_all(&[]).await;
    assert_eq!(masters.len(), 1);
    assert_eq!(masters[0]["recurrence"][0], "RRULE:FREQ=WEEKLY;COUNT=4");

    let (items, _, _) = t
        .list_all(&[("singleEvents", "true"), ("orderBy", "startTime")])
        .await;
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "series0001_20300107T090000Z",
            "series0001_20300114T090000Z",
            "series0001_20300121T090000Z",
            "series0001_20300128T090000Z"
        ]
    );
    assert_eq!(items[1]["recurringEventId"], "series0001");
    assert_eq!(
        items[1]["originalStartTime"]["dateTime"], "2030-01-14T09:00:00Z",
        "rendered in the calendar's zone (UTC)"
    );
    assert_eq!(items[1]["start"]["timeZone"], "Europe/Berlin");
    assert!(items[1].get("recurrence").is_none());

    let windowed = t
        .get(
            "/calendars/primary/events",
            &[
                ("singleEvents", "true"),
                ("timeMin", "2030-01-10T00:00:00Z"),
                ("timeMax", "2030-01-22T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(windowed.body["items"].as_array().unwrap().len(), 2);

    let one = t
        .get("/calendars/primary/events/series0001_20300121T090000Z", &[])
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["recurringEventId"], "series0001");
    let none = t
        .get("/calendars/primary/events/series0001_20300122T090000Z", &[])
        .await;
    assert_eq!(none.status, 404, "not a slot of the series");

    let inst = t
        .get(
            "/calendars/primary/events/series0001/instances",
            &[("maxResults", "3")],
        )
        .await;
    assert_eq!(inst.status, 200);
    assert_eq!(inst.body["items"].as_array().unwrap().len(), 3);
    let next = inst.body["nextPageToken"].as_str().unwrap();
    let rest = t
        .get(
            "/calendars/primary/events/series0001/instances",
            &[("maxResults", "3"), ("pageToken", next)],
        )
        .await;
    assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn all_day_series_use_date_instance_ids() {
    let t = spawn().await;
    t.insert(json!({
        "id": "anniv00001", "summary": "Birthday", "start": {"date": "2030-05-01"}, "end": {"date": "2030-05-02"},
        "recurrence": ["RRULE:FREQ=YEARLY;COUNT=2"],
    }))
    .await;
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"anniv00001_20300501") && ids.contains(&"anniv00001_20310501"),
        "{ids:?}"
    );
    let second = items
        .iter()
        .find(|i| i["id"] == "anniv00001_20310501")
        .unwrap();
    assert_eq!(second["start"]["date"], "2031-05-01");
    assert_eq!(second["end"]["date"], "2031-05-02");
}

#[tokio::test]
async fn exceptions_show_in_listings_and_incremental_sync() {
    let t = spawn().await;
    t.insert(weekly("series0002")).await;
    let (_, token, _) = t.list_all(&[("singleEvents", "true")]).await;

    // Moved instance through the API, cancelled instance through the UI (control API).
    let moved = t
        .patch(
            "/calendars/primary/events/series0002_20300114T090000Z",
            &json!({"start": {"dateTime": "2030-01-15T16:00:00+01:00", "timeZone": "Europe/Berlin"},
                    "end": {"dateTime": "2030-01-15T16:30:00+01:00", "timeZone": "Europe/Berlin"}}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["id"], "series0002_20300114T090000Z");
    assert_eq!(
        moved.body["originalStartTime"]["dateTime"],
        "2030-01-14T09:00:00Z"
    );
    t.ctl
        .delete_event(ALICE, "primary", "series0002_20300121T090000Z")
        .await
        .unwrap();

    let (delta, _, _) = t
        .list_all(&[("syncToken", &token), ("singleEvents", "true")])
        .await;
    let moved_item = delta
        .iter()
        .find(|i| i["id"] == "series0002_20300114T090000Z")
        .expect("moved instance in delta");
    assert_eq!(moved_item["start"]["dateTime"], "2030-01-15T15:00:00Z");
    let cancelled = delta
        .iter()
        .find(|i| i["id"] == "series0002_20300121T090000Z")
        .expect("cancelled instance in delta");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["recurringEventId"], "series0002");
    assert_eq!(
        cancelled["originalStartTime"]["dateTime"],
        "2030-01-21T09:00:00Z"
    );

    let (expanded, _, _) = t
        .list_all(&[("singleEvents", "true"), ("orderBy", "startTime")])
        .await;
    let starts: Vec<&str> = expanded
        .iter()
        .map(|i| i["start"]["dateTime"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2030-01-07T09:00:00Z",
            "2030-01-15T15:00:00Z",
            "2030-01-28T09:00:00Z"
        ]
    );

    // Without singleEvents: master, the moved exception, and the cancelled instance of the live series.
    let (raw, _, _) = t.list_all(&[]).await;
    assert_eq!(raw.len(), 3, "{raw:?}");
    assert!(raw
        .iter()
        .any(|i| i["id"] == "series0002_20300121T090000Z" && i["status"] == "cancelled"));

    let with_deleted = t
        .get(
            "/calendars/primary/events/series0002/instances",
            &[("showDeleted", "true")],
        )
        .await;
    assert_eq!(with_deleted.body["items"].as_array().unwrap().len(), 4);
    let without = t
        .get("/calendars/primary/events/series0002/instances", &[])
        .await;
    assert_eq!(without.body["items"].as_array().unwrap().len(), 3);

    // Deleting an instance twice is 410; deleting the series cancels it and its exceptions.
    let twice = t
        .delete("/calendars/primary/events/series0002_20300121T090000Z")
        .await;
    assert_eq!(twice.status, 410);
    let (_, before_delete, _) = t.list_all(&[]).await;
    assert_eq!(
        t.delete("/calendars/primary/events/series0002")
            .await
            .status,
        204
    );
    let (gone, _, _) = t.list_all(&[("syncToken", &before_delete)]).await;
    assert!(gone.iter().all(|i| i["status"] == "cancelled"));
    assert!(gone.iter().any(|i| i["id"] == "series0002"));
    assert!(gone
        .iter()
        .any(|i| i["id"] == "series0002_20300114T090000Z"));
}

#[tokio::test]
async fn recurrence_is_validated() {
    let t = spawn().await;
    let mut no_zone = weekly("series0003");
    no_zone["start"] = json!({"dateTime": "2030-01-07T10:00:00+01:00"});
    assert_eq!(
        t.post("/calendars/primary/events", &no_zone).await.status,
        400,
        "recurring events need start.timeZone"
    );
    let mut bad = weekly("series0004");
    bad["recurrence"] = json!(["RRULE:FREQ=SOMETIMES"]);
    assert_eq!(t.post("/calendars/primary/events", &bad).await.status, 400);
    let mut exdate = weekly("series0005");
    exdate["recurrence"] = json!([
        "RRULE:FREQ=WEEKLY;COUNT=4",
        "EXDATE;TZID=Europe/Berlin:20300114T100000"
    ]);
    assert_eq!(
        t.post("/calendars/primary/events", &exdate).await.status,
        200
    );
    let inst = t
        .get("/calendars/primary/events/series0005/instances", &[])
        .await;
    assert_eq!(
        inst.body["items"].as_array().unwrap().len(),
        3,
        "EXDATE removes a slot"
    );
}

/// events.instances pages continue after the last instance served: cancelling an instance of an earlier page
/// between two requests does not make a later instance fall through the cracks.
#[tokio::test]
async fn instances_pages_survive_a_cancellation_between_pages() {
    let t = spawn().await;
    t.insert(weekly("series0010")).await;
    let path = "/calendars/primary/events/series0010/instances";
    let first = t.get(path, &[("maxResults", "2")]).await;
    assert_eq!(first.status, 200);
    let mut seen: Vec<String> = first.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        t.delete(&format!("/calendars/primary/events/{}", seen[0]))
            .await
            .status,
        204
    );
    let next = first.body["nextPageToken"].as_str().unwrap();
    let second = t
        .get(path, &[("maxResults", "2"), ("pageToken", next)])
        .await;
    assert_eq!(second.status, 200, "{:?}", second.body);
    seen.extend(
        second.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned()),
    );
    assert_eq!(
        seen,
        [
            "series0010_20300107T090000Z",
            "series0010_20300114T090000Z",
            "series0010_20300121T090000Z",
            "series0010_20300128T090000Z"
        ]
    );
    assert!(second.body.get("nextPageToken").is_none());
    let foreign = t
        .get(
            "/calendars/primary/events/series0010/instances",
            &[("pageToken", "2")],
        )
        .await;
    assert_eq!(foreign.status, 400, "page tokens are opaque, not offsets");
}

/// A finite series (COUNT or UNTIL) is expanded to its end, however far ahead; only open-ended series stop at
/// the look-ahead horizon.
#[tokio::test]
async fn finite_series_expand_to_their_end() {
    let t = spawn().await;
    t.insert(json!({
        "id": "annua10001", "summary": "Anniversary", "start": {"date": "2030-05-01"}, "end": {"date": "2030-05-02"},
        "recurrence": ["RRULE:FREQ=YEARLY;COUNT=5", "EXDATE;VALUE=DATE:20310501"],
    }))
    .await;
    let inst = t
        .get("/calendars/primary/events/annua10001/instances", &[])
        .await;
    let ids: Vec<&str> = inst.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "annua10001_20300501",
            "annua10001_20320501",
            "annua10001_20330501",
            "annua10001_20340501"
        ]
    );
    let (items, _, _) = t.list_all(&[("singleEvents", "true")]).await;
    assert_eq!(items.len(), 4, "a full sync sees every instance");
    assert_eq!(
        t.get("/calendars/primary/events/annua10001_20340501", &[])
            .await
            .status,
        200
    );

    let mut until = weekly("until00001");
    until["recurrence"] = json!(["RRULE:FREQ=MONTHLY;UNTIL=20350201T000000Z"]);
    t.insert(until).await;
    let inst = t
        .get("/calendars/primary/events/until00001/instances", &[])
        .await;
    assert_eq!(
        inst.body["items"].as_array().unwrap().len(),
        61,
        "monthly from 2030-01-07 until 2035-02-01"
    );
}
