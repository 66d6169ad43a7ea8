//! Where a This and Following change cuts a series: at the occurrence the targeted instance stands for
//! (its *slot*), or at its start when it was moved earlier than that (pure, no I/O).
//!
//! An instance moved with This Event keeps its place in the series — Google keeps it as an exception of its
//! original occurrence — while its start changes. Cutting before the new start of an instance moved later
//! would keep its own occurrence in the rule: Compass would hold no event there, and Google would show the
//! occurrence again (the exception, or the plain occurrence once the exception is gone). The slot is read from
//! the instance's Google id (`<series>_<YYYYMMDDTHHMMSSZ>` / `_<YYYYMMDD>`, exact) when Google knows it; else it
//! is the occurrence of the rule that no other instance holds, nearest to the instance's start.

use chrono::{NaiveDate, NaiveDateTime, TimeZone as _, Utc};

use super::model::EventRecord;
use super::recurrence::{expand, SeriesStart};

/// The start a This and Following change of `target` cuts `base` at: the earlier of its slot and its start.
pub fn split_of(
    base: &EventRecord,
    instances: &[EventRecord],
    target: &EventRecord,
) -> SeriesStart {
    let start = target.series_start();
    let slot = slot_of(base, instances, target);
    if slot.instant() < start.instant() {
        slot
    } else {
        start
    }
}

/// The occurrence of `base` that `target` stands for (see the module docs).
pub fn slot_of(base: &EventRecord, instances: &[EventRecord], target: &EventRecord) -> SeriesStart {
    let start = target.series_start();
    if let Some(slot) = google_slot(base, target, start) {
        return slot;
    }
    let rule = base.rule().unwrap_or_default();
    let Ok(occurrences) = expand(rule, base.series_start(), base.time_zone) else {
        return start;
    };
    if occurrences.iter().any(|o| o.instant() == start.instant()) {
        return start;
    }
    let held: Vec<_> = instances
        .iter()
        .filter(|i| i.id != target.id)
        .map(|i| i.series_start().instant())
        .collect();
    occurrences
        .into_iter()
        .filter(|o| !held.contains(&o.instant()))
        .min_by_key(|o| (o.instant() - start.instant()).num_seconds().abs())
        .unwrap_or(start)
}

/// The slot named by the instance's Google id, when it is `<the base's Google id>_<suffix>`; in the form of
/// `like` (a day for an all-day series).
fn google_slot(base: &EventRecord, target: &EventRecord, like: SeriesStart) -> Option<SeriesStart> {
    let series = base.g_event_id.as_ref()?;
    let suffix = target
        .g_event_id
        .as_ref()?
        .as_str()
        .strip_prefix(series.as_str())?
        .strip_prefix('_')?;
    match like {
        SeriesStart::Day(_) => NaiveDate::parse_from_str(suffix, "%Y%m%d")
            .ok()
            .map(SeriesStart::Day),
        SeriesStart::Timed(_) => NaiveDateTime::parse_from_str(suffix, "%Y%m%dT%H%M%SZ")
            .ok()
            .map(|at| SeriesStart::Timed(Utc.from_utc_datetime(&at).fixed_offset())),
    }
}
