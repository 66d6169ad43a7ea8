//! The week view's header: the month heading, previous/today/next, new event, the sidebar and shortcut
//! toggles, the command palette button, the connection status (or, signed out, the temporary account
//! note) and sign-out (or sign-in and sign-up).

use leptos::prelude::*;

use crate::components::connection_status::ConnectionStatus;
use crate::sse::LiveEvents;

/// The header.
#[component]
pub fn WeekHeader(
    /// "January 2025".
    #[prop(into)]
    title: Signal<String>,
    /// The stream's signals.
    live: LiveEvents,
    /// Google configured on the server.
    #[prop(into)]
    google_configured: Signal<bool>,
    /// Signed in (else the events are this browser's: sign-up and sign-in are offered).
    signed_in: bool,
    /// A Google repair is running.
    #[prop(into)]
    repairing: Signal<bool>,
    /// Sidebar shown.
    #[prop(into)]
    sidebar_open: Signal<bool>,
    /// Previous week.
    #[prop(into)]
    on_prev: Callback<()>,
    /// This week.
    #[prop(into)]
    on_today: Callback<()>,
    /// Next week.
    #[prop(into)]
    on_next: Callback<()>,
    /// New event.
    #[prop(into)]
    on_new: Callback<()>,
    /// Toggle the sidebar.
    #[prop(into)]
    on_toggle_sidebar: Callback<()>,
    /// Show the shortcuts.
    #[prop(into)]
    on_shortcuts: Callback<()>,
    /// Sign out.
    #[prop(into)]
    on_sign_out: Callback<()>,
    /// Repair Google Calendar.
    #[prop(into)]
    on_repair: Callback<()>,
    /// Show the sync conflicts.
    #[prop(into)]
    on_conflicts: Callback<()>,
    /// Open the command palette.
    #[prop(into)]
    on_palette: Callback<()>,
    /// Signed out: go to sign-in.
    #[prop(into)]
    on_sign_in: Callback<()>,
    /// Signed out: go to sign-up.
    #[prop(into)]
    on_sign_up: Callback<()>,
) -> impl IntoView {
    let account = if signed_in {
        view! {
            <button type="button" on:click=move |_| on_sign_out.run(())>
                "Sign out"
            </button>
        }
        .into_any()
    } else {
        view! {
            <button type="button" on:click=move |_| on_sign_in.run(())>"Log in"</button>
            <button type="button" class="primary" on:click=move |_| on_sign_up.run(())>"Sign up"</button>
        }
        .into_any()
    };
    let status = if signed_in {
        view! {
            <ConnectionStatus
                live=live
                google_configured=google_configured
                repairing=repairing
                on_repair=on_repair
                on_conflicts=on_conflicts
            />
        }
        .into_any()
    } else {
        view! {
            <div class="status">
                <span class="local-note" role="status">
                    "Temporary account · saved in this browser · sign up to keep your events"
                </span>
            </div>
        }
        .into_any()
    };
    view! {
        <header class="top">
            <button
                type="button"
                class="icon"
                aria-label="Toggle someday sidebar"
                title="Toggle someday sidebar ([)"
                aria-expanded=move || sidebar_open.get().to_string()
                aria-controls="sidebar"
                on:click=move |_| on_toggle_sidebar.run(())
            >
                "☰"
            </button>
            <h1>{move || title.get()}</h1>
            <nav class="week-nav" aria-label="Week navigation">
                <button type="button" aria-label="Previous week" title="Previous week (J)" on:click=move |_| on_prev.run(())>
                    "‹"
                </button>
                <button type="button" title="Today (T)" on:click=move |_| on_today.run(())>
                    "Today"
                </button>
                <button type="button" aria-label="Next week" title="Next week (K)" on:click=move |_| on_next.run(())>
                    "›"
                </button>
            </nav>
            <button type="button" class="primary" title="New event (C)" on:click=move |_| on_new.run(())>
                "New event"
            </button>
            <span class="spacer"></span>
            {status}
            <button type="button" class="icon" aria-label="Command palette" title="Command palette (Ctrl+K)" on:click=move |_| on_palette.run(())>
                "⌘"
            </button>
            <button type="button" class="icon" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)" on:click=move |_| on_shortcuts.run(())>
                "?"
            </button>
            {account}
        </header>
    }
}
