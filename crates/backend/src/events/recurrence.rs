//! Recurrence expansion: turns a series' rule lines and start into the starts of its materialised
//! instances, and rewrites a rule's end (`UNTIL`) when a series is split.
//!
//! Expansion uses the `rrule` crate. Time zones: the wire carries no IANA zone, only the UTC offset of
//! the series start, so occurrences are generated in the **wall-clock time of that offset** (a series
//! started at `09:00-06:00` recurs at `09:00-06:00`; it does not follow DST). This is done by expanding
//! the wall-clock time as if it were UTC and re-attaching the offset, which is exact for a fixed offset.
//! All-day series expand over calendar days. `UNTIL` values with `Z` are instants (converted to the
//! series offset); floating `UNTIL` values are read as UTC (as the reference does); a date-only `UNTIL`
//! includes the whole day. `DTSTART` is always the first occurrence (RFC 5545) unless an `EXDATE`
//! removes it, and at most
//! [`MAX_INSTANCES`] occurrences are materialised (the documented horizon).

use std::str::FromStr;

use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use rrule::{RRule, RRuleSet, Tz, Unvalidated};

/// Most instances materialised for one series (the reference's cap; infinite rules stop here).
pub const MAX_INSTANCES: u16 = 730;

/// The start of a series or of one of its occurrences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SeriesStart {
    /// An all-day series: calendar days.
    Day(NaiveDate),
    /// A timed series: instants in a fixed offset.
    Timed(DateTime<FixedOffset>),
}

impl SeriesStart {
    /// The UTC offset occurrences are generated in (UTC for days).
    fn offset(&self) -> FixedOffset {
        match self {
            SeriesStart::Day(_) => Utc.fix(),
            SeriesStart::Timed(dt) => *dt.offset(),
        }
    }

    /// The wall-clock date-time of this start (midnight for a day).
    fn wall_clock(&self) -> NaiveDateTime {
        match self {
            SeriesStart::Day(day) => day.and_time(NaiveTime::MIN),
            SeriesStart::Timed(dt) => dt.naive_local(),
        }
    }

    /// The instant this start begins at (a day begins at 00:00 UTC).
    pub fn instant(&self) -> DateTime<Utc> {
        match self {
            SeriesStart::Day(day) => day.and_time(NaiveTime::MIN).and_utc(),
            SeriesStart::Timed(dt) => dt.with_timezone(&Utc),
        }
    }
}

/// Why a rule cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    /// The rules has no `RRULE` line.
    #[error("must contain an RRULE line")]
    NoRule,
    /// One line cannot be used with this start.
    #[error("line {line}: {message}")]
    Invalid {
        /// Index of the line (0-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// Expands `lines` from `start` into the starts of the series' occurrences, in order, at most
/// [`MAX_INSTANCES`], always beginning with `start` itself.
pub fn expand(lines: &[String], start: SeriesStart) -> Result<Vec<SeriesStart>, RecurrenceError> {
    let offset = start.offset();
    let is_day = matches!(start, SeriesStart::Day(_));
    let dt_start = pseudo_utc(start.wall_clock());
    let mut set = RRuleSet::new(dt_start);
    let mut has_rule = false;
    let mut until_before_start = false;
    let mut excluded: Vec<NaiveDateTime> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let invalid = |message: String| RecurrenceError::Invalid {
            line: index,
            message,
        };
        if let Some(parts) = line.strip_prefix("RRULE:") {
            match build_rule(parts, dt_start, offset, is_day).map_err(invalid)? {
                Some(rule) => set = set.rrule(rule),
                None => until_before_start = true,
            }
            has_rule = true;
        } else if let Some(parts) = line.strip_prefix("EXRULE:") {
            if let Some(rule) = build_rule(parts, dt_start, offset, is_day).map_err(invalid)? {
                set = set.exrule(rule);
            }
        } else if let Some(rest) = line.strip_prefix("RDATE") {
            for date in date_list(rest, start, offset).map_err(invalid)? {
                set = set.rdate(date);
            }
        } else if let Some(rest) = line.strip_prefix("EXDATE") {
            for date in date_list(rest, start, offset).map_err(invalid)? {
                excluded.push(date.naive_utc());
                set = set.exdate(date);
            }
        } else {
            return Err(invalid(
                "must start with RRULE:, EXRULE:, RDATE or EXDATE".into(),
            ));
        }
    }
    if !has_rule {
        return Err(RecurrenceError::NoRule);
    }
    let generated = if until_before_start && set.get_rrule().is_empty() {
        Vec::new()
    } else {
        set.all(MAX_INSTANCES).dates
    };
    let mut walls: Vec<NaiveDateTime> = generated.iter().map(|d| d.naive_utc()).collect();
    let first = start.wall_clock();
    if walls.first() != Some(&first) && !excluded.contains(&first) {
        walls.retain(|w| *w != first);
        walls.insert(0, first);
    }
    walls.truncate(usize::from(MAX_INSTANCES));
    Ok(walls
        .into_iter()
        .map(|wall| {
            if is_day {
                SeriesStart::Day(wall.date())
            } else {
                SeriesStart::Timed(DateTime::from_naive_utc_and_offset(
                    wall - Duration::seconds(i64::from(offset.local_minus_utc())),
                    offset,
                ))
            }
        })
        .collect())
}

