//! Faults that fail a call after its write was applied (`afterCommit`: 5xx or a dropped connection), 502 / 504
//! and dropped connections before anything happens, and fault rules narrowed to a user, a calendar or an HTTP
//! method.
#![allow(clippy::unwrap_used)]

use gcal_emulator::{FaultKind, FaultSpec};
use reqwest::Method;
use serde_json::json;

use crate::support::{spawn, timed, Receiver, TestEmu, ALICE};

const ID: &str = "retriedevent0001";

fn event() -> serde_json::Value {
    let mut e = timed("retried", "2030-03-01T10:00:00Z", "2030-03-01T11:00:00Z");
    e["id"] = json!(ID);
    e
}

/// Sends an insert of [`event`] as Alice without expecting an answer: `Err` when the connection was dropped.
async fn raw_insert(t: &TestEmu) -> Result<u16, reqwest::Error> {
    let r = t
        .http
        .post(t.api("/calendars/primary/events"))
        .bearer_auth(&t.token)
        .json(&event())
        .send()
        .await?;
    Ok(r.status().as_u16())
}

async fn stored(t: &TestEmu) -> usize {
    t.ctl.events(ALICE, "primary").await.unwrap().len()
}

#[tokio::test]
async fn a_write_applied_then_answered_5xx_is_found_on_retry() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    t.watch("primary", "chan", &rx.url).await;
    rx.next().await;
    for (kind, status) in [
        (FaultKind::BackendError, 500),
        (FaultKind::ServiceUnavailable, 503),
        (FaultKind::BadGateway, 502),
        (FaultKind::GatewayTimeout, 504),
    ] {
        t.ctl
            .add_fault(
                &FaultSpec::new("calendar.events.patch", kind)
                    .after_commit()
                    .times(1),
            )
            .await
            .unwrap();
        if stored(&t).await == 0 {
            t.insert(event()).await;
        }
        let summary = format!("after {status}");
        let r = t
            .patch(
                &format!("/calendars/primary/events/{ID}"),
                &json!({"summary": summary}),
            )
            .await;
        assert_eq!(r.status, status, "{kind:?}");
        assert_eq!(r.reason(), "backendError");
        let now = t.get(&format!("/calendars/primary/events/{ID}"), &[]).await;
        assert_eq!(
            now.body["summary"], summary,
            "{kind:?}: the write was applied"
        );
    }
    t.ctl.flush_notifications().await.unwrap();
    assert!(!rx.drain().is_empty(), "committed writes notify as usual");

    t.ctl
        .add_fault(
            &FaultSpec::new("calendar.events.insert", FaultKind::BackendError)
                .after_commit()
                .times(1),
        )
        .await
        .unwrap();
    let mut second = event();
    second["id"] = json!("anotherevent0001");
    let r = t.post("/calendars/primary/events", &second).await;
    assert_eq!(r.status, 500);
    let retry = t.post("/calendars/primary/events", &second).await;
    assert_eq!(retry.status, 409, "the retry finds the insert applied");
    assert_eq!(retry.reason(), "duplicate");
}

#[tokio::test]
async fn a_refused_call_keeps_its_own_answer_under_an_after_commit_fault() {
    let t = spawn().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("calendar.events.patch", FaultKind::BackendError)
                .after_commit()
                .times(1),
        )
        .await
        .unwrap();
    let r = t
        .patch(
            "/calendars/primary/events/doesnotexist0001",
            &json!({"summary": "x"}),
        )
        .await;
    assert_eq!(r.status, 404, "nothing was committed, so nothing to fail");
}

#[tokio::test]
async fn a_connection_dropped_after_commit_loses_only_the_answer() {
    let t = spawn().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("calendar.events.insert", FaultKind::ConnectionReset)
                .after_commit()
                .times(1),
        )
        .await
        .unwrap();
    let sent = raw_insert(&t).await;
    assert!(sent.is_err(), "no answer: {sent:?}");
    assert_eq!(stored(&t).await, 1, "but the event was inserted");
    assert_eq!(raw_insert(&t).await.unwrap(), 409);
    let log = t
        .ctl
        .requests(Some("calendar.events.insert"))
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
}

