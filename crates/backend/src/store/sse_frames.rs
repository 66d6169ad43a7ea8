//! The `sse_frame` collection: the log through which server instances forward SSE events to each other
//! (`crate::relay`). Each instance inserts the events it publishes, in order, and follows the collection with
//! a change stream (inserts only), delivering other instances' events to its own tabs. Documents expire after
//! [`RETENTION_SECS`] (TTL index `at_ttl`, `migrations/0004_sse_frame_ttl.json`): the log is a transport, not a
//! history (each instance keeps its own resume history in memory).

use compass_core::UserId;
use futures::StreamExt as _;
use mongodb::bson::{self, doc, oid::ObjectId};
use mongodb::change_stream::event::ChangeStreamEvent;
use mongodb::change_stream::ChangeStream;
use mongodb::Collection;
use serde::{Deserialize, Serialize};

use super::convert::user_oid;
use super::{Store, StoreError};

/// Collection name.
pub const COLLECTION: &str = "sse_frame";
/// TTL index on `at`.
pub const EXPIRY_INDEX: &str = "at_ttl";
/// How long a forwarded event stays in the collection (the TTL index's `expireAfterSeconds`).
pub const RETENTION_SECS: u64 = 600;

/// What a document carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    /// An SSE event for one user's tabs.
    Event,
    /// The origin lost the broker for a while: every instance should tell its tabs to resync.
    Resync,
    /// A session signed out on the origin: every instance ends its streams and refuses new ones.
    EndSession,
}

/// One forwarded message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SseFrameDoc {
    /// Insertion id.
    #[serde(rename = "_id")]
    pub id: ObjectId,
    /// The instance that published it (its hub epoch); receivers skip their own.
    pub origin: String,
    /// Event or resync marker.
    pub kind: FrameKind,
    /// The user whose tabs receive it (events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ObjectId>,
    /// The SSE event name (events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The JSON data (events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    /// The wire `id:` the origin gave the event (the same on every instance, so `Last-Event-ID` resumes anywhere).
    #[serde(rename = "frameId", default, skip_serializing_if = "Option::is_none")]
    pub frame_id: Option<String>,
    /// The session that ended (end-session messages only; a session id, not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// When it was inserted (TTL).
    pub at: bson::DateTime,
}

impl SseFrameDoc {
    /// An event for `user`'s tabs.
    pub fn event(origin: &str, user: &UserId, name: &str, data: String, frame_id: String) -> Self {
        Self {
            id: ObjectId::new(),
            origin: origin.to_owned(),
            kind: FrameKind::Event,
            user: Some(user_oid(user)),
            name: Some(name.to_owned()),
            data: Some(data),
            frame_id: Some(frame_id),
            session: None,
            at: bson::DateTime::now(),
        }
    }

    /// A sign-out of `session` on `origin`.
    pub fn end_session(origin: &str, session: &str) -> Self {
        Self {
            session: Some(session.to_owned()),
            kind: FrameKind::EndSession,
            ..Self::resync(origin)
        }
    }

    /// A resync marker from `origin`.
    pub fn resync(origin: &str) -> Self {
        Self {
            id: ObjectId::new(),
            origin: origin.to_owned(),
            kind: FrameKind::Resync,
            user: None,
            name: None,
            data: None,
            frame_id: None,
            session: None,
            at: bson::DateTime::now(),
        }
    }

    /// The user as the wire id type.
    pub fn user_id(&self) -> Option<UserId> {
        self.user.map(|oid| UserId::from_bytes(oid.bytes()))
    }
}

/// Typed access to the `sse_frame` collection.
#[derive(Debug, Clone)]
pub struct SseFrames {
    collection: Collection<SseFrameDoc>,
}

impl SseFrames {
    /// The collection of `store`.
    pub fn new(store: &Store) -> Self {
        Self {
            collection: store.collection(COLLECTION),
        }
    }

    /// Appends one message.
    pub async fn insert(&self, frame: &SseFrameDoc) -> Result<(), StoreError> {
        self.collection.insert_one(frame).await?;
        Ok(())
    }

    /// Follows the inserts from now on.
    pub async fn watch(&self) -> Result<FrameWatch, StoreError> {
        let stream = self
            .collection
            .watch()
            .pipeline([doc! { "$match": { "operationType": "insert" } }])
            .await?;
        Ok(FrameWatch(stream))
    }
}

/// A change stream over inserted messages, in insertion (oplog) order.
pub struct FrameWatch(ChangeStream<ChangeStreamEvent<SseFrameDoc>>);

impl std::fmt::Debug for FrameWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameWatch").finish_non_exhaustive()
    }
}

impl FrameWatch {
    /// The next inserted message; `Ok(None)` when the change stream ended (reopen it).
    pub async fn next(&mut self) -> Result<Option<SseFrameDoc>, StoreError> {
        loop {
            match self.0.next().await {
                None => return Ok(None),
                Some(Err(error)) => return Err(error.into()),
                Some(Ok(event)) => {
                    if let Some(frame) = event.full_document {
                        return Ok(Some(frame));
                    }
                }
            }
        }
    }
}
