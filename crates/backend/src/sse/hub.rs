//! The per-user SSE registry: connections, bounded history, publish without waiting.
//!
//! All state sits behind one short-held `std::sync::Mutex` (no `.await` while it is held). A connection is a
//! bounded `mpsc` queue filled with `try_send`; when the queue is full the connection is removed (its sender
//! dropped), so its stream ends after what is already queued and the browser reconnects with `Last-Event-ID`.
//! Each user keeps the last `history` events; a slot whose last connection closed is forgotten after
//! [`IDLE_RETENTION`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use compass_core::ids::UserId;
use compass_core::sse::SseEventName;
use compass_core::SseEvent;
use rand::Rng as _;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::cursor::Cursor;
use super::fanout::{Fanout, LocalOnly, Outbound};
use super::frame::{Frame, RESYNC_HINT_DATA};
use super::stream::{EventStream, OnDrop};
use crate::settings::SseSettings;

/// How long a user's history is kept after their last connection closed (room for a reconnect).
pub const IDLE_RETENTION: Duration = Duration::from_secs(300);

/// How often idle user slots are swept (at most).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The hub is shutting down and accepts no new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is shutting down")]
pub struct HubClosed;

/// The SSE hub. Cheap to clone; all clones share one registry.
#[derive(Clone)]
pub struct Hub {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("epoch", &self.shared.epoch)
            .field("connections", &self.connection_count())
            .finish()
    }
}

struct Shared {
    settings: SseSettings,
    epoch: String,
    fanout: Box<dyn Fanout>,
    state: Mutex<State>,
}

struct State {
    /// The sequence number of the last published event (across all users).
    seq: u64,
    next_conn: u64,
    users: HashMap<UserId, UserSlot>,
    closed: bool,
    last_sweep: Instant,
}

struct UserSlot {
    conns: HashMap<u64, Conn>,
    /// The last events published to this user, oldest first.
    history: VecDeque<Arc<Frame>>,
    /// Every event of this user with a sequence number above `floor` is in `history`.
    floor: u64,
    /// When the last connection closed (None while connected).
    idle_since: Option<Instant>,
}

struct Conn {
    tx: mpsc::Sender<Arc<Frame>>,
    session: String,
}

impl Hub {
    /// A hub for a single instance.
    pub fn new(settings: SseSettings) -> Self {
        Self::with_fanout(settings, LocalOnly)
    }

    /// A hub that also forwards every publish through `fanout` (cross-instance delivery).
    pub fn with_fanout(settings: SseSettings, fanout: impl Fanout) -> Self {
        let epoch = format!("{:08x}", rand::thread_rng().gen::<u32>());
        Self {
            shared: Arc::new(Shared {
                settings,
                epoch,
                fanout: Box::new(fanout),
                state: Mutex::new(State {
                    seq: 0,
                    next_conn: 0,
                    users: HashMap::new(),
                    closed: false,
                    last_sweep: Instant::now(),
                }),
            }),
        }
    }

    /// The hub's settings.
    pub fn settings(&self) -> &SseSettings {
        &self.shared.settings
    }

    /// Publishes an event of the contract to every open connection of `user` and records it for resume,
    /// then forwards it to the fan-out transport. Never waits: a connection whose queue is full is dropped.
    pub fn publish(&self, user: &UserId, event: &SseEvent) {
        let name = event.name();
        let data = event.data_string();
        self.deliver(user, name, &data);
        self.shared.fanout.forward(Outbound {
            user: user.clone(),
            name,
            data,
        });
    }

