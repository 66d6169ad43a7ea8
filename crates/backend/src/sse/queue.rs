//! One connection's bounded queue between the hub (which pushes without ever waiting) and the connection's
//! stream (which pops). A `tokio::sync::mpsc` channel does the same but allocates its state and a first
//! block of 32 slots up front (about 800 bytes per idle stream); this queue is one small allocation whose
//! buffer grows only when items are queued, which matters with 10 000 idle streams (docs/benchmarks.md).
//!
//! Dropping the [`QueueSender`] closes the queue: the receiver gets what is already queued, then the end.
//! [`QueueSender::replace`] closes it with the "replaced by a newer stream" mark. Dropping the
//! [`QueueReceiver`] makes further sends fail with [`TrySendError::Closed`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use super::frame::Frame;

/// What a connection's queue carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Queued {
    /// A published event.
    Event(Arc<Frame>),
    /// The shared heartbeat ticked.
    Keepalive,
}

/// Why [`QueueSender::try_send`] did not queue the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TrySendError {
    /// The queue holds its maximum.
    Full,
    /// The receiver is gone.
    Closed,
}

struct Shared {
    state: Mutex<State>,
}

struct State {
    items: VecDeque<Queued>,
    capacity: usize,
    /// The sender is gone (or replaced): nothing more will be queued.
    closed: bool,
    /// Closed because a newer stream replaced this one.
    replaced: bool,
    /// The receiver is gone.
    receiver_gone: bool,
    /// The receiver's task, while it waits for an item.
    waker: Option<Waker>,
}

/// The hub's end of a connection's queue.
pub(super) struct QueueSender(Arc<Shared>);

/// The stream's end of a connection's queue.
pub(super) struct QueueReceiver(Arc<Shared>);

/// A queue holding at most `capacity` items.
pub(super) fn queue(capacity: usize) -> (QueueSender, QueueReceiver) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            capacity: capacity.max(1),
            closed: false,
            replaced: false,
            receiver_gone: false,
            waker: None,
        }),
    });
    (QueueSender(Arc::clone(&shared)), QueueReceiver(shared))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update is a single field or push/pop: a panic elsewhere cannot leave it half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the queue (after what is queued), marking it replaced if asked, and wakes the receiver.
    fn close(&self, replaced: bool) {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return;
            }
            state.closed = true;
            state.replaced = replaced;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl QueueSender {
    /// Queues `item` unless the queue is full or its receiver is gone; never waits.
    pub(super) fn try_send(&self, item: Queued) -> Result<(), TrySendError> {
        let waker = {
            let mut state = self.0.lock();
            if state.receiver_gone {
                return Err(TrySendError::Closed);
            }
            if state.items.len() >= state.capacity {
                return Err(TrySendError::Full);
            }
            state.items.push_back(item);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Queues a keepalive if the queue is empty (anything already queued will be written anyway, so a
    /// stalled connection never holds more than one). Fails only when the receiver is gone.
    pub(super) fn try_keepalive(&self) -> Result<(), TrySendError> {
        let waker = {
            let mut state = self.0.lock();
            if state.receiver_gone {
                return Err(TrySendError::Closed);
            }
            if !state.items.is_empty() {
                return Ok(());
            }
            state.items.push_back(Queued::Keepalive);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Closes the queue, telling the receiver that a newer stream replaced it.
    pub(super) fn replace(self) {
        self.0.close(true);
    }
}

impl Drop for QueueSender {
    fn drop(&mut self) {
        self.0.close(false);
    }
}

impl QueueReceiver {
    /// The next item; `Ready(None)` once the queue is closed and empty.
    pub(super) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<Queued>> {
        let mut state = self.0.lock();
        if let Some(item) = state.items.pop_front() {
            return Poll::Ready(Some(item));
        }
        if state.closed {
            return Poll::Ready(None);
        }
        match &mut state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Whether the queue was closed because a newer stream replaced this one.
    pub(super) fn was_replaced(&self) -> bool {
        self.0.lock().replaced
    }
}

impl Drop for QueueReceiver {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.receiver_gone = true;
        state.items.clear();
        state.waker = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::task::noop_waker;

    fn frame(seq: u64) -> Queued {
        Queued::Event(Arc::new(Frame::new(
            seq,
            format!("e-{seq}"),
            compass_core::sse::SseEventName::EventChanged,
            Arc::from("{}"),
        )))
    }

    fn poll(rx: &mut QueueReceiver) -> Poll<Option<Queued>> {
        let waker = noop_waker();
        rx.poll_recv(&mut Context::from_waker(&waker))
    }

    #[test]
    fn bounded_in_order_and_drained_after_the_sender_is_dropped() {
        let (tx, mut rx) = queue(2);
        assert_eq!(poll(&mut rx), Poll::Pending);
        tx.try_send(frame(1)).expect("room");
        tx.try_send(Queued::Keepalive).expect("room");
        assert_eq!(tx.try_send(frame(3)), Err(TrySendError::Full));
        drop(tx);
        assert_eq!(poll(&mut rx), Poll::Ready(Some(frame(1))));
        assert_eq!(poll(&mut rx), Poll::Ready(Some(Queued::Keepalive)));
        assert_eq!(poll(&mut rx), Poll::Ready(None));
        assert!(!rx.was_replaced());
    }

    #[test]
    fn a_keepalive_is_queued_only_into_an_empty_queue() {
        let (tx, mut rx) = queue(4);
        tx.try_keepalive().expect("open");
        tx.try_keepalive().expect("open");
        tx.try_send(frame(1)).expect("room");
        tx.try_keepalive().expect("open");
        assert_eq!(poll(&mut rx), Poll::Ready(Some(Queued::Keepalive)));
        assert_eq!(poll(&mut rx), Poll::Ready(Some(frame(1))));
        assert_eq!(poll(&mut rx), Poll::Pending);
        drop(rx);
        assert_eq!(tx.try_keepalive(), Err(TrySendError::Closed));
    }

    #[test]
    fn replaced_and_receiver_gone_are_told_apart() {
        let (tx, mut rx) = queue(4);
        tx.replace();
        assert_eq!(poll(&mut rx), Poll::Ready(None));
        assert!(rx.was_replaced());

        let (tx, rx) = queue(4);
        drop(rx);
        assert_eq!(tx.try_send(frame(1)), Err(TrySendError::Closed));
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_send() {
        let (tx, mut rx) = queue(4);
        let waiter = tokio::spawn(async move { std::future::poll_fn(|cx| rx.poll_recv(cx)).await });
        tokio::task::yield_now().await;
        tx.try_send(frame(7)).expect("room");
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), waiter).await;
        assert_eq!(woken.expect("woken").expect("task"), Some(frame(7)));
    }
}
