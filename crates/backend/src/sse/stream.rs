//! One open SSE connection as a `Stream`: backlog first, then live events and heartbeats (both queued by the
//! hub, in order: one shared heartbeat ticker for all streams, not a timer per stream), and an end at
//! session expiry. Dropping it (the client went away) unregisters it from the hub. A stream that a newer
//! one replaced (stream caps) ends with [`StreamItem::Replaced`], so the tab can stop reconnecting.

use std::collections::VecDeque;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use compass_core::sse::SseEventName;
use compass_core::{SseEvent, UserMetadata};
use futures::Stream;
use tokio::time::Sleep;

use super::frame::Frame;
use super::hub::Registration;
use super::queue::{QueueReceiver, Queued};

/// What a connection emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// A named event with id and data.
    Event(Arc<Frame>),
    /// The `: keepalive` comment.
    Keepalive,
    /// The last item of a stream that a newer stream of the same session or user replaced (stream caps).
    Replaced,
}

/// One subscriber's stream (see [`super::Hub::subscribe`]).
pub struct EventStream {
    backlog: VecDeque<Arc<Frame>>,
    metadata_id: String,
    rx: QueueReceiver,
    expiry: Option<Pin<Box<Sleep>>>,
    finished: bool,
    /// Dropping it unregisters the connection (a plain value, not a boxed closure: one allocation less per
    /// idle stream). The stream knows nothing else of the hub: it holds a plain receiver and this guard.
    _guard: Registration,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("backlog", &self.backlog.len())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(super) fn new(
        rx: QueueReceiver,
        backlog: VecDeque<Arc<Frame>>,
        metadata_id: String,
        lifetime: Option<Duration>,
        guard: Registration,
    ) -> Self {
        Self {
            backlog,
            metadata_id,
            rx,
            expiry: lifetime.map(|d| Box::pin(tokio::time::sleep(d))),
            finished: false,
            _guard: guard,
        }
    }

    /// Puts `USER_METADATA` with `metadata` in front of everything else. Its id is the resume position, so
    /// a reconnect right after it loses nothing.
    pub fn set_metadata(&mut self, metadata: UserMetadata) {
        let event = SseEvent::UserMetadata(metadata);
        self.set_metadata_data(Arc::from(event.data_string()));
    }

    /// [`EventStream::set_metadata`] with the data already serialized (e.g. from the hub's metadata cache).
    pub fn set_metadata_data(&mut self, data: Arc<str>) {
        self.backlog.push_front(Arc::new(Frame::new(
            0,
            std::mem::take(&mut self.metadata_id),
            SseEventName::UserMetadata,
            data,
        )));
    }
}

impl Stream for EventStream {
    type Item = StreamItem;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StreamItem>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        if let Some(expiry) = this.expiry.as_mut() {
            if expiry.as_mut().poll(cx).is_ready() {
                this.finished = true;
                return Poll::Ready(None);
            }
        }
        if let Some(frame) = this.backlog.pop_front() {
            if this.backlog.is_empty() {
                // An idle stream keeps no backlog buffer (it is only ever filled at the start).
                this.backlog = VecDeque::new();
            }
            return Poll::Ready(Some(StreamItem::Event(frame)));
        }
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(Queued::Event(frame))) => Poll::Ready(Some(StreamItem::Event(frame))),
            Poll::Ready(Some(Queued::Keepalive)) => Poll::Ready(Some(StreamItem::Keepalive)),
            Poll::Ready(None) => {
                this.finished = true;
                Poll::Ready(this.rx.was_replaced().then_some(StreamItem::Replaced))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
