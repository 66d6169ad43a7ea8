//! The header's status line: the live stream (live / connecting / offline with the retry delay) and the
//! Google Calendar connection state from `USER_METADATA` (with connect/reconnect links when Google is
//! configured, and "Repair" when it needs repair, which re-imports with `POST /api/sync/import-gcal
//! {"force": true}` and shows "Repairing…" until `IMPORT_GCAL_END`; "Conflicts" while connected, which opens
//! the sync conflicts dialog). (The notice after `GOOGLE_REVOKED` is the week page's, under the header.)

use compass_core::GoogleConnectionState;
use leptos::prelude::*;

use crate::api::GOOGLE_CONNECT_URL;
use crate::sse::{LiveEvents, StreamStatus};

/// What the stream status says.
pub fn stream_text(status: StreamStatus) -> String {
    match status {
        StreamStatus::Connecting => "Connecting…".to_owned(),
        StreamStatus::Live => "Live".to_owned(),
        StreamStatus::Offline { retry_ms } => format!(
            "Offline — reconnecting in {} s",
            retry_ms.div_ceil(1000).max(1)
        ),
        StreamStatus::SignedOut => "Signed out".to_owned(),
        StreamStatus::Replaced => {
            "Paused: a newer tab took over live updates (reload to resume)".to_owned()
        }
    }
}

/// What the Google state says, and whether it offers (re)connecting.
pub fn google_text(state: Option<GoogleConnectionState>, importing: bool) -> (&'static str, bool) {
    if importing {
        return ("Syncing Google Calendar…", false);
    }
    match state {
        None => ("Checking Google Calendar…", false),
        Some(GoogleConnectionState::NotConnected) => ("Google Calendar not connected", true),
        Some(GoogleConnectionState::ReconnectRequired) => {
            ("Google Calendar needs reconnecting", true)
        }
        Some(GoogleConnectionState::Importing) => ("Syncing Google Calendar…", false),
        Some(GoogleConnectionState::Healthy) => ("Google Calendar connected", false),
        Some(GoogleConnectionState::Attention) => ("Google Calendar needs repair", false),
    }
}

/// The status line.
#[component]
pub fn ConnectionStatus(
    /// The stream's signals.
    live: LiveEvents,
    /// Google is configured on the server (shows connect links).
    #[prop(into)]
    google_configured: Signal<bool>,
    /// A repair was asked for and has not ended.
    #[prop(into)]
    repairing: Signal<bool>,
    /// "Repair" pressed.
    #[prop(into)]
    on_repair: Callback<()>,
    /// "Conflicts" pressed (shown while Google is connected).
    #[prop(into)]
    on_conflicts: Callback<()>,
) -> impl IntoView {
    let google = move || {
        let state = live
            .metadata
            .with(|m| m.as_ref().and_then(|m| m.connection_state()));
        if repairing.get() {
            return view! {
                <span class="google-state busy" role="status" aria-live="polite">
                    "Repairing Google Calendar in the background…"
                </span>
            }
            .into_any();
        }
        let (text, offers_connect) = google_text(state, live.importing.get());
        let repair = (state == Some(GoogleConnectionState::Attention)
            && !live.importing.get()
            && google_configured.get())
        .then(|| {
            view! {
                <button type="button" class="link repair" title="Re-import your Google Calendar events" on:click=move |_| on_repair.run(())>
                    "Repair"
                </button>
            }
        });
        let link = (offers_connect && google_configured.get()).then(|| {
            let label = if text.contains("reconnecting") {
                "Reconnect Google Calendar"
            } else {
                "Connect Google Calendar"
            };
            view! { <a class="connect" href=GOOGLE_CONNECT_URL>{label}</a> }
        });
        let conflicts = matches!(
            state,
            Some(GoogleConnectionState::Healthy | GoogleConnectionState::Attention)
        )
        .then(|| {
            view! {
                <button type="button" class="link conflicts" title="Events changed in Compass and in Google Calendar at the same time" on:click=move |_| on_conflicts.run(())>
                    "Conflicts"
                </button>
            }
        });
        view! {
            <span class="google-state">{text}</span>
            {link}
            {repair}
            {conflicts}
        }
        .into_any()
    };
    view! {
        <div class="status">
            <span
                class="stream"
                class:offline=move || matches!(live.status.get(), StreamStatus::Offline { .. } | StreamStatus::SignedOut | StreamStatus::Replaced)
                role="status"
                aria-live="polite"
            >
                <span class="dot" aria-hidden="true"></span>
                {move || stream_text(live.status.get())}
            </span>
            {google}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        assert_eq!(
            stream_text(StreamStatus::Offline { retry_ms: 1_200 }),
            "Offline — reconnecting in 2 s"
        );
        assert_eq!(stream_text(StreamStatus::Live), "Live");
        assert_eq!(
            google_text(Some(GoogleConnectionState::ReconnectRequired), false),
            ("Google Calendar needs reconnecting", true)
        );
        assert_eq!(
            google_text(Some(GoogleConnectionState::Healthy), true).0,
            "Syncing Google Calendar…"
        );
    }
}