#[tokio::test]
async fn a_connection_dropped_before_commit_changes_nothing() {
    let t = spawn().await;
    t.ctl
        .add_fault(&FaultSpec::new("calendar.events.insert", FaultKind::ConnectionReset).times(1))
        .await
        .unwrap();
    assert!(raw_insert(&t).await.is_err());
    assert_eq!(stored(&t).await, 0);
    assert_eq!(raw_insert(&t).await.unwrap(), 200, "the retry inserts");
    for (kind, status) in [
        (FaultKind::BadGateway, 502),
        (FaultKind::GatewayTimeout, 504),
    ] {
        t.ctl
            .add_fault(&FaultSpec::new("calendar.events.list", kind).times(1))
            .await
            .unwrap();
        let r = t.get("/calendars/primary/events", &[]).await;
        assert_eq!(r.status, status);
        assert_eq!(r.body["error"]["code"], status);
    }
}

#[tokio::test]
async fn faults_narrowed_to_a_user_a_calendar_or_a_method() {
    let t = spawn().await;
    let bob = t.other_user("bob@example.com").await;
    let url = t.api("/calendars/primary/events");
    let as_bob = || t.send(Method::GET, &url, Some(&bob), &[], None, &[]);

    let rule = t
        .ctl
        .add_fault(
            &FaultSpec::new("calendar.events.list", FaultKind::RateLimit429)
                .for_user("bob@example.com"),
        )
        .await
        .unwrap();
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    assert_eq!(as_bob().await.status, 429);
    t.ctl.clear_fault(rule).await.unwrap();
    assert_eq!(as_bob().await.status, 200);

    let side = t.ctl.create_calendar(ALICE, "Side").await.unwrap();
    let side_id = side["id"].as_str().unwrap().to_owned();
    let rule = t
        .ctl
        .add_fault(
            &FaultSpec::new("calendar.events.*", FaultKind::BackendError).for_calendar(ALICE),
        )
        .await
        .unwrap();
    assert_eq!(
        t.get("/calendars/primary/events", &[]).await.status,
        500,
        "primary is resolved to the user's calendar id"
    );
    let side_path = format!("/calendars/{}/events", side_id.replace('@', "%40"));
    assert_eq!(t.get(&side_path, &[]).await.status, 200);
    t.ctl.clear_fault(rule).await.unwrap();
    let rule = t
        .ctl
        .add_fault(
            &FaultSpec::new("calendar.events.list", FaultKind::BackendError).for_calendar(&side_id),
        )
        .await
        .unwrap();
    assert_eq!(
        t.get(&side_path, &[]).await.status,
        500,
        "a percent-encoded calendar id matches"
    );
    assert_eq!(t.get("/calendars/primary/events", &[]).await.status, 200);
    t.ctl.clear_fault(rule).await.unwrap();

    t.ctl
        .add_fault(&FaultSpec::new("*", FaultKind::ServiceUnavailable).for_method("DELETE"))
        .await
        .unwrap();
    let e = t
        .insert(timed("m", "2030-03-02T10:00:00Z", "2030-03-02T11:00:00Z"))
        .await;
    let path = format!("/calendars/primary/events/{}", e["id"].as_str().unwrap());
    assert_eq!(t.get(&path, &[]).await.status, 200);
    assert_eq!(t.delete(&path).await.status, 503);
    assert_eq!(stored(&t).await, 1);
}

#[tokio::test]
async fn fault_rules_that_could_never_fire_are_refused() {
    let t = spawn().await;
    let refused = [
        FaultSpec::new("calendar.events.list", FaultKind::DropNotification),
        FaultSpec::new("notifications", FaultKind::BackendError),
        FaultSpec::new("calendar.events.list", FaultKind::BackendError).for_channel("c"),
        FaultSpec::new("notifications", FaultKind::DropNotification).for_method("POST"),
        FaultSpec::new("calendar.events.list", FaultKind::Latency).after_commit(),
    ];
    for spec in refused {
        let err = t.ctl.add_fault(&spec).await.unwrap_err().to_string();
        assert!(err.contains("400"), "{spec:?}: {err}");
    }
    assert!(t.ctl.faults().await.unwrap().is_empty());
}
