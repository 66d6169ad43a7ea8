//! Server-side sessions: [`SessionId`], [`SessionUser`] (the signed-in user of a request; its actix
//! extractor lives in `crate::http::session`) and issuing, resolving and revoking sessions.
//!
//! The cookie holds a random 256-bit token; the `session` collection holds only its SHA-256, the user and
//! the expiry (`crate::store::sessions`). A session is valid until it expires or is revoked (sign-out).
//!
//! [`SessionCache`] keeps recently resolved sessions in memory for the SSE stream route, where a reconnect
//! storm would otherwise cost one database round trip per tab; concurrent misses for the same token (the
//! tabs of one browser reconnecting together) share one read. It never serves an expired session; a
//! signed-out one is refused by the hub (`Hub::end_session` marks the session ended, atomically with
//! registration), so the cache only saves reads and never extends a session.
//!
//! Its misses are read in batches (`super::batch`): the cold opens of a reconnect storm share `$in` reads
//! of at most [`BATCH_MAX`] sessions (and, for `USER_METADATA`, of users: [`SessionCache::user`]), with the
//! same checks per token as a single read (unknown, revoked or expired: no session).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use futures::future::BoxFuture;
use mongodb::bson::oid::ObjectId;

use super::batch::BatchReader;
use crate::domain::{SecretToken, TokenDigest};
use crate::store::sessions::{SessionDoc, Sessions};
use crate::store::users::{UserDoc, Users};
use crate::store::{Store, StoreError};

/// The id of one session (24 hex characters; not secret). Used to end that session's SSE streams.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionId(String);

impl SessionId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn from_object_id(id: ObjectId) -> Self {
        Self(id.to_hex())
    }

    fn to_object_id(&self) -> Option<ObjectId> {
        ObjectId::parse_str(&self.0).ok()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The signed-in user of a request. Extracting it (`crate::http::session`) fails with a 401 JSON error when
/// the request has no session cookie or its session is unknown, expired or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// Who is signed in.
    pub user_id: UserId,
    /// Which session.
    pub session_id: SessionId,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

impl SessionUser {
    fn from_doc(doc: &SessionDoc) -> Self {
        Self {
            user_id: doc.user_id(),
            session_id: SessionId::from_object_id(doc.id),
            expires_at: doc.expires_at(),
        }
    }
}

/// A session just created: the user and the token to put in the cookie.
#[derive(Debug)]
pub struct IssuedSession {
    /// The session.
    pub user: SessionUser,
    /// The cookie value (secret).
    pub token: SecretToken,
}

/// Creates a session for `user` that lasts `ttl`.
pub async fn issue_session(
    store: &Store,
    user: &UserId,
    ttl: std::time::Duration,
    now: DateTime<Utc>,
) -> Result<IssuedSession, StoreError> {
    let token = SecretToken::generate();
    let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(14));
    let doc = Sessions::new(store)
        .create(user, &token.digest(), now, now + ttl)
        .await?;
    Ok(IssuedSession {
        user: SessionUser::from_doc(&doc),
        token,
    })
}

/// The live session a token belongs to.
pub async fn resolve_session(
    store: &Store,
    token: &SecretToken,
    now: DateTime<Utc>,
) -> Result<Option<SessionUser>, StoreError> {
    Ok(Sessions::new(store)
        .find_active(&token.digest(), now)
        .await?
        .as_ref()
        .map(SessionUser::from_doc))
}

/// Most sessions a [`SessionCache`] holds (about 200 bytes each); beyond it, lookups go to the database.
const SESSION_CACHE_ENTRIES: usize = 100_000;

/// One database read of a session that concurrent lookups of the same token wait for (single flight).
type Flight = Arc<tokio::sync::OnceCell<Option<SessionUser>>>;

