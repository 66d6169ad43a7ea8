//! [`SseSettings`]: tuning of the SSE hub (heartbeat, per-connection queue, resume history, stream caps and
//! the short-lived caches that make opening a stream cheap).

use std::time::Duration;

/// SSE hub tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseSettings {
    /// Interval between `: keepalive` comments.
    pub heartbeat: Duration,
    /// Per-connection queue length; a connection whose queue is full is dropped.
    pub queue: usize,
    /// Events remembered per user for `Last-Event-ID` resume.
    pub history: usize,
    /// Open streams per session; a new one beyond it closes the oldest of that session.
    pub max_per_session: usize,
    /// Open streams per user; a new one beyond it closes the oldest of that user.
    pub max_per_user: usize,
    /// Open streams per server process; a new one beyond it is refused with 503.
    pub max_streams: usize,
    /// How long a resolved session and a user's `USER_METADATA` are served from memory when a stream opens
    /// (zero: always read the database). Sign-out and session expiry take effect at once regardless.
    pub cache_ttl: Duration,
    /// Forward events to the other instances on the same database and deliver theirs (`crate::relay`).
    pub fanout: bool,
}

impl Default for SseSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            queue: 64,
            history: 256,
            max_per_session: 10,
            max_per_user: 20,
            max_streams: 25_000,
            cache_ttl: Duration::from_secs(10),
            fanout: false,
        }
    }
}
