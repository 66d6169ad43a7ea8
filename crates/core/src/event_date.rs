//! [`EventDate`]: the `startDate`/`endDate` of an event — a calendar day or a date-time with a UTC offset.
//!
//! All-day and someday events use `YYYY-MM-DD` (the end day is exclusive); timed events use RFC 3339 with an
//! offset, e.g. `2025-01-05T09:00:00-06:00`. A date-time without an offset is rejected. Timed values are
//! written back as RFC 3339 with a numeric offset and no fraction unless there is one, so `Z` reads as
//! `+00:00` and `09:00:00.000Z` as `09:00:00+00:00`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not an event date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// A date-time without `Z` or `±hh:mm`.
    #[error("has a time but no UTC offset (write e.g. 2025-01-05T09:00:00-06:00)")]
    MissingOffset,
    /// Neither `YYYY-MM-DD` nor RFC 3339.
    #[error("must be a YYYY-MM-DD date or an RFC 3339 date-time with offset")]
    Malformed,
}

/// One event date: a calendar day (all-day/someday) or an instant with the offset it was written in.
///
/// Equality of two timed values compares the instants (as chrono does): `09:00-06:00 == 15:00+00:00`, although
/// they are written differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventDate {
    /// `YYYY-MM-DD`.
    Day(NaiveDate),
    /// RFC 3339 with offset.
    Timed(DateTime<FixedOffset>),
}

/// True when `s` has the exact shape `dddd-dd-dd`.
fn is_ymd_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

impl EventDate {
    /// Parses `YYYY-MM-DD` or an RFC 3339 date-time with offset.
    pub fn parse(s: &str) -> Result<Self, DateError> {
        if is_ymd_shape(s) {
            return crate::date_text::parse_ymd(s)
                .map(EventDate::Day)
                .ok_or(DateError::Malformed);
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(EventDate::Timed(dt));
        }
        if crate::date_text::is_local_date_time(s) {
            return Err(DateError::MissingOffset);
        }
        Err(DateError::Malformed)
    }

    /// True for a `YYYY-MM-DD` day.
    pub fn is_day(&self) -> bool {
        matches!(self, EventDate::Day(_))
    }

    /// The instant this date starts at; a day starts at 00:00 UTC.
    pub fn start_instant_utc(&self) -> DateTime<Utc> {
        match self {
            EventDate::Day(day) => day.and_time(NaiveTime::MIN).and_utc(),
            EventDate::Timed(dt) => dt.with_timezone(&Utc),
        }
    }

    /// The wire string.
    pub fn to_wire(&self) -> String {
        match self {
            EventDate::Day(day) => crate::date_text::write_ymd(*day),
            EventDate::Timed(dt) => dt.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        }
    }
}

impl fmt::Display for EventDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl FromStr for EventDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for EventDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for EventDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_offset_date_times_round_trip() {
        for s in [
            "2025-01-05",
            "2025-01-05T09:00:00-06:00",
            "2025-01-05T09:00:00+00:00",
            "2025-01-05T09:00:00.250+05:30",
        ] {
            assert_eq!(EventDate::parse(s).unwrap().to_wire(), s);
        }
    }

    #[test]
    fn z_and_zero_millis_are_normalised() {
        assert_eq!(
            EventDate::parse("2025-01-05T09:00:00.000Z")
                .unwrap()
                .to_wire(),
            "2025-01-05T09:00:00+00:00"
        );
    }

    #[test]
    fn rejects_missing_offsets_and_garbage() {
        assert_eq!(
            EventDate::parse("2025-01-05T09:00:00"),
            Err(DateError::MissingOffset)
        );
        assert_eq!(
            EventDate::parse("2025-01-05T09:00"),
            Err(DateError::MissingOffset)
        );
        for bad in [
            "",
            "2025-1-5",
            "2025-02-30",
            "20250105",
            "tomorrow",
            "2025-01-05T25:00:00Z",
        ] {
            assert_eq!(EventDate::parse(bad), Err(DateError::Malformed), "{bad}");
        }
    }

    #[test]
    fn instants() {
        let day = EventDate::parse("2025-01-05").unwrap();
        assert_eq!(
            day.start_instant_utc().to_rfc3339(),
            "2025-01-05T00:00:00+00:00"
        );
        let timed = EventDate::parse("2025-01-05T09:00:00-06:00").unwrap();
        assert_eq!(
            timed.start_instant_utc().to_rfc3339(),
            "2025-01-05T15:00:00+00:00"
        );
    }
}
