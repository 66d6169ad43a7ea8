//! The someday sidebar: this week's and this month's unscheduled events, each a button that opens its
//! form (where it can be edited, deleted or moved to the grid), and an add button per list. An item can be
//! dragged onto a time slot of the grid (scheduled there) or onto another item of its list (reordered,
//! saved with `PUT /api/event/reorder`); a grid event dropped here becomes a someday event (the grid's
//! part, `week_grid`).

use chrono::{Datelike, Duration, NaiveDate};
use compass_core::{Event, EventDate, PayloadOrder};
use leptos::prelude::*;

use crate::components::week_grid::title_of;
#[cfg(target_arch = "wasm32")]
use crate::drop::DropTarget;
use crate::drop::{reordered, target_at};
use crate::layout::is_month_someday;

/// The week list and the month list of the view starting on `week`, each sorted by `order`.
pub fn someday_lists(events: &[Event], week: NaiveDate) -> (Vec<Event>, Vec<Event>) {
    let week_end = week + Duration::days(7);
    let (mut weekly, mut monthly): (Vec<Event>, Vec<Event>) = (Vec::new(), Vec::new());
    for event in events.iter().filter(|e| e.is_someday) {
        let EventDate::Day(start) = event.start_date else {
            continue;
        };
        if is_month_someday(event) {
            if start.year() == week.year() && start.month() == week.month() {
                monthly.push(event.clone());
            }
        } else if start >= week && start < week_end {
            weekly.push(event.clone());
        }
    }
    for list in [&mut weekly, &mut monthly] {
        crate::layout::sort_stable(list, |a, b| {
            let key = |e: &Event| {
                (
                    e.order.unwrap_or(i64::MAX),
                    e.start_date.start_instant_utc(),
                )
            };
            key(a).cmp(&key(b))
        });
    }
    (weekly, monthly)
}

/// A drag of a sidebar item.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SidebarDrag {
    event: Event,
    month: bool,
    from: (i32, i32),
    at: (i32, i32),
    moved: bool,
}

