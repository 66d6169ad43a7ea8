//! [`SseSettings`]: tuning of the SSE hub (heartbeat, per-connection queue, resume history).

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
}

impl Default for SseSettings {
    fn default() -> Self {
        Self {
            heartbeat: Duration::from_secs(25),
            queue: 64,
            history: 256,
        }
    }
}
