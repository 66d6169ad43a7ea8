//! `/week[/YYYY-MM-DD]`: the signed-in app. Holds the live stream, loads the visible week and the
//! someday lists (refetched on the stream's version signals), and runs the create/edit/delete flows with
//! the scope rules and the keyboard shortcuts. Changes to a single event are shown at once (optimistic)
//! and undone with a message when the server refuses them; series changes wait for the server.

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};
use compass_core::{Event, EventDraft, UpdateScope};
use leptos::prelude::*;

use crate::api::{self, ApiError};
use crate::commands::{self, Command};
use crate::components::command_palette::CommandPalette;
use crate::components::conflicts_dialog::ConflictsDialog;
use crate::components::event_form::EventForm;
use crate::components::scope_dialog::ScopeDialog;
use crate::components::shortcuts_overlay::ShortcutsOverlay;
use crate::components::someday_sidebar::{someday_lists, SomedaySidebar};
use crate::components::week_grid::WeekGrid;
use crate::components::week_header::WeekHeader;
use crate::form::FormState;
use crate::repo::Repo;
use crate::scope::{scope_choice, Change, ScopeChoice};
use crate::sse::use_compass_events;
use crate::time::{self, Zone};
use crate::{Route, Router, Session};

/// The most events a someday list holds (the reference's limit, per week and per month).
const SOMEDAY_LIMIT: usize = 9;

/// The form that is open.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Editing {
    /// The stored event (`None` for a new one).
    original: Option<Event>,
    /// The form's starting values.
    form: FormState,
}

/// A change waiting for its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Save {
        event: Event,
        draft: Box<EventDraft>,
    },
    Delete {
        event: Event,
    },
}

/// The scope question on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScopeQuestion {
    pending: Pending,
    options: Vec<UpdateScope>,
}

/// The grid as it will be after a single-event change (`This Event`), shown before the server answers.
fn apply_optimistically(list: &mut Vec<Event>, pending: &Pending) {
    match pending {
        Pending::Save { event, draft } if !draft.is_someday => {
            if let Some(shown) = list.iter_mut().find(|e| e.id == event.id) {
                shown.title = draft.title.clone();
                shown.description = draft.description.clone();
                shown.start_date = draft.span.start();
                shown.end_date = draft.span.end();
                shown.is_all_day = draft.is_all_day;
                shown.priority = draft.priority;
            }
        }
        Pending::Save { event, .. } | Pending::Delete { event } => {
            list.retain(|e| e.id != event.id);
        }
    }
}

/// True when a key press comes from a text field (shortcuts stay out of the way of typing).
fn typing(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast as _;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.has_attribute("contenteditable")
        })
}

