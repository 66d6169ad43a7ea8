//! The per-user SSE registry: connections, bounded history, publish without waiting.
//!
//! All state sits behind one short-held `std::sync::Mutex` (no `.await` while it is held). A connection is a
//! small bounded queue (`super::queue`) filled with `try_send`; when the queue is full the connection is
//! removed (its sender dropped), so its stream ends after what is already queued and the browser reconnects
//! with `Last-Event-ID`. One heartbeat task per hub queues `: keepalive` on every open connection each
//! `heartbeat` (a queue that already holds something skips it: that connection has data to write anyway),
//! instead of a timer per connection.
//! Each user keeps the last `history` events; a slot whose last connection closed is forgotten after
//! [`IDLE_RETENTION`].
//!
//! Bounded: a session holds at most `max_per_session` streams and a user `max_per_user`; one more replaces
//! the oldest (which is told so with [`StreamItem::Replaced`] and ends), so a reloading tab never locks
//! itself out. Beyond `max_streams` on the whole server a new stream is refused ([`SubscribeError::ServerFull`]).
//! The hub also remembers which sessions were ended (sign-out) for a while, so that a stream opened with a
//! session resolved just before the sign-out is refused atomically ([`SubscribeError::SessionEnded`]), and it
//! keeps each connected user's serialized `USER_METADATA` for `cache_ttl`, forgotten on every event to that
//! user ([`Hub::cached_metadata`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use compass_core::ids::UserId;
use compass_core::sse::SseEventName;
use compass_core::SseEvent;
use rand::Rng as _;
use tokio::time::{Instant, MissedTickBehavior};

use super::cursor::Cursor;
use super::fanout::{Fanout, LocalOnly, Outbound};
use super::frame::{Frame, RESYNC_HINT_DATA};
use super::queue::{queue, QueueSender, Queued, TrySendError};
use super::stream::EventStream;
#[cfg(doc)]
use super::stream::StreamItem;
use crate::settings::SseSettings;

/// How long a user's history is kept after their last connection closed (room for a reconnect).
pub const IDLE_RETENTION: Duration = Duration::from_secs(300);

/// How often idle user slots are swept (at most).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// How long an ended session stays refused beyond the cache lifetime (covers a session read from the
/// database just before its sign-out and cached just after it, even with the cache disabled).
const ENDED_SESSION_MEMORY: Duration = Duration::from_secs(60);

/// Why a stream could not be registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    /// The hub is shutting down and accepts no new connections.
    #[error("the server is shutting down")]
    Closed,
    /// The server already holds `max_streams` streams.
    #[error("the server has too many open streams")]
    ServerFull,
    /// The session was ended (signed out) on this server.
    #[error("the session has ended")]
    SessionEnded,
}

/// Proof of the user's state when a metadata read started ([`Hub::cached_metadata`]): a read is cached
/// only if no event reached the user in between. Concurrent misses for one connected user with no event in
/// between get the same ticket and share one read ([`MetadataTicket::read`], single flight).
#[derive(Debug, Clone)]
pub struct MetadataTicket {
    generation: Option<u64>,
    flight: MetadataFlight,
}

/// A metadata read that concurrent openers of one user's streams wait for.
type MetadataFlight = Arc<tokio::sync::OnceCell<Arc<str>>>;

impl MetadataTicket {
    /// The serialized metadata: the result of this ticket's shared read, made by `read` if nobody has made
    /// it yet (a failed read is retried by the next waiter).
    pub async fn read<E, F, Fut>(&self, read: F) -> Result<Arc<str>, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Arc<str>, E>>,
    {
        self.flight.get_or_try_init(read).await.cloned()
    }
}

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
    /// Remember every user's events (a shared fan-out is configured), not only connected users'.
    remember_all: bool,
    /// Whether the cross-instance broker is currently followed (see [`Hub::set_broker_up`]).
    broker_up: AtomicBool,
    /// Whether the heartbeat task was started (see [`Hub::start_heartbeat`]).
    heartbeat_started: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// The sequence number of the last published event (across all users).
    seq: u64,
    next_conn: u64,
    users: HashMap<UserId, UserSlot>,
    /// Open connections across all users.
    open: usize,
    /// Sessions ended on this server, and when.
    ended_sessions: HashMap<String, Instant>,
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
    /// Grows with every event delivered to this user (invalidates `metadata`).
    generation: u64,
    /// The serialized `USER_METADATA` data, and when it was read.
    metadata: Option<(Arc<str>, Instant)>,
    /// The metadata read in progress for the current `generation` (joined by concurrent misses).
    metadata_flight: Option<MetadataFlight>,
}

