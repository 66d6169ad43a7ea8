//! `/api/priority` handlers: list, create (upsert by name), read, update and delete a user's priority
//! labels. Unknown ids and other users' ids are 404; bad bodies are 400 naming the field; renaming onto
//! an existing name is 409. Thin: parse, call [`PriorityService`], map its error.

use actix_web::{web, HttpResponse};
use compass_core::PriorityId;
use serde_json::Value;

use super::error::ApiError;
use crate::accounts::SessionUser;
use crate::priorities::{to_wire, PriorityInput, PriorityService};
use crate::state::AppState;

/// Registers the routes (relative to `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/priority")
            .route("", web::get().to(list))
            .route("", web::post().to(create))
            .route("/{id}", web::get().to(get))
            .route("/{id}", web::put().to(update))
            .route("/{id}", web::delete().to(delete)),
    );
}

fn input(body: &Value) -> Result<PriorityInput, ApiError> {
    PriorityInput::parse(body).map_err(|e| ApiError::BadRequest {
        field: (!e.field.is_empty()).then(|| e.field.clone()),
        message: e.message.to_owned(),
    })
}

fn path_id(raw: &str) -> Result<PriorityId, ApiError> {
    PriorityId::parse(raw).map_err(|e| ApiError::bad_request("id", e.to_string()))
}

fn service(state: &AppState) -> PriorityService {
    PriorityService::new(&state.store)
}

async fn list(state: web::Data<AppState>, session: SessionUser) -> Result<HttpResponse, ApiError> {
    let labels = service(&state).list(&session.user_id).await?;
    let wire: Vec<Value> = labels.iter().map(to_wire).collect();
    Ok(HttpResponse::Ok().json(wire))
}

async fn create(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let input = input(&body)?;
    let saved = service(&state).create(&session.user_id, &input).await?;
    Ok(HttpResponse::Ok().json(to_wire(&saved)))
}

async fn get(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let label = service(&state).get(&session.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(to_wire(&label)))
}

async fn update(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    let input = input(&body)?;
    let saved = service(&state)
        .update(&session.user_id, &id, &input)
        .await?;
    Ok(HttpResponse::Ok().json(to_wire(&saved)))
}

async fn delete(
    state: web::Data<AppState>,
    session: SessionUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    service(&state).delete(&session.user_id, &id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "acknowledged": true, "deletedCount": 1 })))
}
