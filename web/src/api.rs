//! The only module that talks HTTP: one function per endpoint the app uses, with compass-core types for
//! events, drafts, scopes, metadata and error bodies (`gloo-net`, same origin, cookies sent by the browser).
//!
//! Every body is a compass-core type (auth, session and config included): the app declares no JSON shapes.

use compass_core::{
    DateRange, ErrorBody, Event, EventDraft, EventId, ImportGCalRequest, PayloadOrder,
    PublicConfig, SessionInfo, SignInRequest, SignUpRequest, SignedIn, SyncConflictList,
    UpdateScope, UserMetadata,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::{Deserialize, Serialize};

/// Why a request failed. `Display` is what the app shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server could not be reached.
    #[error("Cannot reach the Compass server. Check your connection and try again.")]
    Network,
    /// No valid session.
    #[error("You are signed out. Please sign in again.")]
    Unauthorized,
    /// The server refused the request; its message is for people.
    #[error("{}", .body.message)]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error body.
        body: ErrorBody,
    },
    /// The answer was not what the contract says.
    #[error("The server sent an answer this app does not understand ({0}).")]
    Unexpected(String),
}

/// The URL that starts connecting Google Calendar (a full-page navigation, not a fetch).
pub const GOOGLE_CONNECT_URL: &str = "/api/auth/google?intent=connect";

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    let request = request.map_err(|e| ApiError::Unexpected(e.to_string()))?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    match response.status() {
        200..=299 => Ok(response),
        401 => Err(ApiError::Unauthorized),
        status => {
            let text = response.text().await.unwrap_or_default();
            let body = serde_json::from_str::<ErrorBody>(&text).unwrap_or_else(|_| {
                ErrorBody::new(
                    format!("HTTP {status}"),
                    format!("The server answered {status}. Please try again."),
                )
            });
            Err(ApiError::Refused { status, body })
        }
    }
}

async fn json<T: for<'de> Deserialize<'de>>(response: Response) -> Result<T, ApiError> {
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    serde_json::from_str(&text).map_err(|e| ApiError::Unexpected(e.to_string()))
}

fn with_json(builder: RequestBuilder, body: &impl Serialize) -> Result<Request, gloo_net::Error> {
    builder.json(body)
}

/// `GET /api/auth/session`: `None` when signed out.
pub async fn session() -> Result<Option<SessionInfo>, ApiError> {
    match send(Request::get("/api/auth/session").build()).await {
        Ok(response) => json(response).await.map(Some),
        Err(ApiError::Unauthorized) => Ok(None),
        Err(error) => Err(error),
    }
}

/// `POST /api/auth/signup`.
pub async fn sign_up(body: &SignUpRequest) -> Result<SignedIn, ApiError> {
    json(send(with_json(Request::post("/api/auth/signup"), body)).await?).await
}

/// `POST /api/auth/signin`. A wrong password is `Refused` with the server's message.
pub async fn sign_in(body: &SignInRequest) -> Result<SignedIn, ApiError> {
    match send(with_json(Request::post("/api/auth/signin"), body)).await {
        Err(ApiError::Unauthorized) => Err(ApiError::Refused {
            status: 401,
            body: ErrorBody::new("Unauthorized", "Incorrect email or password."),
        }),
        other => json(other?).await,
    }
}

/// `POST /api/auth/signout`.
pub async fn sign_out() -> Result<(), ApiError> {
    send(Request::post("/api/auth/signout").build())
        .await
        .map(drop)
}

/// `GET /api/config`.
pub async fn config() -> Result<PublicConfig, ApiError> {
    json(send(Request::get("/api/config").build()).await?).await
}

/// `GET /api/user/metadata`.
pub async fn metadata() -> Result<UserMetadata, ApiError> {
    json(send(Request::get("/api/user/metadata").build()).await?).await
}

/// `GET /api/event?start=&end=&someday=`: grid or someday events overlapping `range`.
pub async fn list_events(range: &DateRange, someday: bool) -> Result<Vec<Event>, ApiError> {
    let start = range.start().to_wire();
    let end = range.end().to_wire();
    let request = Request::get("/api/event")
        .query([
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("someday", if someday { "true" } else { "false" }),
        ])
        .build();
    json(send(request).await?).await
}

/// `POST /api/event` with one draft.
pub async fn create_event(draft: &EventDraft) -> Result<(), ApiError> {
    send(with_json(Request::post("/api/event"), &draft.to_json()))
        .await
        .map(drop)
}

/// `PUT /api/event/:id?applyTo=`: the full new state of an event.
pub async fn update_event(
    id: &EventId,
    draft: &EventDraft,
    scope: UpdateScope,
) -> Result<(), ApiError> {
    let request =
        Request::put(&format!("/api/event/{}", id.as_str())).query([("applyTo", scope.as_str())]);
    send(with_json(request, &draft.to_json())).await.map(drop)
}

/// `DELETE /api/event/:id?applyTo=`.
pub async fn delete_event(id: &EventId, scope: UpdateScope) -> Result<(), ApiError> {
    let request = Request::delete(&format!("/api/event/{}", id.as_str()))
        .query([("applyTo", scope.as_str())])
        .build();
    send(request).await.map(drop)
}

/// `GET /api/event/:id`: `None` when the user has no such event.
pub async fn get_event(id: &EventId) -> Result<Option<Event>, ApiError> {
    match send(Request::get(&format!("/api/event/{}", id.as_str())).build()).await {
        Ok(response) => json(response).await.map(Some),
        Err(ApiError::Refused { status: 404, .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// `POST /api/event` with many drafts: one request, stored all together or not at all.
pub async fn create_events(drafts: &[EventDraft]) -> Result<(), ApiError> {
    let body: Vec<serde_json::Value> = drafts.iter().map(EventDraft::to_json).collect();
    send(with_json(Request::post("/api/event"), &body))
        .await
        .map(drop)
}

/// `PUT /api/event/reorder`: the someday list's new positions.
pub async fn reorder(items: &[PayloadOrder]) -> Result<(), ApiError> {
    send(with_json(Request::put("/api/event/reorder"), &items))
        .await
        .map(drop)
}

/// `POST /api/sync/import-gcal {"force": true}`: re-import Google Calendar (Repair); progress arrives as
/// `IMPORT_GCAL_START` / `IMPORT_GCAL_END` on the stream.
pub async fn repair_google() -> Result<(), ApiError> {
    let body = ImportGCalRequest { force: Some(true) };
    send(with_json(Request::post("/api/sync/import-gcal"), &body))
        .await
        .map(drop)
}

/// `GET /api/sync/conflicts?limit=`: the user's latest sync conflicts, newest first.
pub async fn sync_conflicts(limit: u32) -> Result<SyncConflictList, ApiError> {
    let limit = limit.to_string();
    let request = Request::get("/api/sync/conflicts")
        .query([("limit", limit.as_str())])
        .build();
    json(send(request).await?).await
}
