//! `GET /api/config`: what the web app needs to know about this server's configuration
//! (compass-core's [`PublicConfig`], which the web app reads).

use actix_web::{web, HttpResponse};
use compass_core::{GoogleConfig, PublicConfig};

use crate::state::AppState;

/// Registers the config route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/config", web::get().to(config));
}

/// Answers `{"google":{"isConfigured":bool}}`. Needs no session.
async fn config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(PublicConfig {
        google: GoogleConfig {
            is_configured: state.settings.google.is_configured(),
        },
    })
}