/// The sidebar.
#[component]
pub fn SomedaySidebar(
    /// Sunday of the view.
    #[prop(into)]
    week: Signal<NaiveDate>,
    /// Today (decides "This Week" / "This Month").
    #[prop(into)]
    today: Signal<NaiveDate>,
    /// Someday events of the view's months.
    #[prop(into)]
    events: Signal<Vec<Event>>,
    /// Add to the week list (`false`) or the month list (`true`).
    #[prop(into)]
    on_add: Callback<bool>,
    /// Open an event.
    #[prop(into)]
    on_select: Callback<Event>,
    /// An item was dropped on the grid: the event, the day and minutes after midnight.
    #[prop(into)]
    on_schedule: Callback<(Event, NaiveDate, i64)>,
    /// An item was dropped on another of its list: the new positions.
    #[prop(into)]
    on_reorder: Callback<Vec<PayloadOrder>>,
) -> impl IntoView {
    let lists = Memo::new(move |_| someday_lists(&events.get(), week.get()));
    // The item being dragged: the event, its list (month?), where the pointer went down, whether it
    // moved far enough to be a drag, and where the pointer is (for the ghost).
    let drag = RwSignal::new(None::<SidebarDrag>);
    let swallow_click = StoredValue::new(false);
    #[cfg(target_arch = "wasm32")]
    {
        let moves = window_event_listener(leptos::ev::pointermove, move |ev| {
            if drag.with_untracked(Option::is_none) {
                return;
            }
            drag.update(|d| {
                if let Some(d) = d.as_mut() {
                    d.at = (ev.client_x(), ev.client_y());
                    let (dx, dy) = (d.at.0 - d.from.0, d.at.1 - d.from.1);
                    d.moved |= dx * dx + dy * dy > 25;
                }
            });
        });
        let ups = window_event_listener(leptos::ev::pointerup, move |ev| {
            let Some(d) = drag.get_untracked() else {
                return;
            };
            drag.set(None);
            if !d.moved {
                return;
            }
            swallow_click.set_value(true);
            match target_at(ev.client_x(), ev.client_y()) {
                DropTarget::Slot { day, minutes } => on_schedule.run((d.event, day, minutes)),
                DropTarget::Sidebar { month, before } if month == d.month => {
                    let (weekly, monthly) = lists.get_untracked();
                    let list: Vec<_> = if month { monthly } else { weekly }
                        .into_iter()
                        .map(|e| (e.id, e.order))
                        .collect();
                    let orders = reordered(&list, &d.event.id, before.as_ref());
                    if !orders.is_empty() {
                        on_reorder.run(orders);
                    }
                }
                _ => {}
            }
        });
        on_cleanup(move || {
            moves.remove();
            ups.remove();
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (on_schedule, on_reorder, target_at, reordered);
    // The item being dragged (once it moved), read by the lists when they are drawn: a reactive closure per
    // item would stay subscribed to `drag` after each redraw of the lists until the next drag.
    let dragging = Memo::new(move |_| {
        drag.with(|d| d.as_ref().filter(|d| d.moved).map(|d| d.event.id.clone()))
    });
    let item = move |(event, month, dragging): (Event, bool, bool)| {
        let title = title_of(&event);
        let id = event.id.as_str().to_owned();
        let priority = event.priority.as_str();
        let for_drag = event.clone();
        view! {
            <li>
                <button
                    type="button"
                    class=format!("someday-item priority-{priority}")
                    class:dragging=dragging
                    data-event-id=id
                    draggable="false"
                    on:pointerdown=move |ev| {
                        if ev.button() != 0 {
                            return;
                        }
                        swallow_click.set_value(false);
                        let at = (ev.client_x(), ev.client_y());
                        drag.set(Some(SidebarDrag { event: for_drag.clone(), month, from: at, at, moved: false }));
                    }
                    on:click=move |_| {
                        if swallow_click.get_value() {
                            swallow_click.set_value(false);
                        } else {
                            on_select.run(event.clone());
                        }
                    }
                >
                    {title}
                </button>
            </li>
        }
    };
    let ghost = move || {
        drag.get().filter(|d| d.moved).map(|d| {
            view! {
                <div class="drag-ghost" aria-hidden="true" style:left=format!("{}px", d.at.0 + 8) style:top=format!("{}px", d.at.1 + 8)>
                    {title_of(&d.event)}
                </div>
            }
        })
    };
    let week_heading = move || {
        let w = week.get();
        if crate::time::week_start(today.get()) == w {
            "This Week".to_owned()
        } else {
            format!("Week of {} {}", crate::time::month_short(w), w.day())
        }
    };
    let month_heading = move || {
        let w = week.get();
        let t = today.get();
        if (t.year(), t.month()) == (w.year(), w.month()) {
            "This Month".to_owned()
        } else {
            crate::time::month_name(w).to_owned()
        }
    };
    view! {
        <aside id="sidebar" class="sidebar" aria-label="Someday">
            {ghost}
            <section aria-labelledby="someday-week-heading" data-list="week">
                <div class="section-head">
                    <h2 id="someday-week-heading">{week_heading}</h2>
                    <button type="button" class="icon" aria-label="Add to week" title="Add to week" on:click=move |_| on_add.run(false)>
                        "+"
                    </button>
                </div>
                <ul class="someday-list">
                    {move || {
                        let dragging = dragging.get();
                        lists.get().0.into_iter().map(|e| {
                            let moving = dragging.as_ref() == Some(&e.id);
                            item((e, false, moving))
                        }).collect_view()
                    }}
                </ul>
            </section>
            <section aria-labelledby="someday-month-heading" data-list="month">
                <div class="section-head">
                    <h2 id="someday-month-heading">{month_heading}</h2>
                    <button type="button" class="icon" aria-label="Add to month" title="Add to month" on:click=move |_| on_add.run(true)>
                        "+"
                    </button>
                </div>
                <ul class="someday-list">
                    {move || {
                        let dragging = dragging.get();
                        lists.get().1.into_iter().map(|e| {
                            let moving = dragging.as_ref() == Some(&e.id);
                            item((e, true, moving))
                        }).collect_view()
                    }}
                </ul>
            </section>
        </aside>
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn someday(id: u8, start: &str, end: &str, order: i64) -> Event {
        serde_json::from_value(serde_json::json!({
            "_id": format!("6750a1b2c3d4e5f6012345{id:02x}"),
            "user": "6750a0000000000000000001",
            "title": format!("s{id}"),
            "startDate": start,
            "endDate": end,
            "isSomeday": true,
            "origin": "compass",
            "priority": "self",
            "order": order,
        }))
        .unwrap()
    }

    #[test]
    fn week_and_month_lists() {
        let events = [
            someday(1, "2025-01-05", "2025-01-11", 1),
            someday(2, "2025-01-05", "2025-01-11", 0),
            someday(3, "2025-01-12", "2025-01-18", 0),
            someday(4, "2025-01-01", "2025-02-01", 0),
            someday(5, "2025-02-01", "2025-03-01", 0),
        ];
        let week = NaiveDate::from_ymd_opt(2025, 1, 5).unwrap();
        let (weekly, monthly) = someday_lists(&events, week);
        let titles = |l: &[Event]| l.iter().map(title_of).collect::<Vec<_>>();
        assert_eq!(titles(&weekly), ["s2", "s1"]);
        assert_eq!(titles(&monthly), ["s4"]);
    }
}
