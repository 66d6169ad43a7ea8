//! Bad input never breaks the emulator: malformed parameters, bodies, ids, tokens and watch requests are
//! answered with 4xx errors, and the server keeps serving afterwards.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{spawn, timed};

#[tokio::test]
async fn malformed_requests_get_client_errors_and_the_server_survives() {
    let t = spawn().await;
    t.insert(json!({"id": "series0009", "summary": "s", "start": {"dateTime": "2030-01-07T10:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-01-07T11:00:00Z", "timeZone": "UTC"}, "recurrence": ["RRULE:FREQ=DAILY"]}))
    .await;
    let bad_queries: [&[(&str, &str)]; 10] = [
        &[("maxResults", "abc")],
        &[("maxResults", "-1")],
        &[("showDeleted", "maybe")],
        &[("timeMin", "yesterday")],
        &[("timeMax", "0000-01-01T00:00:00Z")],
        &[("syncToken", "Q0UxLjAuMA")],
        &[("syncToken", "CE99999999999999999999.0.0")],
        &[("syncToken", "")],
        &[("pageToken", "eyJjIjoxfQ")],
        &[("privateExtendedProperty", "no-equals-sign")],
    ];
    for q in bad_queries {
        let r = t.get("/calendars/primary/events", q).await;
        assert!(
            (400..500).contains(&r.status),
            "{q:?} answered {}",
            r.status
        );
    }
    let huge = t
        .get(
            "/calendars/primary/events",
            &[("maxResults", "99999999999999999999")],
        )
        .await;
    assert!(huge.status < 500);

    let bad_bodies: Vec<Value> = vec![
        json!([1, 2, 3]),
        json!({"start": "tomorrow", "end": "later"}),
        json!({"start": {"date": "2030-02-30"}, "end": {"date": "2030-03-01"}}),
        json!({"start": {"dateTime": "2030-01-01T10:00:00Z"}, "end": {"date": "2030-01-02"}}),
        json!({"start": {"dateTime": "2030-01-01T10:00:00Z", "timeZone": "Mars/Olympus"}, "end": {"dateTime": "2030-01-01T11:00:00Z"}}),
        json!({"start": {"dateTime": "2030-01-01T10:00:00"}, "end": {"dateTime": "2030-01-01T11:00:00"}}),
        json!({"start": {"dateTime": "0000-01-01T10:00:00Z"}, "end": {"dateTime": "0000-01-01T11:00:00Z"}}),
        json!({"id": "a".repeat(2000), "start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}}),
        json!({"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "recurrence": 5}),
        json!({"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "recurrence": ["DTSTART:20300101T000000Z"]}),
        json!({"start": {"date": "2030-01-01"}, "end": {"date": "2030-01-02"}, "status": "maybe"}),
    ];
    for body in &bad_bodies {
        let r = t.post("/calendars/primary/events", body).await;
        assert!(
            (400..500).contains(&r.status),
            "{body} answered {}",
            r.status
        );
    }
    for id in [
        "_",
        "series0009_",
        "series0009_2030",
        "series0009_99999999T999999Z",
        "series0009_20300107T100001Z",
        "%00",
    ] {
        let r = t.get(&format!("/calendars/primary/events/{id}"), &[]).await;
        assert_eq!(r.status, 404, "{id}");
        let r = t
            .patch(
                &format!("/calendars/primary/events/{id}"),
                &json!({"summary": "x"}),
            )
            .await;
        assert_eq!(r.status, 404, "{id}");
    }
    let single = t
        .insert(timed(
            "single",
            "2030-01-01T10:00:00Z",
            "2030-01-01T11:00:00Z",
        ))
        .await;
    let inst = t
        .get(
            &format!(
                "/calendars/primary/events/{}/instances",
                single["id"].as_str().unwrap()
            ),
            &[("pageToken", "x")],
        )
        .await;
    assert_eq!(inst.status, 400);

    let watches = [
        json!({"id": "w1", "type": "web_hook", "address": "not a url"}),
        json!({"id": "has space", "type": "web_hook", "address": "https://example.com/h"}),
        json!({"id": "w2", "type": "web_hook", "address": "https://example.com/h", "expiration": "soon"}),
        json!({"id": "w3", "type": "web_hook", "address": "https://example.com/h", "params": {"ttl": "forever"}}),
        json!({"id": "w4", "type": "web_hook", "address": "https://example.com/h", "token": "t".repeat(300)}),
        json!({"id": "x".repeat(65), "type": "web_hook", "address": "https://example.com/h"}),
    ];
    for w in &watches {
        let r = t.post("/calendars/primary/events/watch", w).await;
        assert_eq!(r.status, 400, "{w}");
    }
    let stop = t
        .send(
            Method::POST,
            &t.api("/channels/stop"),
            Some(&t.token),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(stop.status, 400);
    let stop = t
        .post(
            "/channels/stop",
            &json!({"id": "nope", "resourceId": "nope"}),
        )
        .await;
    assert_eq!(stop.status, 404);

    let token = t
        .http
        .post(format!("{}/token", t.base))
        .header("Authorization", "Basic !!!")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(token.status().as_u16(), 400);
    let revoke = t
        .http
        .post(format!("{}/revoke", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 400);
    let auth = t
        .http
        .get(format!("{}/o/oauth2/v2/auth", t.base))
        .query(&[
            ("client_id", "c"),
            ("redirect_uri", ":::"),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(auth.status().as_u16(), 400);
    let nowhere = t
        .http
        .get(format!("{}/calendar/v3/nowhere", t.base))
        .send()
        .await
        .unwrap();
    assert_eq!(nowhere.status().as_u16(), 404);

    let still = t
        .get(
            "/calendars/primary/events",
            &[("singleEvents", "true"), ("maxResults", "5")],
        )
        .await;
    assert_eq!(still.status, 200, "the server keeps serving");
    let log = t.ctl.requests(None).await.unwrap();
    assert!(
        log.iter().all(|r| r.status < 500),
        "no request failed with a server error"
    );
}

/// Client-written numbers at the edge of their type (an iCalendar `sequence` of i64::MAX, then a move that
/// bumps it) are answered, not turned into an overflow.
#[tokio::test]
async fn extreme_sequence_numbers_do_not_overflow() {
    let t = spawn().await;
    let mut body = timed("edge", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z");
    body["sequence"] = json!(i64::MAX);
    let e = t.insert(body).await;
    assert_eq!(e["sequence"], json!(i64::MAX));
    let id = e["id"].as_str().unwrap();
    let moved = t
        .patch(
            &format!("/calendars/primary/events/{id}"),
            &json!({"start": {"dateTime": "2030-01-02T10:00:00Z"}, "end": {"dateTime": "2030-01-02T11:00:00Z"}}),
        )
        .await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    assert_eq!(moved.body["sequence"], json!(i64::MAX));
    assert_eq!(
        t.get(&format!("/calendars/primary/events/{id}"), &[])
            .await
            .status,
        200
    );
}
