//! HTTP: the one route table and thin handlers (parse, call one flow, map its error), the extractors
//! (`session`: the signed-in user), the CSRF origin check (`csrf`), cookies (`cookie`) and [`ApiError`] with
//! every `From` impl that maps a flow's error to a status (`error`). Handlers reach the shared handles through
//! `crate::state::AppState`.
//!
//! Every route lives under `/api`. Each area registers its own paths (relative to `/api`) in a `routes`
//! function and gets one `.configure(..)` line in [`routes`] below.

pub mod auth;
pub mod body_limit;
pub mod config;
pub mod cookie;
pub mod csrf;
pub mod error;
pub mod events;
pub mod health;
pub mod priorities;
pub mod security_headers;
pub mod session;
pub mod stream;
pub mod sync;
pub mod user;
pub mod web_app;
pub mod web_app_encoded;

use actix_web::web;

pub use error::ApiError;

/// The route table of the whole server.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .configure(health::routes)
            .configure(config::routes)
            .configure(stream::routes)
            .configure(auth::routes)
            .configure(user::routes)
            .configure(events::routes)
            .configure(priorities::routes)
            .configure(sync::routes),
    );
}

/// Fallback for unknown paths: a JSON 404 like every other error.
pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