struct Conn {
    tx: QueueSender,
    session: Box<str>,
}

impl UserSlot {
    /// Removes the oldest connection (lowest id) that `pick` accepts, telling it that it was replaced.
    fn replace_oldest(&mut self, pick: impl Fn(&Conn) -> bool) -> bool {
        let oldest = self
            .conns
            .iter()
            .filter(|(_, conn)| pick(conn))
            .map(|(id, _)| *id)
            .min();
        match oldest.and_then(|id| self.conns.remove(&id)) {
            Some(conn) => {
                conn.tx.replace();
                true
            }
            None => false,
        }
    }

    fn mark_idle_if_empty(&mut self, now: Instant) {
        if self.conns.is_empty() && self.idle_since.is_none() {
            self.idle_since = Some(now);
        }
    }
}

impl Hub {
    /// A hub for a single instance.
    pub fn new(settings: SseSettings) -> Self {
        Self::with_fanout(settings, LocalOnly)
    }

    /// A hub that also forwards every publish through `fanout` (cross-instance delivery).
    pub fn with_fanout(settings: SseSettings, fanout: impl Fanout) -> Self {
        let epoch = format!("{:08x}", rand::thread_rng().gen::<u32>());
        let remember_all = fanout.is_shared();
        let hub = Self {
            shared: Arc::new(Shared {
                settings,
                epoch,
                fanout: Box::new(fanout),
                remember_all,
                broker_up: AtomicBool::new(false),
                heartbeat_started: AtomicBool::new(false),
                state: Mutex::new(State {
                    seq: 0,
                    next_conn: 0,
                    users: HashMap::new(),
                    open: 0,
                    ended_sessions: HashMap::new(),
                    closed: false,
                    last_sweep: Instant::now(),
                }),
            }),
        };
        hub.start_heartbeat();
        hub
    }

    /// Starts the hub's heartbeat task on the current Tokio runtime, once (at construction when it happens
    /// inside a runtime, otherwise at the first subscription). It holds the hub weakly and ends with it or
    /// at [`Hub::close`].
    fn start_heartbeat(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.shared.heartbeat_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let every = self.shared.settings.heartbeat;
        if every.is_zero() {
            return;
        }
        runtime.spawn(heartbeat(Arc::downgrade(&self.shared), every));
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
        let id = self.deliver_frame(user, name, &data, None);
        self.shared.fanout.forward(Outbound {
            user: user.clone(),
            name,
            data,
            id,
        });
    }

    /// Local delivery only, with an id of this hub (tests and benchmarks use it for numbered data).
    pub fn deliver(&self, user: &UserId, name: SseEventName, data: &str) {
        self.deliver_frame(user, name, data, None);
    }

    /// Local delivery of an event another instance published, keeping that instance's wire id (what a
    /// fan-out transport calls).
    pub fn deliver_remote(&self, user: &UserId, name: SseEventName, data: &str, id: &str) {
        self.deliver_frame(user, name, data, Some(id));
    }

    /// Sends the full-refresh hint to every open stream (the broker was lost for a while, so events of
    /// other instances may be missing). It is recorded like any event, so a reconnect does not lose it.
    pub fn resync_all(&self) {
        let users: Vec<UserId> = self
            .shared
            .lock()
            .users
            .iter()
            .filter(|(_, slot)| !slot.conns.is_empty())
            .map(|(user, _)| user.clone())
            .collect();
        for user in &users {
            for name in [
                SseEventName::EventChanged,
                SseEventName::SomedayEventChanged,
            ] {
                self.deliver(user, name, RESYNC_HINT_DATA);
            }
        }
        tracing::info!(
            users = users.len(),
            "told every open stream to resync (broker back)"
        );
    }

