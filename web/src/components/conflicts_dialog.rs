//! The sync conflicts dialog: the events that Compass and Google both changed, and whose change the sync
//! kept (its later-writer rule), read from `GET /api/sync/conflicts` when the dialog opens. This is where a
//! user learns that an edit of theirs was overridden by a later one made in Google, or the other way round.

use compass_core::{CompassChange, ConflictWinner, SyncConflict, SyncConflictList};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::time::{self, Zone};

/// How many conflicts the dialog lists.
pub const SHOWN: u32 = 20;

/// "Monday, February 1, 2027, 9:05": an instant in the user's zone.
fn when(at: chrono::DateTime<chrono::Utc>, zone: Zone) -> String {
    let local = zone.to_local(at);
    format!("{}, {}", time::day_label(local.date()), time::clock(local))
}

/// The conflict's title (Google's, or "(No title)") and the sentence that says what happened.
pub fn describe(conflict: &SyncConflict, zone: Zone) -> (String, String) {
    let title = match conflict.google_summary.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_owned(),
        _ => "(No title)".to_owned(),
    };
    let compass_at = when(conflict.compass_changed_at.0, zone);
    let google = conflict
        .google_updated
        .map(|at| format!("in Google Calendar ({})", when(at.0, zone)))
        .unwrap_or_else(|| "in Google Calendar".to_owned());
    let done = match conflict.compass_change {
        CompassChange::Changed => "changed",
        CompassChange::Removed => "removed",
    };
    let sentence = match (conflict.winner, conflict.compass_change) {
        (ConflictWinner::Google, CompassChange::Changed) => format!(
            "You changed it in Compass ({compass_at}); it was changed later {google}. \
             Google's version was kept and your change was not applied."
        ),
        (ConflictWinner::Google, CompassChange::Removed) => format!(
            "You removed it in Compass ({compass_at}); it was changed later {google}. \
             It was kept, with Google's version."
        ),
        (ConflictWinner::Compass, _) => format!(
            "It was changed {google}, then you {done} it in Compass ({compass_at}). \
             Your change was kept."
        ),
    };
    (title, sentence)
}

/// The dialog.
#[component]
pub fn ConflictsDialog(
    /// The user's time zone (for the times shown).
    zone: Zone,
    /// Close it.
    #[prop(into)]
    on_close: Callback<()>,
) -> impl IntoView {
    crate::dialog::restore_focus_on_close();
    let loaded = RwSignal::new(None::<Result<SyncConflictList, ApiError>>);
    leptos::task::spawn_local(async move {
        let result = api::sync_conflicts(SHOWN).await;
        let _ = loaded.try_set(Some(result));
    });
    let close = NodeRef::<leptos::html::Button>::new();
    crate::after_mount(move || {
        if let Some(button) = close.get() {
            let _ = button.focus();
        }
    });
    let body = move || {
        match loaded.get() {
        None => view! { <p role="status">"Loading…"</p> }.into_any(),
        Some(Err(error)) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        Some(Ok(list)) if list.conflicts.is_empty() => view! {
            <p>"No conflicts: no event was changed in Compass and in Google Calendar at the same time."</p>
        }
        .into_any(),
        Some(Ok(list)) => {
            let items = list
                .conflicts
                .iter()
                .map(|conflict| {
                    let (title, sentence) = describe(conflict, zone);
                    let winner = match conflict.winner {
                        ConflictWinner::Compass => "compass",
                        ConflictWinner::Google => "google",
                    };
                    view! {
                        <li class=format!("conflict winner-{winner}")>
                            <strong class="title">{title}</strong>
                            <span>{sentence}</span>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="conflicts">{items}</ul> }.into_any()
        }
    }
    };
    view! {
        <div class="backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="conflicts-heading" on:keydown=crate::dialog::trap_tab>
                <h2 id="conflicts-heading">"Sync conflicts"</h2>
                <p class="hint">
                    "When an event changes in Compass and in Google Calendar before the two have synced, "
                    "the later change is kept. The latest such events:"
                </p>
                {body}
                <div class="actions">
                    <span class="spacer"></span>
                    <button type="button" class="primary" node_ref=close on:click=move |_| on_close.run(())>
                        "Close"
                    </button>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::FixedOffset;

    fn conflict(winner: &str, change: &str) -> SyncConflict {
        serde_json::from_value(serde_json::json!({
            "at": "2027-02-01T09:10:00.000Z",
            "event": "65f0c0ffee0000000000abcd",
            "compassChange": change,
            "compassChangedAt": "2027-02-01T09:05:00.000Z",
            "gEventId": "abc123",
            "gCalendarId": "gina@example.com",
            "googleUpdated": "2027-02-01T09:07:00.000Z",
            "googleSummary": "Lunch",
            "winner": winner,
        }))
        .unwrap()
    }

    #[test]
    fn says_whose_change_was_kept_in_the_users_zone() {
        let zone = Zone::Fixed(FixedOffset::east_opt(3600).unwrap());
        let (title, sentence) = describe(&conflict("google", "changed"), zone);
        assert_eq!(title, "Lunch");
        assert_eq!(
            sentence,
            "You changed it in Compass (Monday, February 1, 2027, 10:05); it was changed later in Google \
             Calendar (Monday, February 1, 2027, 10:07). Google's version was kept and your change was not applied."
        );
        let (_, sentence) = describe(&conflict("google", "removed"), zone);
        assert!(
            sentence.starts_with("You removed it in Compass"),
            "{sentence}"
        );
        assert!(
            sentence.ends_with("It was kept, with Google's version."),
            "{sentence}"
        );
        let (_, sentence) = describe(&conflict("compass", "removed"), zone);
        assert!(
            sentence.contains("then you removed it in Compass"),
            "{sentence}"
        );
        assert!(sentence.ends_with("Your change was kept."), "{sentence}");
    }

    #[test]
    fn an_untitled_event_and_an_unknown_google_time() {
        let mut untitled = conflict("compass", "changed");
        untitled.google_summary = Some("  ".into());
        untitled.google_updated = None;
        let (title, sentence) = describe(&untitled, Zone::utc());
        assert_eq!(title, "(No title)");
        assert!(
            sentence.starts_with("It was changed in Google Calendar, then you changed it"),
            "{sentence}"
        );
    }
}
