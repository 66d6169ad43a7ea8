//! Watch channels and push notifications delivered to a local receiver: the `sync` message, `exists` messages
//! after API and UI changes with Google's headers and increasing message numbers, channels.stop, expiry,
//! calendarList.watch, and the validation of watch requests.
#![allow(clippy::unwrap_used)]

use reqwest::Method;
use serde_json::json;

use crate::support::{eventually, spawn, timed, Receiver, ALICE};

fn number(n: &crate::support::Notification) -> u64 {
    n["x-goog-message-number"].parse().unwrap()
}

#[tokio::test]
async fn events_watch_delivers_sync_then_exists_in_order_until_stopped() {
    let t = spawn().await;
    // One message per change (coalescing would merge changes made while a message is still pending).
    t.ctl.set_notification_coalescing(false).await.unwrap();
    let mut rx = Receiver::start().await;
    let watch = t
        .post("/calendars/primary/events/watch", &json!({"id": "chan-1", "type": "web_hook", "address": rx.url, "token": "secret-token"}))
        .await;
    assert_eq!(watch.status, 200, "{:?}", watch.body);
    assert_eq!(watch.body["kind"], "api#channel");
    assert_eq!(watch.body["id"], "chan-1");
    assert_eq!(watch.body["token"], "secret-token");
    let resource_id = watch.body["resourceId"].as_str().unwrap().to_owned();
    let expiration: i64 = watch.body["expiration"].as_str().unwrap().parse().unwrap();
    let week = chrono::Utc::now().timestamp_millis() + 7 * 24 * 3600 * 1000;
    assert!(
        (week - expiration).abs() < 60_000,
        "default lifetime is 7 days"
    );

    let sync = rx.next().await;
    assert_eq!(sync["x-goog-resource-state"], "sync");
    assert_eq!(number(&sync), 1);
    assert_eq!(sync["x-goog-channel-id"], "chan-1");
    assert_eq!(sync["x-goog-channel-token"], "secret-token");
    assert_eq!(sync["x-goog-resource-id"], resource_id);
    assert!(
        sync["x-goog-resource-uri"].contains("/calendar/v3/calendars/alice%40example.com/events")
    );
    assert!(sync["x-goog-channel-expiration"].ends_with("GMT"));
    assert_eq!(sync["x-body-length"], "0");
    assert_eq!(sync["x-path"], "/notify");

    let e = t
        .insert(timed("a", "2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"))
        .await;
    let id = e["id"].as_str().unwrap().to_owned();
    t.ctl
        .patch_event(ALICE, "primary", &id, &json!({"summary": "changed in UI"}))
        .await
        .unwrap();
    t.delete(&format!("/calendars/primary/events/{id}")).await;
    let mut last = 1;
    for _ in 0..3 {
        let n = rx.next().await;
        assert_eq!(n["x-goog-resource-state"], "exists");
        assert_eq!(n["x-goog-resource-id"], resource_id);
        assert!(number(&n) > last, "message numbers increase");
        last = number(&n);
    }

    let wrong = t
        .post(
            "/channels/stop",
            &json!({"id": "chan-1", "resourceId": "other"}),
        )
        .await;
    assert_eq!(wrong.status, 404);
    let stop = t
        .post(
            "/channels/stop",
            &json!({"id": "chan-1", "resourceId": resource_id}),
        )
        .await;
    assert_eq!(stop.status, 204);
    t.insert(timed(
        "after stop",
        "2030-01-02T10:00:00Z",
        "2030-01-02T11:00:00Z",
    ))
    .await;

    // A second channel proves delivery still works; the stopped one received nothing more.
    let mut rx2 = Receiver::start().await;
    t.post(
        "/calendars/primary/events/watch",
        &json!({"id": "chan-2", "type": "web_hook", "address": rx2.url}),
    )
    .await;
    assert_eq!(rx2.next().await["x-goog-resource-state"], "sync");
    t.insert(timed("b", "2030-01-03T10:00:00Z", "2030-01-03T11:00:00Z"))
        .await;
    let n2 = rx2.next().await;
    assert_eq!(n2["x-goog-channel-id"], "chan-2");
    assert!(
        !n2.contains_key("x-goog-channel-token"),
        "no token header when none was set"
    );
    assert!(rx.drain().is_empty(), "a stopped channel receives nothing");
    assert!(t
        .ctl
        .channels()
        .await
        .unwrap()
        .iter()
        .all(|c| c["id"] != "chan-1"));
}

#[tokio::test]
async fn watch_requests_are_validated() {
    let t = spawn().await;
    let rx = Receiver::start().await;
    let ok = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "dup", "type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(ok.status, 200);
    let dup = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "dup", "type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert_eq!(dup.reason(), "channelIdNotUnique");
    let http = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "c2", "type": "web_hook", "address": "http://example.com/hook"}),
        )
        .await;
    assert_eq!(
        http.status, 400,
        "http is only accepted for loopback addresses"
    );
    assert_eq!(http.reason(), "webhookUrlNotHttps");
    let kind = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "c3", "type": "email", "address": rx.url}),
        )
        .await;
    assert_eq!(kind.status, 400);
    let no_id = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(no_id.status, 400);
    let missing_cal = t
        .post(
            "/calendars/nope%40example.com/events/watch",
            &json!({"id": "c4", "type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(missing_cal.status, 404);
    let ttl = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "c5", "type": "webhook", "address": rx.url, "params": {"ttl": "3600"}}),
        )
        .await;
    let exp: i64 = ttl.body["expiration"].as_str().unwrap().parse().unwrap();
    assert!(
        (exp - chrono::Utc::now().timestamp_millis() - 3_600_000).abs() < 60_000,
        "params.ttl shortens the lifetime"
    );

    let strict = crate::support::spawn_with(gcal_emulator::EmulatorConfig {
        allow_http_addresses: false,
        ..Default::default()
    })
    .await;
    let refused = strict
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "c6", "type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(
        refused.status, 400,
        "with the flag off, like Google, http is refused"
    );
}

