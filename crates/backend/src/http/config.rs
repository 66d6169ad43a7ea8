//! `GET /api/config`: what the web app needs to know about this server's configuration.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use crate::state::AppState;

/// Registers the config route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/config", web::get().to(config));
}

/// `{"google":{"isConfigured":bool}}`.
#[derive(Debug, Serialize)]
struct PublicConfig {
    google: GoogleConfig,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GoogleConfig {
    is_configured: bool,
}

/// Answers with the public part of the configuration. Needs no session.
async fn config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(PublicConfig {
        google: GoogleConfig {
            is_configured: state.settings.google.is_configured(),
        },
    })
}
