//! Components rendered to HTML natively (so they run in `cargo test`): the markup contract the browser
//! tests and assistive technologies rely on (labels, input types, roles, accessible names).
#![allow(clippy::unwrap_used)]
// Leptos' typed views are deep; their layout needs a higher limit natively.
#![recursion_limit = "256"]

use chrono::{FixedOffset, NaiveDate, NaiveTime};
use compass_core::{Event, UpdateScope};
use compass_web::commands::{self, Command};
use compass_web::components::auth_form::{AuthForm, AuthMode};
use compass_web::components::command_palette::CommandPalette;
use compass_web::components::event_form::EventForm;
use compass_web::components::scope_dialog::ScopeDialog;
use compass_web::components::week_grid::WeekGrid;
use compass_web::form::FormState;
use compass_web::time::{self, Zone};
use compass_web::App;
use leptos::prelude::*;

fn render(f: impl FnOnce() -> AnyView) -> String {
    let owner = Owner::new();
    owner.with(|| f().to_html())
}

#[test]
fn app_starts_by_checking_the_session() {
    let html = render(|| view! { <App/> }.into_any());
    assert!(html.contains("aria-busy=\"true\""), "{html}");
    assert!(html.contains("Loading Compass"), "{html}");
}

#[test]
fn sign_in_form_has_labelled_email_and_password_inputs() {
    let html = render(|| view! { <AuthForm mode=AuthMode::SignIn/> }.into_any());
    assert!(
        html.contains("<label for=\"auth-email\">Email</label>"),
        "{html}"
    );
    assert!(html.contains("id=\"auth-email\""), "{html}");
    assert!(html.contains("type=\"email\""), "{html}");
    assert!(
        html.contains("<label for=\"auth-password\">Password</label>"),
        "{html}"
    );
    assert!(html.contains("type=\"password\""), "{html}");
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(!html.contains("auth-name"), "{html}");
    let html = render(|| view! { <AuthForm mode=AuthMode::SignUp/> }.into_any());
    assert!(
        html.contains("<label for=\"auth-name\">Name</label>"),
        "{html}"
    );
}

fn event(title: &str, start: &str, end: &str) -> Event {
    serde_json::from_value(serde_json::json!({
        "_id": format!("6750a1b2c3d4e5f6012345{:02x}", title.len()),
        "user": "6750a0000000000000000001",
        "title": title,
        "startDate": start,
        "endDate": end,
        "isAllDay": start.len() == 10,
        "origin": "compass",
        "priority": "work",
    }))
    .unwrap()
}

#[test]
fn week_grid_labels_days_and_names_events_by_title() {
    let days = time::week_days(NaiveDate::from_ymd_opt(2025, 1, 5).unwrap());
    let events = vec![
        event(
            "Planning",
            "2025-01-06T09:00:00-06:00",
            "2025-01-06T10:30:00-06:00",
        ),
        event("Holiday", "2025-01-08", "2025-01-09"),
    ];
    let zone = Zone::Fixed(FixedOffset::west_opt(6 * 3600).unwrap());
    let now = time::parse_date_input("2025-01-07")
        .unwrap()
        .and_hms_opt(18, 0, 0)
        .unwrap()
        .and_utc();
    let html = render(move || {
        view! {
            <WeekGrid
                days=Signal::stored(days)
                events=Signal::stored(events)
                zone=zone
                now=Signal::stored(now)
                on_slot=|_| {}
                on_all_day=|_| {}
                on_select=|_| {}
                on_drag=|_| {}
                on_to_sidebar=|_| {}
            />
        }
        .into_any()
    });
    assert_eq!(html.matches("class=\"day-column").count(), 7, "{html}");
    assert!(
        html.contains("aria-label=\"Sunday, January 5, 2025\""),
        "{html}"
    );
    assert!(
        html.contains("aria-label=\"Saturday, January 11, 2025\""),
        "{html}"
    );
    assert!(
        html.contains(
            "<span class=\"title\">Planning</span> <span class=\"when\">9:00 – 10:30</span>"
        ),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"title\">Holiday</span>"),
        "{html}"
    );
    assert!(html.contains("id=\"allDayRow\""), "{html}");
    assert!(html.contains("class=\"now-line\""), "{html}");
    assert_eq!(html.matches("<button").count(), 2, "{html}");
    // Timed events have their resize edges.
    assert!(html.contains("class=\"handle handle-start\""), "{html}");
}

#[test]
fn event_form_is_a_labelled_dialog() {
    let form = FormState::new_timed(
        NaiveDate::from_ymd_opt(2025, 1, 6).unwrap(),
        NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        60,
    );
    let html = render(move || {
        view! {
            <EventForm
                initial=form
                is_new=false
                error=RwSignal::new(None)
                busy=RwSignal::new(false)
                on_save=|_| {}
                on_delete=|_| {}
                on_cancel=|_| {}
            />
        }
        .into_any()
    });
    assert!(html.contains("role=\"dialog\""), "{html}");
    assert!(html.contains("aria-modal=\"true\""), "{html}");
    assert!(html.contains("aria-label=\"Event Form\""), "{html}");
    for label in [
        "Title",
        "Priority",
        "Start date",
        "Start time",
        "End date",
        "End time",
        "Description",
    ] {
        assert!(
            html.contains(&format!(">{label}</label>")),
            "{label}: {html}"
        );
    }
    assert!(html.contains(">Repeat"), "{html}");
    assert!(html.contains(">Delete</button>"), "{html}");
    assert!(html.contains(">Save</button>"), "{html}");
    assert!(!html.contains("Move to grid"), "{html}");
}

#[test]
fn scope_dialog_offers_the_given_scopes() {
    let html = render(|| {
        view! {
            <ScopeDialog
                options=vec![UpdateScope::ThisAndFollowing, UpdateScope::AllEvents]
                deleting=false
                busy=RwSignal::new(false)
                on_choose=|_| {}
                on_cancel=|_| {}
            />
        }
        .into_any()
    });
    assert!(html.contains("<legend>Apply Changes To</legend>"), "{html}");
    assert!(
        html.contains(">This and Following Events</label>"),
        "{html}"
    );
    assert!(html.contains(">All Events</label>"), "{html}");
    assert!(!html.contains(">This Event</label>"), "{html}");
}

#[test]
fn command_palette_is_a_dialog_with_a_combobox_over_a_listbox() {
    let html = render(|| {
        view! {
            <CommandPalette
                commands=commands::available(true, Some(Command::RepairGoogle))
                on_run=|_| {}
                on_close=|()| {}
            />
        }
        .into_any()
    });
    assert!(html.contains("role=\"dialog\""), "{html}");
    assert!(html.contains("aria-modal=\"true\""), "{html}");
    assert!(html.contains("aria-label=\"Command palette\""), "{html}");
    assert!(html.contains("role=\"combobox\""), "{html}");
    assert!(html.contains("aria-controls=\"palette-list\""), "{html}");
    assert!(html.contains("role=\"listbox\""), "{html}");
    assert_eq!(html.matches("role=\"option\"").count(), 9, "{html}");
    assert_eq!(html.matches("aria-selected=\"true\"").count(), 1, "{html}");
    assert!(html.contains("Repair Google Calendar"), "{html}");
    assert!(
        html.contains("aria-activedescendant=\"cmd-go-to-today\""),
        "{html}"
    );
}
