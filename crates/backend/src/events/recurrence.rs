//! Recurrence expansion: turns a series' rule lines, start and time zone into the starts of its
//! materialised instances, and rewrites a rule's end (`UNTIL`) or exclusions (`EXDATE`) when a series is
//! split or one occurrence goes.
//!
//! **Clock.** A timed series recurs at the same wall-clock time in its clock: the event's IANA zone
//! (`timeZone`, a `chrono_tz::Tz`) when it has one, else the fixed UTC offset of its start (a series
//! started at `09:00-06:00` without a zone stays at `09:00-06:00` and does not follow DST — what
//! clients that send no zone get). With a zone, a weekly `09:00` series in `America/Chicago` stays at
//! `09:00` local across the DST changes, and each occurrence carries that date's offset (`-06:00` in
//! winter, `-05:00` in summer), as Google expands it.
//!
//! **How.** The `rrule` crate expands the wall-clock times (read as UTC, which has no gaps, so `BYDAY`
//! etc. mean the local weekday); each wall-clock time is then resolved in the clock here, following
//! RFC 5545 §3.3.5/§3.3.10 and Google: a time that does not exist (the spring-forward gap) moves forward
//! by the length of the gap (`02:30` → `03:30` new offset); an ambiguous one (the fall-back overlap) takes
//! its first occurrence (the earlier instant). (`rrule`'s own `Tz` expansion resolves gaps through local
//! midnight, which drops occurrences in zones whose DST change is at midnight.) The series start itself is
//! kept as the exact instant it was written, re-expressed in the zone's offset.
//!
//! **Bounds and exclusions.** All-day series expand over calendar days (no clock). `UNTIL` values with `Z`
//! are instants (an occurrence after that instant is dropped, also when a gap moved it there); floating
//! `UNTIL` values are read as UTC (as the reference does); a date-only `UNTIL` includes the whole day.
//! `EXDATE` values with `Z` or `TZID=` are instants and remove the occurrence at that instant; floating
//! ones name a wall-clock time and date-only ones that day at the series' time of day. `DTSTART` is
//! always the first occurrence (RFC 5545) unless an `EXDATE` removes it, and at most [`MAX_INSTANCES`]
//! occurrences are materialised (the documented horizon).

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
    /// A timed series: an instant, written with an offset (equality and order compare instants).
    Timed(DateTime<FixedOffset>),
}

impl SeriesStart {
    /// The instant this start begins at (a day begins at 00:00 UTC).
    pub fn instant(&self) -> DateTime<Utc> {
        match self {
            SeriesStart::Day(day) => day.and_time(NaiveTime::MIN).and_utc(),
            SeriesStart::Timed(dt) => dt.with_timezone(&Utc),
        }
    }
}

/// The clock a series recurs in: wall-clock times and the instants they stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clock {
    /// A fixed UTC offset (timed series without a zone; UTC for all-day series).
    Fixed(FixedOffset),
    /// An IANA zone.
    Zone(chrono_tz::Tz),
}

impl Clock {
    /// The clock of a series starting at `start` with `zone`.
    fn of(start: SeriesStart, zone: Option<chrono_tz::Tz>) -> Clock {
        match (start, zone) {
            (SeriesStart::Day(_), _) => Clock::Fixed(Utc.fix()),
            (SeriesStart::Timed(dt), None) => Clock::Fixed(*dt.offset()),
            (SeriesStart::Timed(_), Some(zone)) => Clock::Zone(zone),
        }
    }

    /// The wall-clock time of an instant.
    fn wall(self, instant: DateTime<Utc>) -> NaiveDateTime {
        match self {
            Clock::Fixed(offset) => instant.with_timezone(&offset).naive_local(),
            Clock::Zone(zone) => instant.with_timezone(&zone).naive_local(),
        }
    }

