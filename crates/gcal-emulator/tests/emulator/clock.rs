//! The virtual clock (`/_emulator/clock`): advancing it expires access and refresh tokens, watch channels and
//! fault windows without sleeping, stamps events with the virtual time, and never moves backwards.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use gcal_emulator::{EmulatorConfig, FaultKind, FaultSpec};
use serde_json::{json, Value};

use crate::support::{spawn, spawn_with, timed, Receiver, TestEmu};

fn parse(at: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(at).unwrap().into()
}

async fn refresh(t: &TestEmu) -> (u16, Value) {
    let r = t
        .http
        .post(format!("{}/token", t.base))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh_token.as_str()),
            ("client_id", t.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn advancing_the_clock_expires_access_tokens_and_answers_the_new_now() {
    let t = spawn().await;
    let before = t.ctl.clock().await.unwrap();
    assert!(before.offset_seconds < 1.0);
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);

    let after = t.ctl.advance_clock(3599).await.unwrap();
    assert!(parse(&after.now) - parse(&before.now) >= chrono::Duration::seconds(3599));
    assert!((after.offset_seconds - 3599.0).abs() < 1.0);
    let expired = t.get("/calendars/primary/events", &[]).await;
    assert_eq!(expired.status, 401, "a 3599 s token is dead an hour later");
    assert_eq!(expired.reason(), "authError");

    let (status, fresh) = refresh(&t).await;
    assert_eq!(status, 200, "{fresh:?}");
    let token = fresh["access_token"].as_str().unwrap();
    let r = t
        .send(
            reqwest::Method::GET,
            &t.api("/calendars/primary/events"),
            Some(token),
            &[],
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "a token minted after the advance lives");

    for bad in [json!({"seconds": -5}), json!({}), json!({"seconds": "x"})] {
        let r = t
            .http
            .post(format!("{}/_emulator/clock/advance", t.base))
            .json(&bad)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}: the clock only moves forward");
    }
    let now = t.ctl.clock().await.unwrap();
    assert!(parse(&now.now) >= parse(&after.now));
}

#[tokio::test]
async fn refresh_tokens_with_a_lifetime_die_when_the_clock_passes_it() {
    let t = spawn_with(EmulatorConfig {
        refresh_token_lifetime: Some(Duration::from_secs(7 * 24 * 3600)),
        ..EmulatorConfig::default()
    })
    .await;
    t.ctl.advance_clock(6 * 24 * 3600).await.unwrap();
    assert_eq!(refresh(&t).await.0, 200, "six days in, refresh works");
    t.ctl.advance_clock(24 * 3600 + 1).await.unwrap();
    let (status, body) = refresh(&t).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn channels_expire_when_the_clock_passes_their_expiration() {
    let mut t = spawn().await;
    let mut rx = Receiver::start().await;
    let w = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "hour", "type": "web_hook", "address": rx.url, "params": {"ttl": "3600"}}),
        )
        .await;
    assert_eq!(w.status, 200);
    t.watch("primary", "week", &rx.url).await;
    rx.take(2).await;

    t.advance(3601).await;
    let live: Vec<Value> = t.ctl.channels().await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(live[0]["id"], "week");
    t.insert(timed(
        "later",
        "2030-01-01T10:00:00Z",
        "2030-01-01T11:00:00Z",
    ))
    .await;
    t.ctl.flush_notifications().await.unwrap();
    let got = rx.drain();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        got[0]["x-goog-channel-id"], "week",
        "the expired channel is silent"
    );
    let expiration = chrono::DateTime::parse_from_rfc2822(
        &got[0]["x-goog-channel-expiration"].replace("GMT", "+0000"),
    )
    .unwrap();
    let now = parse(&t.ctl.clock().await.unwrap().now);
    assert!(
        expiration.with_timezone(&chrono::Utc) - now > chrono::Duration::days(6),
        "expirations are in virtual time"
    );
}

#[tokio::test]
async fn fault_windows_close_when_the_clock_passes_them() {
    let t = spawn().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("calendar.events.list", FaultKind::ServiceUnavailable)
                .for_millis(60_000),
        )
        .await
        .unwrap();
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 503);
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 503);
    t.ctl.advance_clock(61).await.unwrap();
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    assert!(
        t.ctl.faults().await.unwrap().is_empty(),
        "the closed window is gone"
    );
}

#[tokio::test]
async fn events_are_stamped_with_the_virtual_time() {
    let mut t = spawn().await;
    t.advance(30 * 24 * 3600).await;
    let now = parse(&t.ctl.clock().await.unwrap().now);
    let e = t
        .insert(timed(
            "future",
            "2030-01-01T10:00:00Z",
            "2030-01-01T11:00:00Z",
        ))
        .await;
    for field in ["created", "updated"] {
        let at = parse(e[field].as_str().unwrap());
        assert!((at - now).num_seconds().abs() < 60, "{field} {at} vs {now}");
    }
    let entry = t
        .ctl
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap();
    assert!((parse(&entry[0].at) - now).num_seconds().abs() < 60);
}
