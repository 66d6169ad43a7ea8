//! Push-notification delivery: one task per watch channel reads that channel's queue and POSTs each
//! notification (no body, `X-Goog-*` headers) to the channel's address, in order, retrying 5xx answers a
//! few times. It never holds the state lock while a request is in flight.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use tokio::sync::mpsc;

use crate::http::AppState;
use crate::store::channels::{Delivery, DeliveryRecord, DeliveryTarget};

/// Attempts per notification (first try + retries on 5xx / transport errors).
const ATTEMPTS: u32 = 3;

/// Starts the delivery task of a channel on the current Tokio runtime.
pub(crate) fn spawn_delivery(
    state: Arc<AppState>,
    mut queue: mpsc::Receiver<Delivery>,
    target: DeliveryTarget,
) {
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
        while let Some(delivery) = queue.recv().await {
            if !delivery.delay.is_zero() {
                tokio::time::sleep(delivery.delay).await;
            }
            if target.stopped.load(Ordering::SeqCst) {
                break;
            }
            if Utc::now().timestamp_millis() >= target.expiration_ms {
                break;
            }
            let (status, error) = send(&client, &target, &delivery).await;
            state.lock().record(DeliveryRecord {
                channel_id: target.channel_id.clone(),
                number: delivery.number,
                state: delivery.state.to_owned(),
                status,
                error,
                dropped: false,
                at: Utc::now().to_rfc3339(),
            });
        }
    });
}

async fn send(
    client: &reqwest::Client,
    target: &DeliveryTarget,
    delivery: &Delivery,
) -> (Option<u16>, Option<String>) {
    let expiration = Utc
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
