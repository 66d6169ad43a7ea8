//! Push-notification delivery: one task per watch channel takes that channel's next ready message from the
//! store (`Store::next_delivery`: unpaused and due, or covered by a flush) and POSTs it (no body, `X-Goog-*`
//! headers) to the channel's address, retrying 5xx answers a few times. It never holds the state lock while a
//! request is in flight, and sleeps until woken (new message, pause / resume / flush, clock advance) or until
//! its next message is due.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use tokio::sync::Notify;

use crate::http::AppState;
use crate::store::channels::{Delivery, DeliveryRecord, DeliveryTarget, Next};
use crate::store::event_time::rfc3339_millis;

/// Attempts per notification (first try + retries on 5xx / transport errors).
const ATTEMPTS: u32 = 3;

/// Starts the delivery task of a channel on the current Tokio runtime.
pub(crate) fn spawn_delivery(state: Arc<AppState>, wake: Arc<Notify>, target: DeliveryTarget) {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "could not build the notification HTTP client");
                return;
            }
        };
        let id = target.channel_id.clone();
        loop {
            let next = state.lock().next_delivery(&id, &wake);
            let delivery = match next {
                Next::Stop => break,
                Next::Wait(at_most) => {
                    let _ = tokio::time::timeout(at_most, wake.notified()).await;
                    continue;
                }
                Next::Send(delivery) => delivery,
            };
            let (status, error) = send(&client, &target, &delivery).await;
            let mut store = state.lock();
            let (user, calendar_id) = store
                .channels
                .get(&id)
                .map(|c| (Some(c.owner.clone()), c.calendar_id.clone()))
                .unwrap_or_default();
            let at = rfc3339_millis(store.clock.now());
            store.record(DeliveryRecord {
                channel_id: id.clone(),
                number: delivery.number,
                state: delivery.state.to_owned(),
                status,
                error,
                dropped: false,
                at,
                user,
                calendar_id,
            });
            store.delivery_done(&id, &wake);
        }
    });
}

async fn send(
    client: &reqwest::Client,
    target: &DeliveryTarget,
    delivery: &Delivery,
) -> (Option<u16>, Option<String>) {
    let expiration = chrono::Utc
        .timestamp_millis_opt(target.expiration_ms)
        .single()
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default();
    let mut outcome = (None, None);
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt - 1))).await;
        }
        let mut request = client
            .post(&target.address)
            .header("Content-Type", "application/json; utf-8")
            .header(
                "User-Agent",
                "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)",
            )
            .header("X-Goog-Channel-ID", &target.channel_id)
            .header("X-Goog-Channel-Expiration", &expiration)
            .header("X-Goog-Resource-ID", &target.resource_id)
            .header("X-Goog-Resource-URI", &target.resource_uri)
            .header("X-Goog-Resource-State", delivery.state)
            .header("X-Goog-Message-Number", delivery.number.to_string())
            .body(Vec::new());
        if let Some(token) = &target.token {
            request = request.header("X-Goog-Channel-Token", token);
        }
        match request.send().await {
            Ok(resp) => {
                let code = resp.status().as_u16();
                outcome = (Some(code), None);
                if ![500, 502, 503, 504].contains(&code) {
                    break;
                }
            }
            Err(e) => {
                outcome = (
                    None,
                    Some(if e.is_timeout() {
                        "timeout".to_owned()
                    } else {
                        "connection failed".to_owned()
                    }),
                )
            }
        }
    }
    outcome
}
