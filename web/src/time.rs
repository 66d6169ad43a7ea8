//! Time in the user's time zone: the browser's zone (through `Date`, which knows daylight saving) or a
//! fixed offset (native tests), week arithmetic (weeks start on Sunday, as in the reference) and labels.
//!
//! Everything here is pure apart from [`Zone::Browser`] and [`now`], which read the browser's clock and
//! zone on wasm32 (and fall back to UTC / the system clock natively).

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc,
};
use compass_core::{DateRange, EventDate, TimeZoneName};

/// Whose clock the calendar is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The browser's time zone (`Intl`/`Date`), including its daylight-saving rules.
    Browser,
    /// A fixed UTC offset (tests and screenshots).
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone::Fixed(utc_offset())
    }

    /// The zone's offset at an instant.
    pub fn offset_at(self, instant: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Fixed(offset) => offset,
            Zone::Browser => browser::offset_at(instant),
        }
    }

    /// The offset that applies to a wall-clock time in this zone (the later one in a repeated hour).
    pub fn offset_for_local(self, local: NaiveDateTime) -> FixedOffset {
        match self {
            Zone::Fixed(offset) => offset,
            Zone::Browser => browser::offset_for_local(local),
        }
    }

    /// The wall-clock time of an instant in this zone.
    pub fn to_local(self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant
            .with_timezone(&self.offset_at(instant))
            .naive_local()
    }

    /// The instant of a wall-clock time in this zone, with the zone's offset.
    pub fn from_local(self, local: NaiveDateTime) -> DateTime<FixedOffset> {
        let offset = self.offset_for_local(local);
        let utc = local - Duration::seconds(i64::from(offset.local_minus_utc()));
        utc.and_utc().with_timezone(&offset)
    }

    /// The IANA name of this zone (the browser's, from `Intl.DateTimeFormat().resolvedOptions()`), sent as
    /// an event's `timeZone` so that its series keeps its local time across DST; `None` for a fixed offset.
    pub fn iana_name(self) -> Option<TimeZoneName> {
        match self {
            Zone::Fixed(_) => None,
            Zone::Browser => browser::iana_name().and_then(|n| TimeZoneName::parse(&n).ok()),
        }
    }

    /// Midnight at the start of `day` in this zone.
    pub fn midnight(self, day: NaiveDate) -> DateTime<FixedOffset> {
        self.from_local(day.and_time(NaiveTime::MIN))
    }
}

/// The zero offset.
fn utc_offset() -> FixedOffset {
    use chrono::Offset as _;
    Utc.fix()
}

/// The current instant.
pub fn now() -> DateTime<Utc> {
    #[cfg(target_arch = "wasm32")]
    {
        let ms = js_sys::Date::now() as i64;
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        DateTime::from_timestamp_millis(since.as_millis() as i64).unwrap_or_default()
    }
}

/// Today in `zone`.
pub fn today(zone: Zone) -> NaiveDate {
    zone.to_local(now()).date()
}

/// The Sunday that starts the week containing `day`.
pub fn week_start(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_sunday()))
}

/// The seven days of the week starting at `start`.
pub fn week_days(start: NaiveDate) -> [NaiveDate; 7] {
    std::array::from_fn(|i| start + Duration::days(i as i64))
}

/// The first day of `day`'s month and the first day of the next month.
pub fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    }
    .unwrap_or(first + Duration::days(31));
    (first, next)
}

/// The `GET /api/event` range of the week starting at `start`: local midnight of Sunday up to the last
/// second of Saturday (the server compares all-day events as calendar days in the query's offset).
pub fn week_query(zone: Zone, start: NaiveDate) -> Option<DateRange> {
    let end = zone.from_local((start + Duration::days(7)).and_time(NaiveTime::MIN))
        - Duration::seconds(1);
    DateRange::new(
        EventDate::Timed(zone.midnight(start)),
        EventDate::Timed(end),
    )
    .ok()
}

/// The someday range of the view: the month of the week's first day (and of its last, when the week
/// crosses into the next month), as days.
pub fn someday_query(week: NaiveDate) -> Option<DateRange> {
    let (first, _) = month_bounds(week);
    let (_, next) = month_bounds(week + Duration::days(6));
    DateRange::new(EventDate::Day(first), EventDate::Day(next)).ok()
}

// Labels and input values are written and read by hand rather than with chrono's `format`/`parse_from_str`:
// those bring chrono's strftime and parsing machinery (about 30 KB of WebAssembly) into the download.

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// "Sunday": the English name of `day`'s weekday.
pub fn weekday_name(day: NaiveDate) -> &'static str {
    WEEKDAYS[day.weekday().num_days_from_monday() as usize]
}

/// "January": the English name of `day`'s month.
pub fn month_name(day: NaiveDate) -> &'static str {
    MONTHS[day.month0() as usize]
}

/// The first three letters of a name ("Sun", "Jan").
fn short(name: &'static str) -> &'static str {
    name.get(..3).unwrap_or(name)
}

/// "Jan": the abbreviated month of `day`.
pub fn month_short(day: NaiveDate) -> &'static str {
    short(month_name(day))
}

