//! Server-Sent Events: the per-user hub and its wire format.
//!
//! [`Hub`] keeps, per user, the open connections (each with a bounded queue) and a bounded history of
//! published events for `Last-Event-ID` resume. Publishing never waits for a subscriber: a connection whose
//! queue is full is dropped and resumes from the history when the browser reconnects. [`EventStream`] is one
//! connection's view (backlog, live queue with the shared heartbeat, session expiry); `crate::http::stream` turns it into the
//! `text/event-stream` response. [`Fanout`] is the seam for cross-instance delivery through a broker.

mod cursor;
mod fanout;
mod frame;
mod hub;
mod queue;
mod stream;

pub use cursor::Cursor;
pub use fanout::{Fanout, LocalOnly, Outbound};
pub use frame::{render, render_comment, Frame, RESYNC_HINT_DATA};
pub use hub::{Hub, MetadataTicket, SubscribeError};
pub use stream::{EventStream, StreamItem};