    /// This hub's epoch (its instance id in event ids and in the fan-out log).
    pub fn epoch(&self) -> &str {
        &self.shared.epoch
    }

    /// Records whether the cross-instance broker is followed right now (set by the fan-out transport).
    pub fn set_broker_up(&self, up: bool) {
        self.shared.broker_up.store(up, Ordering::Release);
    }

    /// Whether the cross-instance broker is followed right now.
    pub fn broker_up(&self) -> bool {
        self.shared.broker_up.load(Ordering::Acquire)
    }

    /// Whether [`Hub::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.shared.lock().closed
    }

    /// Delivers to the user's open connections and records the frame; returns its wire id.
    fn deliver_frame(
        &self,
        user: &UserId,
        name: SseEventName,
        data: &str,
        remote_id: Option<&str>,
    ) -> String {
        let mut state = self.shared.lock();
        if self.shared.remember_all {
            state.sweep_idle(self.shared.settings.cache_ttl);
        }
        state.seq += 1;
        let seq = state.seq;
        let id = remote_id.map_or_else(|| self.shared.cursor(seq).to_string(), str::to_owned);
        if state.closed {
            return id;
        }
        let state = &mut *state;
        if self.shared.remember_all && !state.users.contains_key(user) {
            // Someone may resume here with an id seen on another instance: remember it for a while.
            state.users.insert(
                user.clone(),
                UserSlot {
                    conns: HashMap::new(),
                    history: VecDeque::new(),
                    floor: seq - 1,
                    idle_since: Some(Instant::now()),
                    generation: 0,
                    metadata: None,
                    metadata_flight: None,
                },
            );
        }
        let Some(slot) = state.users.get_mut(user) else {
            return id; // nobody connected or reconnecting: nothing to deliver, nothing to remember
        };
        slot.generation += 1;
        slot.metadata = None;
        slot.metadata_flight = None;
        let frame = Arc::new(Frame::new(seq, id.clone(), name, Arc::from(data)));
        slot.history.push_back(Arc::clone(&frame));
        while slot.history.len() > self.shared.settings.history {
            if let Some(evicted) = slot.history.pop_front() {
                slot.floor = evicted.seq;
            }
        }
        let before = slot.conns.len();
        slot.conns.retain(|conn_id, conn| {
            match conn.tx.try_send(Queued::Event(Arc::clone(&frame))) {
                Ok(()) => true,
                Err(TrySendError::Full) => {
                    tracing::info!(
                        conn_id,
                        "SSE connection too slow, dropped (it can resume with Last-Event-ID)"
                    );
                    false
                }
                Err(TrySendError::Closed) => false,
            }
        });
        state.open -= before - slot.conns.len();
        slot.mark_idle_if_empty(Instant::now());
        id
    }

    /// Opens a connection for `user` in `session`. The stream starts with the replay after `last_event_id`
    /// (or the full-refresh hint when that is not possible) and then carries live events; the caller should
    /// put `USER_METADATA` in front with [`EventStream::set_metadata`]. It ends after `lifetime` (the session's
    /// remaining lifetime), on [`Hub::end_session`], when it falls too far behind, when a newer stream of the
    /// same session or user replaces it (caps), or at shutdown.
    pub fn subscribe(
        &self,
        user: &UserId,
        session: &str,
        last_event_id: Option<&str>,
        lifetime: Option<Duration>,
    ) -> Result<EventStream, SubscribeError> {
        let settings = self.shared.settings;
        self.start_heartbeat();
        let mut state = self.shared.lock();
        if state.closed {
            return Err(SubscribeError::Closed);
        }
        state.sweep_idle(settings.cache_ttl);
        if state.ended_sessions.contains_key(session) {
            return Err(SubscribeError::SessionEnded);
        }
        let state = &mut *state;
        let at_cap = state.users.get(user).is_some_and(|slot| {
            slot.conns.len() >= settings.max_per_user
                || slot
                    .conns
                    .values()
                    .filter(|c| &*c.session == session)
                    .count()
                    >= settings.max_per_session
        });
        if state.open >= settings.max_streams && !at_cap {
            return Err(SubscribeError::ServerFull);
        }
        let (tx, rx) = queue(settings.queue);
        let head = state.seq;
        let conn_id = state.next_conn;
        state.next_conn += 1;
        let slot = state.users.entry(user.clone()).or_insert_with(|| UserSlot {
            conns: HashMap::new(),
            history: VecDeque::new(),
            floor: head,
            idle_since: None,
            generation: 0,
            metadata: None,
            metadata_flight: None,
        });
        slot.idle_since = None;
        if at_cap {
            while slot
                .conns
                .values()
                .filter(|c| &*c.session == session)
                .count()
                >= settings.max_per_session
                && slot.replace_oldest(|c| &*c.session == session)
            {
                state.open -= 1;
            }
            while slot.conns.len() >= settings.max_per_user && slot.replace_oldest(|_| true) {
                state.open -= 1;
            }
        }

        // The position to resume after: an event still in this user's history (whichever instance published
        // it), or a position of this hub that the history still reaches.
        let resume_from = last_event_id.and_then(|raw| {
            let raw = raw.trim();
            slot.history
                .iter()
                .find(|f| f.id == raw)
                .map(|f| (f.seq, raw.to_owned()))
                .or_else(|| {
                    Cursor::parse(raw)
                        .filter(|c| {
                            c.epoch == self.shared.epoch && c.seq <= head && c.seq >= slot.floor
                        })
                        .map(|c| (c.seq, c.to_string()))
                })
        });
        let (metadata_id, backlog) = match (&resume_from, last_event_id) {
            (Some((after, id)), _) => {
                let replay: VecDeque<_> = slot
                    .history
                    .iter()
                    .filter(|f| f.seq > *after)
                    .cloned()
                    .collect();
                (id.clone(), replay)
            }
            (None, Some(_)) => {
                let id = self.shared.cursor(head).to_string();
                let hint = [
                    SseEventName::EventChanged,
                    SseEventName::SomedayEventChanged,
                ]
                .into_iter()
                .map(|name| {
                    Arc::new(Frame::new(
                        head,
                        id.clone(),
                        name,
                        Arc::from(RESYNC_HINT_DATA),
                    ))
                })
                .collect();
                (id, hint)
            }
            (None, None) => match slot.history.back() {
                // with a shared fan-out, a position every instance knows: the user's last event
                Some(last) if self.shared.remember_all => (last.id.clone(), VecDeque::new()),
                _ => (self.shared.cursor(head).to_string(), VecDeque::new()),
            },
        };
        slot.conns.insert(
            conn_id,
            Conn {
                tx,
                session: session.into(),
            },
        );
        state.open += 1;

        let guard = Registration {
            shared: Arc::clone(&self.shared),
            user: user.clone(),
            conn_id,
        };
        Ok(EventStream::new(rx, backlog, metadata_id, lifetime, guard))
    }

    /// The serialized `USER_METADATA` data of `user` read less than `cache_ttl` ago with no event to the user
    /// since; otherwise a ticket for [`Hub::cache_metadata`] to store a fresh read with.
    pub fn cached_metadata(&self, user: &UserId) -> Result<Arc<str>, MetadataTicket> {
        let ttl = self.shared.settings.cache_ttl;
        let mut state = self.shared.lock();
        let Some(slot) = state.users.get_mut(user) else {
            return Err(MetadataTicket {
                generation: None,
                flight: MetadataFlight::default(),
            });
        };
        match &slot.metadata {
            Some((data, at)) if at.elapsed() < ttl => Ok(Arc::clone(data)),
            _ => Err(MetadataTicket {
                generation: Some(slot.generation),
                flight: if ttl.is_zero() {
                    MetadataFlight::default()
                } else {
                    Arc::clone(slot.metadata_flight.get_or_insert_with(Default::default))
                },
            }),
        }
    }

    /// Stores a metadata read started with `ticket`, unless an event reached the user since (its metadata
    /// may have changed after the read) or caching is off.
    pub fn cache_metadata(&self, user: &UserId, ticket: MetadataTicket, data: Arc<str>) {
        if self.shared.settings.cache_ttl.is_zero() {
            return;
        }
        let mut state = self.shared.lock();
        if let (Some(slot), Some(generation)) = (state.users.get_mut(user), ticket.generation) {
            if slot.generation == generation {
                slot.metadata = Some((data, Instant::now()));
                slot.metadata_flight = None;
            }
        }
    }

    /// Ends every stream of one session (sign-out, revocation) and refuses new ones for it from now on, here
    /// and (through the fan-out) on the other instances. Streams finish what is already queued.
    pub fn end_session(&self, session: &str) {
        self.end_session_local(session);
        self.shared.fanout.end_session(session);
    }

    /// [`Hub::end_session`] on this instance only (what a fan-out transport calls for other instances').
    pub fn end_session_local(&self, session: &str) {
        let mut state = self.shared.lock();
        let now = Instant::now();
        state.ended_sessions.insert(session.to_owned(), now);
        let state = &mut *state;
        for slot in state.users.values_mut() {
            let before = slot.conns.len();
            slot.conns.retain(|_, conn| &*conn.session != session);
            state.open -= before - slot.conns.len();
            slot.mark_idle_if_empty(now);
        }
    }

    /// Shutdown: refuses new connections and ends every open stream after what is already queued.
    pub fn close(&self) {
        let mut state = self.shared.lock();
        state.closed = true;
        state.open = 0;
        for slot in state.users.values_mut() {
            slot.conns.clear();
        }
    }

    /// Open connections across all users.
    pub fn connection_count(&self) -> usize {
        self.shared.lock().open
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

    /// Queues a keepalive on every open connection whose queue is empty (a connection whose stream is gone
    /// is removed). Returns false once the hub is closed.
    fn beat(&self) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        let state = &mut *state;
        let now = Instant::now();
        for slot in state.users.values_mut() {
            let before = slot.conns.len();
            slot.conns
                .retain(|_, conn| conn.tx.try_keepalive() != Err(TrySendError::Closed));
            state.open -= before - slot.conns.len();
            slot.mark_idle_if_empty(now);
        }
        true
    }

    /// Called by a connection's drop guard.
    fn remove(&self, user: &UserId, conn_id: u64) {
        let mut state = self.lock();
        let state = &mut *state;
        if let Some(slot) = state.users.get_mut(user) {
            if slot.conns.remove(&conn_id).is_some() {
                state.open -= 1;
            }
            slot.mark_idle_if_empty(Instant::now());
        }
    }
}

