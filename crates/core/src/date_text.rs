//! The few fixed date and time shapes of the wire, read and written by hand.
//!
//! chrono's `format` and `parse_from_str` interpret a strftime string at run time; using them here would
//! put chrono's whole strftime and parsing machinery (about 30 KB of WebAssembly) into the web app, which
//! builds this crate. RFC 3339 date-times still go through chrono's dedicated `parse_from_rfc3339` and
//! `to_rfc3339_opts`, which do not need it. Each function says which chrono format it stands for; the
//! tests compare both on many values.

use chrono::{Datelike, NaiveDate, NaiveTime};

/// An unsigned number of `min..=max` ASCII digits.
fn digits(s: &str, min: usize, max: usize) -> Option<u32> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `YYYY-MM-DD` with exactly that shape (what `parse_from_str(s, "%Y-%m-%d")` accepts of it).
pub(crate) fn parse_ymd(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year = digits(s.get(..4)?, 4, 4)?;
    let month = digits(s.get(5..7)?, 2, 2)?;
    let day = digits(s.get(8..)?, 2, 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `day.format("%Y-%m-%d")`: four-digit years, a sign and at least four digits outside 0–9999.
pub(crate) fn write_ymd(day: NaiveDate) -> String {
    let year = day.year();
    if (0..=9999).contains(&year) {
        format!("{year:04}-{:02}-{:02}", day.month(), day.day())
    } else {
        format!("{year:+05}-{:02}-{:02}", day.month(), day.day())
    }
}

/// A date as `%Y-%m-%d` reads it: an optionally signed year (up to four digits without a sign), a month and a
/// day of one or two digits.
fn lenient_date(s: &str) -> Option<NaiveDate> {
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (0, s),
    };
    let mut parts = rest.split('-');
    let year_text = parts.next()?;
    let year = if sign == 0 {
        digits(year_text, 1, 4)?
    } else {
        digits(year_text, 1, 9)?
    };
    let month = digits(parts.next()?, 1, 2)?;
    let day = digits(parts.next()?, 1, 2)?;
    if parts.next().is_some() {
        return None;
    }
    let year = i32::try_from(year).ok()?;
    NaiveDate::from_ymd_opt(if sign < 0 { -year } else { year }, month, day)
}

/// A time as `%H:%M` or `%H:%M:%S%.f` reads it (one or two digits each, an optional fraction of at least
/// one digit, a leap second allowed).
fn lenient_time(s: &str) -> bool {
    let mut parts = s.split(':');
    let (Some(hour), Some(minute)) = (parts.next(), parts.next()) else {
        return false;
    };
    let second = match parts.next() {
        None => Some(0),
        Some(second) => {
            let (whole, fraction) = second.split_once('.').unwrap_or((second, "1"));
            digits(fraction, 1, usize::MAX).and(digits(whole, 1, 2))
        }
    };
    parts.next().is_none()
        && matches!(
            (digits(hour, 1, 2), digits(minute, 1, 2), second),
            (Some(h), Some(m), Some(s)) if NaiveTime::from_hms_opt(h, m, s.min(59)).is_some()
        )
}

/// True when `NaiveDateTime::parse_from_str` would read `s` with `"%Y-%m-%dT%H:%M:%S%.f"` or
/// `"%Y-%m-%dT%H:%M"`: a local date-time (no offset).
pub(crate) fn is_local_date_time(s: &str) -> bool {
    s.split_once('T')
        .is_some_and(|(date, time)| lenient_date(date).is_some() && lenient_time(time))
}

/// `YYYYMMDD`, eight digits (`parse_from_str(s, "%Y%m%d")` of that shape).
pub(crate) fn parse_compact_ymd(s: &str) -> Option<NaiveDate> {
    if s.len() != 8 {
        return None;
    }
    let year = digits(s.get(..4)?, 4, 4)?;
    let month = digits(s.get(4..6)?, 2, 2)?;
    let day = digits(s.get(6..)?, 2, 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// `YYYYMMDDTHHMMSS` naming a real date and time (`parse_from_str(s, "%Y%m%dT%H%M%S")` of that shape).
pub(crate) fn is_compact_date_time(s: &str) -> bool {
    let Some((date, time)) = s.split_once('T') else {
        return false;
    };
    if time.len() != 6 || parse_compact_ymd(date).is_none() {
        return false;
    }
    let field = |range: std::ops::Range<usize>| time.get(range).and_then(|t| digits(t, 2, 2));
    matches!(
        (field(0..2), field(2..4), field(4..6)),
        (Some(h), Some(m), Some(s)) if NaiveTime::from_hms_opt(h, m, s.min(59)).is_some()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDateTime};

    fn chrono_local(s: &str) -> bool {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
            || NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").is_ok()
    }

    #[test]
    fn days_match_chrono() {
        let first = NaiveDate::from_ymd_opt(2023, 12, 25).unwrap_or_default();
        for offset in 0..800 {
            let day = first + Duration::days(offset);
            let text = day.format("%Y-%m-%d").to_string();
            assert_eq!(write_ymd(day), text);
            assert_eq!(parse_ymd(&text), Some(day));
            let compact = day.format("%Y%m%d").to_string();
            assert_eq!(parse_compact_ymd(&compact), Some(day));
        }
        for day in [
            NaiveDate::from_ymd_opt(12, 3, 4),
            NaiveDate::from_ymd_opt(12345, 3, 4),
            NaiveDate::from_ymd_opt(-44, 3, 15),
        ]
        .into_iter()
        .flatten()
        {
            assert_eq!(write_ymd(day), day.format("%Y-%m-%d").to_string());
        }
        for bad in ["2025-02-30", "2025-1-05", "2025/01/05", "2025-01-5x", ""] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
        for bad in ["20250230", "2025010", "2025O105"] {
            assert_eq!(parse_compact_ymd(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_date_times_match_chrono() {
        for s in [
            "2025-01-05T09:00",
            "2025-01-05T09:00:00",
            "2025-01-05T09:00:00.5",
            "2025-01-05T09:00:00.123456789",
            "2025-1-5T9:0",
            "2016-12-31T23:59:60",
            "-0044-03-15T12:00",
            "+2025-01-05T09:00",
            "2025-01-05T09:00:00.",
            "2025-01-05T09",
            "2025-01-05T24:00",
            "2025-02-30T09:00",
            "2025-01-05T09:00:00Z",
            "2025-01-05T09:00:00+01:00",
            "2025-01-05 09:00",
            "2025-01-05T09:00:00:00",
            "T09:00",
            "",
        ] {
            assert_eq!(is_local_date_time(s), chrono_local(s), "{s}");
        }
    }

    #[test]
    fn compact_date_times_match_chrono() {
        for s in [
            "20250105T090000",
            "20250105T235960",
            "20250105T240000",
            "20250230T090000",
            "20250105T0900",
            "20250105X090000",
        ] {
            assert_eq!(
                is_compact_date_time(s),
                NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").is_ok(),
                "{s}"
            );
        }
    }
}