/// Most keys one batched read carries. SecantusDB answered `$in` reads of 8–32 keys at 0.2–0.5 ms per key
/// and of 128 keys at 0.5–0.9 ms per key, against 1–2 ms for a single `find_one` (docs/benchmarks.md).
pub const BATCH_MAX: usize = 32;

/// Batched reads running at a time, per kind (sessions, users).
const BATCH_IN_FLIGHT: usize = 2;

/// Reads the unexpired sessions of many token digests (one `$in` query).
fn read_sessions(
    store: Store,
    digests: Vec<TokenDigest>,
) -> BoxFuture<'static, Result<Vec<(TokenDigest, SessionUser)>, StoreError>> {
    Box::pin(async move {
        let docs = Sessions::new(&store)
            .find_active_many(&digests, Utc::now())
            .await?;
        let asked: HashMap<&str, &TokenDigest> = digests.iter().map(|d| (d.as_str(), d)).collect();
        Ok(docs
            .iter()
            .filter_map(|doc| {
                let digest = asked.get(doc.token_hash.as_str())?;
                Some(((*digest).clone(), SessionUser::from_doc(doc)))
            })
            .collect())
    })
}

/// Reads many users (one `$in` query).
fn read_users(
    store: Store,
    ids: Vec<UserId>,
) -> BoxFuture<'static, Result<Vec<(UserId, UserDoc)>, StoreError>> {
    Box::pin(async move {
        let docs = Users::new(&store).find_many(&ids).await?;
        Ok(docs.into_iter().map(|doc| (doc.user_id(), doc)).collect())
    })
}

/// Recently resolved sessions by token digest, each for at most `ttl` and never past its expiry. Cheap to
/// clone; clones share the entries.
#[derive(Debug, Clone)]
pub struct SessionCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<String, (SessionUser, Instant)>>>,
    /// Reads in progress by token digest.
    flights: Arc<Mutex<HashMap<String, Flight>>>,
    /// Misses, read in batches.
    session_reads: BatchReader<Store, TokenDigest, SessionUser>,
    /// Users of cold stream opens (`USER_METADATA`), read in batches.
    user_reads: BatchReader<Store, UserId, UserDoc>,
}