/// A connection's registration: dropping it (with its stream: the client went away) removes the connection
/// from the hub.
pub(crate) struct Registration {
    shared: Arc<Shared>,
    user: UserId,
    conn_id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.shared.remove(&self.user, self.conn_id);
    }
}

/// The hub's heartbeat task: every `every`, a keepalive on every open connection, until the hub is dropped or
/// closed.
async fn heartbeat(shared: Weak<Shared>, every: Duration) {
    let mut ticks = tokio::time::interval_at(Instant::now() + every, every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match shared.upgrade() {
            Some(shared) if shared.beat() => {}
            _ => return,
        }
    }
}

impl State {
    /// Forgets users whose last connection closed more than [`IDLE_RETENTION`] ago and ended sessions older
    /// than the cache lifetime plus [`ENDED_SESSION_MEMORY`] (at most every [`SWEEP_EVERY`]).
    fn sweep_idle(&mut self, cache_ttl: Duration) {
        let now = Instant::now();
        if now.duration_since(self.last_sweep) < SWEEP_EVERY {
            return;
        }
        self.last_sweep = now;
        let keep_ended = cache_ttl + ENDED_SESSION_MEMORY;
        self.ended_sessions
            .retain(|_, at| now.duration_since(*at) < keep_ended);
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
            ..SseSettings::default()
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
        assert_eq!(
            hub.subscribe(&a, "s", None, None).err(),
            Some(SubscribeError::Closed)
        );
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
    async fn caps_replace_the_oldest_of_the_session_then_of_the_user_and_the_server_cap_refuses() {
        let hub = Hub::new(SseSettings {
            max_per_session: 2,
            max_per_user: 3,
            max_streams: 4,
            ..SseSettings::default()
        });
        let (a, b) = (user(1), user(2));
        let mut s1 = hub.subscribe(&a, "x", None, None).expect("open");
        let mut s2 = hub.subscribe(&a, "x", None, None).expect("open");
        let _y1 = hub.subscribe(&a, "y", None, None).expect("open");
        // session x is full: its oldest goes, y's stream stays
        let _s3 = hub.subscribe(&a, "x", None, None).expect("open");
        assert_eq!(next(&mut s1).await, Some(StreamItem::Replaced));
        assert_eq!(next(&mut s1).await, None);
        assert_eq!(hub.connections_of(&a), 3);
        // the user is full: the user's oldest in any session (now s2) goes
        let _y2 = hub.subscribe(&a, "y", None, None).expect("open");
        assert_eq!(next(&mut s2).await, Some(StreamItem::Replaced));
        assert_eq!(hub.connections_of(&a), 3);
        let _b1 = hub.subscribe(&b, "z", None, None).expect("open");
        assert_eq!(hub.connection_count(), 4);
        assert_eq!(
            hub.subscribe(&b, "z", None, None).err(),
            Some(SubscribeError::ServerFull)
        );
        assert_eq!(hub.connection_count(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn an_ended_session_cannot_open_a_stream() {
        let hub = hub(8, 16);
        hub.end_session("gone");
        assert_eq!(
            hub.subscribe(&user(1), "gone", None, None).err(),
            Some(SubscribeError::SessionEnded)
        );
        assert!(hub.subscribe(&user(1), "other", None, None).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn cached_metadata_is_dropped_by_any_event_and_a_read_older_than_an_event_is_not_kept() {
        let hub = hub(8, 16);
        let a = user(1);
        let _s = hub.subscribe(&a, "s", None, None).expect("open");
        let ticket = hub.cached_metadata(&a).expect_err("nothing cached yet");
        hub.cache_metadata(&a, ticket, Arc::from("{\"v\":1}"));
        assert_eq!(&*hub.cached_metadata(&a).expect("cached"), "{\"v\":1}");
        hub.publish(&a, &SseEvent::EventChanged);
        let stale = hub.cached_metadata(&a).expect_err("dropped by the event");
        // a read that started before an event is not cached
        hub.publish(&a, &SseEvent::EventChanged);
        hub.cache_metadata(&a, stale, Arc::from("{\"v\":0}"));
        assert!(hub.cached_metadata(&a).is_err());
        // and entries expire
        let fresh = hub.cached_metadata(&a).expect_err("none");
        hub.cache_metadata(&a, fresh, Arc::from("{\"v\":2}"));
        tokio::time::advance(SseSettings::default().cache_ttl).await;
        assert!(hub.cached_metadata(&a).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_metadata_misses_share_one_read_unless_an_event_came_between() {
        let hub = hub(8, 16);
        let a = user(1);
        let _s = hub.subscribe(&a, "s", None, None).expect("open");
        let first = hub.cached_metadata(&a).expect_err("nothing cached");
        let second = hub.cached_metadata(&a).expect_err("nothing cached");
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(Arc::<str>::from("{\"v\":1}"))
        };
        assert_eq!(&*first.read(read).await.expect("read"), "{\"v\":1}");
        assert_eq!(&*second.read(read).await.expect("read"), "{\"v\":1}");
        assert_eq!(
            reads.load(Ordering::SeqCst),
            1,
            "the second miss joined the first read"
        );
        // an event in between: a later miss makes its own read
        hub.publish(&a, &SseEvent::EventChanged);
        let third = hub.cached_metadata(&a).expect_err("dropped by the event");
        third.read(read).await.expect("read");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
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
