//! Fault injection through the control API: every fault kind, counted and timed rules, wildcards, OAuth
//! faults, dropped and duplicated notifications — plus the request log that tests use to assert calls.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use gcal_emulator::{FaultKind, FaultSpec};
use serde_json::json;

use crate::support::{spawn, timed, Receiver, ALICE};

fn spec(operation: &str, kind: FaultKind, count: Option<u32>) -> FaultSpec {
    let spec = FaultSpec::new(operation, kind);
    match count {
        Some(n) => spec.times(n),
        None => spec,
    }
}

#[tokio::test]
async fn every_error_fault_kind_answers_like_google_for_the_next_call_only() {
    let t = spawn().await;
    let cases = [
        (FaultKind::RateLimit429, 429, "rateLimitExceeded"),
        (FaultKind::RateLimit403, 403, "rateLimitExceeded"),
        (FaultKind::UserRateLimit403, 403, "userRateLimitExceeded"),
        (FaultKind::QuotaExceeded, 403, "quotaExceeded"),
        (FaultKind::BackendError, 500, "backendError"),
        (FaultKind::ServiceUnavailable, 503, "backendError"),
        (FaultKind::AuthError, 401, "authError"),
    ];
    for (kind, status, reason) in cases {
        t.ctl
            .add_fault(&spec("calendar.events.list", kind, Some(1)))
            .await
            .unwrap();
        let failed = t.get("/calendars/primary/events", &[]).await;
        assert_eq!(failed.status, status, "{kind:?}");
        assert_eq!(failed.reason(), reason, "{kind:?}");
        assert_eq!(failed.body["error"]["code"], status);
        let ok = t.get("/calendars/primary/events", &[]).await;
        assert_eq!(ok.status, 200, "{kind:?} applies to one call only");
    }
    let other_op = t
        .ctl
        .add_fault(&spec(
            "calendar.events.insert",
            FaultKind::BackendError,
            Some(1),
        ))
        .await
        .unwrap();
    assert!(other_op > 0);
    assert_eq!(
        t.get("/calendars/primary/events", &[]).await.status,
        200,
        "rules apply to their operation only"
    );
    let r = t
        .post(
            "/calendars/primary/events",
            &timed("x", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
        )
        .await;
    assert_eq!(r.status, 500);
}

#[tokio::test]
async fn counted_timed_and_wildcard_rules() {
    let t = spawn().await;
    let mut s = spec("calendar.events.*", FaultKind::RateLimit429, Some(2));
    s.retry_after = Some(7);
    t.ctl.add_fault(&s).await.unwrap();
    let a = t.get("/calendars/primary/events", &[]).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.headers["retry-after"], "7");
    let b = t
        .post(
            "/calendars/primary/events",
            &timed("x", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
        )
        .await;
    assert_eq!(b.status, 429);
    assert_eq!(
        t.get("/calendars/primary/events", &[]).await.status,
        200,
        "the count is used up"
    );
    assert_eq!(
        t.get("/users/me/calendarList", &[]).await.status,
        200,
        "calendarList does not match calendar.events.*"
    );

    let window = FaultSpec::new("*", FaultKind::BackendError).for_millis(60_000);
    t.ctl.add_fault(&window).await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            t.get("/users/me/calendarList", &[]).await.status,
            500,
            "a timed rule holds for its window"
        );
    }
    t.ctl.clear_faults().await.unwrap();
    assert_eq!(t.get("/users/me/calendarList", &[]).await.status, 200);

    let slow = FaultSpec::new("calendar.calendars.get", FaultKind::Latency)
        .times(1)
        .latency(300);
    t.ctl.add_fault(&slow).await.unwrap();
    let started = Instant::now();
    assert_eq!(t.get("/calendars/primary", &[]).await.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "latency delays the answer"
    );

    t.ctl
        .add_fault(&spec("oauth.token", FaultKind::BackendError, Some(1)))
        .await
        .unwrap();
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
    assert_eq!(r.status().as_u16(), 500);
}