impl SessionCache {
    /// A cache keeping sessions for `ttl` (zero: a pass-through to the database).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Arc::default(),
            flights: Arc::default(),
            session_reads: BatchReader::new(read_sessions, BATCH_MAX, BATCH_IN_FLIGHT),
            user_reads: BatchReader::new(read_users, BATCH_MAX, BATCH_IN_FLIGHT),
        }
    }

    /// The live session of `token`: from memory when resolved less than `ttl` ago and not expired at `now`,
    /// otherwise from the database (and then remembered). Concurrent misses for the same token share one
    /// lookup (a failed read is retried by the next waiter), and concurrent misses for different tokens
    /// share batched reads (a failed batch falls back to a read of this token alone).
    pub async fn resolve(
        &self,
        store: &Store,
        token: &SecretToken,
        now: DateTime<Utc>,
    ) -> Result<Option<SessionUser>, StoreError> {
        let digest = token.digest();
        self.resolve_with(digest.clone(), now, || async move {
            match self.session_reads.get(store, digest).await {
                Ok(found) => Ok(found),
                Err(super::batch::BatchFailed) => resolve_session(store, token, now).await,
            }
        })
        .await
    }

    /// The stored user `id` (`None`: no such user), through a batched read shared with the concurrent
    /// lookups of other users (a failed batch falls back to a read of this user alone). Not cached: the
    /// hub caches what it is turned into (`Hub::cached_metadata`).
    pub async fn user(&self, store: &Store, id: &UserId) -> Result<Option<UserDoc>, StoreError> {
        match self.user_reads.get(store, id.clone()).await {
            Ok(found) => Ok(found),
            Err(super::batch::BatchFailed) => Users::new(store).find(id).await,
        }
    }

    /// (reads, keys) of the batched session reads and of the batched user reads so far.
    pub fn batch_stats(&self) -> [(u64, u64); 2] {
        [self.session_reads.stats(), self.user_reads.stats()]
    }

    /// [`SessionCache::resolve`] with the database read given as `read`.
    async fn resolve_with<F, Fut>(
        &self,
        digest: TokenDigest,
        now: DateTime<Utc>,
        read: F,
    ) -> Result<Option<SessionUser>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Option<SessionUser>, StoreError>>,
    {
        if let Some(hit) = self.lookup(&digest, now) {
            return Ok(Some(hit));
        }
        if self.ttl.is_zero() {
            return read().await;
        }
        let flight = Arc::clone(
            lock(&self.flights)
                .entry(digest.as_str().to_owned())
                .or_default(),
        );
        let read = flight.get_or_try_init(read).await.cloned();
        {
            let mut flights = lock(&self.flights);
            if flights
                .get(digest.as_str())
                .is_some_and(|f| Arc::ptr_eq(f, &flight))
            {
                flights.remove(digest.as_str());
            }
        }
        let found = read?.filter(|session| session.expires_at > now);
        if let Some(session) = &found {
            self.remember(digest, session.clone());
        }
        Ok(found)
    }

    /// Drops `token`'s entry (its session was refused elsewhere, e.g. ended by sign-out).
    pub fn forget(&self, token: &SecretToken) {
        self.lock().remove(token.digest().as_str());
    }

    /// How many sessions are held.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lookup(&self, digest: &TokenDigest, now: DateTime<Utc>) -> Option<SessionUser> {
        let mut entries = self.lock();
        let (session, at) = entries.get(digest.as_str())?;
        if at.elapsed() < self.ttl && session.expires_at > now {
            return Some(session.clone());
        }
        entries.remove(digest.as_str());
        None
    }

    fn remember(&self, digest: TokenDigest, session: SessionUser) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= SESSION_CACHE_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| at.elapsed() < ttl);
            if entries.len() >= SESSION_CACHE_ENTRIES {
                return;
            }
        }
        entries.insert(digest.as_str().to_owned(), (session, Instant::now()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (SessionUser, Instant)>> {
        lock(&self.entries)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every update is one map operation: a panic elsewhere cannot leave it half-updated.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Revokes one session. Returns whether it was still there.
pub async fn revoke_session(store: &Store, session: &SessionUser) -> Result<bool, StoreError> {
    match session.session_id.to_object_id() {
        Some(id) => Sessions::new(store).revoke(&session.user_id, &id).await,
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_misses_for_one_token_share_one_read_and_the_result_is_cached() {
        let cache = SessionCache::new(Duration::from_secs(10));
        let token = SecretToken::generate();
        let now = Utc::now();
        let session = SessionUser {
            user_id: UserId::parse(&"a".repeat(24)).expect("id"),
            session_id: SessionId("b".repeat(24)),
            expires_at: now + chrono::Duration::hours(1),
        };
        let reads = AtomicUsize::new(0);
        let (gate_tx, gate_rx) = tokio::sync::watch::channel(false);
        let read = || {
            reads.fetch_add(1, Ordering::SeqCst);
            let mut gate = gate_rx.clone();
            let session = session.clone();
            async move {
                // hold the read open until every lookup has started
                let _ = gate.wait_for(|open| *open).await;
                Ok(Some(session))
            }
        };
        let lookups = futures::future::join_all(
            (0..5).map(|_| cache.resolve_with(token.digest(), now, read)),
        );
        let opener = async {
            tokio::task::yield_now().await;
            let _ = gate_tx.send(true);
        };
        let (found, ()) = tokio::join!(lookups, opener);
        for one in found {
            assert_eq!(one.expect("read").as_ref(), Some(&session));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1, "one read for five lookups");
        // now cached: no further read
        let again = cache
            .resolve_with(token.digest(), now, read)
            .await
            .expect("cached");
        assert_eq!(again.as_ref(), Some(&session));
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }
}
