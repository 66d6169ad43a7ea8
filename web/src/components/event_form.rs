//! The event form dialog: title, priority, all day, start/end, repeat, description; Save, Cancel and
//! Delete (existing events), "Move to sidebar" (grid events). Someday events show only title, priority
//! and description, plus "Move to grid". A modal `role="dialog"` with a labelled `role="form"`; the title field takes focus on open,
//! Escape closes (handled by the page), Enter in a field saves.

use compass_core::Priority;
use leptos::prelude::*;

use crate::components::repeat_fields::RepeatFields;
use crate::form::FormState;
use crate::time;

/// The label of a priority.
pub fn priority_label(priority: Priority) -> &'static str {
    match priority {
        Priority::Unassigned => "No priority",
        Priority::Work => "Work",
        Priority::Myself => "Self",
        Priority::Relationships => "Relationships",
    }
}

/// The event form.
#[component]
pub fn EventForm(
    /// The initial values.
    initial: FormState,
    /// A new event (no Delete).
    is_new: bool,
    /// The save/delete error to show, if any.
    error: RwSignal<Option<String>>,
    /// A request is running (buttons disabled).
    busy: RwSignal<bool>,
    /// Save with the form's values.
    #[prop(into)]
    on_save: Callback<FormState>,
    /// Delete the event.
    #[prop(into)]
    on_delete: Callback<()>,
    /// Close without saving.
    #[prop(into)]
    on_cancel: Callback<()>,
    /// Someday only: put the event on the grid.
    #[prop(into, optional)]
    on_move_to_grid: Option<Callback<()>>,
    /// Grid only: move the event to this week's someday list.
    #[prop(into, optional)]
    on_move_to_sidebar: Option<Callback<()>>,
) -> impl IntoView {
    crate::dialog::restore_focus_on_close();
    let someday = initial.someday;
    let state = RwSignal::new(initial);
    let title_input = NodeRef::<leptos::html::Input>::new();
    crate::after_mount(move || {
        if let Some(input) = title_input.get() {
            let _ = input.focus();
        }
    });
    let all_day = Memo::new(move |_| state.with(|s| s.all_day));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !busy.get_untracked() {
            on_save.run(state.get_untracked());
        }
    };

    let heading = match (is_new, someday) {
        (true, true) => "New someday event",
        (true, false) => "New event",
        (false, true) => "Edit someday event",
        (false, false) => "Edit event",
    };

    let date_input = move |id: &'static str,
                           label: &'static str,
                           get: fn(&FormState) -> chrono::NaiveDate,
                           set: fn(&mut FormState, chrono::NaiveDate)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type="date"
                    required=true
                    prop:value=move || state.with(|s| time::iso_date(get(s)))
                    on:change=move |ev| {
                        if let Some(day) = time::parse_date_input(&event_target_value(&ev)) {
                            state.update(|s| set(s, day));
                        }
                    }
                />
            </div>
        }
    };
    let time_input = move |id: &'static str,
                           label: &'static str,
                           get: fn(&FormState) -> chrono::NaiveTime,
                           set: fn(&mut FormState, chrono::NaiveTime)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input
                    id=id
                    type="time"
                    step="900"
                    required=true
                    prop:value=move || state.with(|s| time::time_input(get(s)))
                    on:change=move |ev| {
                        if let Some(t) = time::parse_time_input(&event_target_value(&ev)) {
                            state.update(|s| set(s, t));
                        }
                    }
                />
            </div>
        }
    };

    let when = move || {
        (!someday).then(|| {
            view! {
                <label class="check">
                    <input
                        id="ef-all-day"
                        type="checkbox"
                        prop:checked=move || all_day.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            state.update(|s| s.all_day = on);
                        }
                    />
                    "All day"
                </label>
                <div class="when-grid">
                    {date_input("ef-start-date", "Start date", |s| s.start_date, |s, d| {
                        let length = s.end_date - s.start_date;
                        s.start_date = d;
                        s.end_date = d + length;
                    })}
                    {move || (!all_day.get()).then(|| time_input("ef-start-time", "Start time", |s| s.start_time, |s, t| {
                        let begin = s.start_date.and_time(s.start_time);
                        let end = s.end_date.and_time(s.end_time);
                        let length = end - begin;
                        s.start_time = t;
                        let new_end = s.start_date.and_time(t) + length;
                        s.end_date = new_end.date();
                        s.end_time = new_end.time();
                    }))}
                    {date_input("ef-end-date", "End date", |s| s.end_date, |s, d| s.end_date = d)}
                    {move || (!all_day.get()).then(|| time_input("ef-end-time", "End time", |s| s.end_time, |s, t| s.end_time = t))}
                </div>
                <RepeatFields state=state/>
            }
        })
    };

    view! {
        <div class="backdrop">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="event-form-heading" on:keydown=crate::dialog::trap_tab>
                <form
                    role="form"
                    aria-label=if someday { "Someday Event Form" } else { "Event Form" }
                    on:submit=submit
                    novalidate=true
                >
                    <h2 id="event-form-heading">{heading}</h2>
                    <div class="field">
                        <label for="ef-title">"Title"</label>
                        <input
                            id="ef-title"
                            type="text"
                            placeholder="Title"
                            autocomplete="off"
                            maxlength="1024"
                            node_ref=title_input
                            prop:value=move || state.with(|s| s.title.clone())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                state.update(|s| s.title = value);
                            }
                        />
                    </div>
                    <div class="field">
                        <label for="ef-priority">"Priority"</label>
                        <select
                            id="ef-priority"
                            on:change=move |ev| {
                                if let Ok(p) = event_target_value(&ev).parse::<Priority>() {
                                    state.update(|s| s.priority = p);
                                }
                            }
                        >
                            {Priority::ALL
                                .iter()
                                .map(|p| {
                                    let p = *p;
                                    view! {
                                        <option
                                            value=p.as_str()
                                            selected=move || state.with(|s| s.priority == p)
                                        >
                                            {priority_label(p)}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                    {when}
                    <div class="field">
                        <label for="ef-description">"Description"</label>
                        <textarea
                            id="ef-description"
                            placeholder="Description"
                            rows="3"
                            prop:value=move || state.with(|s| s.description.clone())
                            on:input=move |ev| {
                                let value = event_target_value(&ev);
                                state.update(|s| s.description = value);
                            }
                        ></textarea>
                    </div>
                    <p class="error" role="alert">{move || error.get()}</p>
                    <div class="actions">
                        {(!is_new)
                            .then(|| {
                                view! {
                                    <button
                                        type="button"
                                        class="danger"
                                        disabled=move || busy.get()
                                        on:click=move |_| on_delete.run(())
                                    >
                                        "Delete"
                                    </button>
                                }
                            })}
                        {on_move_to_grid
                            .filter(|_| !is_new && someday)
                            .map(|move_to_grid| {
                                view! {
                                    <button
                                        type="button"
                                        disabled=move || busy.get()
                                        on:click=move |_| move_to_grid.run(())
                                    >
                                        "Move to grid"
                                    </button>
                                }
                            })}
                        {on_move_to_sidebar
                            .filter(|_| !is_new && !someday)
                            .map(|move_to_sidebar| {
                                view! {
                                    <button
                                        type="button"
                                        disabled=move || busy.get()
                                        on:click=move |_| move_to_sidebar.run(())
                                    >
                                        "Move to sidebar"
                                    </button>
                                }
                            })}
                        <span class="spacer"></span>
                        <button type="button" on:click=move |_| on_cancel.run(())>
                            "Cancel"
                        </button>
                        <button type="submit" class="primary" disabled=move || busy.get()>
                            "Save"
                        </button>
                    </div>
                </form>
            </div>
        </div>
    }
}
