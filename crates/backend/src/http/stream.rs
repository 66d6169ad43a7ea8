//! `GET /api/events/stream`: the signed-in user's Server-Sent Events stream. The handler parses
//! `Last-Event-ID`, calls the flow (`crate::accounts::stream`) and writes the frames.
//!
//! Authenticated by the session cookie ([`SessionUser`]; none → 401 JSON, so `EventSource` stops). The
//! connection is registered with the hub *before* the metadata is read, so nothing published in between is
//! lost; then `USER_METADATA` is sent first, followed by the `Last-Event-ID` replay (or the full-refresh hint)
//! and live events, with a `: keepalive` comment every heartbeat. The stream ends when the session expires,
//! on sign-out, when the connection falls too far behind, and at shutdown.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse, Responder as _};
use actix_web_lab::sse;
use futures::StreamExt as _;

use super::cookie;
use super::error::ApiError;
use crate::accounts::{SessionUser, Streams};
use crate::sse::StreamItem;
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
    let token = cookie::session_token(&req);
    let events = Streams::new(&state.store, &state.hub)
        .open(&session, token.as_ref(), last_event_id)
        .await?;

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
