//! [`EventQuery`]: the query of `GET /api/event?start=&end=&someday=`, parsed into typed dates.
//!
//! `start` and `end` use the event date formats (`YYYY-MM-DD` or RFC 3339 with offset) and come together or
//! not at all. Because the reference web client does not URL-encode the query, a positive offset such as
//! `+05:00` can arrive as ` 05:00`; such a space before the offset is read as `+`. `someday` is `true` or
//! `false` (absent = `false`). The reference's `priorities` parameter filtered on a field that does not
//! exist (backend spec §15 item 20) and is not part of this type.

use chrono::{DateTime, Utc};

use crate::{DateError, EventDate};

/// Why an event query is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `start` or `end` is not an event date.
    #[error("`{field}` {source}")]
    MalformedDate {
        /// `start` or `end`.
        field: &'static str,
        /// What is wrong with it.
        source: DateError,
    },
    /// Only one of `start` and `end` was given.
    #[error("`start` and `end` must be given together")]
    HalfRange,
    /// `end` is before `start`.
    #[error("`end` must not be before `start`")]
    EndBeforeStart,
    /// `someday` is neither `true` nor `false`.
    #[error("`someday` must be true or false")]
    InvalidSomeday,
}

/// A range of event dates; `start` is not after `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    start: EventDate,
    end: EventDate,
}

impl DateRange {
    /// Builds a range, checking that `end` is not before `start` (days count from 00:00 UTC).
    pub fn new(start: EventDate, end: EventDate) -> Result<Self, QueryError> {
        if end.start_instant_utc() < start.start_instant_utc() {
            return Err(QueryError::EndBeforeStart);
        }
        Ok(DateRange { start, end })
    }

    /// The start as given.
    pub fn start(&self) -> EventDate {
        self.start
    }

    /// The end as given.
    pub fn end(&self) -> EventDate {
        self.end
    }

    /// The start as an instant (a day starts at 00:00 UTC).
    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start.start_instant_utc()
    }

    /// The end as an instant (a day starts at 00:00 UTC).
    pub fn end_utc(&self) -> DateTime<Utc> {
        self.end.start_instant_utc()
    }
}

/// The parsed query of `GET /api/event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventQuery {
    /// The requested range, if any.
    pub range: Option<DateRange>,
    /// Someday lists (`true`) or the calendar grid (`false`).
    pub someday: bool,
}

/// Parses one query date, repairing a `+` offset that arrived as a space.
fn query_date(field: &'static str, raw: &str) -> Result<EventDate, QueryError> {
    EventDate::parse(raw).or_else(|source| {
        match raw.rfind(' ') {
            Some(at) if at >= 19 => {
                let mut repaired = raw.to_owned();
                repaired.replace_range(at..=at, "+");
                EventDate::parse(&repaired)
            }
            _ => Err(source),
        }
        .map_err(|source| QueryError::MalformedDate { field, source })
    })
}

impl EventQuery {
    /// Parses the `start`, `end` and `someday` query parameters.
    pub fn parse(
        start: Option<&str>,
        end: Option<&str>,
        someday: Option<&str>,
    ) -> Result<Self, QueryError> {
        let someday = match someday {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(QueryError::InvalidSomeday),
        };
        let range = match (start, end) {
            (None, None) => None,
            (Some(start), Some(end)) => Some(DateRange::new(
                query_date("start", start)?,
                query_date("end", end)?,
            )?),
            _ => return Err(QueryError::HalfRange),
        };
        Ok(EventQuery { range, someday })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges_and_someday() {
        let q = EventQuery::parse(Some("2025-01-05"), Some("2025-01-11"), Some("true")).unwrap();
        assert!(q.someday);
        let range = q.range.unwrap();
        assert_eq!(range.start_utc().to_rfc3339(), "2025-01-05T00:00:00+00:00");
        assert_eq!(range.end().to_wire(), "2025-01-11");
        assert_eq!(
            EventQuery::parse(None, None, None).unwrap(),
            EventQuery {
                range: None,
                someday: false
            }
        );
    }

    #[test]
    fn repairs_a_plus_offset_decoded_as_space() {
        let q = EventQuery::parse(
            Some("2025-01-05T00:00:00 05:30"),
            Some("2025-01-12T00:00:00+05:30"),
            None,
        )
        .unwrap();
        assert_eq!(
            q.range.unwrap().start().to_wire(),
            "2025-01-05T00:00:00+05:30"
        );
    }

    #[test]
    fn rejects_bad_queries() {
        assert_eq!(
            EventQuery::parse(Some("2025-01-05"), None, None),
            Err(QueryError::HalfRange)
        );
        assert_eq!(
            EventQuery::parse(Some("2025-01-05"), Some("2025-01-04"), None),
            Err(QueryError::EndBeforeStart)
        );
        assert_eq!(
            EventQuery::parse(None, None, Some("yes")),
            Err(QueryError::InvalidSomeday)
        );
        assert_eq!(
            EventQuery::parse(Some("nope"), Some("2025-01-04"), None),
            Err(QueryError::MalformedDate {
                field: "start",
                source: DateError::Malformed
            })
        );
        assert_eq!(
            EventQuery::parse(Some("2025-01-05"), Some("2025-01-06T00:00:00"), None),
            Err(QueryError::MalformedDate {
                field: "end",
                source: DateError::MissingOffset
            })
        );
    }
}
