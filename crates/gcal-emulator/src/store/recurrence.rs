//! Expansion of a series' `recurrence` lines (RRULE / EXDATE / RDATE) into occurrence start instants,
//! with the `rrule` crate. Expansion is bounded: at most `MAX_INSTANCES` per call and, for an open-ended series
//! without an explicit upper bound, no later than `HORIZON_DAYS` after today (or after the series start).

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::event_time::EventTime;
use crate::error::ApiError;

/// Most occurrences produced by one expansion.
pub(crate) const MAX_INSTANCES: u16 = 1000;
/// Default look-ahead when no upper bound is given.
pub(crate) const HORIZON_DAYS: i64 = 730;

/// Builds the iCalendar text (`DTSTART` + lines) that the `rrule` crate parses.
fn ical_text(start: &EventTime, lines: &[String]) -> String {
    let dtstart = match start {
        EventTime::Date(d) => format!("DTSTART:{}T000000Z", d.format("%Y%m%d")),
        EventTime::DateTime(dt, Some(zone)) => {
            let local = dt.with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap_or(chrono_tz::UTC));
            format!("DTSTART;TZID={zone}:{}", local.format("%Y%m%dT%H%M%S"))
        }
        EventTime::DateTime(dt, None) => format!(
            "DTSTART:{}",
            dt.with_timezone(&Utc).format("%Y%m%dT%H%M%SZ")
        ),
    };
    let mut text = dtstart;
    for line in lines {
        text.push('\n');
        text.push_str(&normalize_line(line, start));
    }
    text
}

/// Rewrites a date-only `UNTIL=YYYYMMDD` of an RRULE / EXRULE (the form Google writes for all-day series) into
/// the last second of that day, and a floating `UNTIL=YYYYMMDDTHHMMSS` into that time, in the series' zone, as
/// UTC: the parser wants `UNTIL` in UTC, which Google does not insist on.
fn normalize_until(line: &str, start: &EventTime) -> String {
    let Some((name, rule)) = line.split_once(':') else {
        return line.to_owned();
    };
    let parts: Vec<String> = rule
        .split(';')
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else {
                return part.to_owned();
            };
            if !key.trim().eq_ignore_ascii_case("UNTIL") {
                return part.to_owned();
            }
            let value = value.trim();
            // A date (the whole day counts) or a floating local time; UTC (`...Z`) is left alone.
            let last = match value.len() {
                8 => chrono::NaiveDate::parse_from_str(value, "%Y%m%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(23, 59, 59)),
                15 => chrono::NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S").ok(),
                _ => None,
            };
            let Some(last) = last else {
                return part.to_owned();
            };
            let zone = start
                .zone()
                .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
                .filter(|_| !start.is_date())
                .unwrap_or(chrono_tz::UTC);
            let until = zone
                .from_local_datetime(&last)
                .latest()
                .map_or_else(|| Utc.from_utc_datetime(&last), |t| t.with_timezone(&Utc));
            format!("{key}={}", until.format("%Y%m%dT%H%M%SZ"))
        })
        .collect();
    format!("{name}:{}", parts.join(";"))
}

/// Rewrites `EXDATE;VALUE=DATE:20250101,...` (and RDATE) into date-times the parser accepts for all-day series,
/// and date-only `UNTIL`s of rules into date-times.
fn normalize_line(line: &str, start: &EventTime) -> String {
    let upper = line.to_ascii_uppercase();
    if upper.starts_with("RRULE:") || upper.starts_with("EXRULE:") {
        return normalize_until(line.trim(), start);
    }
    let is_date_list = (upper.starts_with("EXDATE") || upper.starts_with("RDATE"))
        && upper.contains("VALUE=DATE:");
    if !is_date_list {
        return line.trim().to_owned();
    }
    let name = if upper.starts_with("EXDATE") {
        "EXDATE"
    } else {
        "RDATE"
    };
    let values = line.split_once(':').map(|(_, v)| v).unwrap_or_default();
    let time_of_day = match start {
        EventTime::Date(_) => "T000000Z".to_owned(),
        other => other.utc().format("T%H%M%SZ").to_string(),
    };
    let converted: Vec<String> = values
        .split(',')
        .map(|d| format!("{}{time_of_day}", d.trim()))
        .collect();
    format!("{name}:{}", converted.join(","))
}

/// Checks that recurrence lines parse (used on insert / update).
pub(crate) fn validate(start: &EventTime, lines: &[String]) -> Result<(), ApiError> {
    for line in lines {
        let upper = line.trim().to_ascii_uppercase();
        let known = ["RRULE:", "EXRULE:", "EXDATE", "RDATE"]
            .iter()
            .any(|p| upper.starts_with(p));
        if !known || upper.starts_with("DTSTART") {
            return Err(ApiError::bad_request("Invalid recurrence rule."));
        }
    }
    ical_text(start, lines)
        .parse::<rrule::RRuleSet>()
        .map(|_| ())
        .map_err(|_| ApiError::bad_request("Invalid recurrence rule."))
}

/// True when every rule of the series ends (COUNT or UNTIL); RDATEs are finite by nature.
fn is_finite(lines: &[String]) -> bool {
    lines
        .iter()
        .map(|l| l.trim().to_ascii_uppercase())
        .filter(|l| l.starts_with("RRULE:"))
        .all(|l| {
            l.trim_start_matches("RRULE:")
                .split(';')
                .any(|part| part.starts_with("COUNT=") || part.starts_with("UNTIL="))
        })
}

/// The latest instant the emulator deals in (end of its supported years).
fn end_of_time() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Occurrence starts of a series in `[from, until)` (bounds optional), at most `MAX_INSTANCES`.
pub(crate) fn occurrences(
    start: &EventTime,
    lines: &[String],
    from: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<DateTime<Utc>> {
    let Ok(set) = ical_text(start, lines).parse::<rrule::RRuleSet>() else {
        return Vec::new();
    };
    // Only an open-ended series needs a look-ahead: a finite one (every rule has COUNT or UNTIL) is expanded
    // to its end, like Google does, within MAX_INSTANCES.
    let horizon = until.unwrap_or_else(|| {
        if is_finite(lines) {
            end_of_time()
        } else {
            Utc::now().max(start.utc()) + Duration::days(HORIZON_DAYS)
        }
    });
    let mut set = set.before(horizon.with_timezone(&rrule::Tz::UTC));
    if let Some(from) = from {
        set = set.after(from.with_timezone(&rrule::Tz::UTC));
    }
    set.all(MAX_INSTANCES)
        .dates
        .into_iter()
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| from.is_none_or(|f| *d >= f) && *d < horizon)
        .collect()
}
