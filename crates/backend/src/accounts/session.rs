//! Server-side sessions: [`SessionId`], [`SessionUser`] (the signed-in user of a request; its actix
//! extractor lives in `crate::http::session`) and issuing, resolving and revoking sessions.
//!
//! The cookie holds a random 256-bit token; the `session` collection holds only its SHA-256, the user and
//! the expiry (`crate::store::sessions`). A session is valid until it expires or is revoked (sign-out).

use std::fmt;

use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use mongodb::bson::oid::ObjectId;

use crate::domain::SecretToken;
use crate::store::sessions::{SessionDoc, Sessions};
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

/// Whether `token` still names the live session `session` (the SSE stream asks after registering with the
/// hub: a sign-out that landed between the extractor's lookup and that registration has already revoked
/// the session, and its `Hub::end_session` found no stream to end).
pub async fn still_active(
    store: &Store,
    token: Option<&SecretToken>,
    session: &SessionUser,
) -> Result<bool, StoreError> {
    let Some(token) = token else {
        return Ok(false);
    };
    Ok(resolve_session(store, token, Utc::now())
        .await?
        .is_some_and(|live| live.session_id == session.session_id))
}

/// Revokes one session. Returns whether it was still there.
pub async fn revoke_session(store: &Store, session: &SessionUser) -> Result<bool, StoreError> {
    match session.session_id.to_object_id() {
        Some(id) => Sessions::new(store).revoke(&session.user_id, &id).await,
        None => Ok(false),
    }
}
