//! `use_compass_events()`: the tab's one EventSource on `/api/events/stream`, turned into signals.
//!
//! - Messages are read with compass-core's tolerant [`ReceivedSseEvent::decode`]; `EVENT_CHANGED` and
//!   `SOMEDAY_EVENT_CHANGED` bump version counters the week and the sidebar refetch on (also for the
//!   server's `{"resync": true}` full-refresh hint, which is exactly such a refetch).
//! - When the connection drops the EventSource is closed (no native retry: a watchdog notices within a
//!   second, since the browser's own retries are invisible through gloo) and reopened after an
//!   exponential backoff with jitter and a cap ([`Backoff`]); the status signal shows the offline state. The
//!   last event id travels as the `lastEventID` query parameter (a reopened EventSource cannot send the
//!   `Last-Event-ID` header); after a reconnect both lists are refetched, since events may have been missed.
//! - A stream refused because the session ended stops retrying and reports [`StreamStatus::SignedOut`];
//!   one the server replaced with a newer tab's (`STREAM_REPLACED`) stops and reports [`StreamStatus::Replaced`].
//! - Everything is closed when the owning component is cleaned up.

use std::time::Duration;

use compass_core::{ImportGCalEndSeen, ReceivedSseEvent, UserMetadata};
use leptos::prelude::*;

/// The connection as the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStatus {
    /// Opening (first time).
    Connecting,
    /// Open: the server's `USER_METADATA` arrived.
    Live,
    /// Closed after an error; the next attempt starts in `retry_ms`.
    Offline {
        /// Delay before the next attempt, in milliseconds.
        retry_ms: u32,
    },
    /// The session ended: no more attempts.
    SignedOut,
    /// The server handed this tab's stream to a newer one (`STREAM_REPLACED`, too many tabs open):
    /// no more attempts until the page is reloaded, so that tabs do not keep pushing each other out.
    Replaced,
}

/// What the stream tells the app, as signals.
#[derive(Debug, Clone, Copy)]
pub struct LiveEvents {
    /// Connection state.
    pub status: RwSignal<StreamStatus>,
    /// Bumped on `EVENT_CHANGED` (and after a reconnect): refetch the grid.
    pub grid_version: RwSignal<u64>,
    /// Bumped on `SOMEDAY_EVENT_CHANGED` (and after a reconnect): refetch the someday lists.
    pub someday_version: RwSignal<u64>,
    /// The latest `USER_METADATA`.
    pub metadata: RwSignal<Option<UserMetadata>>,
    /// A Google import is running (`IMPORT_GCAL_START` … `IMPORT_GCAL_END`).
    pub importing: RwSignal<bool>,
    /// The last `IMPORT_GCAL_END` payload.
    pub last_import: RwSignal<Option<ImportGCalEndSeen>>,
    /// `GOOGLE_REVOKED` arrived in this tab.
    pub google_revoked: RwSignal<bool>,
}

/// Exponential backoff with full jitter: attempt n waits a random time in `[d/2, d]` where
/// `d = min(cap, base · 2ⁿ)`, so tabs that lost the server together do not come back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u32,
    cap_ms: u32,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting near `base_ms` and never above `cap_ms`.
    pub fn new(base_ms: u32, cap_ms: u32) -> Backoff {
        Backoff {
            base_ms,
            cap_ms,
            attempt: 0,
        }
    }

    /// The delay before the next attempt; `random` is uniform in `[0, 1)`.
    pub fn next_delay(&mut self, random: f64) -> u32 {
        let ceiling = self
            .base_ms
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap_ms);
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        half + (f64::from(ceiling - half) * random.clamp(0.0, 1.0)) as u32
    }

    /// After a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// Attempts since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }
}

/// How long a new EventSource may take to open before it counts as failed.
pub const CONNECT_GRACE_MS: u64 = 5_000;

/// The watchdog's decision at a tick: give up on an EventSource that is not open when it was open
/// before (the connection dropped and the browser is retrying on its own) or that never opened within
/// [`CONNECT_GRACE_MS`].
pub fn should_give_up(open_now: bool, was_open: bool, connecting_for_ms: u64) -> bool {
    !open_now && (was_open || connecting_for_ms >= CONNECT_GRACE_MS)
}

