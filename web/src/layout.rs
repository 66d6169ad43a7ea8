//! Where events go on the week grid: timed events cut into one block per day they touch (in the user's
//! zone), overlapping blocks placed side by side; all-day events as spans over the all-day row.
//!
//! Pure functions over compass-core [`Event`]s, so they are tested natively.

use chrono::{Duration, NaiveDate, NaiveTime};
use compass_core::{Event, EventDate};

use crate::time::Zone;

/// Minutes in a day.
pub const DAY_MINUTES: i64 = 24 * 60;

/// One timed event's part within one day column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedBlock {
    /// Index of the event in the input slice.
    pub event: usize,
    /// Day column (0 = Sunday).
    pub day: usize,
    /// Start, minutes after local midnight.
    pub start: i64,
    /// End, minutes after local midnight (at most [`DAY_MINUTES`]).
    pub end: i64,
    /// Column within its group of overlapping blocks.
    pub column: usize,
    /// Number of columns in that group.
    pub columns: usize,
}

/// One all-day event's span over the all-day row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllDayBlock {
    /// Index of the event in the input slice.
    pub event: usize,
    /// First day column covered (0 = Sunday).
    pub first: usize,
    /// Last day column covered.
    pub last: usize,
}

/// True when an event belongs in the all-day row (all-day events and any other whole-day span).
pub fn is_all_day(event: &Event) -> bool {
    event.is_all_day || (event.start_date.is_day() && event.end_date.is_day())
}

/// The timed blocks of `events` on the seven `days`, with overlap columns assigned.
pub fn timed_blocks(events: &[Event], days: &[NaiveDate; 7], zone: Zone) -> Vec<TimedBlock> {
    let mut per_day: Vec<Vec<TimedBlock>> = vec![Vec::new(); 7];
    for (index, event) in events.iter().enumerate() {
        if event.is_someday || is_all_day(event) {
            continue;
        }
        let (EventDate::Timed(start), EventDate::Timed(end)) = (event.start_date, event.end_date)
        else {
            continue;
        };
        let start = zone.to_local(start.to_utc());
        let end = zone.to_local(end.to_utc());
        if end <= start {
            continue;
        }
        for (day_index, day) in days.iter().enumerate() {
            let day_start = day.and_time(NaiveTime::MIN);
            let day_end = day_start + Duration::days(1);
            if start >= day_end || end <= day_start {
                continue;
            }
            let from = (start.max(day_start) - day_start).num_minutes();
            let to = (end.min(day_end) - day_start).num_minutes();
            per_day[day_index].push(TimedBlock {
                event: index,
                day: day_index,
                start: from,
                // At least 15 minutes tall, so that a very short event stays clickable.
                end: to.max(from + 15).min(DAY_MINUTES),
                column: 0,
                columns: 1,
            });
        }
    }
    per_day
        .into_iter()
        .flat_map(|mut blocks| {
            assign_columns(&mut blocks);
            blocks
        })
        .collect()
}

