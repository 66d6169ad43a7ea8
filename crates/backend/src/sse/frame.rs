//! One published SSE message as the hub stores and queues it, rendered to its wire bytes once when it is
//! built: every connection it is queued on writes the same shared [`Bytes`] (no per-connection formatting).

use std::sync::Arc;

use bytes::Bytes;
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
    /// The whole message as written to the socket (`id:`, `event:`, `data:` lines and the blank line).
    pub wire: Bytes,
}

impl Frame {
    /// A frame, rendered to its wire bytes.
    pub fn new(seq: u64, id: String, name: SseEventName, data: Arc<str>) -> Self {
        let wire = render(Some(&id), name.as_str(), &data);
        Self {
            seq,
            id,
            name,
            data,
            wire,
        }
    }
}

/// One SSE message: optional `id:`, `event:`, one `data:` line per line of `data`, then a blank line.
pub fn render(id: Option<&str>, name: &str, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + name.len() + 40);
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(id);
        out.push('\n');
    }
    out.push_str("event: ");
    out.push_str(name);
    out.push('\n');
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// An SSE comment message (`: text` and a blank line).
pub fn render_comment(text: &str) -> Bytes {
    Bytes::from(format!(": {text}\n\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_wire_form_once() {
        let frame = Frame::new(
            3,
            "ab-3".into(),
            SseEventName::EventChanged,
            Arc::from("{}"),
        );
        assert_eq!(
            &frame.wire[..],
            b"id: ab-3\nevent: EVENT_CHANGED\ndata: {}\n\n"
        );
        assert_eq!(
            &render(None, "X", "a\nb")[..],
            b"event: X\ndata: a\ndata: b\n\n"
        );
        assert_eq!(&render_comment("keepalive")[..], b": keepalive\n\n");
    }
}