#[tokio::test]
async fn calendar_list_watch_and_channel_expiry() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    let w = t
        .post(
            "/users/me/calendarList/watch",
            &json!({"id": "list-1", "type": "web_hook", "address": rx.url}),
        )
        .await;
    assert_eq!(w.status, 200);
    assert!(w.body["resourceUri"]
        .as_str()
        .unwrap()
        .ends_with("/calendar/v3/users/me/calendarList?alt=json"));
    assert_eq!(rx.next().await["x-goog-resource-state"], "sync");
    t.ctl.create_calendar(ALICE, "Side project").await.unwrap();
    let n = rx.next().await;
    assert_eq!(n["x-goog-resource-state"], "exists");
    assert_eq!(n["x-goog-channel-id"], "list-1");

    // A channel that expires (shortest lifetime: one second) stops receiving. A long-lived witness channel to
    // the same receiver proves that the change after the expiry was notified, so silence is meaningful.
    let mut rx2 = Receiver::start().await;
    let soon = chrono::Utc::now().timestamp_millis() + 1000;
    let short = t
        .post("/calendars/primary/events/watch", &json!({"id": "short", "type": "web_hook", "address": rx2.url, "expiration": soon.to_string()}))
        .await;
    assert_eq!(short.status, 200);
    assert_eq!(rx2.next().await["x-goog-resource-state"], "sync");
    let witness = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "witness", "type": "web_hook", "address": rx2.url}),
        )
        .await;
    assert_eq!(witness.status, 200);
    assert_eq!(rx2.next().await["x-goog-channel-id"], "witness");
    let expiry: i64 = short.body["expiration"].as_str().unwrap().parse().unwrap();
    let wait = (expiry - chrono::Utc::now().timestamp_millis()).max(0) / 1000 + 1;
    t.ctl.advance_clock(wait as u64).await.unwrap();
    t.insert(timed(
        "after expiry",
        "2030-01-01T10:00:00Z",
        "2030-01-01T11:00:00Z",
    ))
    .await;
    let n = rx2.next().await;
    assert_eq!(
        (
            n["x-goog-channel-id"].as_str(),
            n["x-goog-resource-state"].as_str()
        ),
        ("witness", "exists"),
        "only the live channel is notified"
    );
    assert!(
        eventually(|| async {
            t.ctl
                .notifications()
                .await
                .unwrap()
                .iter()
                .any(|r| r.channel_id == "witness" && r.state == "exists")
        })
        .await
    );
    assert!(rx2.drain().is_empty(), "expired channels receive nothing");
    assert!(t
        .ctl
        .channels()
        .await
        .unwrap()
        .iter()
        .all(|c| c["id"] != "short"));
    let log = t.ctl.notifications().await.unwrap();
    assert!(log
        .iter()
        .all(|r| !(r.channel_id == "short" && r.state == "exists")));
}

#[tokio::test]
async fn receiver_errors_are_retried() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    rx.status.store(503, std::sync::atomic::Ordering::SeqCst);
    t.send(
        Method::POST,
        &t.api("/calendars/primary/events/watch"),
        Some(&t.token),
        &[],
        Some(&json!({"id": "retry", "type": "web_hook", "address": rx.url})),
        &[],
    )
    .await;
    let first = rx.next().await;
    rx.status.store(200, std::sync::atomic::Ordering::SeqCst);
    let second = rx.next().await;
    assert_eq!(
        first["x-goog-message-number"], second["x-goog-message-number"],
        "a 503 answer is retried with the same message"
    );
}

/// Live channels are bounded per user (each holds a queue and a delivery task): past the limit a watch answers
/// 403 `quotaExceeded`, and stopping one makes room again.
#[tokio::test]
async fn live_channels_per_user_are_bounded() {
    let t = spawn().await;
    // Whether anything answers at this address does not matter here.
    let address = "http://127.0.0.1:9/hook";
    let mut last = None;
    let mut refused = None;
    for i in 0..1100 {
        let r = t
            .post(
                "/calendars/primary/events/watch",
                &json!({"id": format!("many-{i}"), "type": "web_hook", "address": address}),
            )
            .await;
        if r.status != 200 {
            refused = Some((i, r));
            break;
        }
        last = Some(r.body);
    }
    let (i, r) = refused.expect("the channel limit is reached");
    assert_eq!(i, 1000, "1000 live channels per user");
    assert_eq!(r.status, 403);
    assert_eq!(r.reason(), "quotaExceeded");
    let last = last.unwrap();
    let stop = t
        .post(
            "/channels/stop",
            &json!({"id": last["id"], "resourceId": last["resourceId"]}),
        )
        .await;
    assert_eq!(stop.status, 204);
    let again = t
        .post(
            "/calendars/primary/events/watch",
            &json!({"id": "one-more", "type": "web_hook", "address": address}),
        )
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
}