    /// Local delivery only (what a fan-out transport calls for messages from other instances).
    pub fn deliver(&self, user: &UserId, name: SseEventName, data: &str) {
        let mut state = self.shared.lock();
        if state.closed {
            return;
        }
        state.seq += 1;
        let seq = state.seq;
        let Some(slot) = state.users.get_mut(user) else {
            return; // nobody connected or reconnecting: nothing to deliver, nothing to remember
        };
        let frame = Arc::new(Frame {
            seq,
            id: self.shared.cursor(seq).to_string(),
            name,
            data: Arc::from(data),
        });
        slot.history.push_back(Arc::clone(&frame));
        while slot.history.len() > self.shared.settings.history {
            if let Some(evicted) = slot.history.pop_front() {
                slot.floor = evicted.seq;
            }
        }
        slot.conns
            .retain(|conn_id, conn| match conn.tx.try_send(Arc::clone(&frame)) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::info!(
                        conn_id,
                        "SSE connection too slow, dropped (it can resume with Last-Event-ID)"
                    );
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        if slot.conns.is_empty() && slot.idle_since.is_none() {
            slot.idle_since = Some(Instant::now());
        }
    }

    /// Opens a connection for `user` in `session`. The stream starts with the replay after `last_event_id`
    /// (or the full-refresh hint when that is not possible) and then carries live events; the caller should
    /// put `USER_METADATA` in front with [`EventStream::set_metadata`]. It ends after `lifetime` (the session's
    /// remaining lifetime), on [`Hub::end_session`], when it falls too far behind, or at shutdown.
    pub fn subscribe(
        &self,
        user: &UserId,
        session: &str,
        last_event_id: Option<&str>,
        lifetime: Option<Duration>,
    ) -> Result<EventStream, HubClosed> {
        let settings = self.shared.settings;
        let (tx, rx) = mpsc::channel(settings.queue);
        let mut state = self.shared.lock();
        if state.closed {
            return Err(HubClosed);
        }
        state.sweep_idle();
        let head = state.seq;
        let conn_id = state.next_conn;
        state.next_conn += 1;
        let slot = state.users.entry(user.clone()).or_insert_with(|| UserSlot {
            conns: HashMap::new(),
            history: VecDeque::new(),
            floor: head,
            idle_since: None,
        });
        slot.idle_since = None;

        let resume_from = last_event_id
            .and_then(Cursor::parse)
            .filter(|c| c.epoch == self.shared.epoch && c.seq <= head && c.seq >= slot.floor);
        let (metadata_id, backlog) = match (&resume_from, last_event_id) {
            (Some(cursor), _) => {
                let replay: VecDeque<_> = slot
                    .history
                    .iter()
                    .filter(|f| f.seq > cursor.seq)
                    .cloned()
                    .collect();
                (cursor.to_string(), replay)
            }
            (None, Some(_)) => {
                let id = self.shared.cursor(head).to_string();
                let hint = [
                    SseEventName::EventChanged,
                    SseEventName::SomedayEventChanged,
                ]
                .into_iter()
                .map(|name| {
                    Arc::new(Frame {
                        seq: head,
                        id: id.clone(),
                        name,
                        data: Arc::from(RESYNC_HINT_DATA),
                    })
                })
                .collect();
                (id, hint)
            }
            (None, None) => (self.shared.cursor(head).to_string(), VecDeque::new()),
        };
        slot.conns.insert(
            conn_id,
            Conn {
                tx,
                session: session.to_owned(),
            },
        );
        drop(state);

        let shared = Arc::clone(&self.shared);
        let owner = user.clone();
        let guard = OnDrop::new(move || shared.remove(&owner, conn_id));
        Ok(EventStream::new(
            rx,
            backlog,
            metadata_id,
            settings.heartbeat,
            lifetime,
            guard,
        ))
    }

    /// Ends every stream of one session (sign-out, revocation). Streams finish what is already queued.
    pub fn end_session(&self, session: &str) {
        let mut state = self.shared.lock();
        let now = Instant::now();
        for slot in state.users.values_mut() {
            slot.conns.retain(|_, conn| conn.session != session);
            if slot.conns.is_empty() && slot.idle_since.is_none() {
                slot.idle_since = Some(now);
            }
        }
    }

    /// Shutdown: refuses new connections and ends every open stream after what is already queued.
    pub fn close(&self) {
        let mut state = self.shared.lock();
        state.closed = true;
        for slot in state.users.values_mut() {
            slot.conns.clear();
        }
    }

    /// Open connections across all users.
    pub fn connection_count(&self) -> usize {
        self.shared
            .lock()
            .users
            .values()
            .map(|s| s.conns.len())
            .sum()
    }

    /// Open connections of one user.
    pub fn connections_of(&self, user: &UserId) -> usize {
        self.shared
            .lock()
            .users
            .get(user)
            .map_or(0, |s| s.conns.len())
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the registry half-updated in a harmful way
        // (every update is a single map operation), so keep serving.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cursor(&self, seq: u64) -> Cursor {
        Cursor {
            epoch: self.epoch.clone(),
            seq,
        }
    }

    /// Called by a connection's drop guard.
    fn remove(&self, user: &UserId, conn_id: u64) {
        let mut state = self.lock();
        if let Some(slot) = state.users.get_mut(user) {
            slot.conns.remove(&conn_id);
            if slot.conns.is_empty() && slot.idle_since.is_none() {
                slot.idle_since = Some(Instant::now());
            }
        }
    }
}

impl State {
    /// Forgets users whose last connection closed more than [`IDLE_RETENTION`] ago (at most every
    /// [`SWEEP_EVERY`]).
    fn sweep_idle(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last_sweep) < SWEEP_EVERY {
            return;
        }
        self.last_sweep = now;
        self.users.retain(|_, slot| {
            slot.idle_since
                .is_none_or(|since| now.duration_since(since) < IDLE_RETENTION)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::StreamItem;
    use compass_core::UserMetadata;
    use futures::StreamExt as _;

    fn user(n: u8) -> UserId {
        UserId::parse(&format!("{n:024x}")).expect("valid id")
    }

    fn hub(queue: usize, history: usize) -> Hub {
        Hub::new(SseSettings {
            heartbeat: Duration::from_secs(25),
            queue,
            history,
        })
    }

    /// Next item, failing the test if none arrives within a (virtual) second.
    async fn next(stream: &mut EventStream) -> Option<StreamItem> {
        tokio::time::timeout(Duration::from_secs(1), stream.next())
            .await
            .expect("an item within the deadline")
    }

    async fn next_frame(stream: &mut EventStream) -> Arc<Frame> {
        match next(stream).await {
            Some(StreamItem::Event(frame)) => frame,
            other => panic!("expected an event, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn metadata_comes_first_then_live_events_to_every_tab_of_that_user_only() {
        let hub = hub(8, 16);
        let (a, b) = (user(1), user(2));
        let mut tab1 = hub.subscribe(&a, "s1", None, None).expect("open");
        let mut tab2 = hub.subscribe(&a, "s2", None, None).expect("open");
        let mut other = hub.subscribe(&b, "s3", None, None).expect("open");
        for s in [&mut tab1, &mut tab2, &mut other] {
            s.set_metadata(UserMetadata {
                skip_onboarding: Some(true),
                ..UserMetadata::default()
            });
        }
        hub.publish(&a, &SseEvent::EventChanged);

        for tab in [&mut tab1, &mut tab2] {
            let meta = next_frame(tab).await;
            assert_eq!(meta.name, SseEventName::UserMetadata);
            assert_eq!(&*meta.data, r#"{"skipOnboarding":true}"#);
            let ev = next_frame(tab).await;
            assert_eq!(ev.name, SseEventName::EventChanged);
            assert_eq!(&*ev.data, "{}");
        }
        assert_eq!(
            next_frame(&mut other).await.name,
            SseEventName::UserMetadata
        );
        // user B gets nothing but heartbeats
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(30), other.next())
                .await
                .expect("heartbeat"),
            Some(StreamItem::Keepalive)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeat_every_interval() {
        let hub = hub(8, 16);
        let mut s = hub.subscribe(&user(1), "s", None, None).expect("open");
        let start = Instant::now();
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(26), s.next())
                .await
                .expect("beat"),
            Some(StreamItem::Keepalive)
        );
        assert!(start.elapsed() >= Duration::from_secs(25));
        assert_eq!(
            tokio::time::timeout(Duration::from_secs(26), s.next())
                .await
                .expect("beat"),
            Some(StreamItem::Keepalive)
        );
        assert!(start.elapsed() >= Duration::from_secs(50));
    }

    #[tokio::test(start_paused = true)]
    async fn slow_connection_is_dropped_without_affecting_others() {
        let hub = hub(2, 16);
        let a = user(1);
        let mut slow = hub.subscribe(&a, "s1", None, None).expect("open");
        let mut fast = hub.subscribe(&a, "s2", None, None).expect("open");
        for i in 0..5 {
            // Any data, to see the order (a fan-out transport delivers exactly like this).
            hub.deliver(
                &a,
                SseEventName::EventChanged,
                &serde_json::json!({ "i": i }).to_string(),
            );
            assert_eq!(
                &*next_frame(&mut fast).await.data,
                format!(r#"{{"i":{i}}}"#)
            );
        }
        assert_eq!(hub.connections_of(&a), 1);
        // the slow one still gets what was queued, then ends
        assert_eq!(&*next_frame(&mut slow).await.data, r#"{"i":0}"#);
        let last = next_frame(&mut slow).await;
        assert_eq!(&*last.data, r#"{"i":1}"#);
        assert_eq!(next(&mut slow).await, None);

        // and resumes from its last id without losing anything
        let mut resumed = hub.subscribe(&a, "s1", Some(&last.id), None).expect("open");
        resumed.set_metadata(UserMetadata::default());
        assert_eq!(
            next_frame(&mut resumed).await.name,
            SseEventName::UserMetadata
        );
        for i in 2..5 {
            assert_eq!(
                &*next_frame(&mut resumed).await.data,
                format!(r#"{{"i":{i}}}"#)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn resume_beyond_history_gets_the_full_refresh_hint() {
        let hub = hub(8, 2);
        let a = user(1);
        let mut s = hub.subscribe(&a, "s", None, None).expect("open");
        hub.publish(&a, &SseEvent::EventChanged);
        let first = next_frame(&mut s).await;
        drop(s);
        for _ in 0..3 {
            hub.publish(&a, &SseEvent::SomedayEventChanged);
        }
        let mut resumed = hub.subscribe(&a, "s", Some(&first.id), None).expect("open");
        let hint1 = next_frame(&mut resumed).await;
        let hint2 = next_frame(&mut resumed).await;
        assert_eq!(hint1.name, SseEventName::EventChanged);
        assert_eq!(hint2.name, SseEventName::SomedayEventChanged);
        assert_eq!(&*hint1.data, RESYNC_HINT_DATA);
        // ids from another process (epoch) or garbage also get the hint
        for id in ["0-1", "garbage"] {
            let mut s = hub.subscribe(&a, "s", Some(id), None).expect("open");
            assert_eq!(&*next_frame(&mut s).await.data, RESYNC_HINT_DATA, "{id}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn end_session_ends_only_that_sessions_streams() {
        let hub = hub(8, 16);
        let a = user(1);
        let mut s1 = hub.subscribe(&a, "gone", None, None).expect("open");
        let mut s2 = hub.subscribe(&a, "stays", None, None).expect("open");
        hub.end_session("gone");
        assert_eq!(next(&mut s1).await, None);
        hub.publish(&a, &SseEvent::EventChanged);
        assert_eq!(next_frame(&mut s2).await.name, SseEventName::EventChanged);
    }

    #[tokio::test(start_paused = true)]
    async fn stream_ends_at_session_expiry() {
        let hub = hub(8, 16);
        let mut s = hub
            .subscribe(&user(1), "s", None, Some(Duration::from_secs(60)))
            .expect("open");
        let start = Instant::now();
        while let Some(item) = tokio::time::timeout(Duration::from_secs(120), s.next())
            .await
            .expect("ends")
        {
            assert_eq!(item, StreamItem::Keepalive);
        }
        assert!(start.elapsed() >= Duration::from_secs(60));
        assert!(start.elapsed() < Duration::from_secs(61));
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_stream_unregisters_it_and_close_ends_everything() {
        let hub = hub(8, 16);
        let a = user(1);
        let s1 = hub.subscribe(&a, "s", None, None).expect("open");
        let mut s2 = hub.subscribe(&a, "s", None, None).expect("open");
        assert_eq!(hub.connection_count(), 2);
        drop(s1);
        assert_eq!(hub.connection_count(), 1);
        hub.publish(&a, &SseEvent::EventChanged);
        hub.close();
        assert_eq!(next_frame(&mut s2).await.name, SseEventName::EventChanged);
        assert_eq!(next(&mut s2).await, None);
        assert_eq!(hub.subscribe(&a, "s", None, None).err(), Some(HubClosed));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_users_are_forgotten_after_retention() {
        let hub = hub(8, 16);
        let (a, b) = (user(1), user(2));
        drop(hub.subscribe(&a, "s", None, None).expect("open"));
        tokio::time::advance(IDLE_RETENTION + SWEEP_EVERY).await;
        drop(hub.subscribe(&b, "s", None, None).expect("open"));
        assert!(!hub.shared.lock().users.contains_key(&a));
    }

    #[tokio::test(start_paused = true)]
    async fn fanout_sees_every_publish() {
        #[derive(Clone, Default)]
        struct Recorder(Arc<Mutex<Vec<Outbound>>>);
        impl Fanout for Recorder {
            fn forward(&self, message: Outbound) {
                self.0.lock().expect("lock").push(message);
            }
        }
        let recorder = Recorder::default();
        let hub = Hub::with_fanout(SseSettings::default(), recorder.clone());
        hub.publish(&user(3), &SseEvent::GoogleRevoked);
        let seen = recorder.0.lock().expect("lock").clone();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].name, SseEventName::GoogleRevoked);
    }
}
