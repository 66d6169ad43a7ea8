//! The [`SessionUser`] extractor: turns the session cookie into the signed-in user of a request, or a 401
//! JSON error. The session itself (lookup, expiry, revocation) is `crate::accounts::session`.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage as _, HttpRequest};
use chrono::Utc;
use futures::future::LocalBoxFuture;

use super::cookie;
use super::error::ApiError;
use crate::accounts::session::resolve_session;
use crate::accounts::SessionUser;
use crate::state::AppState;

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