/// Reads a wall-clock date-time as a UTC `rrule` date-time (see the module comment).
fn pseudo_utc(wall: NaiveDateTime) -> DateTime<Tz> {
    Tz::UTC.from_utc_datetime(&wall)
}

/// Builds one validated `RRULE`/`EXRULE` from its parts; `None` when its `UNTIL` is before the start
/// (then only the start itself occurs).
fn build_rule(
    parts: &str,
    dt_start: DateTime<Tz>,
    offset: FixedOffset,
    is_day: bool,
) -> Result<Option<RRule>, String> {
    let mut until = None;
    let mut kept = Vec::new();
    for part in parts.split(';') {
        match part.split_once('=') {
            Some(("UNTIL", value)) => until = Some(until_wall_clock(value, offset, is_day)?),
            _ => kept.push(part),
        }
    }
    let mut rule = RRule::<Unvalidated>::from_str(&kept.join(";"))
        .map_err(|e| format!("not a valid rule: {e}"))?;
    if let Some(until) = until {
        let until = pseudo_utc(until);
        if until < dt_start {
            return Ok(None);
        }
        rule = rule.until(until);
    }
    rule.validate(dt_start)
        .map(Some)
        .map_err(|e| format!("not a valid rule for this start: {e}"))
}

/// The wall-clock (series offset) time an `UNTIL` value stands for.
fn until_wall_clock(
    value: &str,
    offset: FixedOffset,
    is_day: bool,
) -> Result<NaiveDateTime, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
        return Ok(day.and_time(end_of_day));
    }
    let bare = value.strip_suffix('Z').unwrap_or(value);
    let utc = NaiveDateTime::parse_from_str(bare, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("invalid UNTIL value {value:?}"))?;
    if is_day {
        // An all-day series ends on the UTC day of UNTIL (Google writes all-day UNTIL as a UTC instant).
        let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
        return Ok(utc.date().and_time(end_of_day));
    }
    Ok(utc + Duration::seconds(i64::from(offset.local_minus_utc())))
}

/// Parses the `[;PARAMS]:v1,v2` rest of an `RDATE`/`EXDATE` line into `rrule` date-times.
fn date_list(
    rest: &str,
    start: SeriesStart,
    offset: FixedOffset,
) -> Result<Vec<DateTime<Tz>>, String> {
    let (params, values) = rest
        .rsplit_once(':')
        .ok_or_else(|| "a date list needs ':' before its values".to_owned())?;
    let zone = params
        .split(';')
        .filter_map(|p| p.strip_prefix("TZID="))
        .next()
        .map(|name| chrono_tz::Tz::from_str(name).map_err(|_| format!("unknown TZID {name:?}")))
        .transpose()?;
    values
        .split(',')
        .map(|value| {
            let wall = date_list_value(value, start, offset, zone)?;
            Ok(pseudo_utc(wall))
        })
        .collect()
}

/// One `RDATE`/`EXDATE` value as series wall-clock time.
fn date_list_value(
    value: &str,
    start: SeriesStart,
    offset: FixedOffset,
    zone: Option<chrono_tz::Tz>,
) -> Result<NaiveDateTime, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        // A date names the occurrence on that day at the series' time of day.
        return Ok(day.and_time(start.wall_clock().time()));
    }
    let invalid = || format!("invalid date value {value:?}");
    let (bare, zulu) = match value.strip_suffix('Z') {
        Some(bare) => (bare, true),
        None => (value, false),
    };
    let naive = NaiveDateTime::parse_from_str(bare, "%Y%m%dT%H%M%S").map_err(|_| invalid())?;
    let instant = if zulu {
        naive.and_utc()
    } else if let Some(zone) = zone {
        zone.from_local_datetime(&naive)
            .earliest()
            .ok_or_else(invalid)?
            .with_timezone(&Utc)
    } else {
        // Floating: already series wall-clock time.
        return Ok(naive);
    };
    Ok(instant.with_timezone(&offset).naive_local())
}

