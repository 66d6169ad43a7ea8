//! `GET /api/events/stream`: the signed-in user's Server-Sent Events stream. The handler parses
//! `Last-Event-ID`, calls the flow (`crate::accounts::stream`) and writes the frames.
//!
//! Authenticated by the session cookie, resolved through the short-lived session cache (none, unknown,
//! expired or signed out → 401 JSON, so `EventSource` stops; too many streams on the server → 503 JSON). The
//! connection is registered with the hub *before* the metadata is read, so nothing published in between is
//! lost; then `USER_METADATA` is sent first, followed by the `Last-Event-ID` replay (or the full-refresh hint)
//! and live events, with a `: keepalive` comment every heartbeat. The stream ends when the session expires,
//! on sign-out, when the connection falls too far behind, at shutdown, and when a newer stream of the same
//! session or user replaces it: then its last message is the event [`REPLACED_EVENT`] (data
//! [`REPLACED_DATA`]), after which the tab should stop reconnecting (`EventSource.close()`).

use std::convert::Infallible;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt as _;

use super::cookie;
use super::error::ApiError;
use crate::accounts::Streams;
use crate::sse::{render, render_comment, StreamItem};
use crate::state::AppState;

/// Registers the stream route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events/stream", web::get().to(stream));
}

/// The event name of the last message of a replaced stream (not one of the contract's data events).
pub const REPLACED_EVENT: &str = compass_core::sse::STREAM_REPLACED;

/// Its data.
pub const REPLACED_DATA: &str = r#"{"reason":"too many open streams for this session or user"}"#;

/// The comment text of the heartbeat (`: keepalive`).
pub const KEEPALIVE_COMMENT: &str = "keepalive";

/// Longest `Last-Event-ID` considered (longer values are treated as unknown).
const MAX_LAST_EVENT_ID: usize = 64;

/// The heartbeat and the replaced notice, rendered once per process.
static KEEPALIVE_BYTES: LazyLock<Bytes> = LazyLock::new(|| render_comment(KEEPALIVE_COMMENT));
static REPLACED_BYTES: LazyLock<Bytes> =
    LazyLock::new(|| render(None, REPLACED_EVENT, REPLACED_DATA));

/// Where the client resumes: the `Last-Event-ID` header (sent by the browser's own reconnects), else the
/// `lastEventID` query parameter (sent by a client that opens a new EventSource itself). An overlong value
/// counts as unknown (`""`), which asks for the full-refresh hint.
fn last_event_id(req: &HttpRequest) -> Option<String> {
    let from_header = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let id = from_header.or_else(|| {
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .find(|(key, _)| key == compass_core::sse::LAST_EVENT_ID_PARAM)
            .map(|(_, value)| value.into_owned())
    })?;
    Some(if id.len() > MAX_LAST_EVENT_ID {
        String::new()
    } else {
        id
    })
}

async fn stream(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let last_event_id = last_event_id(&req);
    let token = cookie::session_token(&req);
    let events = Streams::new(&state.store, &state.hub, &state.sessions)
        .open(token.as_ref(), last_event_id.as_deref())
        .await?;

    // Each frame was rendered once when it was published; every connection writes the same shared bytes.
    let body = events.map(|item| {
        Ok::<_, Infallible>(match item {
            StreamItem::Event(frame) => frame.wire.clone(),
            StreamItem::Keepalive => KEEPALIVE_BYTES.clone(),
            StreamItem::Replaced => REPLACED_BYTES.clone(),
        })
    });
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header((
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        ))
        .insert_header(("x-accel-buffering", HeaderValue::from_static("no")))
        .streaming(body))
}
