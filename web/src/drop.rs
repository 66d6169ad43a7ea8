//! Drag and drop between the someday sidebar and the week grid, and within a someday list: what is under
//! the pointer when a drag ends ([`target_at`]), and the new positions of a reordered list
//! ([`reordered`]). Drags follow pointer events (like moving events on the grid), so they work with a
//! mouse, a pen or a touch screen; the buttons "Move to grid" / "Move to sidebar" remain for the keyboard.

use chrono::NaiveDate;
use compass_core::{EventId, PayloadOrder};

/// Where a drag ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropTarget {
    /// A time slot of the grid: the day and minutes after midnight (15-minute steps).
    Slot {
        /// The day of the column.
        day: NaiveDate,
        /// Minutes after midnight.
        minutes: i64,
    },
    /// The someday sidebar: over the month list (`true`) or elsewhere in it (the week list).
    Sidebar {
        /// Over the month list.
        month: bool,
        /// Over this someday item (to drop before it).
        before: Option<EventId>,
    },
    /// Anywhere else.
    Nowhere,
}

/// The positions (`order` 0, 1, …) of a someday list after moving `moved` before `before` (to the end
/// when `None` or not in the list). Only events whose position changes are listed.
pub fn reordered(
    list: &[(EventId, Option<i64>)],
    moved: &EventId,
    before: Option<&EventId>,
) -> Vec<PayloadOrder> {
    let mut ids: Vec<&EventId> = list
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != moved)
        .collect();
    let at = before
        .and_then(|b| ids.iter().position(|id| *id == b))
        .unwrap_or(ids.len());
    ids.insert(at, moved);
    ids.iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let order = i64::try_from(i).ok()?;
            let old = list
                .iter()
                .find(|(other, _)| other == *id)
                .and_then(|(_, o)| *o);
            (old != Some(order)).then(|| PayloadOrder {
                id: (*id).clone(),
                order,
            })
        })
        .collect()
}

/// Minutes after midnight at height `y` of a column `top`..`top + height` (snapped to 15 minutes).
pub fn minutes_at(y: f64, top: f64, height: f64) -> Option<i64> {
    if height <= 0.0 {
        return None;
    }
    let minutes = ((y - top) / height * 1440.0) as i64;
    Some(crate::time::snap_minutes(minutes, 15).clamp(0, 1440 - 60))
}

/// What is under the point (`clientX`, `clientY`).
pub fn target_at(x: i32, y: i32) -> DropTarget {
    #[cfg(target_arch = "wasm32")]
    {
        let Some(element) = leptos::prelude::document().element_from_point(x as f32, y as f32)
        else {
            return DropTarget::Nowhere;
        };
        if let Ok(Some(column)) = element.closest("#timedColumns .day-column") {
            let day = column
                .get_attribute("data-date")
                .and_then(|d| crate::time::parse_date_input(&d));
            let rect = column.get_bounding_client_rect();
            if let (Some(day), Some(minutes)) =
                (day, minutes_at(f64::from(y), rect.top(), rect.height()))
            {
                return DropTarget::Slot { day, minutes };
            }
            return DropTarget::Nowhere;
        }
        if let Ok(Some(_)) = element.closest("#sidebar") {
            let month = matches!(element.closest("[data-list='month']"), Ok(Some(_)));
            let before = element
                .closest("#sidebar [data-event-id]")
                .ok()
                .flatten()
                .and_then(|item| item.get_attribute("data-event-id"))
                .and_then(|id| EventId::parse(&id).ok());
            return DropTarget::Sidebar { month, before };
        }
        DropTarget::Nowhere
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (x, y);
        DropTarget::Nowhere
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn id(n: u8) -> EventId {
        EventId::from_bytes([n; 12])
    }

    #[test]
    fn moving_before_another_renumbers_only_what_changed() {
        let list = [(id(1), Some(0)), (id(2), Some(1)), (id(3), Some(2))];
        let orders = reordered(&list, &id(3), Some(&id(1)));
        let pairs: Vec<(EventId, i64)> = orders.into_iter().map(|p| (p.id, p.order)).collect();
        assert_eq!(pairs, vec![(id(3), 0), (id(1), 1), (id(2), 2)]);
        // To the end; unnumbered lists get numbers.
        let orders = reordered(&[(id(1), None), (id(2), None)], &id(1), None);
        let pairs: Vec<(EventId, i64)> = orders.into_iter().map(|p| (p.id, p.order)).collect();
        assert_eq!(pairs, vec![(id(2), 0), (id(1), 1)]);
        // Dropped where it was: nothing changes.
        assert!(reordered(&list, &id(2), Some(&id(3))).is_empty());
    }

    #[test]
    fn slot_minutes_snap_and_stay_in_the_day() {
        assert_eq!(minutes_at(100.0, 0.0, 1440.0), Some(90));
        assert_eq!(minutes_at(10.0, 20.0, 1440.0), Some(0));
        assert_eq!(minutes_at(1439.0, 0.0, 1440.0), Some(1380));
        assert_eq!(minutes_at(5.0, 0.0, 0.0), None);
    }
}
