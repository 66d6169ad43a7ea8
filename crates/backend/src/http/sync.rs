//! `/api/sync/*` and `/api/calendars*` handlers: start an import (`POST /api/sync/import-gcal`, 204 at
//! once), Google's push notifications (`POST /api/sync/gcal/notifications`, no session: the channel
//! token authenticates), the conflicts the sync settled (`GET /api/sync/conflicts`), the user's calendars
//! and their selection. Thin: parse, call the
//! `crate::sync` engine, map its error. A route that calls Google and finds the grant revoked answers
//! `401 GOOGLE_REVOKED` after the engine ran the revocation (`POST /api/sync/import-gcal`,
//! `PUT /api/calendars/select`).

use actix_web::{web, HttpRequest, HttpResponse};
use compass_core::{ImportGCalRequest, SyncConflictList};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::ApiError;
use crate::accounts::SessionUser;
use crate::state::AppState;
use crate::sync::calendars::Selection;
use crate::sync::notifications::{Notification, NotificationError};

/// Registers the routes (relative to `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sync/import-gcal", web::post().to(import_gcal))
        .route("/sync/gcal/notifications", web::post().to(notification))
        .route("/sync/conflicts", web::get().to(list_conflicts))
        .route("/calendars", web::get().to(list_calendars))
        .route("/calendars/select", web::put().to(select_calendars));
}

async fn import_gcal(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // An absent body is `{}`.
    let request: ImportGCalRequest = if body.iter().all(u8::is_ascii_whitespace) {
        ImportGCalRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| ApiError::BadRequest {
            field: Some("force".into()),
            message: "must be a boolean".into(),
        })?
    };
    state
        .sync
        .start_import(&session.user_id, request.force == Some(true))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn header(req: &HttpRequest, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

async fn notification(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let notification = Notification {
        channel_id: header(&req, "X-Goog-Channel-ID"),
        resource_id: header(&req, "X-Goog-Resource-ID"),
        resource_state: header(&req, "X-Goog-Resource-State"),
        channel_token: header(&req, "X-Goog-Channel-Token"),
    };
    match state.sync.receive(&notification).await {
        Ok(outcome) => Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(outcome.as_str())),
        Err(NotificationError::Refused) => Ok(HttpResponse::Forbidden().json(json!({
            "error": {
                "result": "Notification Failed",
                "description": "Not Authorized",
                "statusCode": 403,
                "isOperational": true,
            }
        }))),
        Err(NotificationError::Store(error)) => Err(error.into()),
    }
}

/// `?limit=` of `GET /api/sync/conflicts`.
#[derive(Debug, Deserialize)]
struct ConflictsQuery {
    limit: Option<String>,
}

/// How many conflicts `GET /api/sync/conflicts` lists without `?limit=`, and at most.
const CONFLICTS_DEFAULT: i64 = 50;
const CONFLICTS_MAX: i64 = 200;

async fn list_conflicts(
    state: web::Data<AppState>,
    session: SessionUser,
    query: web::Query<ConflictsQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match query.limit.as_deref() {
        None => CONFLICTS_DEFAULT,
        Some(text) => match text.parse::<i64>() {
            Ok(n) if (1..=CONFLICTS_MAX).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "limit",
                    format!("must be a whole number from 1 to {CONFLICTS_MAX}"),
                ))
            }
        },
    };
    let conflicts = crate::sync::conflicts::recent(&state.store, &session.user_id, limit).await?;
    Ok(HttpResponse::Ok().json(SyncConflictList { conflicts }))
}

async fn list_calendars(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<HttpResponse, ApiError> {
    let calendars = state.sync.calendars(&session.user_id).await?;
    let calendars: Vec<Value> = calendars
        .into_iter()
        .map(|c| {
            json!({
                "_id": c.id.to_hex(),
                "user": c.user.to_hex(),
                "backgroundColor": c.background_color,
                "color": c.color,
                "selected": c.selected,
                "primary": c.primary,
                "timezone": c.timezone,
                "metadata": serde_json::to_value(&c.metadata).unwrap_or(Value::Null),
                "createdAt": c.created_at.try_to_rfc3339_string().ok(),
                "updatedAt": c.updated_at.try_to_rfc3339_string().ok(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "calendars": calendars })))
}

#[derive(Debug, Deserialize)]
struct SelectEntry {
    id: String,
    selected: bool,
}

async fn select_calendars(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Json<Vec<SelectEntry>>,
) -> Result<HttpResponse, ApiError> {
    let entries = body.into_inner();
    if entries.is_empty() {
        return Err(ApiError::BadRequest {
            field: None,
            message: "at least one calendar is required".into(),
        });
    }
    let selections: Vec<Selection> = entries
        .into_iter()
        .map(|e| Selection {
            id: e.id,
            selected: e.selected,
        })
        .collect();
    let any = state
        .sync
        .select_calendars(&session.user_id, &selections)
        .await?;
    Ok(HttpResponse::Ok().json(any))
}
