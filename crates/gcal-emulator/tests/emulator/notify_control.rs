//! Notification control (`/_emulator/notifications/...`): pause, pending, flush and resume; Google-like
//! coalescing of changes into one `exists` message per channel and its switch; the coalescing window read from
//! the virtual clock.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use gcal_emulator::EmulatorConfig;

use crate::support::{number, spawn, spawn_with, timed, Receiver, ALICE};

fn event(n: u32) -> serde_json::Value {
    timed(
        &format!("e{n}"),
        &format!("2030-01-{:02}T10:00:00Z", n + 1),
        &format!("2030-01-{:02}T11:00:00Z", n + 1),
    )
}

#[tokio::test]
async fn paused_changes_wait_coalesced_until_a_flush_delivers_them() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    let w = t.watch("primary", "chan", &rx.url).await;
    assert_eq!(rx.next().await["x-goog-resource-state"], "sync");

    t.ctl.pause_notifications().await.unwrap();
    for n in 0..3 {
        t.insert(event(n)).await;
    }
    t.ctl
        .insert_event(ALICE, "primary", &event(3))
        .await
        .unwrap();
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 1, "four changes, one message: {pending:?}");
    let p = &pending[0];
    assert_eq!(p.channel_id, "chan");
    assert_eq!(p.resource_id, w["resourceId"].as_str().unwrap());
    assert_eq!(p.user, ALICE);
    assert_eq!(p.calendar_id.as_deref(), Some(ALICE));
    assert_eq!(p.state, "exists");
    assert_eq!(p.changes, 4);
    assert!(!p.delayed && !p.reordered);
    assert!(rx.drain().is_empty(), "nothing goes out while paused");

    assert_eq!(t.ctl.flush_notifications().await.unwrap(), 1);
    let got = rx.drain();
    assert_eq!(got.len(), 1, "flush answers once delivered: {got:?}");
    assert_eq!(got[0]["x-goog-resource-state"], "exists");
    assert_eq!(number(&got[0]), p.message_number);
    assert!(t.ctl.pending_notifications().await.unwrap().is_empty());
    let records = t.ctl.notifications().await.unwrap();
    let last = records.last().unwrap();
    assert_eq!(
        (last.number, last.status, last.user.as_deref()),
        (p.message_number, Some(200), Some(ALICE))
    );

    // Still paused after a flush; resume lets the next one go by itself.
    t.insert(event(4)).await;
    assert_eq!(t.ctl.pending_notifications().await.unwrap().len(), 1);
    t.ctl.resume_notifications().await.unwrap();
    let n = rx.next().await;
    assert!(number(&n) > p.message_number);
}

#[tokio::test]
async fn without_coalescing_every_change_is_its_own_message() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    t.watch("primary", "chan", &rx.url).await;
    rx.next().await;
    t.ctl.set_notification_coalescing(false).await.unwrap();
    t.ctl.pause_notifications().await.unwrap();
    for n in 0..3 {
        t.insert(event(n)).await;
    }
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 3);
    assert!(pending
        .windows(2)
        .all(|w| w[0].message_number < w[1].message_number));
    assert_eq!(t.ctl.flush_notifications().await.unwrap(), 3);
    let got: Vec<u64> = rx.drain().iter().map(number).collect();
    let want: Vec<u64> = pending.iter().map(|p| p.message_number).collect();
    assert_eq!(got, want, "delivered in order");
}

#[tokio::test]
async fn flush_covers_every_channel_and_the_sync_message() {
    let t = spawn().await;
    let side = t.ctl.create_calendar(ALICE, "Side").await.unwrap();
    let side_id = side["id"].as_str().unwrap().to_owned();
    t.ctl.pause_notifications().await.unwrap();
    let mut a = Receiver::start().await;
    let mut b = Receiver::start().await;
    t.watch("primary", "a", &a.url).await;
    t.watch(&side_id, "b", &b.url).await;
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 2, "sync messages wait too");
    assert!(pending
        .iter()
        .all(|p| p.state == "sync" && p.message_number == 1));
    t.insert(event(0)).await;
    assert_eq!(t.ctl.flush_notifications().await.unwrap(), 3);
    let a_got: Vec<String> = a
        .drain()
        .iter()
        .map(|n| n["x-goog-resource-state"].clone())
        .collect();
    let b_got: Vec<String> = b
        .drain()
        .iter()
        .map(|n| n["x-goog-resource-state"].clone())
        .collect();
    assert_eq!(a_got, ["sync", "exists"]);
    assert_eq!(b_got, ["sync"]);
}

#[tokio::test]
async fn the_coalescing_window_runs_on_the_virtual_clock() {
    let t = spawn_with(EmulatorConfig {
        notification_delay: Duration::from_secs(60),
        ..EmulatorConfig::default()
    })
    .await;
    let mut rx = Receiver::start().await;
    t.watch("primary", "chan", &rx.url).await;
    assert_eq!(
        rx.next().await["x-goog-resource-state"],
        "sync",
        "sync is not held"
    );
    t.insert(event(0)).await;
    t.insert(event(1)).await;
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].changes, 2);
    let now = t.ctl.clock().await.unwrap().now;
    assert!(pending[0].due_at.as_deref().unwrap() > now.as_str());
    t.ctl.advance_clock(61).await.unwrap();
    let n = rx.next().await;
    assert_eq!(n["x-goog-resource-state"], "exists");
    assert!(t.ctl.pending_notifications().await.unwrap().is_empty());

    // A flush does not wait for the window.
    t.insert(event(2)).await;
    assert_eq!(t.ctl.flush_notifications().await.unwrap(), 1);
    assert_eq!(rx.drain().len(), 1);
}

#[tokio::test]
async fn a_channel_holds_at_most_1024_pending_messages_and_drops_the_oldest() {
    let t = spawn().await;
    let mut rx = Receiver::start().await;
    t.watch("primary", "chan", &rx.url).await;
    rx.next().await;
    t.ctl.set_notification_coalescing(false).await.unwrap();
    t.ctl.pause_notifications().await.unwrap();
    for n in 0..1030u32 {
        t.ctl
            .insert_event(ALICE, "primary", &event(n % 28))
            .await
            .unwrap();
    }
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 1024);
    let dropped: Vec<u64> = t
        .ctl
        .notifications()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.dropped)
        .map(|r| r.number)
        .collect();
    assert_eq!(dropped.len(), 6);
    assert!(
        dropped.iter().all(|d| *d < pending[0].message_number),
        "the oldest go"
    );
}