    /// The instant a wall-clock time stands for, with the clock's offset at that instant: a time in a
    /// gap moves forward by the gap's length, an ambiguous time takes its first occurrence.
    fn at(self, wall: NaiveDateTime) -> DateTime<FixedOffset> {
        match self {
            Clock::Fixed(offset) => {
                DateTime::from_naive_utc_and_offset(wall - offset_duration(offset), offset)
            }
            Clock::Zone(zone) => {
                let resolved = zone
                    .from_local_datetime(&wall)
                    .earliest()
                    .unwrap_or_else(|| {
                        // In a gap: read the wall-clock time with the offset in force before the gap.
                        let before = wall.checked_sub_signed(Duration::days(1)).unwrap_or(wall);
                        let offset = zone.offset_from_utc_datetime(&before).fix();
                        zone.from_utc_datetime(&(wall - offset_duration(offset)))
                    });
                resolved.fixed_offset()
            }
        }
    }

    /// `instant` written with the clock's offset at that instant.
    fn express(self, instant: DateTime<Utc>) -> DateTime<FixedOffset> {
        match self {
            Clock::Fixed(offset) => instant.with_timezone(&offset),
            Clock::Zone(zone) => instant.with_timezone(&zone).fixed_offset(),
        }
    }
}

/// An offset as a duration (local minus UTC).
fn offset_duration(offset: FixedOffset) -> Duration {
    Duration::seconds(i64::from(offset.local_minus_utc()))
}

