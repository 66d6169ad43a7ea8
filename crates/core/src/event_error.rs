//! [`EventError`]: why a client-submitted event was refused — one variant per kind of bad input, each naming
//! the JSON field so the message can go straight into an error body.

use crate::{DateError, IdError, RuleError, TimeZoneError, UnknownValue};

/// Longest accepted `title`, in characters (Unicode scalar values).
pub const MAX_TITLE_CHARS: usize = 1_024;
/// Longest accepted `description`, in characters (Unicode scalar values).
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// Why a submitted event is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The body is not a JSON object.
    #[error("the event must be a JSON object")]
    NotAnObject,
    /// A required field is missing or `null`.
    #[error("`{field}` is required")]
    Missing {
        /// The JSON field.
        field: &'static str,
    },
    /// A field has the wrong JSON type.
    #[error("`{field}` must be {expected}")]
    WrongType {
        /// The JSON field.
        field: &'static str,
        /// What was expected, e.g. `a string`.
        expected: &'static str,
    },
    /// An id field is not a valid id.
    #[error("`{field}` is invalid: {source}")]
    InvalidId {
        /// The JSON field.
        field: &'static str,
        /// What is wrong with it.
        source: IdError,
    },
    /// A date field is not `YYYY-MM-DD` or RFC 3339 with offset.
    #[error("`{field}` {source}")]
    MalformedDate {
        /// `startDate` or `endDate`.
        field: &'static str,
        /// What is wrong with it.
        source: DateError,
    },
    /// One date is a day and the other a date-time.
    #[error("`startDate` and `endDate` must both be YYYY-MM-DD dates or both be date-times")]
    MixedDateFormats,
    /// The end is not after the start.
    #[error("`endDate` must be after `startDate`")]
    EndNotAfterStart,
    /// `isAllDay: true` with date-times.
    #[error(
        "`isAllDay` is true, so `startDate` and `endDate` must be YYYY-MM-DD dates without times"
    )]
    AllDayWithTimes,
    /// `isAllDay: false` with days on a calendar (non-someday) event.
    #[error("`isAllDay` is false, so `startDate` and `endDate` must be date-times with offset")]
    TimedWithoutTimes,
    /// An enum field has an unknown value.
    #[error("`{field}` is invalid: {source}")]
    UnknownValue {
        /// The JSON field.
        field: &'static str,
        /// The allowed values.
        source: UnknownValue,
    },
    /// A text field is too long.
    #[error("`{field}` is longer than {max} characters")]
    TooLong {
        /// The JSON field.
        field: &'static str,
        /// The limit in characters.
        max: usize,
    },
    /// `timeZone` is not an IANA time zone name.
    #[error("`timeZone` {source}")]
    InvalidTimeZone {
        /// What is wrong with it.
        source: TimeZoneError,
    },
    /// `recurrence.rule` is not a valid RFC 5545 rule.
    #[error("`recurrence.rule` is invalid: {source}")]
    InvalidRule {
        /// What is wrong with it.
        source: RuleError,
    },
    /// An instance-only field on a new standalone or series event.
    #[error("`{field}` belongs to an instance of an existing series and cannot be set when creating an event")]
    InstanceFieldOnCreate {
        /// `recurrence.eventId` or `gRecurringEventId`.
        field: &'static str,
    },
}

impl EventError {
    /// The JSON field the error is about (`""` for the body itself, `startDate` for date-pair errors).
    pub fn field(&self) -> &'static str {
        match self {
            EventError::NotAnObject => "",
            EventError::Missing { field }
            | EventError::WrongType { field, .. }
            | EventError::InvalidId { field, .. }
            | EventError::MalformedDate { field, .. }
            | EventError::UnknownValue { field, .. }
            | EventError::TooLong { field, .. }
            | EventError::InstanceFieldOnCreate { field } => field,
            EventError::MixedDateFormats | EventError::EndNotAfterStart => "endDate",
            EventError::AllDayWithTimes | EventError::TimedWithoutTimes => "isAllDay",
            EventError::InvalidRule { .. } => "recurrence.rule",
            EventError::InvalidTimeZone { .. } => "timeZone",
        }
    }
}
