//! One published SSE message as the hub stores and queues it.

use std::sync::Arc;

use compass_core::sse::SseEventName;

/// The `data` of the full-refresh hint: sent as `EVENT_CHANGED` and `SOMEDAY_EVENT_CHANGED` when a
/// `Last-Event-ID` can no longer be resumed from the history (wire form in `docs/operations.md`).
pub const RESYNC_HINT_DATA: &str = r#"{"resync":true}"#;

/// A named SSE event with its id and JSON data, shared by every connection it is queued on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The hub sequence number (0 for per-connection frames such as `USER_METADATA`).
    pub seq: u64,
    /// The wire `id:` (`<epoch>-<seq>`).
    pub id: String,
    /// The wire `event:` name.
    pub name: SseEventName,
    /// The wire `data:` (serialized JSON).
    pub data: Arc<str>,
}
