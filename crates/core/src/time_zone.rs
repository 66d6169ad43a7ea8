//! [`TimeZoneName`]: the IANA time zone of an event (`timeZone` on the wire), e.g. `America/Chicago`.
//!
//! A timed series recurs at the same wall-clock time in this zone (following daylight saving); without
//! one it recurs in the fixed UTC offset of its start. compass-core checks the **syntax** only (it does not
//! carry the tz database, which would bloat the web app's WASM): one or more `/`-separated parts, each
//! starting with an ASCII letter and made of ASCII letters, digits, `_`, `-` and `+` (`UTC`, `Etc/GMT+5`,
//! `America/Argentina/Buenos_Aires`, `America/Port-au-Prince`). The backend resolves the name with its
//! copy of the tz database and refuses names it does not know.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted name, in bytes (the longest IANA name is about 32 bytes).
pub const MAX_TIME_ZONE_LEN: usize = 64;

/// Why a string is not an IANA time zone name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    /// Empty, or longer than [`MAX_TIME_ZONE_LEN`] bytes.
    #[error("must be an IANA time zone name of 1 to {MAX_TIME_ZONE_LEN} characters")]
    Length,
    /// Not of the form `Area/Location`.
    #[error("must be an IANA time zone name such as America/Chicago")]
    Syntax,
}

/// A syntactically valid IANA time zone name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeZoneName(String);

/// True when `part` is one `/`-separated part of a zone name.
fn is_part(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
}

impl TimeZoneName {
    /// Parses a zone name (syntax only; see the module docs).
    pub fn parse(s: &str) -> Result<Self, TimeZoneError> {
        if s.is_empty() || s.len() > MAX_TIME_ZONE_LEN {
            return Err(TimeZoneError::Length);
        }
        if !s.split('/').all(is_part) {
            return Err(TimeZoneError::Syntax);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name, e.g. `America/Chicago`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TimeZoneName {
    type Err = TimeZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for TimeZoneName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for TimeZoneName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iana_shapes_are_accepted() {
        for name in [
            "UTC",
            "America/Chicago",
            "Europe/Berlin",
            "Etc/GMT+5",
            "Etc/GMT-14",
            "America/Argentina/Buenos_Aires",
            "America/Port-au-Prince",
            "EST5EDT",
        ] {
            assert_eq!(TimeZoneName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn other_strings_are_refused() {
        assert_eq!(TimeZoneName::parse(""), Err(TimeZoneError::Length));
        assert_eq!(
            TimeZoneName::parse(&"A".repeat(MAX_TIME_ZONE_LEN + 1)),
            Err(TimeZoneError::Length)
        );
        for bad in [
            "/Chicago",
            "America/",
            "America//Chicago",
            "America/Chicago ",
            "-06:00",
            "+01:00",
            "../etc/passwd",
            "Europe/Berlin\n",
            "Amérique/Chicago",
            "9Zone",
        ] {
            assert_eq!(
                TimeZoneName::parse(bad),
                Err(TimeZoneError::Syntax),
                "{bad}"
            );
        }
    }

    #[test]
    fn serde_is_a_plain_string_and_validates() {
        let zone: TimeZoneName = serde_json::from_str("\"Europe/Berlin\"").unwrap();
        assert_eq!(serde_json::to_string(&zone).unwrap(), "\"Europe/Berlin\"");
        assert!(serde_json::from_str::<TimeZoneName>("\"-06:00\"").is_err());
        assert!(serde_json::from_str::<TimeZoneName>("3").is_err());
    }
}