/// `instant` written with `zone`'s offset at that instant (or as it is without a zone): how instance
/// dates of a series in `zone` are written.
pub fn in_zone(
    instant: DateTime<FixedOffset>,
    zone: Option<chrono_tz::Tz>,
) -> DateTime<FixedOffset> {
    match zone {
        Some(zone) => instant.with_timezone(&zone).fixed_offset(),
        None => instant,
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

/// One value of an `RDATE`/`EXDATE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateValue {
    /// A wall-clock time in the series' clock (floating and date-only values).
    Wall(NaiveDateTime),
    /// An instant (`Z` or `TZID=` values).
    Instant(DateTime<Utc>),
}

/// One `RRULE`/`EXRULE` line ready for `rrule`.
enum BuiltRule {
    /// A rule, with the instant of its `UNTIL` when that was an instant.
    Rule(Box<RRule>, Option<DateTime<Utc>>),
    /// Its `UNTIL` is before the start: only the start itself occurs.
    EndsBeforeStart,
}

/// Expands `lines` from `start` in `zone` (see the module docs for the clock) into the starts of the
/// series' occurrences, in order, at most [`MAX_INSTANCES`], always beginning with `start` itself.
pub fn expand(
    lines: &[String],
    start: SeriesStart,
    zone: Option<chrono_tz::Tz>,
) -> Result<Vec<SeriesStart>, RecurrenceError> {
    let clock = Clock::of(start, zone);
    let is_day = matches!(start, SeriesStart::Day(_));
    let first = clock.wall(start.instant());
    let dt_start = pseudo_utc(first);
    let mut set = RRuleSet::new(dt_start);
    let mut has_rule = false;
    let mut until_before_start = false;
    // The latest `UNTIL` instant over the RRULE lines, when every line has one.
    let mut until: Option<Option<DateTime<Utc>>> = None;
    let mut excluded: Vec<DateValue> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let invalid = |message: String| RecurrenceError::Invalid {
            line: index,
            message,
        };
        if let Some(parts) = line.strip_prefix("RRULE:") {
            match build_rule(parts, dt_start, clock, is_day).map_err(invalid)? {
                BuiltRule::Rule(rule, rule_until) => {
                    set = set.rrule(*rule);
                    until = Some(match (until, rule_until) {
                        (None, bound) => bound,
                        (Some(Some(a)), Some(b)) => Some(a.max(b)),
                        _ => None,
                    });
                }
                BuiltRule::EndsBeforeStart => until_before_start = true,
            }
            has_rule = true;
        } else if let Some(parts) = line.strip_prefix("EXRULE:") {
            if let BuiltRule::Rule(rule, _) =
                build_rule(parts, dt_start, clock, is_day).map_err(invalid)?
            {
                set = set.exrule(*rule);
            }
        } else if let Some(rest) = line.strip_prefix("RDATE") {
            for date in date_list(rest, first).map_err(invalid)? {
                let wall = match date {
                    DateValue::Wall(wall) => wall,
                    DateValue::Instant(instant) => clock.wall(instant),
                };
                set = set.rdate(pseudo_utc(wall));
            }
        } else if let Some(rest) = line.strip_prefix("EXDATE") {
            excluded.extend(date_list(rest, first).map_err(invalid)?);
        } else {
            return Err(invalid(
                "must start with RRULE:, EXRULE:, RDATE or EXDATE".into(),
            ));
        }
    }
    if !has_rule {
        return Err(RecurrenceError::NoRule);
    }
    let is_excluded = |wall: NaiveDateTime, instant: DateTime<Utc>| {
        excluded.iter().any(|value| match value {
            DateValue::Wall(w) => *w == wall,
            DateValue::Instant(i) => *i == instant,
        })
    };
    // Exclusions are applied after resolution, so ask for enough occurrences to fill the cap.
    let limit = u16::try_from(usize::from(MAX_INSTANCES) + excluded.len()).unwrap_or(u16::MAX);
    let generated = if until_before_start && set.get_rrule().is_empty() {
        Vec::new()
    } else {
        set.all(limit).dates
    };
    let first_at = clock.express(start.instant());
    let at = |wall: NaiveDateTime| -> SeriesStart {
        if is_day {
            SeriesStart::Day(wall.date())
        } else if wall == first {
            SeriesStart::Timed(first_at)
        } else {
            SeriesStart::Timed(clock.at(wall))
        }
    };
    let mut out: Vec<SeriesStart> = Vec::with_capacity(generated.len() + 1);
    if !is_excluded(first, start.instant()) {
        out.push(at(first));
    }
    let mut rest: Vec<SeriesStart> = generated
        .iter()
        .map(|d| d.naive_utc())
        .filter(|wall| *wall != first)
        .map(|wall| (wall, at(wall)))
        .filter(|(wall, s)| !is_excluded(*wall, s.instant()))
        .filter(|(_, s)| is_day || until.flatten().is_none_or(|u| s.instant() <= u))
        .map(|(_, s)| s)
        .collect();
    // A gap can move an occurrence past a later one (sub-daily rules): keep them in order, once.
    rest.sort();
    rest.dedup();
    let head = out.first().copied();
    out.extend(rest.into_iter().filter(|s| Some(*s) != head));
    out.truncate(usize::from(MAX_INSTANCES));
    Ok(out)
}

/// Reads a wall-clock date-time as a UTC `rrule` date-time (see the module comment).
fn pseudo_utc(wall: NaiveDateTime) -> DateTime<Tz> {
    Tz::UTC.from_utc_datetime(&wall)
}

/// Builds one validated `RRULE`/`EXRULE` from its parts.
fn build_rule(
    parts: &str,
    dt_start: DateTime<Tz>,
    clock: Clock,
    is_day: bool,
) -> Result<BuiltRule, String> {
    let mut until = None;
    let mut kept = Vec::new();
    for part in parts.split(';') {
        match part.split_once('=') {
            Some(("UNTIL", value)) => until = Some(until_bound(value, clock, is_day)?),
            _ => kept.push(part),
        }
    }
    let mut rule = RRule::<Unvalidated>::from_str(&kept.join(";"))
        .map_err(|e| format!("not a valid rule: {e}"))?;
    let mut until_instant = None;
    if let Some((wall, instant)) = until {
        let until = pseudo_utc(wall);
        if until < dt_start {
            return Ok(BuiltRule::EndsBeforeStart);
        }
        rule = rule.until(until);
        until_instant = instant;
    }
    rule.validate(dt_start)
        .map(|rule| BuiltRule::Rule(Box::new(rule), until_instant))
        .map_err(|e| format!("not a valid rule for this start: {e}"))
}

