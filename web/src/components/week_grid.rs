//! The week grid: seven day columns (each labelled with its date) over an hour grid, the all-day row on
//! top and a now-line on today. Events are buttons whose accessible name starts with their title;
//! overlapping timed events sit side by side. Clicking an empty slot asks for a new event at that time
//! (snapped to 15 minutes), clicking the all-day row for a new all-day event, clicking an event to edit it.
//! Dragging a timed event moves it (also to another day), dragging its top or bottom edge resizes it, in
//! 15-minute steps; the grid shows the new place while dragging and reports it when the pointer is released
//! (dropped on the someday sidebar, the event is reported as moved there instead).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use compass_core::{Event, EventDate};
use leptos::prelude::*;

use crate::layout::{self, DAY_MINUTES};
use crate::time::{self, Zone};

/// Snap step for new events, in minutes.
pub const SLOT_MINUTES: i64 = 15;

/// Height of one hour in pixels (the CSS grid is drawn with the same value).
pub const HOUR_PX: i64 = 48;

/// What a drag changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DragMode {
    /// The whole event (time and day).
    Move,
    /// The start (top edge).
    Start,
    /// The end (bottom edge).
    End,
}

/// A drag in progress: where it started and where the event would go now (local wall-clock times).
#[derive(Debug, Clone, PartialEq)]
struct Drag {
    event: Event,
    mode: DragMode,
    x: f64,
    y: f64,
    column_px: f64,
    minute_px: f64,
    from: (NaiveDateTime, NaiveDateTime),
    to: (NaiveDateTime, NaiveDateTime),
}

/// Where a drag by `days` columns and `minutes` (already snapped) puts an event spanning `from`.
/// Resizing keeps at least one step; moving keeps the length.
pub fn dragged(
    mode: DragMode,
    from: (NaiveDateTime, NaiveDateTime),
    days: i64,
    minutes: i64,
) -> (NaiveDateTime, NaiveDateTime) {
    let (start, end) = from;
    let step = Duration::minutes(SLOT_MINUTES);
    match mode {
        DragMode::Move => {
            let shift = Duration::days(days) + Duration::minutes(minutes);
            (start + shift, end + shift)
        }
        DragMode::Start => ((start + Duration::minutes(minutes)).min(end - step), end),
        DragMode::End => (start, (end + Duration::minutes(minutes)).max(start + step)),
    }
}

/// Rounds a pixel offset to a whole number of steps of `step_px` (0 when the size is unknown).
pub fn steps(offset_px: f64, step_px: f64) -> i64 {
    if step_px <= 0.0 {
        0
    } else {
        (offset_px / step_px).round() as i64
    }
}

/// An event's visible title.
pub fn title_of(event: &Event) -> String {
    match event.title.as_deref().map(str::trim) {
        Some(title) if !title.is_empty() => title.to_owned(),
        _ => "(No title)".to_owned(),
    }
}

fn percent(minutes: i64) -> String {
    percent_of(minutes, DAY_MINUTES)
}

/// `part / whole` as a CSS percentage with four decimals, in integer arithmetic (formatting an `f64`
/// would pull the float formatter, ~15 KB of WebAssembly, into the app).
pub fn percent_of(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "0%".to_owned();
    }
    let scaled = part.max(0).saturating_mul(1_000_000) / whole;
    format!("{}.{:04}%", scaled / 10_000, scaled % 10_000)
}

/// Minutes after midnight at the pointer's height in a day column.
fn minutes_at_pointer(ev: &leptos::ev::MouseEvent) -> Option<i64> {
    use wasm_bindgen::JsCast as _;
    let column = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let rect = column.get_bounding_client_rect();
    if rect.height() <= 0.0 {
        return None;
    }
    let y = f64::from(ev.client_y()) - rect.top();
    Some(time::snap_minutes(
        (y / rect.height() * DAY_MINUTES as f64) as i64,
        SLOT_MINUTES,
    ))
}