/// The rule with every `RRULE` line's end replaced by `UNTIL=<until>` (any `COUNT` removed).
/// `until` is written as `YYYYMMDD` for all-day series and `YYYYMMDDTHHMMSSZ` otherwise.
pub fn with_until(lines: &[String], until: SeriesStart) -> Vec<String> {
    let value = match until {
        SeriesStart::Day(day) => day.format("%Y%m%d").to_string(),
        SeriesStart::Timed(dt) => dt.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string(),
    };
    lines
        .iter()
        .map(|line| match line.strip_prefix("RRULE:") {
            Some(parts) => {
                let mut kept: Vec<&str> = parts
                    .split(';')
                    .filter(|p| !p.starts_with("UNTIL=") && !p.starts_with("COUNT="))
                    .collect();
                let until_part = format!("UNTIL={value}");
                kept.push(&until_part);
                format!("RRULE:{}", kept.join(";"))
            }
            None => line.clone(),
        })
        .collect()
}

/// The rule with the occurrence at `at` excluded: its value is appended to the rule's `EXDATE` line of
/// the same form (`EXDATE;VALUE=DATE:` for all-day series, `EXDATE:` with UTC date-times otherwise), or a
/// new line when there is none with room left.
pub fn with_exdate(lines: &[String], at: SeriesStart) -> Vec<String> {
    let (prefix, value) = match at {
        SeriesStart::Day(day) => ("EXDATE;VALUE=DATE:", day.format("%Y%m%d").to_string()),
        SeriesStart::Timed(dt) => (
            "EXDATE:",
            dt.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ").to_string(),
        ),
    };
    let mut out = lines.to_vec();
    let room =
        |line: &String| line.len() + value.len() < compass_core::recurrence_rule::MAX_RULE_LINE_LEN;
    match out.iter_mut().find(|l| l.starts_with(prefix) && room(l)) {
        Some(line) => {
            line.push(',');
            line.push_str(&value);
        }
        None => out.push(format!("{prefix}{value}")),
    }
    out
}

/// True when the rule has an end (`COUNT` or `UNTIL` on every `RRULE` line).
pub fn is_bounded(lines: &[String]) -> bool {
    let mut rules = lines
        .iter()
        .filter_map(|l| l.strip_prefix("RRULE:"))
        .peekable();
    rules.peek().is_some()
        && rules.all(|parts| {
            parts
                .split(';')
                .any(|p| p.starts_with("UNTIL=") || p.starts_with("COUNT="))
        })
}

