//! `/api/user/*` handlers: the profile and the metadata (read with computed Google connection state;
//! client writes limited to client-owned keys). Thin: parse, call [`Profiles`], map errors; the flow
//! publishes `USER_METADATA` after a write.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::error::ApiError;
use crate::accounts::{Profiles, SessionUser};
use crate::domain::metadata::parse_client_patch;
use crate::state::AppState;

/// Registers the routes (relative to `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/user")
            .route("/profile", web::get().to(profile))
            .route("/metadata", web::get().to(get_metadata))
            .route("/metadata", web::post().to(post_metadata)),
    );
}

/// `GET /api/user/profile` payload (reference shape).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(rename = "_id")]
    id: String,
    user_id: String,
    picture: String,
    first_name: String,
    last_name: String,
    name: String,
    email: String,
    locale: String,
}

async fn profile(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<HttpResponse, ApiError> {
    let user = Profiles::new(&state.store, &state.hub)
        .profile(&session.user_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let picture = user
        .google
        .as_ref()
        .map(|g| g.picture.clone())
        .filter(|p| p != "not provided")
        .unwrap_or_default();
    let id = user.user_id().to_string();
    Ok(HttpResponse::Ok().json(Profile {
        id: id.clone(),
        user_id: id,
        picture,
        first_name: user.first_name,
        last_name: user.last_name,
        name: user.name,
        email: user.email,
        locale: user.locale,
    }))
}

async fn get_metadata(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<HttpResponse, ApiError> {
    let metadata = Profiles::new(&state.store, &state.hub)
        .metadata(&session.user_id)
        .await?;
    Ok(HttpResponse::Ok().json(metadata))
}

/// Applies a client patch, answers the metadata as clients see it and tells the user's other tabs.
async fn post_metadata(
    state: web::Data<AppState>,
    session: SessionUser,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let patch =
        parse_client_patch(&body).map_err(|e| ApiError::bad_request(e.field(), e.to_string()))?;
    let view = Profiles::new(&state.store, &state.hub)
        .update_metadata(&session.user_id, &patch)
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