#[tokio::test]
async fn dropped_and_duplicated_notifications() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    t.post(
        "/calendars/primary/events/watch",
        &json!({"id": "faulty", "type": "web_hook", "address": rx.url}),
    )
    .await;
    assert_eq!(rx.next().await["x-goog-resource-state"], "sync");

    t.ctl
        .add_fault(&spec("notifications", FaultKind::DropNotification, Some(1)))
        .await
        .unwrap();
    t.insert(timed(
        "dropped",
        "2030-01-01T10:00:00Z",
        "2030-01-01T11:00:00Z",
    ))
    .await;
    t.insert(timed(
        "delivered",
        "2030-01-02T10:00:00Z",
        "2030-01-02T11:00:00Z",
    ))
    .await;
    let delivered = rx.next().await;
    let records = t.ctl.notifications().await.unwrap();
    let dropped: Vec<_> = records.iter().filter(|r| r.dropped).collect();
    assert_eq!(dropped.len(), 1, "one notification was dropped");
    let delivered_number: u64 = delivered["x-goog-message-number"].parse().unwrap();
    assert!(
        delivered_number > dropped[0].number,
        "the next one still arrives, with a later number"
    );

    t.ctl
        .add_fault(&spec(
            "notifications",
            FaultKind::DuplicateNotification,
            Some(1),
        ))
        .await
        .unwrap();
    t.insert(timed(
        "twice",
        "2030-01-03T10:00:00Z",
        "2030-01-03T11:00:00Z",
    ))
    .await;
    let a = rx.next().await;
    let b = rx.next().await;
    assert_eq!(
        a["x-goog-message-number"], b["x-goog-message-number"],
        "a duplicated notification repeats its number"
    );

    let mut slow = spec("notifications", FaultKind::Latency, Some(1));
    slow.latency_ms = Some(200);
    t.ctl.add_fault(&slow).await.unwrap();
    let started = Instant::now();
    t.ctl
        .insert_event(
            ALICE,
            "primary",
            &timed("slow", "2030-01-04T10:00:00Z", "2030-01-04T11:00:00Z"),
        )
        .await
        .unwrap();
    rx.next().await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "notification latency delays delivery"
    );
}

#[tokio::test]
async fn request_log_records_operations_users_and_statuses() {
    let t = spawn().await;
    t.ctl.clear_requests().await.unwrap();
    t.get("/calendars/primary/events", &[("maxResults", "5")])
        .await;
    t.get("/calendars/primary/events/missing01", &[]).await;
    t.insert(timed("x", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
        .await;
    let all = t.ctl.requests(None).await.unwrap();
    assert_eq!(all.len(), 3, "control calls are not logged: {all:?}");
    let lists = t.ctl.requests(Some("calendar.events.list")).await.unwrap();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].query, "maxResults=5");
    assert_eq!(lists[0].user.as_deref(), Some(ALICE));
    assert_eq!(lists[0].status, 200);
    let gets = t.ctl.requests(Some("calendar.events.get")).await.unwrap();
    assert_eq!(gets[0].status, 404);
    assert_eq!(
        t.ctl
            .requests(Some("calendar.events.insert"))
            .await
            .unwrap()[0]
            .method,
        "POST"
    );
}

/// Out-of-range numbers in a fault rule neither crash the emulator nor wedge it: an endless window is just a
/// window that never closes, an absurd latency is refused.
#[tokio::test]
async fn extreme_fault_values_are_handled_without_breaking_the_server() {
    let t = spawn().await;
    let mut endless = spec("calendar.calendars.get", FaultKind::BackendError, None);
    endless.duration_ms = Some(u64::MAX);
    t.ctl
        .add_fault(&endless)
        .await
        .expect("an endless window is accepted");
    let failed = t.get("/calendars/primary", &[]).await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.reason(), "backendError");

    let mut slow = spec("calendar.events.list", FaultKind::Latency, None);
    slow.latency_ms = Some(u64::MAX);
    assert!(
        t.ctl.add_fault(&slow).await.is_err(),
        "a latency beyond any test's patience is refused"
    );
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    t.ctl.clear_faults().await.unwrap();
    assert_eq!(t.get("/calendars/primary", &[]).await.status, 200);
}