/// A year as chrono's `%Y` writes it: four digits, or a sign and at least four digits outside 0–9999.
fn year(year: i32) -> String {
    if (0..=9999).contains(&year) {
        format!("{year:04}")
    } else {
        format!("{year:+05}")
    }
}

/// "2025-01-05": a day as `YYYY-MM-DD` (the value of an `<input type="date">`, the week's path).
pub fn iso_date(day: NaiveDate) -> String {
    format!("{}-{:02}-{:02}", year(day.year()), day.month(), day.day())
}

/// "20250105": a day as `YYYYMMDD` (an RRULE `UNTIL`).
pub fn compact_date(day: NaiveDate) -> String {
    format!("{}{:02}{:02}", year(day.year()), day.month(), day.day())
}

/// An unsigned number of 1 to `max` ASCII digits.
fn number(digits: &str, max: usize) -> Option<u32> {
    if digits.is_empty() || digits.len() > max || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// "Sunday, January 5, 2025": the accessible label of a day.
pub fn day_label(day: NaiveDate) -> String {
    format!(
        "{}, {} {}, {}",
        weekday_name(day),
        month_name(day),
        day.day(),
        year(day.year())
    )
}

/// "Sun" and "5": the short header of a day column.
pub fn day_short(day: NaiveDate) -> (String, String) {
    (short(weekday_name(day)).to_owned(), day.day().to_string())
}

/// "January 2025".
fn month_year(day: NaiveDate) -> String {
    format!("{} {}", month_name(day), year(day.year()))
}

/// "January 2025", or "December 2024 – January 2025" when the week spans two months.
pub fn week_title(start: NaiveDate) -> String {
    let end = start + Duration::days(6);
    if start.month() == end.month() {
        month_year(start)
    } else if start.year() == end.year() {
        format!("{} – {}", month_name(start), month_year(end))
    } else {
        format!("{} – {}", month_year(start), month_year(end))
    }
}

/// "9:00", "13:45": a wall-clock time for event labels (24-hour, no leading zero).
pub fn clock(time: NaiveDateTime) -> String {
    format!("{}:{:02}", time.hour(), time.minute())
}

/// "09:00": the value of an `<input type="time">`.
pub fn time_input(time: NaiveTime) -> String {
    format!("{:02}:{:02}", time.hour(), time.minute())
}

/// Parses an `<input type="time">` value (`HH:MM` or `HH:MM:SS`, one or two digits each).
pub fn parse_time_input(value: &str) -> Option<NaiveTime> {
    let mut parts = value.split(':');
    let hour = number(parts.next()?, 2)?;
    let minute = number(parts.next()?, 2)?;
    let second = match parts.next() {
        Some(second) => number(second, 2)?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(hour, minute, second)
}

/// Parses an `<input type="date">` value (`YYYY-MM-DD`; month and day may have one digit).
pub fn parse_date_input(value: &str) -> Option<NaiveDate> {
    let mut parts = value.split('-');
    let year = number(parts.next()?, 4)?;
    let month = number(parts.next()?, 2)?;
    let day = number(parts.next()?, 2)?;
    if parts.next().is_some() {
        return None;
    }
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Parses `YYYYMMDD` (an RRULE `UNTIL` day).
pub fn parse_compact_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 {
        return None;
    }
    let year = number(value.get(..4)?, 4)?;
    let month = number(value.get(4..6)?, 2)?;
    let day = number(value.get(6..)?, 2)?;
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)
}

/// Minutes since midnight, rounded down to a multiple of `step`.
pub fn snap_minutes(minutes: i64, step: i64) -> i64 {
    (minutes.clamp(0, 24 * 60 - 1) / step) * step
}

#[cfg(target_arch = "wasm32")]
mod browser {
    //! The browser's zone through `Date` (minutes *west* of UTC, hence the sign flips).
    use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Timelike, Utc};
    use wasm_bindgen::JsValue;

    fn offset(minutes_west: f64) -> FixedOffset {
        let seconds = -(minutes_west as i32) * 60;
        FixedOffset::east_opt(seconds).unwrap_or_else(super::utc_offset)
    }

    pub fn offset_at(instant: DateTime<Utc>) -> FixedOffset {
        let date = js_sys::Date::new(&JsValue::from_f64(instant.timestamp_millis() as f64));
        offset(date.get_timezone_offset())
    }

    pub fn offset_for_local(local: NaiveDateTime) -> FixedOffset {
        let date = js_sys::Date::new_with_year_month_day_hr_min_sec(
            local.year().max(0) as u32,
            local.month0() as i32,
            local.day() as i32,
            local.hour() as i32,
            local.minute() as i32,
            local.second() as i32,
        );
        offset(date.get_timezone_offset())
    }

    pub fn iana_name() -> Option<String> {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        js_sys::Reflect::get(&format.resolved_options(), &JsValue::from_str("timeZone"))
            .ok()?
            .as_string()
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod browser {
    //! Natively there is no browser: its zone is UTC.
    use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

    pub fn offset_at(_instant: DateTime<Utc>) -> FixedOffset {
        super::utc_offset()
    }

    pub fn offset_for_local(_local: NaiveDateTime) -> FixedOffset {
        super::utc_offset()
    }

    pub fn iana_name() -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date_input(s).unwrap()
    }

    #[test]
    fn weeks_start_on_sunday() {
        assert_eq!(week_start(d("2025-01-08")), d("2025-01-05"));
        assert_eq!(week_start(d("2025-01-05")), d("2025-01-05"));
        assert_eq!(week_start(d("2025-01-04")), d("2024-12-29"));
        assert_eq!(week_days(d("2025-01-05"))[6], d("2025-01-11"));
    }

    #[test]
    fn week_query_uses_local_midnights() {
        let zone = Zone::Fixed(FixedOffset::west_opt(6 * 3600).unwrap());
        let range = week_query(zone, d("2025-01-05")).unwrap();
        assert_eq!(range.start().to_wire(), "2025-01-05T00:00:00-06:00");
        assert_eq!(range.end().to_wire(), "2025-01-11T23:59:59-06:00");
    }

    #[test]
    fn someday_query_covers_the_months_of_the_week() {
        let range = someday_query(d("2025-01-26")).unwrap();
        assert_eq!(range.start().to_wire(), "2025-01-01");
        assert_eq!(range.end().to_wire(), "2025-03-01");
        let range = someday_query(d("2024-12-29")).unwrap();
        assert_eq!(range.start().to_wire(), "2024-12-01");
        assert_eq!(range.end().to_wire(), "2025-02-01");
    }

    #[test]
    fn local_round_trip_in_a_fixed_zone() {
        let zone = Zone::Fixed(FixedOffset::east_opt(2 * 3600).unwrap());
        let local = d("2025-03-01").and_hms_opt(9, 30, 0).unwrap();
        let instant = zone.from_local(local);
        assert_eq!(instant.to_rfc3339(), "2025-03-01T09:30:00+02:00");
        assert_eq!(zone.to_local(instant.with_timezone(&Utc)), local);
    }

    #[test]
    fn dates_and_times_written_and_read_by_hand() {
        let day = d("2025-01-05");
        assert_eq!(iso_date(day), "2025-01-05");
        assert_eq!(compact_date(day), "20250105");
        assert_eq!(parse_compact_date("20250105"), Some(day));
        assert_eq!(parse_compact_date("20250230"), None);
        assert_eq!(parse_compact_date("2025010"), None);
        assert_eq!(parse_date_input("2025-1-5"), Some(day));
        assert_eq!(parse_date_input("2025-02-30"), None);
        assert_eq!(parse_date_input("2025-01-05-1"), None);
        assert_eq!(parse_date_input("+2025-01-05"), None);
        assert_eq!(parse_date_input(""), None);
        assert_eq!(
            iso_date(NaiveDate::from_ymd_opt(12, 3, 4).unwrap()),
            "0012-03-04"
        );
        assert_eq!(
            iso_date(NaiveDate::from_ymd_opt(12345, 3, 4).unwrap()),
            "+12345-03-04"
        );
        let nine = NaiveTime::from_hms_opt(9, 5, 0).unwrap();
        assert_eq!(time_input(nine), "09:05");
        assert_eq!(parse_time_input("09:05"), Some(nine));
        assert_eq!(parse_time_input("9:05:00"), Some(nine));
        assert_eq!(parse_time_input("24:00"), None);
        assert_eq!(parse_time_input("09:05:00:00"), None);
        assert_eq!(parse_time_input("0905"), None);
        assert_eq!(day_short(day), ("Sun".to_owned(), "5".to_owned()));
        assert_eq!(month_short(day), "Jan");
        // The same text as chrono's formatting, for every day of a year.
        for offset in 0..366 {
            let day = day + Duration::days(offset);
            assert_eq!(day_label(day), day.format("%A, %B %-d, %Y").to_string());
            assert_eq!(iso_date(day), day.format("%Y-%m-%d").to_string());
            assert_eq!(parse_date_input(&iso_date(day)), Some(day));
        }
    }

    #[test]
    fn labels() {
        assert_eq!(day_label(d("2025-01-05")), "Sunday, January 5, 2025");
        assert_eq!(week_title(d("2025-01-05")), "January 2025");
        assert_eq!(week_title(d("2025-01-26")), "January – February 2025");
        assert_eq!(week_title(d("2024-12-29")), "December 2024 – January 2025");
        assert_eq!(clock(d("2025-01-05").and_hms_opt(9, 5, 0).unwrap()), "9:05");
        assert_eq!(snap_minutes(9 * 60 + 14, 15), 9 * 60);
        assert_eq!(snap_minutes(-5, 15), 0);
        assert_eq!(snap_minutes(24 * 60 + 3, 15), 23 * 60 + 45);
    }
}
