//! `GET /api/events/stream`: the signed-in user's Server-Sent Events stream.
//!
//! Authenticated by the session cookie ([`SessionUser`]; none → 401 JSON, so `EventSource` stops). The
//! connection is registered with the hub *before* the metadata is read, so nothing published in between is
//! lost; then `USER_METADATA` is sent first, followed by the `Last-Event-ID` replay (or the full-refresh hint)
//! and live events, with a `: keepalive` comment every heartbeat. The stream ends when the session expires,
//! on sign-out, when the connection falls too far behind, and at shutdown.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, Responder as _};
use actix_web_lab::sse;
use chrono::Utc;
use futures::StreamExt as _;

use super::cookie;
use super::error::ApiError;
use crate::accounts::profile::metadata_for_client;
use crate::accounts::session::still_active;
use crate::accounts::SessionUser;
use crate::sse::{HubClosed, StreamItem};
use crate::state::AppState;

/// Registers the stream route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/stream", web::get().to(stream));
}

/// The comment text of the heartbeat (`: keepalive`).
pub const KEEPALIVE_COMMENT: &str = "keepalive";

/// Longest `Last-Event-ID` considered (longer values are treated as unknown).
const MAX_LAST_EVENT_ID: usize = 64;

async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<HttpResponse, ApiError> {
    let last_event_id = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| if v.len() > MAX_LAST_EVENT_ID { "" } else { v });
    let lifetime = (session.expires_at - Utc::now())
        .to_std()
        .map_err(|_| ApiError::unauthorized())?;
    let mut events = state
        .hub
        .subscribe(
            &session.user_id,
            session.session_id.as_str(),
            last_event_id,
            Some(lifetime),
        )
        .map_err(|HubClosed| ApiError::Unavailable {
            message: "The server is shutting down".into(),
            code: None,
        })?;
    // Registered now, so a later sign-out reaches this stream; one that came earlier shows here.
    let token = cookie::session_token(&req);
    if !still_active(&state.store, token.as_ref(), &session).await? {
        return Err(ApiError::unauthorized());
    }
    let metadata = metadata_for_client(&state.store, &session.user_id).await?;
    events.set_metadata(metadata);
    tracing::debug!(user = %session.user_id, resumed = last_event_id.is_some(), "SSE stream opened");

    let body = sse::Sse::from_infallible_stream(events.map(|item| {
        match item {
            StreamItem::Event(frame) => sse::Data::new(frame.data.to_string())
                .event(frame.name.as_str())
                .id(frame.id.clone())
                .into(),
            StreamItem::Keepalive => sse::Event::Comment(KEEPALIVE_COMMENT.into()),
        }
    }));
    let mut response = body.respond_to(&req);
    response.headers_mut().insert(
        HeaderName::from_static("x-accel-buffering"),
        HeaderValue::from_static("no"),
    );
    Ok(response)
}