/// The stream URL, with the resume position when there is one.
pub fn stream_url(last_event_id: Option<&str>) -> String {
    match last_event_id {
        // Server ids are `<epoch>-<seq>`; anything else is not sent rather than escaped.
        Some(id)
            if !id.is_empty()
                && id.len() <= 64
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
        {
            format!(
                "/api/events/stream?{}={id}",
                compass_core::sse::LAST_EVENT_ID_PARAM
            )
        }
        _ => "/api/events/stream".to_owned(),
    }
}

/// True for the server's full-refresh hint data.
pub fn is_resync_hint(data: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("resync").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

/// Applies one decoded message to the signals.
pub fn apply(live: &LiveEvents, event: ReceivedSseEvent) {
    match event {
        ReceivedSseEvent::EventChanged => live.grid_version.update(|v| *v += 1),
        ReceivedSseEvent::SomedayEventChanged => live.someday_version.update(|v| *v += 1),
        ReceivedSseEvent::UserMetadata(meta) => {
            live.importing.set(
                meta.connection_state() == Some(compass_core::GoogleConnectionState::Importing),
            );
            live.metadata.set(Some(meta));
        }
        ReceivedSseEvent::ImportGCalStart => live.importing.set(true),
        ReceivedSseEvent::ImportGCalEnd(seen) => {
            live.importing.set(false);
            live.last_import.set(Some(seen));
            live.grid_version.update(|v| *v += 1);
        }
        ReceivedSseEvent::GoogleRevoked => {
            live.google_revoked.set(true);
            live.grid_version.update(|v| *v += 1);
            live.someday_version.update(|v| *v += 1);
        }
    }
}

impl LiveEvents {
    /// Fresh signals (nothing received yet).
    pub fn new() -> LiveEvents {
        LiveEvents {
            status: RwSignal::new(StreamStatus::Connecting),
            grid_version: RwSignal::new(0),
            someday_version: RwSignal::new(0),
            metadata: RwSignal::new(None),
            importing: RwSignal::new(false),
            last_import: RwSignal::new(None),
            google_revoked: RwSignal::new(false),
        }
    }
}

impl Default for LiveEvents {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens the stream for the lifetime of the calling component and returns its signals (`open`: false when
/// signed out, then nothing is opened and the signals stay as they are).
pub fn use_compass_events(open: bool) -> LiveEvents {
    let live = LiveEvents::new();
    #[cfg(target_arch = "wasm32")]
    if open {
        let (task, handle) = futures::future::abortable(run(live));
        leptos::task::spawn_local(async move {
            let _ = task.await;
        });
        on_cleanup(move || handle.abort());
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = open;
    live
}

/// First retry after about a second, never more than 30 s apart.
#[cfg(target_arch = "wasm32")]
const BACKOFF_BASE_MS: u32 = 1_000;
#[cfg(target_arch = "wasm32")]
const BACKOFF_CAP_MS: u32 = 30_000;

#[cfg(target_arch = "wasm32")]
async fn run(live: LiveEvents) {
    use futures::StreamExt as _;
    use gloo_net::eventsource::futures::EventSource;

    let mut backoff = Backoff::new(BACKOFF_BASE_MS, BACKOFF_CAP_MS);
    let mut last_event_id: Option<String> = None;
    let mut connected_before = false;
    loop {
        let url = stream_url(last_event_id.as_deref());
        if let Ok(mut source) = EventSource::new(&url) {
            let subscriptions: Vec<_> = compass_core::SseEventName::ALL
                .iter()
                .map(|name| name.as_str())
                .chain([compass_core::sse::STREAM_REPLACED])
                .filter_map(|name| source.subscribe(name).ok())
                .collect();
            let mut messages = futures::stream::select_all(subscriptions);
            // The browser retries a dropped EventSource on its own (and gloo hides those errors):
            // a watchdog looks at the state every second and takes over with our backoff.
            let opened = js_sys::Date::now();
            let mut was_open = false;
            loop {
                let next = messages.next();
                let tick = sleep(Duration::from_secs(1));
                futures::pin_mut!(next, tick);
                let (name, message) = match futures::future::select(next, tick).await {
                    futures::future::Either::Left((Some(Ok(item)), _)) => item,
                    // Closed for good (e.g. the session ended: the server answered 401).
                    futures::future::Either::Left((Some(Err(_)) | None, _)) => break,
                    futures::future::Either::Right(((), _)) => {
                        let open = source.state() == gloo_net::eventsource::State::Open;
                        was_open |= open;
                        let waited = (js_sys::Date::now() - opened).max(0.0) as u64;
                        if should_give_up(open, was_open, waited) {
                            break;
                        }
                        continue;
                    }
                };
                was_open = true;
                if name == compass_core::sse::STREAM_REPLACED {
                    source.close();
                    live.status.try_set(StreamStatus::Replaced);
                    return;
                }
                let id = message.last_event_id();
                if !id.is_empty() {
                    last_event_id = Some(id);
                }
                let data = message.data().as_string().unwrap_or_default();
                let Ok(event) = ReceivedSseEvent::decode(&name, &data) else {
                    leptos::logging::warn!("ignored an SSE message named {name:?}");
                    continue;
                };
                if matches!(event, ReceivedSseEvent::UserMetadata(_)) {
                    live.status.try_set(StreamStatus::Live);
                    backoff.reset();
                    if connected_before {
                        // Events may have been missed while offline: refetch both lists.
                        live.grid_version.try_update(|v| *v += 1);
                        live.someday_version.try_update(|v| *v += 1);
                    }
                    connected_before = true;
                }
                if is_resync_hint(&data) {
                    leptos::logging::log!("SSE: full refresh requested by the server ({name})");
                }
                apply(&live, event);
            }
            source.close();
        }
        // Closed or failed: is the session still there? A refused stream must not be retried forever.
        if let Ok(None) = crate::api::session().await {
            live.status.try_set(StreamStatus::SignedOut);
            return;
        }
        let delay = backoff.next_delay(js_sys::Math::random());
        live.status
            .try_set(StreamStatus::Offline { retry_ms: delay });
        sleep(Duration::from_millis(u64::from(delay))).await;
    }
}

/// Resolves after `duration` (a browser timeout).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
async fn sleep(duration: Duration) {
    let (done, wait) = futures::channel::oneshot::channel::<()>();
    if set_timeout_with_handle(
        move || {
            let _ = done.send(());
        },
        duration,
    )
    .is_ok()
    {
        let _ = wait.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut backoff = Backoff::new(1_000, 30_000);
        let lows: Vec<u32> = (0..7).map(|_| backoff.next_delay(0.0)).collect();
        assert_eq!(lows, [500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
        let mut backoff = Backoff::new(1_000, 30_000);
        let highs: Vec<u32> = (0..7).map(|_| backoff.next_delay(0.999_999)).collect();
        assert_eq!(highs, [999, 1_999, 3_999, 7_999, 15_999, 29_999, 29_999]);
        assert_eq!(backoff.attempts(), 7);
        backoff.reset();
        assert!(backoff.next_delay(0.5) <= 1_000);
    }

    #[test]
    fn stream_url_resumes_from_the_last_id() {
        assert_eq!(stream_url(None), "/api/events/stream");
        assert_eq!(
            stream_url(Some("k3x9-42")),
            "/api/events/stream?lastEventID=k3x9-42"
        );
        assert_eq!(stream_url(Some("a&b")), "/api/events/stream");
    }

    #[test]
    fn watchdog_gives_up_on_dropped_or_never_opened_streams() {
        assert!(!should_give_up(true, true, 60_000));
        assert!(should_give_up(false, true, 1_000));
        assert!(!should_give_up(false, false, 1_000));
        assert!(should_give_up(false, false, CONNECT_GRACE_MS));
    }

    #[test]
    fn resync_hint_is_recognised() {
        assert!(is_resync_hint(r#"{"resync":true}"#));
        assert!(!is_resync_hint("{}"));
        assert!(!is_resync_hint("not json"));
    }

    #[test]
    fn messages_drive_the_signals() {
        let owner = Owner::new();
        owner.with(|| {
            let live = LiveEvents::new();
            for (name, data) in [
                ("EVENT_CHANGED", r#"{"resync":true}"#),
                ("SOMEDAY_EVENT_CHANGED", "{}"),
                (
                    "USER_METADATA",
                    r#"{"google":{"connectionState":"HEALTHY"}}"#,
                ),
                ("IMPORT_GCAL_END", "garbage"),
            ] {
                apply(
                    &live,
                    ReceivedSseEvent::decode(name, data).unwrap_or_else(|e| panic!("{e}")),
                );
            }
            assert_eq!(live.grid_version.get_untracked(), 2);
            assert_eq!(live.someday_version.get_untracked(), 1);
            assert_eq!(
                live.metadata
                    .get_untracked()
                    .and_then(|m| m.connection_state()),
                Some(compass_core::GoogleConnectionState::Healthy)
            );
            assert_eq!(
                live.last_import.get_untracked(),
                Some(ImportGCalEndSeen::default())
            );
        });
    }
}