/// The wall-clock time (in the series' clock) an `UNTIL` value stands for, and its instant when it is
/// one (timed series).
fn until_bound(
    value: &str,
    clock: Clock,
    is_day: bool,
) -> Result<(NaiveDateTime, Option<DateTime<Utc>>), String> {
    let end_of_day = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN);
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        return Ok((day.and_time(end_of_day), None));
    }
    let bare = value.strip_suffix('Z').unwrap_or(value);
    let utc = NaiveDateTime::parse_from_str(bare, "%Y%m%dT%H%M%S")
        .map_err(|_| format!("invalid UNTIL value {value:?}"))?;
    if is_day {
        // An all-day series ends on the UTC day of UNTIL (Google writes all-day UNTIL as a UTC instant).
        return Ok((utc.date().and_time(end_of_day), None));
    }
    let instant = utc.and_utc();
    Ok((clock.wall(instant), Some(instant)))
}

/// Parses the `[;PARAMS]:v1,v2` rest of an `RDATE`/`EXDATE` line; `first` is the series' first
/// wall-clock time (a date-only value stands for that time of day).
fn date_list(rest: &str, first: NaiveDateTime) -> Result<Vec<DateValue>, String> {
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
        .map(|value| date_list_value(value, first, zone))
        .collect()
}