/// The week page: on the server's events when signed in, on this browser's when signed out.
#[component]
pub fn WeekPage(
    /// Where the events live.
    repo: Repo,
) -> impl IntoView {
    let signed_in = repo == Repo::Remote;
    let router = expect_context::<Router>();
    let session = expect_context::<RwSignal<Session>>();
    let zone = Zone::Browser;
    let now = RwSignal::new(time::now());
    #[cfg(target_arch = "wasm32")]
    {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                now.try_set(time::now());
            },
            std::time::Duration::from_secs(30),
        ) {
            on_cleanup(move || handle.clear());
        }
    }
    let today = Memo::new(move |_| zone.to_local(now.get()).date());
    let week = Memo::new(move |_| match router.route() {
        Route::Week(Some(day)) => time::week_start(day),
        _ => time::week_start(today.get_untracked()),
    });
    let days = Memo::new(move |_| time::week_days(week.get()));
    let live = use_compass_events(signed_in);

    let notice = RwSignal::new(None::<String>);
    // Why the week or the lists could not be loaded; cleared by the next successful load.
    let load_error = RwSignal::new(None::<String>);
    let grid_events = RwSignal::new(Vec::<Event>::new());
    let someday_events = RwSignal::new(Vec::<Event>::new());
    let reload_grid = move || live.grid_version.update(|v| *v += 1);
    let reload_someday = move || live.someday_version.update(|v| *v += 1);

    // A fetch whose version was bumped while it was on its way fetches again: a slower, older answer (a
    // save's refetch overtaken by the `EVENT_CHANGED` of Google's answer to that save) must not put an older
    // list back on the grid after the newer one.
    let grid = LocalResource::new(move || {
        let range = time::week_query(zone, week.get());
        live.grid_version.track();
        async move {
            loop {
                let asked = live.grid_version.get_untracked();
                let listed = match range {
                    Some(range) => repo.list(&range, false).await,
                    None => Ok(Vec::new()),
                };
                // (A page that is gone has no version any more: stop there.)
                match live.grid_version.try_get_untracked() {
                    Some(now) if now != asked => continue,
                    _ => break listed,
                }
            }
        }
    });
    let someday = LocalResource::new(move || {
        let range = time::someday_query(week.get());
        live.someday_version.track();
        async move {
            match range {
                Some(range) => repo.list(&range, true).await,
                None => Ok(Vec::new()),
            }
        }
    });
    let signed_out = move || {
        session.set(Session::SignedOut);
        router.navigate(Route::SignIn);
    };
    Effect::new(move |_| match grid.get() {
        Some(Ok(events)) => {
            grid_events.set(events);
            load_error.set(None);
        }
        Some(Err(ApiError::Unauthorized)) => signed_out(),
        Some(Err(e)) => load_error.set(Some(format!("Could not load the week: {e}"))),
        None => {}
    });
    Effect::new(move |_| match someday.get() {
        Some(Ok(events)) => someday_events.set(events),
        Some(Err(ApiError::Unauthorized)) => signed_out(),
        Some(Err(e)) => load_error.set(Some(format!("Could not load the someday lists: {e}"))),
        None => {}
    });
    let config = LocalResource::new(api::config);
    let google_configured = Signal::derive(move || {
        signed_in && matches!(config.get(), Some(Ok(c)) if c.google.is_configured)
    });
    // "Repair" pressed: until the import ends (`IMPORT_GCAL_END`) or the request fails.
    let repairing = RwSignal::new(false);
    let repair = move || {
        if repairing.get_untracked() {
            return;
        }
        repairing.set(true);
        leptos::task::spawn_local(async move {
            match api::repair_google().await {
                Ok(()) => {}
                Err(ApiError::Unauthorized) => {
                    repairing.try_set(false);
                }
                Err(ApiError::Refused { body, .. })
                    if body.code.as_deref() == Some("GOOGLE_REVOKED") =>
                {
                    repairing.try_set(false);
                }
                Err(_) => {
                    repairing.try_set(false);
                    notice.try_set(Some(
                        "Google Calendar repair failed. Please try again.".to_owned(),
                    ));
                }
            }
        });
    };
    Effect::new(move |previous: Option<()>| {
        let end = live.last_import.get();
        if previous.is_some() && repairing.get_untracked() {
            repairing.set(false);
            if let Some(seen) = end {
                if seen.status == Some(compass_core::ImportGCalStatus::Errored) {
                    notice.set(Some(seen.message.unwrap_or_else(|| {
                        "Google Calendar repair failed. Please try again.".to_owned()
                    })));
                }
            }
        }
    });

    let editing = RwSignal::new(None::<Editing>);
    let question = RwSignal::new(None::<ScopeQuestion>);
    let form_error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sidebar_open = RwSignal::new(true);
    let shortcuts_open = RwSignal::new(false);
    let palette_open = RwSignal::new(false);
    let conflicts_open = RwSignal::new(false);

    let go_to_week =
        move |day: NaiveDate| router.navigate(Route::Week(Some(time::week_start(day))));
    let open_new = move |form: FormState| {
        form_error.set(None);
        editing.set(Some(Editing {
            original: None,
            form,
        }));
    };
    let open_event = move |event: Event| {
        form_error.set(None);
        editing.set(Some(Editing {
            form: FormState::from_event(&event, zone),
            original: Some(event),
        }));
    };
    let new_timed_now = move || {
        let local = zone.to_local(now.get_untracked());
        let w = week.get_untracked();
        let (day, minutes) = if time::week_start(local.date()) == w {
            let minutes = i64::from(local.hour() * 60 + local.minute());
            (local.date(), (minutes / 15 + 1) * 15)
        } else {
            (w, i64::from(local.hour()) * 60)
        };
        let minutes = minutes.min(23 * 60);
        let start = NaiveTime::MIN + Duration::minutes(minutes);
        open_new(FormState::new_timed(day, start, 60));
    };

    // After a successful write: close the dialogs that waited for it and refetch (the stream will say so
    // too). An optimistic change closed its dialogs at once (`waited` is false): whatever is open now was
    // opened since (e.g. the event clicked right after saving it) and stays open.
    let finished = move |result: Result<(), ApiError>, waited: bool| {
        busy.try_set(false);
        match result {
            Ok(()) => {
                if waited {
                    editing.try_set(None);
                    question.try_set(None);
                }
                reload_grid();
                reload_someday();
            }
            Err(ApiError::Unauthorized) => signed_out(),
            Err(e) => {
                if waited {
                    question.try_set(None);
                }
                if waited && editing.get_untracked().is_some() {
                    form_error.try_set(Some(e.to_string()));
                } else {
                    // Nothing open any more (a drag, or an optimistic change): say why, redraw.
                    notice.try_set(Some(format!("Your change was not saved: {e}")));
                    reload_grid();
                }
            }
        }
    };
    let perform = move |pending: Pending, scope: UpdateScope| {
        busy.set(true);
        // One event changes: show it now, close the dialogs, undo if the server refuses.
        let before = (scope == UpdateScope::ThisEvent).then(|| {
            let before = grid_events.get_untracked();
            grid_events.update(|list| apply_optimistically(list, &pending));
            editing.set(None);
            question.set(None);
            before
        });
        leptos::task::spawn_local(async move {
            let result = match &pending {
                Pending::Save { event, draft } => repo.update(&event.id, draft, scope).await,
                Pending::Delete { event } => repo.delete(&event.id, scope).await,
            };
            let waited = before.is_none();
            if let (Err(_), Some(before)) = (&result, before) {
                grid_events.try_set(before);
            }
            finished(result, waited);
        });
    };
    let decide =
        move |event: &Event, change: Change, pending: Pending| match scope_choice(event, change) {
            ScopeChoice::Apply(scope) => perform(pending, scope),
            ScopeChoice::Ask(options) => question.set(Some(ScopeQuestion { pending, options })),
        };
    let submit = move |original: Option<Event>, form: FormState| {
        let draft = match form.to_draft(original.as_ref(), zone) {
            Ok(draft) => draft,
            Err(e) if editing.get_untracked().is_some() => {
                form_error.set(Some(e.to_string()));
                return;
            }
            Err(e) => {
                notice.set(Some(e.to_string()));
                return;
            }
        };
        form_error.set(None);
        match original {
            None => {
                busy.set(true);
                leptos::task::spawn_local(async move {
                    finished(repo.create(&draft).await, true);
                });
            }
            Some(event) => {
                let change = form.change_from(&event, zone);
                decide(
                    &event.clone(),
                    change,
                    Pending::Save {
                        event,
                        draft: Box::new(draft),
                    },
                );
            }
        }
    };
    let save = move |form: FormState| {
        if let Some(Editing { original, .. }) = editing.get_untracked() {
            submit(original, form);
        }
    };
    let dropped =
        move |(event, start, end): (Event, chrono::NaiveDateTime, chrono::NaiveDateTime)| {
            let mut form = FormState::from_event(&event, zone);
            form.start_date = start.date();
            form.start_time = start.time();
            form.end_date = end.date();
            form.end_time = end.time();
            submit(Some(event), form);
        };
    let delete = move || {
        if let Some(Editing {
            original: Some(event),
            ..
        }) = editing.get_untracked()
        {
            decide(&event.clone(), Change::Delete, Pending::Delete { event });
        }
    };
    // Moving between the grid and the sidebar saves the whole event (every instance of a series).
    let save_moved = move |event: Event, form: &FormState| match form.to_draft(Some(&event), zone) {
        Ok(draft) => {
            let scope = if event.recurrence.is_some() {
                UpdateScope::AllEvents
            } else {
                UpdateScope::ThisEvent
            };
            perform(
                Pending::Save {
                    event,
                    draft: Box::new(draft),
                },
                scope,
            );
        }
        Err(e) => form_error.set(Some(e.to_string())),
    };
    let move_to_grid = move || {
        let Some(Editing {
            original: Some(event),
            form,
        }) = editing.get_untracked()
        else {
            return;
        };
        let w = week.get_untracked();
        let t = today.get_untracked();
        let day = if time::week_start(t) == w { t } else { w };
        let mut scheduled = FormState::new_timed(
            day,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            60,
        );
        scheduled.title = form.title;
        scheduled.priority = form.priority;
        scheduled.description = form.description;
        scheduled.repeat = None;
        save_moved(event, &scheduled);
    };
    let move_to_sidebar = move || {
        let Some(Editing {
            original: Some(event),
            form,
        }) = editing.get_untracked()
        else {
            return;
        };
        let w = week.get_untracked();
        let mut someday = form;
        someday.someday = true;
        someday.all_day = false;
        someday.someday_span = Some((w, w + Duration::days(6)));
        save_moved(event, &someday);
    };
    // Dropped from the sidebar on a time slot: scheduled there for an hour (the series' rule is dropped,
    // as with "Move to grid").
    let schedule_at = move |(event, day, minutes): (Event, NaiveDate, i64)| {
        let form = FormState::from_event(&event, zone);
        let mut scheduled =
            FormState::new_timed(day, NaiveTime::MIN + Duration::minutes(minutes), 60);
        scheduled.title = form.title;
        scheduled.priority = form.priority;
        scheduled.description = form.description;
        scheduled.repeat = None;
        save_moved(event, &scheduled);
    };
    // A grid event dropped on the sidebar: this week's list, or the month's.
    let to_sidebar = move |(event, month): (Event, bool)| {
        let w = week.get_untracked();
        let (weekly, monthly) = someday_lists(&someday_events.get_untracked(), w);
        if (if month { monthly.len() } else { weekly.len() }) >= SOMEDAY_LIMIT {
            let unit = if month { "month" } else { "week" };
            notice.set(Some(format!(
                "Sorry, you can only have {SOMEDAY_LIMIT} unscheduled events per {unit}."
            )));
            reload_grid();
            return;
        }
        let mut someday = FormState::from_event(&event, zone);
        someday.someday = true;
        someday.all_day = false;
        someday.someday_span = Some(if month {
            time::month_bounds(w)
        } else {
            (w, w + Duration::days(6))
        });
        save_moved(event, &someday);
    };
    // Someday positions: shown at once, saved with `PUT /api/event/reorder`, undone if refused.
    let reorder = move |orders: Vec<compass_core::PayloadOrder>| {
        let before = someday_events.get_untracked();
        someday_events.update(|list| crate::local::reorder(list, &orders));
        busy.set(true);
        leptos::task::spawn_local(async move {
            let result = repo.reorder(&orders).await;
            busy.try_set(false);
            match result {
                Ok(()) => reload_someday(),
                Err(ApiError::Unauthorized) => signed_out(),
                Err(e) => {
                    someday_events.try_set(before);
                    notice.try_set(Some(format!("Your change was not saved: {e}")));
                }
            }
        });
    };
    let add_someday = move |month: bool| {
        let w = week.get_untracked();
        let (weekly, monthly) = someday_lists(&someday_events.get_untracked(), w);
        if (if month { monthly.len() } else { weekly.len() }) >= SOMEDAY_LIMIT {
            let unit = if month { "month" } else { "week" };
            notice.set(Some(format!(
                "Sorry, you can only have {SOMEDAY_LIMIT} unscheduled events per {unit}."
            )));
            return;
        }
        let form = if month {
            let (first, next) = time::month_bounds(w);
            FormState::new_someday(first, next)
        } else {
            FormState::new_someday(w, w + Duration::days(6))
        };
        sidebar_open.set(true);
        open_new(form);
    };
    let sign_out = move || {
        leptos::task::spawn_local(async move {
            let _ = api::sign_out().await;
            signed_out();
        });
    };
    let close_top = move || {
        if palette_open.get_untracked() {
            palette_open.set(false);
        } else if question.get_untracked().is_some() {
            question.set(None);
        } else if editing.get_untracked().is_some() {
            editing.set(None);
        } else if shortcuts_open.get_untracked() {
            shortcuts_open.set(false);
        } else if conflicts_open.get_untracked() {
            conflicts_open.set(false);
        } else {
            return false;
        }
        true
    };

    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            if close_top() {
                ev.prevent_default();
            }
            return;
        }
        // Ctrl/Cmd+K opens the palette anywhere, also while typing (the reference's `Mod+K`).
        if (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key() && ev.key().eq_ignore_ascii_case("k") {
            ev.prevent_default();
            if !ev.repeat()
                && editing.get_untracked().is_none()
                && question.get_untracked().is_none()
            {
                palette_open.update(|open| *open = !*open);
            }
            return;
        }
        if ev.ctrl_key() || ev.meta_key() || ev.alt_key() || ev.repeat() || typing(&ev) {
            return;
        }
        if editing.get_untracked().is_some()
            || question.get_untracked().is_some()
            || palette_open.get_untracked()
            || conflicts_open.get_untracked()
        {
            return;
        }
        let w = week.get_untracked();
        match ev.key().as_str() {
            "j" | "J" => go_to_week(w - Duration::days(7)),
            "k" | "K" => go_to_week(w + Duration::days(7)),
            "t" | "T" => router.navigate(Route::Week(None)),
            "c" | "C" => new_timed_now(),
            "a" | "A" => open_new(FormState::new_all_day(w)),
            "[" => sidebar_open.update(|open| *open = !*open),
            "?" => shortcuts_open.update(|open| *open = !*open),
            _ => return,
        }
        ev.prevent_default();
    });
    on_cleanup(move || keys.remove());

    // The Google items of the palette: connect, reconnect or repair as the state asks, and the sync
    // conflicts once Google has been connected.
    let google_commands = move || {
        let mut commands = Vec::new();
        if !google_configured.get_untracked() {
            return commands;
        }
        let state = live
            .metadata
            .with_untracked(|m| m.as_ref().and_then(|m| m.connection_state()));
        let importing = live.importing.get_untracked();
        match state {
            Some(compass_core::GoogleConnectionState::NotConnected) if !importing => {
                commands.push(Command::ConnectGoogle);
            }
            Some(compass_core::GoogleConnectionState::ReconnectRequired) if !importing => {
                commands.push(Command::ReconnectGoogle);
            }
            Some(compass_core::GoogleConnectionState::Attention)
                if !importing && !repairing.get_untracked() =>
            {
                commands.push(Command::RepairGoogle);
            }
            _ => {}
        }
        if !matches!(
            state,
            None | Some(compass_core::GoogleConnectionState::NotConnected)
        ) {
            commands.push(Command::ShowSyncConflicts);
        }
        commands
    };
    let run_command = move |command: Command| {
        palette_open.set(false);
        let w = week.get_untracked();
        match command {
            Command::Today => router.navigate(Route::Week(None)),
            Command::PreviousWeek => go_to_week(w - Duration::days(7)),
            Command::NextWeek => go_to_week(w + Duration::days(7)),
            Command::NewEvent => new_timed_now(),
            Command::NewAllDayEvent => open_new(FormState::new_all_day(w)),
            Command::ToggleSidebar => sidebar_open.update(|open| *open = !*open),
            Command::ShowShortcuts => shortcuts_open.set(true),
            Command::ConnectGoogle | Command::ReconnectGoogle => {
                #[cfg(target_arch = "wasm32")]
                let _ = window().location().set_href(api::GOOGLE_CONNECT_URL);
            }
            Command::RepairGoogle => repair(),
            Command::ShowSyncConflicts => conflicts_open.set(true),
            Command::SignOut => sign_out(),
            Command::SignIn => router.navigate(Route::SignIn),
            Command::SignUp => router.navigate(Route::SignUp),
        }
    };
    let palette_view = move || {
        palette_open.get().then(|| {
            view! {
                <CommandPalette
                    commands=commands::available(signed_in, google_commands())
                    on_run=run_command
                    on_close=move |()| palette_open.set(false)
                />
            }
        })
    };

    let title = Signal::derive(move || time::week_title(week.get()));
    let form_view = move || {
        editing.get().map(|Editing { original, form }| {
            let someday = form.someday;
            view! {
                <EventForm
                    initial=form
                    is_new=original.is_none()
                    error=form_error
                    busy=busy
                    on_save=save
                    on_delete=move |()| delete()
                    on_cancel=move |()| editing.set(None)
                    on_move_to_grid=Callback::new(move |()| {
                        if someday {
                            move_to_grid();
                        }
                    })
                    on_move_to_sidebar=Callback::new(move |()| {
                        if !someday {
                            move_to_sidebar();
                        }
                    })
                />
            }
        })
    };
    let scope_view = move || {
        question.get().map(|q| {
            // A drag that asks for a scope and is cancelled must redraw the event where it was.
            let deleting = matches!(q.pending, Pending::Delete { .. });
            let pending = q.pending.clone();
            view! {
                <ScopeDialog
                    options=q.options
                    deleting=deleting
                    busy=busy
                    on_choose=move |scope| perform(pending.clone(), scope)
                    on_cancel=move |()| {
                        question.set(None);
                        reload_grid();
                    }
                />
            }
        })
    };

    view! {
        // `aria-busy` while a change is on its way to the server (optimistic changes show before that).
        <div
            class="app"
            class:sidebar-closed=move || !sidebar_open.get()
            aria-busy=move || busy.get().to_string()
        >
            <WeekHeader
                title=title
                live=live
                google_configured=google_configured
                signed_in=signed_in
                repairing=repairing
                sidebar_open=sidebar_open
                on_prev=move |()| go_to_week(week.get_untracked() - Duration::days(7))
                on_today=move |()| router.navigate(Route::Week(None))
                on_next=move |()| go_to_week(week.get_untracked() + Duration::days(7))
                on_new=move |()| new_timed_now()
                on_toggle_sidebar=move |()| sidebar_open.update(|open| *open = !*open)
                on_shortcuts=move |()| shortcuts_open.set(true)
                on_sign_out=move |()| sign_out()
                on_repair=move |()| repair()
                on_conflicts=move |()| conflicts_open.set(true)
                on_palette=move |()| palette_open.set(true)
                on_sign_in=move |()| router.navigate(Route::SignIn)
                on_sign_up=move |()| router.navigate(Route::SignUp)
            />
            {move || load_error.get().map(|text| view! { <p class="notice" role="alert">{text}</p> })}
            {move || live.google_revoked.get().then(|| view! {
                <p class="notice" role="alert">
                    "Google access revoked. Your Google data has been removed."
                    " "
                    <button type="button" class="link" on:click=move |_| live.google_revoked.set(false)>
                        "Dismiss"
                    </button>
                </p>
            })}
            {move || notice.get().map(|text| view! {
                <p class="notice" role="alert">
                    {text}
                    " "
                    <button type="button" class="link" on:click=move |_| notice.set(None)>"Dismiss"</button>
                </p>
            })}
            <div class="body">
                <Show when=move || sidebar_open.get()>
                    <SomedaySidebar
                        week=week
                        today=today
                        events=someday_events
                        on_add=add_someday
                        on_select=open_event
                        on_schedule=schedule_at
                        on_reorder=reorder
                    />
                </Show>
                <main class="main">
                    <WeekGrid
                        days=days
                        events=grid_events
                        zone=zone
                        now=now
                        on_slot=move |(day, minutes): (NaiveDate, i64)| {
                            let start = NaiveTime::MIN + Duration::minutes(minutes);
                            open_new(FormState::new_timed(day, start, 60));
                        }
                        on_all_day=move |day| open_new(FormState::new_all_day(day))
                        on_select=open_event
                        on_drag=dropped
                        on_to_sidebar=to_sidebar
                    />
                </main>
            </div>
            {form_view}
            {scope_view}
            {palette_view}
            {move || shortcuts_open.get().then(|| view! {
                <ShortcutsOverlay on_close=move |()| shortcuts_open.set(false)/>
            })}
            {move || conflicts_open.get().then(|| view! {
                <ConflictsDialog zone=zone on_close=move |()| conflicts_open.set(false)/>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::FixedOffset;

    fn event(title: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "_id": format!("6750a1b2c3d4e5f6012345{:02x}", title.len()),
            "user": "6750a0000000000000000001",
            "title": title,
            "startDate": "2025-01-06T09:00:00+00:00",
            "endDate": "2025-01-06T10:00:00+00:00",
            "origin": "compass",
            "priority": "work",
        }))
        .unwrap()
    }

    #[test]
    fn optimistic_changes_show_the_draft_or_remove_the_event() {
        let zone = Zone::Fixed(FixedOffset::east_opt(0).unwrap());
        let (a, b) = (event("a"), event("bb"));
        let mut form = FormState::from_event(&a, zone);
        form.title = "moved".into();
        form.start_time = NaiveTime::from_hms_opt(11, 0, 0).unwrap();
        form.end_time = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let draft = Box::new(form.to_draft(Some(&a), zone).unwrap());
        let mut list = vec![a.clone(), b.clone()];
        apply_optimistically(
            &mut list,
            &Pending::Save {
                event: a.clone(),
                draft,
            },
        );
        assert_eq!(list[0].title.as_deref(), Some("moved"));
        assert_eq!(list[0].start_date.to_wire(), "2025-01-06T11:00:00+00:00");
        assert_eq!(list[1], b);

        let mut someday = FormState::from_event(&b, zone);
        someday.someday = true;
        someday.someday_span = Some((
            NaiveDate::from_ymd_opt(2025, 1, 5).unwrap(),
            NaiveDate::from_ymd_opt(2025, 1, 11).unwrap(),
        ));
        let draft = Box::new(someday.to_draft(Some(&b), zone).unwrap());
        apply_optimistically(&mut list, &Pending::Save { event: b, draft });
        assert_eq!(list.len(), 1);
        apply_optimistically(&mut list, &Pending::Delete { event: a });
        assert!(list.is_empty());
    }
}
