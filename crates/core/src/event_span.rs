//! [`EventSpan`]: a validated start/end pair — both days (end exclusive) or both date-times, end after start.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::EventDate;

/// Why a start/end pair is not a valid span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    /// One date is a day, the other a date-time.
    #[error("startDate and endDate must both be YYYY-MM-DD dates or both be date-times")]
    MixedFormats,
    /// The end is not strictly after the start.
    #[error("endDate must be after startDate")]
    EndNotAfterStart,
}

/// The time an event occupies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventSpan {
    /// Whole days from `start` up to (not including) `end`.
    Days {
        /// First day.
        start: NaiveDate,
        /// The day after the last day.
        end: NaiveDate,
    },
    /// From one instant to a later one.
    Timed {
        /// Start, with the offset it was written in.
        start: DateTime<FixedOffset>,
        /// End, with the offset it was written in.
        end: DateTime<FixedOffset>,
    },
}

impl EventSpan {
    /// Checks that both dates have the same kind and that the end is after the start.
    pub fn new(start: EventDate, end: EventDate) -> Result<Self, SpanError> {
        match (start, end) {
            (EventDate::Day(start), EventDate::Day(end)) if end > start => {
                Ok(EventSpan::Days { start, end })
            }
            (EventDate::Timed(start), EventDate::Timed(end)) if end > start => {
                Ok(EventSpan::Timed { start, end })
            }
            (EventDate::Day(_), EventDate::Day(_)) | (EventDate::Timed(_), EventDate::Timed(_)) => {
                Err(SpanError::EndNotAfterStart)
            }
            _ => Err(SpanError::MixedFormats),
        }
    }

    /// True when the span is whole days.
    pub fn is_days(&self) -> bool {
        matches!(self, EventSpan::Days { .. })
    }

    /// The start as an event date.
    pub fn start(&self) -> EventDate {
        match self {
            EventSpan::Days { start, .. } => EventDate::Day(*start),
            EventSpan::Timed { start, .. } => EventDate::Timed(*start),
        }
    }

    /// The end as an event date.
    pub fn end(&self) -> EventDate {
        match self {
            EventSpan::Days { end, .. } => EventDate::Day(*end),
            EventSpan::Timed { end, .. } => EventDate::Timed(*end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> EventDate {
        EventDate::parse(s).unwrap()
    }

    #[test]
    fn valid_spans() {
        assert!(EventSpan::new(d("2025-01-05"), d("2025-01-06"))
            .unwrap()
            .is_days());
        let timed = EventSpan::new(
            d("2025-01-05T09:00:00-06:00"),
            d("2025-01-05T16:00:00+00:00"),
        )
        .unwrap();
        assert_eq!(timed.end().to_wire(), "2025-01-05T16:00:00+00:00");
    }

    #[test]
    fn end_must_be_after_start_across_offsets() {
        assert_eq!(
            EventSpan::new(d("2025-01-05"), d("2025-01-05")),
            Err(SpanError::EndNotAfterStart)
        );
        // 09:00-06:00 is 15:00 UTC; 15:00+00:00 is the same instant.
        assert_eq!(
            EventSpan::new(
                d("2025-01-05T09:00:00-06:00"),
                d("2025-01-05T15:00:00+00:00")
            ),
            Err(SpanError::EndNotAfterStart)
        );
    }

    #[test]
    fn mixed_formats() {
        assert_eq!(
            EventSpan::new(d("2025-01-05"), d("2025-01-06T00:00:00Z")),
            Err(SpanError::MixedFormats)
        );
    }
}
