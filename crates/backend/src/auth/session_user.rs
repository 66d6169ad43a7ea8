//! Server-side sessions as seen by handlers: [`SessionId`], [`SessionUser`] (the actix extractor that
//! turns the session cookie into a signed-in user, or a 401) and issuing/revoking sessions.
//!
//! The cookie holds a random 256-bit token; the `session` collection holds only its SHA-256, the user and
//! the expiry (`crate::store::sessions`). A session is valid until it expires or is revoked (sign-out).

use std::fmt;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage as _, HttpRequest};
use chrono::{DateTime, Utc};
use compass_core::ids::UserId;
use futures::future::LocalBoxFuture;
use mongodb::bson::oid::ObjectId;

use super::cookie;
use super::token::SecretToken;
use crate::app::AppState;
use crate::http::error::ApiError;
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

/// The signed-in user of a request. Extracting it fails with a 401 JSON error when the request has no
/// session cookie or its session is unknown, expired or revoked.
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

impl SessionUser {
    /// Reads this request's session again and says whether it is still live. The SSE stream asks after
    /// registering with the hub: a sign-out that landed between the extractor's lookup and that registration
    /// has already revoked the session (and its `Hub::end_session` found no stream to end).
    pub async fn still_active(&self, req: &HttpRequest, store: &Store) -> Result<bool, StoreError> {
        let Some(token) = cookie::session_token(req) else {
            return Ok(false);
        };
        Ok(resolve_session(store, &token, Utc::now())
            .await?
            .is_some_and(|live| live.session_id == self.session_id))
    }
}

/// Revokes one session. Returns whether it was still there.
pub async fn revoke_session(store: &Store, session: &SessionUser) -> Result<bool, StoreError> {
    match session.session_id.to_object_id() {
        Some(id) => Sessions::new(store).revoke(&session.user_id, &id).await,
        None => Ok(false),
    }
}

impl FromRequest for SessionUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(known) = req.extensions().get::<SessionUser>() {
            let known = known.clone();
            return Box::pin(async move { Ok(known) });
        }
        let req = req.clone();
        Box::pin(async move {
            let token = cookie::session_token(&req).ok_or_else(ApiError::unauthorized)?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal(MissingState))?;
            let user = resolve_session(&state.store, &token, Utc::now())
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}

/// The application state was not registered (a wiring bug).
#[derive(Debug, thiserror::Error)]
#[error("AppState is not registered with the app")]
struct MissingState;
