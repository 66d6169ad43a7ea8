//! Event ids on the wire: `<epoch>-<sequence>`.
//!
//! The epoch is random per hub (per server process), the sequence grows by one per published event across all
//! users. An id from another epoch (a restart, another instance) cannot be resumed from, so it earns the
//! full-refresh hint instead of a wrong replay.

use std::fmt;

/// A position in one hub's event sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The hub's random epoch (lowercase hex).
    pub epoch: String,
    /// The sequence number of the last event seen (0 = before any event).
    pub seq: u64,
}

impl Cursor {
    /// Parses a `Last-Event-ID` value; anything malformed gives `None`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (epoch, seq) = raw.trim().split_once('-')?;
        if epoch.is_empty() || epoch.len() > 32 || !epoch.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            epoch: epoch.to_ascii_lowercase(),
            seq: seq.parse().ok()?,
        })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.epoch, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let c = Cursor {
            epoch: "a1b2c3d4".into(),
            seq: 42,
        };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        for bad in ["", "42", "-1", "zz-1", "a1-", "a1-x", "a1--1", "a1-1-2"] {
            assert_eq!(Cursor::parse(bad), None, "{bad:?}");
        }
    }
}
