//! Notification faults aimed at one channel or one user — drop, duplicate, delay (virtual clock) and reorder —
//! leave every other channel alone.
#![allow(clippy::unwrap_used)]

use gcal_emulator::{FaultKind, FaultSpec};
use reqwest::Method;
use serde_json::json;

use crate::support::{number, spawn, timed, Receiver, TestEmu};

const BOB: &str = "bob@example.com";

fn event(n: u32) -> serde_json::Value {
    timed(
        &format!("e{n}"),
        &format!("2030-02-{:02}T10:00:00Z", n + 1),
        &format!("2030-02-{:02}T11:00:00Z", n + 1),
    )
}

/// Alice with two channels on her primary calendar, `a` and `b`, each on its own receiver (sync consumed).
async fn two_channels() -> (TestEmu, Receiver, Receiver) {
    let t = spawn().await;
    let mut a = Receiver::start().await;
    let mut b = Receiver::start().await;
    t.watch("primary", "a", &a.url).await;
    t.watch("primary", "b", &b.url).await;
    a.next().await;
    b.next().await;
    (t, a, b)
}

#[tokio::test]
async fn a_drop_aimed_at_one_channel_spares_the_others() {
    let (t, mut a, mut b) = two_channels().await;
    t.ctl
        .add_fault(&FaultSpec::new("notifications", FaultKind::DropNotification).for_channel("a"))
        .await
        .unwrap();
    t.insert(event(0)).await;
    t.ctl.flush_notifications().await.unwrap();
    assert!(a.drain().is_empty(), "channel a loses it");
    assert_eq!(b.drain().len(), 1, "channel b gets it");
    let records = t.ctl.notifications().await.unwrap();
    assert!(records.iter().any(|r| r.channel_id == "a" && r.dropped));
    assert!(records.iter().all(|r| r.channel_id != "b" || !r.dropped));
}

#[tokio::test]
async fn a_duplicate_aimed_at_one_user_spares_the_others() {
    let t = spawn().await;
    let bob_token = t.other_user(BOB).await;
    let mut alice_rx = Receiver::start().await;
    let mut bob_rx = Receiver::start().await;
    t.watch("primary", "alice", &alice_rx.url).await;
    let w = t
        .send(
            Method::POST,
            &t.api("/calendars/primary/events/watch"),
            Some(&bob_token),
            &[],
            Some(&json!({"id": "bob", "type": "web_hook", "address": bob_rx.url})),
            &[],
        )
        .await;
    assert_eq!(w.status, 200);
    alice_rx.next().await;
    bob_rx.next().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("notifications", FaultKind::DuplicateNotification)
                .for_user(BOB)
                .times(1),
        )
        .await
        .unwrap();
    t.insert(event(0)).await;
    t.ctl.insert_event(BOB, "primary", &event(1)).await.unwrap();
    t.ctl.flush_notifications().await.unwrap();
    let bob_got = bob_rx.drain();
    assert_eq!(bob_got.len(), 2, "Bob's message comes twice");
    assert_eq!(number(&bob_got[0]), number(&bob_got[1]));
    assert_eq!(alice_rx.drain().len(), 1, "Alice's comes once");
}

#[tokio::test]
async fn a_delay_holds_one_channel_until_the_clock_passes_it() {
    let (t, mut a, mut b) = two_channels().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("notifications", FaultKind::DelayNotification)
                .for_channel("a")
                .latency(60_000)
                .times(1),
        )
        .await
        .unwrap();
    t.insert(event(0)).await;
    t.ctl.flush_notifications().await.unwrap();
    assert_eq!(b.drain().len(), 1, "b is not delayed");
    assert!(
        a.drain().is_empty(),
        "a flush does not override a delay fault"
    );
    let pending = t.ctl.pending_notifications().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].channel_id, "a");
    assert!(pending[0].delayed);

    t.ctl.advance_clock(61).await.unwrap();
    assert_eq!(a.next().await["x-goog-resource-state"], "exists");
}

#[tokio::test]
async fn a_delayed_message_is_overtaken_by_later_ones_of_its_channel() {
    let (t, mut a, _b) = two_channels().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("notifications", FaultKind::DelayNotification)
                .for_channel("a")
                .latency(60_000)
                .times(1),
        )
        .await
        .unwrap();
    t.insert(event(0)).await;
    t.insert(event(1)).await;
    t.ctl.flush_notifications().await.unwrap();
    let first = a.drain();
    assert_eq!(first.len(), 1);
    t.ctl.advance_clock(61).await.unwrap();
    let late = a.next().await;
    assert!(
        number(&late) < number(&first[0]),
        "the older message arrives last"
    );
}

#[tokio::test]
async fn a_reorder_swaps_one_channels_message_with_its_next() {
    let (t, mut a, mut b) = two_channels().await;
    t.ctl.set_notification_coalescing(false).await.unwrap();
    t.ctl
        .add_fault(
            &FaultSpec::new("notifications", FaultKind::ReorderNotification)
                .for_channel("a")
                .times(1),
        )
        .await
        .unwrap();
    t.insert(event(0)).await;
    let held = t.ctl.pending_notifications().await.unwrap();
    assert!(held.iter().any(|p| p.channel_id == "a" && p.reordered));
    t.insert(event(1)).await;
    t.ctl.flush_notifications().await.unwrap();
    let a_numbers: Vec<u64> = a.drain().iter().map(number).collect();
    let b_numbers: Vec<u64> = b.drain().iter().map(number).collect();
    assert_eq!(a_numbers.len(), 2);
    assert!(a_numbers[0] > a_numbers[1], "a: newer first {a_numbers:?}");
    assert!(b_numbers[0] < b_numbers[1], "b: in order {b_numbers:?}");
}

#[tokio::test]
async fn a_lone_reordered_message_goes_out_with_a_flush() {
    let (t, mut a, _b) = two_channels().await;
    t.ctl
        .add_fault(
            &FaultSpec::new("notifications", FaultKind::ReorderNotification)
                .for_channel("a")
                .times(1),
        )
        .await
        .unwrap();
    t.insert(event(0)).await;
    assert!(t.ctl.flush_notifications().await.unwrap() >= 1);
    assert_eq!(a.drain().len(), 1);
}
