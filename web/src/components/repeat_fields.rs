//! The "Repeat" part of the event form: a checkbox, then every n days/weeks/months, the weekdays of a
//! weekly series, and the end (never, on a date, after n times). Edits the form state in place.

use leptos::prelude::*;

use crate::form::FormState;
use crate::repeat::{Freq, RepeatEnd, WEEKDAYS};
use crate::time;

/// The repeat fields.
#[component]
pub fn RepeatFields(
    /// The form being edited.
    state: RwSignal<FormState>,
) -> impl IntoView {
    // Memos: typing in other fields of the form does not rebuild these inputs.
    let repeat_memo = Memo::new(move |_| state.with(|s| s.repeat.clone()));
    let on = move || repeat_memo.with(Option::is_some);
    let repeat = move || repeat_memo.get();
    let edit = move |f: &dyn Fn(&mut crate::repeat::Repeat)| {
        state.update(|s| {
            if let Some(r) = s.repeat.as_mut() {
                f(r);
            }
        });
    };

    let details = move || {
        let r = repeat()?;
        let weekly = r.freq == Freq::Weekly;
        let end_kind = match r.end {
            RepeatEnd::Never => "never",
            RepeatEnd::On(_) => "on",
            RepeatEnd::After(_) => "after",
        };
        let weekdays = weekly.then(|| {
            let boxes = WEEKDAYS
                .into_iter()
                .map(|day| {
                    let checked = r.weekdays.contains(&day);
                    let name = format!("{day:?}");
                    let full = match day {
                        chrono::Weekday::Sun => "Sunday",
                        chrono::Weekday::Mon => "Monday",
                        chrono::Weekday::Tue => "Tuesday",
                        chrono::Weekday::Wed => "Wednesday",
                        chrono::Weekday::Thu => "Thursday",
                        chrono::Weekday::Fri => "Friday",
                        chrono::Weekday::Sat => "Saturday",
                    };
                    view! {
                        <label class="weekday" title=full>
                            <input
                                type="checkbox"
                                aria-label=full
                                prop:checked=checked
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    edit(&|r| {
                                        r.weekdays.retain(|d| *d != day);
                                        if on {
                                            r.weekdays.push(day);
                                        }
                                    });
                                }
                            />
                            <span aria-hidden="true">{name.chars().next().map(String::from)}</span>
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="weekdays">
                    <legend>"On"</legend>
                    {boxes}
                </fieldset>
            }
        });
        Some(view! {
            <div class="repeat-details">
                <div class="row">
                    <label for="ef-interval">"Every"</label>
                    <input
                        id="ef-interval"
                        type="number"
                        min="1"
                        max="99"
                        class="narrow"
                        prop:value=r.interval.to_string()
                        on:change=move |ev| {
                            let n = event_target_value(&ev).parse::<u32>().unwrap_or(1).clamp(1, 99);
                            edit(&|r| r.interval = n);
                        }
                    />
                    <label for="ef-freq" class="visually-hidden">"Unit"</label>
                    <select
                        id="ef-freq"
                        on:change=move |ev| {
                            let value = event_target_value(&ev);
                            if let Some(freq) = Freq::ALL.into_iter().find(|f| f.as_rrule() == value) {
                                edit(&|r| r.freq = freq);
                            }
                        }
                    >
                        {Freq::ALL
                            .into_iter()
                            .map(|f| {
                                view! {
                                    <option value=f.as_rrule() selected=f == r.freq>
                                        {f.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                {weekdays}
                <div class="row">
                    <label for="ef-ends">"Ends"</label>
                    <select
                        id="ef-ends"
                        on:change=move |ev| {
                            let start = state.with_untracked(|s| s.start_date);
                            let end = match event_target_value(&ev).as_str() {
                                "on" => RepeatEnd::On(start + chrono::Duration::days(30)),
                                "after" => RepeatEnd::After(10),
                                _ => RepeatEnd::Never,
                            };
                            edit(&|r| r.end = end);
                        }
                    >
                        <option value="never" selected=end_kind == "never">"Never"</option>
                        <option value="on" selected=end_kind == "on">"On date"</option>
                        <option value="after" selected=end_kind == "after">"After"</option>
                    </select>
                    {match r.end {
                        RepeatEnd::Never => None,
                        RepeatEnd::On(day) => Some(view! {
                            <label for="ef-until" class="visually-hidden">"End date"</label>
                            <input
                                id="ef-until"
                                type="date"
                                prop:value=time::iso_date(day)
                                on:change=move |ev| {
                                    if let Some(day) = time::parse_date_input(&event_target_value(&ev)) {
                                        edit(&|r| r.end = RepeatEnd::On(day));
                                    }
                                }
                            />
                        }.into_any()),
                        RepeatEnd::After(count) => Some(view! {
                            <label for="ef-count" class="visually-hidden">"Number of times"</label>
                            <input
                                id="ef-count"
                                type="number"
                                min="1"
                                max="730"
                                class="narrow"
                                prop:value=count.to_string()
                                on:change=move |ev| {
                                    let n = event_target_value(&ev).parse::<u32>().unwrap_or(1).clamp(1, 730);
                                    edit(&|r| r.end = RepeatEnd::After(n));
                                }
                            />
                            <span>"times"</span>
                        }.into_any()),
                    }}
                </div>
            </div>
        })
    };

    view! {
        <div class="repeat">
            <label class="check">
                <input
                    id="ef-repeat"
                    type="checkbox"
                    prop:checked=on
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        state.update(|s| s.set_repeat(on));
                    }
                />
                "Repeat"
            </label>
            {details}
        </div>
    }
}