/// The week grid.
#[component]
pub fn WeekGrid(
    /// The seven days shown (Sunday first).
    #[prop(into)]
    days: Signal<[NaiveDate; 7]>,
    /// Grid events of the week (someday events are ignored).
    #[prop(into)]
    events: Signal<Vec<Event>>,
    /// The user's time zone.
    zone: Zone,
    /// The current instant (moves the now-line).
    #[prop(into)]
    now: Signal<DateTime<Utc>>,
    /// A click on an empty slot: the day and minutes after midnight.
    #[prop(into)]
    on_slot: Callback<(NaiveDate, i64)>,
    /// A click on the all-day row of a day.
    #[prop(into)]
    on_all_day: Callback<NaiveDate>,
    /// A click on an event.
    #[prop(into)]
    on_select: Callback<Event>,
    /// A timed event was dragged: the event and its new local start and end.
    #[prop(into)]
    on_drag: Callback<(Event, NaiveDateTime, NaiveDateTime)>,
    /// A timed event was dropped on the someday sidebar: the event, and whether on the month list.
    #[prop(into)]
    on_to_sidebar: Callback<(Event, bool)>,
) -> impl IntoView {
    let drag = RwSignal::new(None::<Drag>);
    // A drag ends with a click on the event; that click must not open the form.
    let swallow_click = StoredValue::new(false);
    let columns_ref = NodeRef::<leptos::html::Div>::new();
    let start_drag = move |ev: &leptos::ev::PointerEvent, event: &Event, mode: DragMode| {
        if ev.button() != 0 {
            return;
        }
        // A drag whose release landed elsewhere left no click to swallow: start afresh.
        swallow_click.set_value(false);
        let (EventDate::Timed(start), EventDate::Timed(end)) = (event.start_date, event.end_date)
        else {
            return;
        };
        let Some(columns) = columns_ref.get_untracked() else {
            return;
        };
        let rect = columns.get_bounding_client_rect();
        let from = (zone.to_local(start.to_utc()), zone.to_local(end.to_utc()));
        drag.set(Some(Drag {
            event: event.clone(),
            mode,
            x: f64::from(ev.client_x()),
            y: f64::from(ev.client_y()),
            column_px: rect.width() / 7.0,
            minute_px: rect.height() / DAY_MINUTES as f64,
            from,
            to: from,
        }));
    };
    // Pointer moves and releases are followed on the window (browser only: natively views are just
    // rendered to HTML).
    #[cfg(target_arch = "wasm32")]
    {
        let moves = window_event_listener(leptos::ev::pointermove, move |ev| {
            if drag.with_untracked(Option::is_none) {
                return;
            }
            drag.update(|d| {
                if let Some(d) = d.as_mut() {
                    let days = match d.mode {
                        DragMode::Move => steps(f64::from(ev.client_x()) - d.x, d.column_px),
                        DragMode::Start | DragMode::End => 0,
                    };
                    let minutes = steps(
                        f64::from(ev.client_y()) - d.y,
                        d.minute_px * SLOT_MINUTES as f64,
                    ) * SLOT_MINUTES;
                    d.to = dragged(d.mode, d.from, days, minutes);
                }
            });
        });
        let ups = window_event_listener(leptos::ev::pointerup, move |ev| {
            if let Some(d) = drag.get_untracked() {
                drag.set(None);
                if d.mode == DragMode::Move {
                    if let crate::drop::DropTarget::Sidebar { month, .. } =
                        crate::drop::target_at(ev.client_x(), ev.client_y())
                    {
                        swallow_click.set_value(true);
                        on_to_sidebar.run((d.event, month));
                        return;
                    }
                }
                if d.to != d.from {
                    swallow_click.set_value(true);
                    on_drag.run((d.event, d.to.0, d.to.1));
                }
            }
        });
        on_cleanup(move || {
            moves.remove();
            ups.remove();
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (on_drag, on_to_sidebar, swallow_click);
    // While dragging, the grid draws the dragged event at its new place.
    let shown = Signal::derive(move || {
        let mut list = events.get();
        if let Some(d) = drag.get().filter(|d| d.to != d.from) {
            if let Some(e) = list.iter_mut().find(|e| e.id == d.event.id) {
                e.start_date = EventDate::Timed(zone.from_local(d.to.0));
                e.end_date = EventDate::Timed(zone.from_local(d.to.1));
            }
        }
        list
    });

    let scroller = NodeRef::<leptos::html::Div>::new();
    // Start scrolled to 7:00, like a working day.
    crate::after_mount(move || {
        if let Some(el) = scroller.get() {
            el.set_scroll_top((7 * HOUR_PX) as i32);
        }
    });
    // Today and the now-line's place (day, minutes), changing once a minute. The redrawn parts below read
    // them when they are drawn instead of holding reactive closures of their own: a dropped closure stays
    // subscribed to a signal until that signal next changes, and `today` changes once a day, so every
    // redraw of the week would leave one dead subscriber per day behind (memory that grew with live updates).
    let now_at = Memo::new(move |_| {
        let local = zone.to_local(now.get());
        let minutes = i64::from(chrono::Timelike::hour(&local)) * 60
            + i64::from(chrono::Timelike::minute(&local));
        (local.date(), minutes)
    });

    let today = Memo::new(move |_| now_at.with(|(day, _)| *day));

    let head = move || {
        let today = today.get();
        days.get()
            .into_iter()
            .map(|day| {
                let (dow, dom) = time::day_short(day);
                view! {
                    <div class="day-head" class:today=today == day title=time::day_label(day)>
                        <span class="dow">{dow}</span>
                        <span class="dom">{dom}</span>
                    </div>
                }
            })
            .collect_view()
    };

    let all_day_row = move || {
        let days = days.get();
        let events = events.get();
        let cells = days
            .iter()
            .enumerate()
            .map(|(i, day)| {
                let day = *day;
                view! {
                    <div
                        class="all-day-cell"
                        style:grid-column=format!("{}", i + 1)
                        on:click=move |_| on_all_day.run(day)
                    ></div>
                }
            })
            .collect_view();
        let blocks = layout::all_day_blocks(&events, &days)
            .into_iter()
            .map(|block| {
                let event = events[block.event].clone();
                let title = title_of(&event);
                let id = event.id.as_str().to_owned();
                let priority = event.priority.as_str();
                view! {
                    <button
                        type="button"
                        class=format!("event all-day-event priority-{priority}")
                        data-event-id=id
                        style:grid-column=format!("{} / {}", block.first + 1, block.last + 2)
                        on:click=move |ev| {
                            ev.stop_propagation();
                            on_select.run(event.clone());
                        }
                    >
                        <span class="title">{title}</span>
                    </button>
                }
            })
            .collect_view();
        view! {
            <div class="all-day-bg" aria-hidden="true">{cells}</div>
            {blocks}
        }
    };

    let hours = (0..24)
        .map(|h| {
            view! {
                <div class="hour-label" style:top=percent(h * 60)>
                    {(h > 0).then(|| format!("{h}:00"))}
                </div>
            }
        })
        .collect_view();

    let columns = move || {
        let days = days.get();
        let events = shown.get();
        let (today, now_minutes) = now_at.get();
        // Read without tracking: the columns are redrawn anyway when a drag moves an event.
        let dragging_id = drag.with_untracked(|d| d.as_ref().map(|d| d.event.id.clone()));
        let blocks = layout::timed_blocks(&events, &days, zone);
        days.iter()
            .enumerate()
            .map(|(i, day)| {
                let day = *day;
                let in_day = blocks
                    .iter()
                    .filter(|b| b.day == i)
                    .map(|block| {
                        let event = events[block.event].clone();
                        let title = title_of(&event);
                        let start = day.and_time(NaiveTime::MIN)
                            + Duration::minutes(block.start);
                        let end = day.and_time(NaiveTime::MIN)
                            + Duration::minutes(block.end);
                        let when = format!("{} – {}", time::clock(start), time::clock(end));
                        let columns = i64::try_from(block.columns).unwrap_or(1).max(1);
                        let column = i64::try_from(block.column).unwrap_or(0);
                        let width = percent_of(1, columns);
                        let id = event.id.as_str().to_owned();
                        let priority = event.priority.as_str();
                        let short = block.end - block.start < 45;
                        let (for_move, for_start, for_end) = (event.clone(), event.clone(), event.clone());
                        let this_id = event.id.clone();
                        view! {
                            <button
                                type="button"
                                class=format!("event timed-event priority-{priority}")
                                class:short=short
                                class:dragging=dragging_id.as_ref() == Some(&this_id)
                                data-event-id=id
                                style:top=percent(block.start)
                                style:height=percent(block.end - block.start)
                                style:left=percent_of(column, columns)
                                style:width=format!("calc({width} - 2px)")
                                on:pointerdown=move |ev| start_drag(&ev, &for_move, DragMode::Move)
                                on:click=move |ev| {
                                    ev.stop_propagation();
                                    if swallow_click.get_value() {
                                        swallow_click.set_value(false);
                                    } else {
                                        on_select.run(event.clone());
                                    }
                                }
                            >
                                <span
                                    class="handle handle-start"
                                    aria-hidden="true"
                                    on:pointerdown=move |ev| {
                                        ev.stop_propagation();
                                        start_drag(&ev, &for_start, DragMode::Start);
                                    }
                                ></span>
                                <span class="title">{title}</span>
                                " "
                                <span class="when">{when}</span>
                                <span
                                    class="handle handle-end"
                                    aria-hidden="true"
                                    on:pointerdown=move |ev| {
                                        ev.stop_propagation();
                                        start_drag(&ev, &for_end, DragMode::End);
                                    }
                                ></span>
                            </button>
                        }
                    })
                    .collect_view();
                let now_line = (today == day).then(|| {
                    view! { <div class="now-line" style:top=percent(now_minutes) aria-hidden="true"></div> }
                });
                view! {
                    <div
                        class="day-column"
                        class:today=today == day
                        role="group"
                        aria-label=time::day_label(day)
                        data-date=time::iso_date(day)
                        on:click=move |ev| {
                            if let Some(minutes) = minutes_at_pointer(&ev) {
                                on_slot.run((day, minutes));
                            }
                        }
                    >
                        {now_line}
                        {in_day}
                    </div>
                }
            })
            .collect_view()
    };

    view! {
        <section id="cal" class="week" aria-label="Week">
            <div id="weekGridScroller" class="scroller" node_ref=scroller>
                <div class="week-top">
                    <div class="week-head">
                        <div class="gutter"></div>
                        {head}
                    </div>
                    <div id="allDayRow" class="all-day-row" role="group" aria-label="All-day events">
                        <div class="gutter">"all day"</div>
                        <div id="allDayColumns" class="all-day-grid">{all_day_row}</div>
                    </div>
                </div>
                <div id="mainGrid" class="grid" style:height=format!("{}px", 24 * HOUR_PX)>
                    <div class="hours" aria-hidden="true">{hours}</div>
                    <div id="timedColumns" class="columns" node_ref=columns_ref>{columns}</div>
                </div>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2025, 1, 6)
            .unwrap()
            .and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
    }

    #[test]
    fn percentages_without_floats() {
        assert_eq!(percent_of(720, 1440), "50.0000%");
        assert_eq!(percent_of(1, 3), "33.3333%");
        assert_eq!(percent_of(2, 3), "66.6666%");
        assert_eq!(percent_of(0, 2), "0.0000%");
        assert_eq!(percent_of(90, 1440), "6.2500%");
        assert_eq!(percent_of(5, 0), "0%");
    }

    #[test]
    fn dragging_moves_and_resizes_in_steps() {
        let from = (at(9, 0), at(10, 0));
        assert_eq!(
            dragged(DragMode::Move, from, 1, 30),
            (
                at(9, 30) + Duration::days(1),
                at(10, 30) + Duration::days(1)
            )
        );
        assert_eq!(
            dragged(DragMode::Start, from, 0, -45),
            (at(8, 15), at(10, 0))
        );
        // The start cannot pass the end, nor the end the start.
        assert_eq!(
            dragged(DragMode::Start, from, 0, 120),
            (at(9, 45), at(10, 0))
        );
        assert_eq!(dragged(DragMode::End, from, 0, -120), (at(9, 0), at(9, 15)));
        assert_eq!(steps(37.0, 12.0), 3);
        assert_eq!(steps(-5.0, 12.0), 0);
        assert_eq!(steps(10.0, 0.0), 0);
    }
}