/// The last moment of the series part that comes before `split`: the day before for all-day series,
/// one second before for timed ones. Used as the `UNTIL` of a series cut at `split`.
pub fn until_before(split: SeriesStart) -> SeriesStart {
    match split {
        SeriesStart::Day(day) => SeriesStart::Day(day.pred_opt().unwrap_or(day)),
        SeriesStart::Timed(dt) => SeriesStart::Timed(dt - Duration::seconds(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(s: &str) -> SeriesStart {
        SeriesStart::Timed(DateTime::parse_from_rfc3339(s).unwrap())
    }

    fn day(s: &str) -> SeriesStart {
        SeriesStart::Day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    }

    fn rule(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    fn wire(starts: &[SeriesStart]) -> Vec<String> {
        starts
            .iter()
            .map(|s| match s {
                SeriesStart::Day(d) => d.to_string(),
                SeriesStart::Timed(t) => t.to_rfc3339(),
            })
            .collect()
    }

    #[test]
    fn weekly_count_keeps_the_start_offset() {
        let starts = expand(
            &rule(&["RRULE:FREQ=WEEKLY;COUNT=3"]),
            timed("2025-01-06T09:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(
            wire(&starts),
            [
                "2025-01-06T09:00:00-06:00",
                "2025-01-13T09:00:00-06:00",
                "2025-01-20T09:00:00-06:00"
            ]
        );
    }

    #[test]
    fn late_evening_in_a_negative_offset_stays_on_its_local_weekday() {
        // 22:00-06:00 on Monday is Tuesday 04:00 UTC; BYDAY=MO must still mean the local Monday.
        let starts = expand(
            &rule(&["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]),
            timed("2025-01-06T22:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(
            wire(&starts),
            ["2025-01-06T22:00:00-06:00", "2025-01-13T22:00:00-06:00"]
        );
    }

    #[test]
    fn all_day_daily_until_includes_the_until_day() {
        let starts = expand(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20250103"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-02", "2025-01-03"]);
    }

    #[test]
    fn until_with_z_is_an_instant() {
        // 15:00Z is 09:00-06:00: the 3rd occurrence is exactly at UNTIL and included.
        let starts = expand(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20250108T150000Z"]),
            timed("2025-01-06T09:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn infinite_rules_stop_at_the_horizon() {
        let starts = expand(&rule(&["RRULE:FREQ=DAILY"]), day("2025-01-01")).unwrap();
        assert_eq!(starts.len(), usize::from(MAX_INSTANCES));
        assert_eq!(starts[729], day("2026-12-31"));
    }

    #[test]
    fn start_is_always_the_first_occurrence() {
        // Wednesday start with a Monday-only rule: Wednesday, then Mondays.
        let starts = expand(
            &rule(&["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-06", "2025-01-13"]);
    }

    #[test]
    fn exdate_removes_and_rdate_adds() {
        let starts = expand(
            &rule(&[
                "RRULE:FREQ=DAILY;COUNT=3",
                "EXDATE;VALUE=DATE:20250102",
                "RDATE;VALUE=DATE:20250110",
            ]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-03", "2025-01-10"]);
        let with_zone = expand(
            &rule(&[
                "RRULE:FREQ=DAILY;COUNT=3",
                "EXDATE;TZID=America/Chicago:20250107T090000",
            ]),
            timed("2025-01-06T09:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(
            wire(&with_zone),
            ["2025-01-06T09:00:00-06:00", "2025-01-08T09:00:00-06:00"]
        );
    }

    #[test]
    fn until_before_start_leaves_only_the_start() {
        let starts = expand(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20240101"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01"]);
    }

    #[test]
    fn bad_rules_are_errors_not_panics() {
        assert_eq!(
            expand(&rule(&["EXDATE:20250101"]), day("2025-01-01")),
            Err(RecurrenceError::NoRule)
        );
        assert!(expand(&rule(&["RRULE:FREQ=NEVER"]), day("2025-01-01")).is_err());
        assert!(expand(&rule(&["DTSTART:20250101"]), day("2025-01-01")).is_err());
        assert!(expand(
            &rule(&["RRULE:FREQ=DAILY", "EXDATE;TZID=Mars/Base:20250101T000000"]),
            day("2025-01-01")
        )
        .is_err());
    }

    #[test]
    fn impossible_rules_yield_only_the_start() {
        let starts = expand(
            &rule(&["RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01"]);
    }

    #[test]
    fn with_until_replaces_count_and_until() {
        let lines = rule(&["RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=MO", "EXDATE:20250101"]);
        assert_eq!(
            with_until(&lines, timed("2025-01-06T08:59:59-06:00")),
            [
                "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20250106T145959Z",
                "EXDATE:20250101"
            ]
        );
        assert_eq!(
            with_until(
                &rule(&["RRULE:FREQ=DAILY;UNTIL=20300101"]),
                day("2025-01-05")
            ),
            ["RRULE:FREQ=DAILY;UNTIL=20250105"]
        );
        assert!(is_bounded(&rule(&["RRULE:FREQ=DAILY;COUNT=2"])));
        assert!(!is_bounded(&rule(&["RRULE:FREQ=DAILY"])));
    }

    #[test]
    fn with_exdate_excludes_occurrences_including_the_start() {
        let start = timed("2025-01-06T09:00:00-06:00");
        let lines = rule(&["RRULE:FREQ=DAILY;COUNT=4"]);
        let all = expand(&lines, start).unwrap();
        let one = with_exdate(&lines, all[2]);
        assert_eq!(one, ["RRULE:FREQ=DAILY;COUNT=4", "EXDATE:20250108T150000Z"]);
        let two = with_exdate(&one, all[0]);
        assert_eq!(two[1], "EXDATE:20250108T150000Z,20250106T150000Z");
        assert_eq!(expand(&two, start).unwrap(), [all[1], all[3]]);
        let days = rule(&["RRULE:FREQ=DAILY;COUNT=3"]);
        let cut = with_exdate(&days, day("2025-01-02"));
        assert_eq!(cut[1], "EXDATE;VALUE=DATE:20250102");
        assert_eq!(
            wire(&expand(&cut, day("2025-01-01")).unwrap()),
            ["2025-01-01", "2025-01-03"]
        );
    }

    #[test]
    fn a_split_series_keeps_exactly_the_earlier_occurrences() {
        let start = timed("2025-01-06T09:00:00-06:00");
        let lines = rule(&["RRULE:FREQ=DAILY;COUNT=5"]);
        let all = expand(&lines, start).unwrap();
        let cut = with_until(&lines, until_before(all[2]));
        assert_eq!(expand(&cut, start).unwrap(), all[..2].to_vec());
        let days = rule(&["RRULE:FREQ=DAILY;COUNT=5"]);
        let all_days = expand(&days, day("2025-01-01")).unwrap();
        let cut_days = with_until(&days, until_before(all_days[3]));
        assert_eq!(
            expand(&cut_days, day("2025-01-01")).unwrap(),
            all_days[..3].to_vec()
        );
    }
}
