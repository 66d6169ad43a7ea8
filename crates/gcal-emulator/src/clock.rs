//! The emulator's virtual clock: real time plus an offset that only moves forward
//! (`POST /_emulator/clock/advance`). Everything time-based in the emulator reads it — channel expiry, access-
//! and refresh-token lifetimes, authorization codes, sync-token lifetime, tombstone retention, fault windows,
//! notification delays and the `updated` / `created` stamps of events — so tests move time instead of sleeping.
//!
//! ID tokens are the one exception: their `iat` / `exp` are checked by the client against its own real clock,
//! so they keep real time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Longest single advance (100 years): more would only overflow instants.
pub(crate) const MAX_ADVANCE_SECS: u64 = 100 * 365 * 24 * 3600;

/// A shared handle on the virtual clock (cheap to clone; every clone sees the same offset).
#[derive(Debug, Clone, Default)]
pub(crate) struct Clock {
    /// Milliseconds added to real time.
    offset_ms: Arc<AtomicU64>,
}

impl Clock {
    /// A clock at real time (offset 0).
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// The offset from real time.
    pub(crate) fn offset(&self) -> Duration {
        Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Virtual now, as a date.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::from_std(self.offset()).unwrap_or(chrono::Duration::zero());
        Utc::now()
            .checked_add_signed(offset)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Virtual now, in unix milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Virtual now, as a monotonic instant (for lifetimes kept as `Instant`s).
    pub(crate) fn instant(&self) -> Instant {
        let now = Instant::now();
        now.checked_add(self.offset()).unwrap_or(now)
    }

    /// Moves the clock forward by `by` (capped at [`MAX_ADVANCE_SECS`] per call); returns the new now.
    pub(crate) fn advance(&self, by: Duration) -> DateTime<Utc> {
        let ms = u64::try_from(by.min(Duration::from_secs(MAX_ADVANCE_SECS)).as_millis())
            .unwrap_or(u64::MAX);
        self.offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            })
            .ok();
        self.now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_view_of_now_forward_together() {
        let clock = Clock::new();
        let copy = clock.clone();
        let before = clock.now();
        let instant = clock.instant();
        clock.advance(Duration::from_secs(3600));
        assert!(copy.now() - before >= chrono::Duration::seconds(3600));
        assert!(copy.instant() - instant >= Duration::from_secs(3600));
        assert_eq!(copy.offset(), Duration::from_secs(3600));
    }
}
