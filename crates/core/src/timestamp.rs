//! [`Timestamp`]: an instant such as `updatedAt`, written like JavaScript's `Date.toISOString()`.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An instant in UTC; on the wire `YYYY-MM-DDTHH:MM:SS.mmmZ`. Any RFC 3339 string is accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Parses an RFC 3339 date-time (with `Z` or an offset).
    pub fn parse(s: &str) -> Result<Self, chrono::ParseError> {
        DateTime::parse_from_rfc3339(s).map(|dt| Timestamp(dt.with_timezone(&Utc)))
    }

    /// The wire string, with milliseconds and `Z`.
    pub fn to_wire(&self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_wire())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_like_to_iso_string() {
        let t = Timestamp::parse("2025-01-05T09:00:00-06:00").unwrap();
        assert_eq!(t.to_wire(), "2025-01-05T15:00:00.000Z");
        assert_eq!(Timestamp::parse("2025-01-05T15:00:00.000Z").unwrap(), t);
        assert!(Timestamp::parse("2025-01-05").is_err());
    }
}