/// One `RDATE`/`EXDATE` value.
fn date_list_value(
    value: &str,
    first: NaiveDateTime,
    zone: Option<chrono_tz::Tz>,
) -> Result<DateValue, String> {
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y%m%d") {
        // A date names the occurrence on that day at the series' time of day.
        return Ok(DateValue::Wall(day.and_time(first.time())));
    }
    let invalid = || format!("invalid date value {value:?}");
    let (bare, zulu) = match value.strip_suffix('Z') {
        Some(bare) => (bare, true),
        None => (value, false),
    };
    let naive = NaiveDateTime::parse_from_str(bare, "%Y%m%dT%H%M%S").map_err(|_| invalid())?;
    if zulu {
        Ok(DateValue::Instant(naive.and_utc()))
    } else if let Some(zone) = zone {
        let instant = Clock::Zone(zone).at(naive);
        Ok(DateValue::Instant(instant.with_timezone(&Utc)))
    } else {
        // Floating: already series wall-clock time.
        Ok(DateValue::Wall(naive))
    }
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
    let at = match at {
        SeriesStart::Day(day) => compass_core::EventDate::Day(day),
        SeriesStart::Timed(dt) => compass_core::EventDate::Timed(dt),
    };
    let (prefix, value) = crate::domain::exdate::value_of(at);
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

    fn expand_fixed(
        lines: &[String],
        start: SeriesStart,
    ) -> Result<Vec<SeriesStart>, RecurrenceError> {
        expand(lines, start, None)
    }

    fn zone(name: &str) -> Option<chrono_tz::Tz> {
        Some(name.parse().unwrap())
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
        let starts = expand_fixed(
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
        let starts = expand_fixed(
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
        let starts = expand_fixed(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20250103"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-02", "2025-01-03"]);
    }

    #[test]
    fn until_with_z_is_an_instant() {
        // 15:00Z is 09:00-06:00: the 3rd occurrence is exactly at UNTIL and included.
        let starts = expand_fixed(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20250108T150000Z"]),
            timed("2025-01-06T09:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(starts.len(), 3);
    }

    #[test]
    fn infinite_rules_stop_at_the_horizon() {
        let starts = expand_fixed(&rule(&["RRULE:FREQ=DAILY"]), day("2025-01-01")).unwrap();
        assert_eq!(starts.len(), usize::from(MAX_INSTANCES));
        assert_eq!(starts[729], day("2026-12-31"));
    }

    #[test]
    fn start_is_always_the_first_occurrence() {
        // Wednesday start with a Monday-only rule: Wednesday, then Mondays.
        let starts = expand_fixed(
            &rule(&["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-06", "2025-01-13"]);
    }

    #[test]
    fn exdate_removes_and_rdate_adds() {
        let starts = expand_fixed(
            &rule(&[
                "RRULE:FREQ=DAILY;COUNT=3",
                "EXDATE;VALUE=DATE:20250102",
                "RDATE;VALUE=DATE:20250110",
            ]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01", "2025-01-03", "2025-01-10"]);
        let with_zone = expand_fixed(
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
        let starts = expand_fixed(
            &rule(&["RRULE:FREQ=DAILY;UNTIL=20240101"]),
            day("2025-01-01"),
        )
        .unwrap();
        assert_eq!(wire(&starts), ["2025-01-01"]);
    }

    #[test]
    fn bad_rules_are_errors_not_panics() {
        assert_eq!(
            expand_fixed(&rule(&["EXDATE:20250101"]), day("2025-01-01")),
            Err(RecurrenceError::NoRule)
        );
        assert!(expand_fixed(&rule(&["RRULE:FREQ=NEVER"]), day("2025-01-01")).is_err());
        assert!(expand_fixed(&rule(&["DTSTART:20250101"]), day("2025-01-01")).is_err());
        assert!(expand_fixed(
            &rule(&["RRULE:FREQ=DAILY", "EXDATE;TZID=Mars/Base:20250101T000000"]),
            day("2025-01-01")
        )
        .is_err());
    }

    #[test]
    fn impossible_rules_yield_only_the_start() {
        let starts = expand_fixed(
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
        let all = expand_fixed(&lines, start).unwrap();
        let one = with_exdate(&lines, all[2]);
        assert_eq!(one, ["RRULE:FREQ=DAILY;COUNT=4", "EXDATE:20250108T150000Z"]);
        let two = with_exdate(&one, all[0]);
        assert_eq!(two[1], "EXDATE:20250108T150000Z,20250106T150000Z");
        assert_eq!(expand_fixed(&two, start).unwrap(), [all[1], all[3]]);
        let days = rule(&["RRULE:FREQ=DAILY;COUNT=3"]);
        let cut = with_exdate(&days, day("2025-01-02"));
        assert_eq!(cut[1], "EXDATE;VALUE=DATE:20250102");
        assert_eq!(
            wire(&expand_fixed(&cut, day("2025-01-01")).unwrap()),
            ["2025-01-01", "2025-01-03"]
        );
    }

    #[test]
    fn a_split_series_keeps_exactly_the_earlier_occurrences() {
        let start = timed("2025-01-06T09:00:00-06:00");
        let lines = rule(&["RRULE:FREQ=DAILY;COUNT=5"]);
        let all = expand_fixed(&lines, start).unwrap();
        let cut = with_until(&lines, until_before(all[2]));
        assert_eq!(expand_fixed(&cut, start).unwrap(), all[..2].to_vec());
        let days = rule(&["RRULE:FREQ=DAILY;COUNT=5"]);
        let all_days = expand_fixed(&days, day("2025-01-01")).unwrap();
        let cut_days = with_until(&days, until_before(all_days[3]));
        assert_eq!(
            expand_fixed(&cut_days, day("2025-01-01")).unwrap(),
            all_days[..3].to_vec()
        );
    }

    #[test]
    fn chicago_weekly_keeps_nine_local_across_both_dst_changes() {
        let chicago = zone("America/Chicago");
        let spring = expand(
            &rule(&["RRULE:FREQ=WEEKLY;COUNT=4"]),
            timed("2025-02-24T09:00:00-06:00"),
            chicago,
        )
        .unwrap();
        assert_eq!(
            wire(&spring),
            [
                "2025-02-24T09:00:00-06:00",
                "2025-03-03T09:00:00-06:00",
                "2025-03-10T09:00:00-05:00",
                "2025-03-17T09:00:00-05:00"
            ]
        );
        let fall = expand(
            &rule(&["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4"]),
            timed("2025-10-20T09:00:00-05:00"),
            chicago,
        )
        .unwrap();
        assert_eq!(
            wire(&fall),
            [
                "2025-10-20T09:00:00-05:00",
                "2025-10-27T09:00:00-05:00",
                "2025-11-03T09:00:00-06:00",
                "2025-11-10T09:00:00-06:00"
            ]
        );
        // Without a zone the same series keeps the offset, i.e. moves to 10:00 local in summer.
        let fixed = expand_fixed(
            &rule(&["RRULE:FREQ=WEEKLY;COUNT=3"]),
            timed("2025-03-03T09:00:00-06:00"),
        )
        .unwrap();
        assert_eq!(wire(&fixed)[1], "2025-03-10T09:00:00-06:00");
    }

    #[test]
    fn berlin_daily_keeps_eight_local_across_both_dst_changes() {
        let berlin = zone("Europe/Berlin");
        let spring = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=4"]),
            timed("2025-03-28T08:00:00+01:00"),
            berlin,
        )
        .unwrap();
        assert_eq!(
            wire(&spring),
            [
                "2025-03-28T08:00:00+01:00",
                "2025-03-29T08:00:00+01:00",
                "2025-03-30T08:00:00+02:00",
                "2025-03-31T08:00:00+02:00"
            ]
        );
        let fall = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=4"]),
            timed("2025-10-24T08:00:00+02:00"),
            berlin,
        )
        .unwrap();
        assert_eq!(
            wire(&fall),
            [
                "2025-10-24T08:00:00+02:00",
                "2025-10-25T08:00:00+02:00",
                "2025-10-26T08:00:00+01:00",
                "2025-10-27T08:00:00+01:00"
            ]
        );
    }

    #[test]
    fn the_start_is_written_in_the_zone_and_weekdays_are_local() {
        // 15:00Z is 09:00 in Chicago; Tuesday 01:00 UTC is still Monday evening there.
        let starts = expand(
            &rule(&["RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2"]),
            timed("2025-03-04T01:00:00Z"),
            zone("America/Chicago"),
        )
        .unwrap();
        assert_eq!(
            wire(&starts),
            ["2025-03-03T19:00:00-06:00", "2025-03-10T19:00:00-05:00"]
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_gap() {
        let chicago = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=4"]),
            timed("2025-03-07T02:30:00-06:00"),
            zone("America/Chicago"),
        )
        .unwrap();
        assert_eq!(
            wire(&chicago),
            [
                "2025-03-07T02:30:00-06:00",
                "2025-03-08T02:30:00-06:00",
                "2025-03-09T03:30:00-05:00",
                "2025-03-10T02:30:00-05:00"
            ]
        );
        let berlin = expand(
            &rule(&["RRULE:FREQ=WEEKLY;COUNT=3"]),
            timed("2025-03-23T02:15:00+01:00"),
            zone("Europe/Berlin"),
        )
        .unwrap();
        assert_eq!(
            wire(&berlin),
            [
                "2025-03-23T02:15:00+01:00",
                "2025-03-30T03:15:00+02:00",
                "2025-04-06T02:15:00+02:00"
            ]
        );
        // Havana changes at midnight: 00:30 does not exist on 2025-03-09 and becomes 01:30.
        let havana = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=3"]),
            timed("2025-03-08T00:30:00-05:00"),
            zone("America/Havana"),
        )
        .unwrap();
        assert_eq!(
            wire(&havana),
            [
                "2025-03-08T00:30:00-05:00",
                "2025-03-09T01:30:00-04:00",
                "2025-03-10T00:30:00-04:00"
            ]
        );
    }

    #[test]
    fn an_ambiguous_time_in_the_fall_overlap_takes_its_first_occurrence() {
        let chicago = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=3"]),
            timed("2025-11-01T01:30:00-05:00"),
            zone("America/Chicago"),
        )
        .unwrap();
        assert_eq!(
            wire(&chicago),
            [
                "2025-11-01T01:30:00-05:00",
                "2025-11-02T01:30:00-05:00",
                "2025-11-03T01:30:00-06:00"
            ]
        );
        let berlin = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=2"]),
            timed("2025-10-25T02:30:00+02:00"),
            zone("Europe/Berlin"),
        )
        .unwrap();
        assert_eq!(
            wire(&berlin),
            ["2025-10-25T02:30:00+02:00", "2025-10-26T02:30:00+02:00"]
        );
        // A start written as the second 01:30 stays exactly that instant.
        let second = expand(
            &rule(&["RRULE:FREQ=DAILY;COUNT=2"]),
            timed("2025-11-02T01:30:00-06:00"),
            zone("America/Chicago"),
        )
        .unwrap();
        assert_eq!(
            wire(&second),
            ["2025-11-02T01:30:00-06:00", "2025-11-03T01:30:00-06:00"]
        );
    }

    #[test]
    fn all_day_series_ignore_the_zone() {
        let lines = rule(&["RRULE:FREQ=WEEKLY;COUNT=30", "EXDATE;VALUE=DATE:20250310"]);
        let start = day("2025-02-24");
        let zoned = expand(&lines, start, zone("America/Chicago")).unwrap();
        assert_eq!(zoned, expand_fixed(&lines, start).unwrap());
        assert_eq!(
            wire(&zoned)[..3],
            ["2025-02-24", "2025-03-03", "2025-03-17"]
        );
    }

    #[test]
    fn until_in_a_zone_is_an_instant() {
        // 14:00Z on March 17 is 09:00 CDT: that occurrence is included (in the fixed offset -06:00
        // it would be 15:00Z and left out).
        let lines = rule(&["RRULE:FREQ=WEEKLY;UNTIL=20250317T140000Z"]);
        let start = timed("2025-03-03T09:00:00-06:00");
        assert_eq!(
            expand(&lines, start, zone("America/Chicago"))
                .unwrap()
                .len(),
            3
        );
        assert_eq!(expand_fixed(&lines, start).unwrap().len(), 2);
    }

    #[test]
    fn splits_and_exdates_in_a_zone_cut_exactly_the_right_occurrences() {
        let chicago = zone("America/Chicago");
        let start = timed("2025-03-07T02:30:00-06:00");
        let lines = rule(&["RRULE:FREQ=DAILY;COUNT=5"]);
        let all = expand(&lines, start, chicago).unwrap();
        // Split at the occurrence the gap moved (03:30 CDT on March 9) and after it.
        for at in [2, 3] {
            let cut = with_until(&lines, until_before(all[at]));
            assert_eq!(expand(&cut, start, chicago).unwrap(), all[..at].to_vec());
        }
        // EXDATE of the moved occurrence and of a summer one.
        let without = with_exdate(&with_exdate(&lines, all[2]), all[4]);
        assert_eq!(
            expand(&without, start, chicago).unwrap(),
            [all[0], all[1], all[3]]
        );
        // A TZID EXDATE names the local time.
        let tzid = rule(&[
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "EXDATE;TZID=America/Chicago:20250310T090000",
        ]);
        assert_eq!(
            wire(&expand(&tzid, timed("2025-03-03T09:00:00-06:00"), chicago).unwrap()),
            ["2025-03-03T09:00:00-06:00", "2025-03-17T09:00:00-05:00"]
        );
    }

    #[test]
    fn infinite_rules_with_exdates_still_fill_the_horizon() {
        let lines = rule(&["RRULE:FREQ=DAILY", "EXDATE:20250102T150000Z"]);
        let starts = expand(
            &lines,
            timed("2025-01-01T09:00:00-06:00"),
            zone("America/Chicago"),
        )
        .unwrap();
        assert_eq!(starts.len(), usize::from(MAX_INSTANCES));
        assert_eq!(wire(&starts)[1], "2025-01-03T09:00:00-06:00");
    }
}