/// Sorts `items` stably by `cmp`: an insertion sort, for the short lists of the app (a day's events, a
/// someday list). The standard library's sort adds about 4 KB of WebAssembly per element type to the
/// download; this one a few hundred bytes, and it is linear on the nearly sorted lists the server sends.
pub fn sort_stable<T>(items: &mut [T], mut cmp: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    for i in 1..items.len() {
        let mut j = i;
        while j > 0 && cmp(&items[j], &items[j - 1]).is_lt() {
            items.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// Places overlapping blocks side by side: blocks are grouped into clusters of (transitively)
/// overlapping ones; in a cluster each block takes the first column that is free at its start.
fn assign_columns(blocks: &mut [TimedBlock]) {
    sort_stable(blocks, |a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut cluster_start = 0;
    let mut cluster_end = i64::MIN;
    let mut column_ends: Vec<i64> = Vec::new();
    for i in 0..blocks.len() {
        if blocks[i].start >= cluster_end {
            finish_cluster(&mut blocks[cluster_start..i], column_ends.len());
            cluster_start = i;
            column_ends.clear();
        }
        let column = match column_ends.iter().position(|&end| end <= blocks[i].start) {
            Some(free) => free,
            None => {
                column_ends.push(i64::MIN);
                column_ends.len() - 1
            }
        };
        column_ends[column] = blocks[i].end;
        blocks[i].column = column;
        cluster_end = cluster_end.max(blocks[i].end);
    }
    let len = blocks.len();
    finish_cluster(&mut blocks[cluster_start..len], column_ends.len());
}

fn finish_cluster(blocks: &mut [TimedBlock], columns: usize) {
    for block in blocks {
        block.columns = columns.max(1);
    }
}

/// The all-day row spans of `events` on the seven `days` (end days are exclusive on the wire).
pub fn all_day_blocks(events: &[Event], days: &[NaiveDate; 7]) -> Vec<AllDayBlock> {
    let mut blocks = Vec::new();
    for (index, event) in events.iter().enumerate() {
        if event.is_someday || !is_all_day(event) {
            continue;
        }
        let (EventDate::Day(start), EventDate::Day(end)) = (event.start_date, event.end_date)
        else {
            continue;
        };
        let covered: Vec<usize> = days
            .iter()
            .enumerate()
            .filter(|(_, day)| **day >= start && **day < end.max(start + Duration::days(1)))
            .map(|(i, _)| i)
            .collect();
        if let (Some(first), Some(last)) = (covered.first(), covered.last()) {
            blocks.push(AllDayBlock {
                event: index,
                first: *first,
                last: *last,
            });
        }
    }
    blocks
}

/// Which someday list an event belongs to: spans longer than a week are month events (reference rule).
pub fn is_month_someday(event: &Event) -> bool {
    match (event.start_date, event.end_date) {
        (EventDate::Day(start), EventDate::Day(end)) => (end - start).num_days() > 7,
        (start, end) => (end.start_instant_utc() - start.start_instant_utc()).num_days() > 7,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::FixedOffset;

    fn event(id: u8, start: &str, end: &str) -> Event {
        serde_json::from_value(serde_json::json!({
            "_id": format!("6750a1b2c3d4e5f6012345{id:02x}"),
            "user": "6750a0000000000000000001",
            "title": format!("e{id}"),
            "startDate": start,
            "endDate": end,
            "isAllDay": start.len() == 10,
            "origin": "compass",
            "priority": "work",
        }))
        .unwrap()
    }

    fn week() -> [NaiveDate; 7] {
        crate::time::week_days(NaiveDate::from_ymd_opt(2025, 1, 5).unwrap())
    }

    #[test]
    fn timed_events_are_drawn_in_the_users_zone() {
        let events = [event(1, "2025-01-06T15:00:00Z", "2025-01-06T16:30:00Z")];
        let chicago = Zone::Fixed(FixedOffset::west_opt(6 * 3600).unwrap());
        let blocks = timed_blocks(&events, &week(), chicago);
        assert_eq!(blocks.len(), 1);
        assert_eq!(
            (blocks[0].day, blocks[0].start, blocks[0].end),
            (1, 9 * 60, 10 * 60 + 30)
        );
    }

    #[test]
    fn an_event_over_midnight_is_cut_into_two_days() {
        let events = [event(1, "2025-01-06T22:00:00Z", "2025-01-07T02:00:00Z")];
        let blocks = timed_blocks(&events, &week(), Zone::utc());
        let parts: Vec<_> = blocks.iter().map(|b| (b.day, b.start, b.end)).collect();
        assert_eq!(parts, [(1, 22 * 60, DAY_MINUTES), (2, 0, 120)]);
    }

    #[test]
    fn overlapping_events_sit_side_by_side() {
        let events = [
            event(1, "2025-01-06T09:00:00Z", "2025-01-06T10:00:00Z"),
            event(2, "2025-01-06T09:30:00Z", "2025-01-06T11:00:00Z"),
            event(3, "2025-01-06T10:00:00Z", "2025-01-06T10:30:00Z"),
            event(4, "2025-01-06T12:00:00Z", "2025-01-06T13:00:00Z"),
        ];
        let blocks = timed_blocks(&events, &week(), Zone::utc());
        let by_event = |i: usize| blocks.iter().find(|b| b.event == i).unwrap().clone();
        assert_eq!((by_event(0).column, by_event(0).columns), (0, 2));
        assert_eq!((by_event(1).column, by_event(1).columns), (1, 2));
        // 10:00 starts when the first ends: it reuses column 0.
        assert_eq!((by_event(2).column, by_event(2).columns), (0, 2));
        assert_eq!((by_event(3).column, by_event(3).columns), (0, 1));
    }

    #[test]
    fn all_day_events_span_their_days_with_an_exclusive_end() {
        let events = [
            event(1, "2025-01-06", "2025-01-09"),
            event(2, "2024-12-30", "2025-01-06"),
            event(3, "2025-01-11", "2025-01-20"),
            event(4, "2025-01-12", "2025-01-13"),
        ];
        let blocks = all_day_blocks(&events, &week());
        let spans: Vec<_> = blocks.iter().map(|b| (b.event, b.first, b.last)).collect();
        assert_eq!(spans, [(0, 1, 3), (1, 0, 0), (2, 6, 6)]);
    }

    #[test]
    fn someday_buckets() {
        assert!(!is_month_someday(&event(1, "2025-01-05", "2025-01-11")));
        assert!(is_month_someday(&event(2, "2025-01-01", "2025-02-01")));
    }

    #[test]
    fn sort_stable_keeps_equal_items_in_order() {
        let mut items = vec![(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        let mut expected = items.clone();
        expected.sort_by_key(|i| i.0);
        sort_stable(&mut items, |a, b| a.0.cmp(&b.0));
        assert_eq!(items, expected);
        let mut empty: Vec<u8> = Vec::new();
        sort_stable(&mut empty, u8::cmp);
        assert!(empty.is_empty());
    }
}
