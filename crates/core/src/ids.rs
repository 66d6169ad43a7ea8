//! Identifier newtypes: Compass user, event and priority ids, and Google event ids.
//!
//! Compass ids are MongoDB ObjectIds written as 24 lowercase hexadecimal characters. An id value can only
//! be built through [`UserId::parse`] (and friends) or from the 12 raw ObjectId bytes, so an invalid id
//! cannot exist. On the wire every id is a plain JSON string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The prefix the reference web client once put in front of ids it generated itself; stripped on input.
pub const OPTIMISTIC_PREFIX: &str = "optimistic-";

/// Why a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string does not have exactly 24 characters.
    #[error("{kind} must be 24 hexadecimal characters, got {len}")]
    WrongLength {
        /// Which id kind was being parsed, e.g. `event id`.
        kind: &'static str,
        /// The length (in characters) that was found.
        len: usize,
    },
    /// The string has a character other than `0-9` or `a-f`.
    #[error("{kind} may only contain lowercase hexadecimal characters (0-9, a-f)")]
    NotLowercaseHex {
        /// Which id kind was being parsed.
        kind: &'static str,
    },
    /// A Google id was empty.
    #[error("{kind} must not be empty")]
    Empty {
        /// Which id kind was being parsed.
        kind: &'static str,
    },
}

/// Checks that `s` is a 24-character lowercase-hex ObjectId string.
fn check_object_id(kind: &'static str, s: &str) -> Result<(), IdError> {
    let len = s.chars().count();
    if len != 24 {
        return Err(IdError::WrongLength { kind, len });
    }
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(IdError::NotLowercaseHex { kind });
    }
    Ok(())
}

/// Writes 12 ObjectId bytes as 24 lowercase hex characters.
fn hex_of(bytes: [u8; 12]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(24);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

/// Reads 24 validated lowercase hex characters back into 12 bytes.
fn bytes_of(hex: &str) -> [u8; 12] {
    let mut out = [0u8; 12];
    let digits = hex.as_bytes();
    for (i, slot) in out.iter_mut().enumerate() {
        let nibble = |c: u8| {
            if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'a' + 10
            }
        };
        *slot = (nibble(digits[2 * i]) << 4) | nibble(digits[2 * i + 1]);
    }
    out
}

macro_rules! object_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The 24 lowercase hex characters of this id.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Builds the id from the 12 raw bytes of a MongoDB ObjectId.
            pub fn from_bytes(bytes: [u8; 12]) -> Self {
                Self(hex_of(bytes))
            }

            /// The 12 raw bytes of the ObjectId behind this id.
            pub fn to_bytes(&self) -> [u8; 12] {
                bytes_of(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(deserializer)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

object_id!(
    /// The id of a Compass user (the hex string of the user document's ObjectId).
    UserId
);

object_id!(
    /// The id of a Compass event. Parsing strips one leading `optimistic-` prefix.
    EventId
);

object_id!(
    /// The id of a per-user priority label document (`/api/priority`).
    PriorityId
);

impl UserId {
    /// Parses a user id: exactly 24 lowercase hex characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_object_id("user id", s)?;
        Ok(Self(s.to_owned()))
    }
}

impl PriorityId {
    /// Parses a priority id: exactly 24 lowercase hex characters.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_object_id("priority id", s)?;
        Ok(Self(s.to_owned()))
    }
}

impl EventId {
    /// Parses an event id: exactly 24 lowercase hex characters, after removing one leading
    /// [`OPTIMISTIC_PREFIX`] if present.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bare = s.strip_prefix(OPTIMISTIC_PREFIX).unwrap_or(s);
        check_object_id("event id", bare)?;
        Ok(Self(bare.to_owned()))
    }
}

/// A Google Calendar event id (`id` / `recurringEventId` in Google's API, `gEventId` /
/// `gRecurringEventId` in Compass). Google chooses these, so the only rule enforced is "not empty".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GoogleEventId(String);

impl GoogleEventId {
    /// Parses a Google event id; any non-empty string is accepted.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty {
                kind: "Google event id",
            });
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as sent to and received from Google.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for GoogleEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for GoogleEventId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<&EventId> for GoogleEventId {
    /// A Compass-created event uses its own ObjectId hex as its Google id.
    fn from(id: &EventId) -> Self {
        Self(id.as_str().to_owned())
    }
}

impl Serialize for GoogleEventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for GoogleEventId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "5f1b2c3d4e5f60718293a4b5";

    #[test]
    fn parses_lowercase_object_ids() {
        assert_eq!(UserId::parse(HEX).unwrap().as_str(), HEX);
        assert_eq!(PriorityId::parse(HEX).unwrap().to_string(), HEX);
        assert_eq!(HEX.parse::<EventId>().unwrap().as_str(), HEX);
    }

    #[test]
    fn rejects_wrong_length_uppercase_and_non_hex() {
        assert_eq!(
            UserId::parse("abc"),
            Err(IdError::WrongLength {
                kind: "user id",
                len: 3
            })
        );
        assert!(UserId::parse(&HEX.to_uppercase()).is_err());
        assert!(UserId::parse("5f1b2c3d4e5f60718293a4bz").is_err());
        assert!(UserId::parse("").is_err());
        assert!(EventId::parse("5f1b2c3d4e5f60718293a4b5 ").is_err());
        // 24 bytes but multi-byte characters: still rejected, never panics.
        assert!(EventId::parse("ééééééééééééééééééééééé").is_err());
    }

    #[test]
    fn event_id_strips_one_optimistic_prefix() {
        let id = EventId::parse(&format!("optimistic-{HEX}")).unwrap();
        assert_eq!(id.as_str(), HEX);
        assert!(EventId::parse(&format!("optimistic-optimistic-{HEX}")).is_err());
        assert!(UserId::parse(&format!("optimistic-{HEX}")).is_err());
    }

    #[test]
    fn bytes_round_trip() {
        let id = EventId::parse(HEX).unwrap();
        let bytes = id.to_bytes();
        assert_eq!(bytes[0], 0x5f);
        assert_eq!(bytes[11], 0xb5);
        assert_eq!(EventId::from_bytes(bytes), id);
    }

    #[test]
    fn serde_is_a_plain_string_and_validates() {
        let id: EventId = serde_json::from_str(&format!("\"optimistic-{HEX}\"")).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{HEX}\""));
        assert!(serde_json::from_str::<UserId>("\"nope\"").is_err());
        assert!(serde_json::from_str::<UserId>("12").is_err());
    }

    #[test]
    fn google_event_ids_must_not_be_empty() {
        assert!(GoogleEventId::parse("").is_err());
        let id = GoogleEventId::parse("abc_20250105T090000Z").unwrap();
        assert_eq!(serde_json::to_value(&id).unwrap(), "abc_20250105T090000Z");
        let compass = EventId::parse(HEX).unwrap();
        assert_eq!(GoogleEventId::from(&compass).as_str(), HEX);
    }
}
