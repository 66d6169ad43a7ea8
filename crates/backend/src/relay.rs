//! Cross-instance SSE fan-out through MongoDB change streams on the database the server already uses.
//!
//! [`MongoFanout`] is the hub's [`Fanout`]: every event this instance publishes is queued (bounded, never
//! waiting) and one writer task inserts the queue, in order, into the `sse_frame` collection
//! (`crate::store::sse_frames`). A listener task follows that collection with a change stream and hands every
//! other instance's event to [`Hub::deliver_remote`] with the publisher's wire id, so a tab on any instance sees
//! each event once, in the publisher's order, and `Last-Event-ID` resumes on whichever instance it reconnects
//! to (each hub remembers every user's recent events while a fan-out is configured).
//!
//! Losing the broker: the instance keeps serving its own tabs (local delivery never waits for the database).
//! When the listener's change stream fails it is reopened with a back-off; once it is back, every local tab is
//! sent the full-refresh hint (`{"resync":true}`), since other instances' events may have been missed. When the
//! writer could not insert (or its queue overflowed), its next successful insert is preceded by a resync
//! marker, on which every other instance tells its tabs to resync.
//!
//! Sign-out travels the same way: `Hub::end_session` on one instance ends that session's streams on every
//! instance and makes each refuse new ones for it (so a session cached on another instance is refused too).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use compass_core::sse::SseEventName;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::sse::{Fanout, Hub, Outbound};
use crate::store::sse_frames::{FrameKind, SseFrameDoc, SseFrames};
use crate::store::Store;

/// Events waiting for the writer; beyond it, events are dropped and the others told to resync.
const QUEUE: usize = 16_384;

/// Wait before reopening a failed change stream or retrying after a failed insert.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// The hub's transport to the other instances (see the module docs). Create with [`MongoFanout::new`], give
/// it to `Hub::with_fanout`, then [`Relay::start`] the tasks with the hub.
#[derive(Debug)]
pub struct MongoFanout {
    tx: mpsc::Sender<Message>,
    overflowed: Arc<AtomicBool>,
}

/// The receiving half of a [`MongoFanout`], until [`Relay::start`] runs it.
#[derive(Debug)]
pub struct PendingRelay {
    rx: mpsc::Receiver<Message>,
    overflowed: Arc<AtomicBool>,
}

impl MongoFanout {
    /// The transport and the half that [`Relay::start`] drains.
    pub fn new() -> (Self, PendingRelay) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let overflowed = Arc::new(AtomicBool::new(false));
        (
            Self {
                tx,
                overflowed: Arc::clone(&overflowed),
            },
            PendingRelay { rx, overflowed },
        )
    }
}

/// What the writer inserts.
#[derive(Debug)]
enum Message {
    Event(Outbound),
    EndSession(String),
}

impl MongoFanout {
    fn queue(&self, message: Message) {
        if self.tx.try_send(message).is_err() && !self.overflowed.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                "SSE fan-out queue full: events dropped, other instances will be told to resync"
            );
        }
    }
}

impl Fanout for MongoFanout {
    fn forward(&self, message: Outbound) {
        self.queue(Message::Event(message));
    }

    fn end_session(&self, session: &str) {
        self.queue(Message::EndSession(session.to_owned()));
    }
}

/// The running writer and listener tasks; stopped by [`Relay::stop`] or when dropped.
#[derive(Debug)]
pub struct Relay {
    tasks: Vec<JoinHandle<()>>,
}

impl Relay {
    /// Starts the writer and the listener for `hub` (which must have been built with the matching
    /// [`MongoFanout`]). Needs a Tokio runtime.
    pub fn start(pending: PendingRelay, store: &Store, hub: &Hub) -> Self {
        let frames = SseFrames::new(store);
        let writer = tokio::spawn(write(pending, frames.clone(), hub.epoch().to_owned()));
        let listener = tokio::spawn(listen(frames, hub.clone()));
        Self {
            tasks: vec![writer, listener],
        }
    }

    /// Stops both tasks.
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Inserts this instance's events in publish order.
async fn write(mut pending: PendingRelay, frames: SseFrames, origin: String) {
    let mut owe_resync = false;
    while let Some(message) = pending.rx.recv().await {
        owe_resync |= pending.overflowed.swap(false, Ordering::AcqRel);
        if owe_resync {
            match frames.insert(&SseFrameDoc::resync(&origin)).await {
                Ok(()) => owe_resync = false,
                Err(error) => {
                    tracing::warn!(%error, "SSE fan-out: cannot reach the broker");
                }
            }
        }
        let doc = match message {
            Message::Event(event) => SseFrameDoc::event(
                &origin,
                &event.user,
                event.name.as_str(),
                event.data,
                event.id,
            ),
            Message::EndSession(session) => SseFrameDoc::end_session(&origin, &session),
        };
        if let Err(error) = frames.insert(&doc).await {
            tracing::warn!(%error, "SSE fan-out: event not forwarded, other instances will be told to resync");
            owe_resync = true;
            tokio::time::sleep(RETRY_AFTER).await;
        }
    }
}

/// Follows the other instances' events and delivers them here.
async fn listen(frames: SseFrames, hub: Hub) {
    let mut lost = false;
    loop {
        if hub.is_closed() {
            return;
        }
        match frames.watch().await {
            Ok(mut watch) => {
                hub.set_broker_up(true);
                if lost {
                    hub.resync_all();
                }
                loop {
                    match watch.next().await {
                        Ok(Some(frame)) => receive(&hub, &frame),
                        Ok(None) => break,
                        Err(error) => {
                            tracing::warn!(%error, "SSE fan-out: change stream failed, reopening");
                            break;
                        }
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "SSE fan-out: cannot follow the broker, retrying");
            }
        }
        hub.set_broker_up(false);
        lost = true;
        tokio::time::sleep(RETRY_AFTER).await;
    }
}

fn receive(hub: &Hub, frame: &SseFrameDoc) {
    if frame.origin == hub.epoch() {
        return; // our own: already delivered locally
    }
    match frame.kind {
        FrameKind::Resync => hub.resync_all(),
        FrameKind::EndSession => match frame.session.as_deref() {
            Some(session) => hub.end_session_local(session),
            None => tracing::warn!(id = %frame.id, "SSE fan-out: malformed frame skipped"),
        },
        FrameKind::Event => {
            let (Some(user), Some(name), Some(data), Some(id)) = (
                frame.user_id(),
                frame
                    .name
                    .as_deref()
                    .and_then(|n| n.parse::<SseEventName>().ok()),
                frame.data.as_deref(),
                frame.frame_id.as_deref(),
            ) else {
                tracing::warn!(id = %frame.id, "SSE fan-out: malformed frame skipped");
                return;
            };
            hub.deliver_remote(&user, name, data, id);
        }
    }
}
