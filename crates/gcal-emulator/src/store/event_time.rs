//! Parsing Google's `EventDateTime` (`{date}` or `{dateTime, timeZone}`) into typed times, and formatting
//! times back the way Google does.

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc,
};
use serde_json::{json, Value};

use crate::error::ApiError;

/// The start or end of an event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventTime {
    /// All-day: a calendar date (end dates are exclusive).
    Date(NaiveDate),
    /// A timed instant, with the offset it was written in and the optional IANA zone.
    DateTime(DateTime<FixedOffset>, Option<String>),
}

/// Years the emulator accepts (keeps date arithmetic far from chrono's limits).
const YEARS: std::ops::RangeInclusive<i32> = 1..=9000;

impl EventTime {
    /// Parses an `EventDateTime` object; `field` names it in errors.
    pub(crate) fn parse(value: Option<&Value>, field: &str) -> Result<Self, ApiError> {
        let parsed = Self::parse_unchecked(value, field)?;
        if !YEARS.contains(&parsed.utc().year()) {
            return Err(ApiError::bad_request(format!("Invalid {field} time.")));
        }
        Ok(parsed)
    }

    fn parse_unchecked(value: Option<&Value>, field: &str) -> Result<Self, ApiError> {
        let Some(obj) = value.and_then(Value::as_object) else {
            return Err(ApiError::required(field));
        };
        let zone = obj
            .get("timeZone")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(zone) = &zone {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(ApiError::bad_request(format!(
                    "Invalid time zone definition for {field}."
                )));
            }
        }
        if let Some(text) = obj.get("dateTime").and_then(Value::as_str) {
            if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
                return Ok(Self::DateTime(dt, zone));
            }
            let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .map_err(|_| ApiError::bad_request(format!("Invalid {field} time.")))?;
            let tz: chrono_tz::Tz =
                zone.as_deref()
                    .and_then(|z| z.parse().ok())
                    .ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "Missing time zone definition for {field} time."
                        ))
                    })?;
            let local = tz
                .from_local_datetime(&naive)
                .earliest()
                .ok_or_else(|| ApiError::bad_request(format!("Invalid {field} time.")))?;
            return Ok(Self::DateTime(local.fixed_offset(), zone));
        }
        if let Some(text) = obj.get("date").and_then(Value::as_str) {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request(format!("Invalid {field} date.")))?;
            return Ok(Self::Date(date));
        }
        Err(ApiError::required(field))
    }

    /// The instant this time stands for (all-day dates: midnight UTC).
    pub(crate) fn utc(&self) -> DateTime<Utc> {
        match self {
            Self::Date(d) => Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()),
            Self::DateTime(dt, _) => dt.with_timezone(&Utc),
        }
    }

    /// True for all-day times.
    pub(crate) fn is_date(&self) -> bool {
        matches!(self, Self::Date(_))
    }

    /// The IANA zone, if any.
    pub(crate) fn zone(&self) -> Option<&str> {
        match self {
            Self::Date(_) => None,
            Self::DateTime(_, z) => z.as_deref(),
        }
    }

    /// Google's JSON for this time.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::Date(d) => json!({"date": d.format("%Y-%m-%d").to_string()}),
            Self::DateTime(dt, zone) => {
                let mut v = json!({"dateTime": dt.to_rfc3339_opts(SecondsFormat::Secs, true)});
                if let Some(z) = zone {
                    v["timeZone"] = json!(z);
                }
                v
            }
        }
    }

    /// The instant this time stands for when all-day dates are read in `zone` (Google reads them in the
    /// calendar's zone for time windows).
    pub(crate) fn instant_in(&self, zone: chrono_tz::Tz) -> DateTime<Utc> {
        match self {
            Self::Date(d) => {
                let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
                zone.from_local_datetime(&midnight)
                    .earliest()
                    .map_or_else(|| self.utc(), |t| t.with_timezone(&Utc))
            }
            Self::DateTime(dt, _) => dt.with_timezone(&Utc),
        }
    }

    /// Google's JSON for this time as served: `dateTime` rendered in `zone` (the calendar's, or the request's
    /// `timeZone` parameter), the stored `timeZone` kept; dates as they are.
    pub(crate) fn to_json_in(&self, zone: chrono_tz::Tz) -> Value {
        match self {
            Self::Date(_) => self.to_json(),
            Self::DateTime(dt, stored) => {
                let shown = dt.with_timezone(&zone).fixed_offset();
                Self::DateTime(shown, stored.clone()).to_json()
            }
        }
    }

    /// The same kind of time at another instant: keeps all-day-ness, zone and (for zones) local offset rules.
    pub(crate) fn at(&self, instant: DateTime<Utc>) -> Self {
        match self {
            Self::Date(_) => Self::Date(instant.date_naive()),
            Self::DateTime(dt, zone) => {
                let shown = match zone
                    .as_deref()
                    .and_then(|z| z.parse::<chrono_tz::Tz>().ok())
                {
                    Some(tz) => instant.with_timezone(&tz).fixed_offset(),
                    None => instant.with_timezone(dt.offset()),
                };
                Self::DateTime(shown, zone.clone())
            }
        }
    }

    /// Google's instance-id suffix: `YYYYMMDD` for all-day, `YYYYMMDDTHHMMSSZ` for timed.
    pub(crate) fn instance_suffix(&self) -> String {
        match self {
            Self::Date(d) => d.format("%Y%m%d").to_string(),
            Self::DateTime(..) => self.utc().format("%Y%m%dT%H%M%SZ").to_string(),
        }
    }
}

/// Formats an instant as Google does in `created` / `updated` (milliseconds, `Z`).
pub(crate) fn rfc3339_millis(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an IANA zone name; anything else (or nothing) is UTC.
pub(crate) fn zone_or_utc(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// The zone responses are rendered in: the request's `timeZone` parameter when given (400 when not a zone),
/// else the calendar's.
pub(crate) fn display_zone(
    param: Option<&str>,
    calendar_zone: &str,
) -> Result<chrono_tz::Tz, ApiError> {
    match param {
        Some(name) => name
            .parse()
            .map_err(|_| ApiError::invalid_param("timeZone", "Invalid time zone definition.")),
        None => Ok(zone_or_utc(calendar_zone)),
    }
}

/// Parses a query-parameter timestamp (`timeMin`, `timeMax`, `updatedMin`): RFC 3339 with a mandatory offset.
pub(crate) fn parse_query_time(name: &str, text: &str) -> Result<DateTime<Utc>, ApiError> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| YEARS.contains(&t.year()))
        .ok_or_else(|| ApiError::invalid_param(name, format!("Invalid value for: {name}")))
}
