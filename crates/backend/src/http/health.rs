//! `GET /api/health`: is the server up and can it reach MongoDB?

use std::time::Duration;

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpResponse};
use chrono::{SecondsFormat, Utc};
use serde::Serialize;

use crate::state::AppState;

/// How long the database ping may take before the server reports itself unhealthy.
const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// Registers the health route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health));
}

/// The health body: `{"status":"ok"|"error","timestamp":"<RFC 3339>"}`.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    timestamp: String,
}

/// 200 when MongoDB answers a ping within [`PING_TIMEOUT`], 503 otherwise. Needs no session.
async fn health(state: web::Data<AppState>) -> HttpResponse {
    let outcome = tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await;
    let timestamp = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let healthy = match outcome {
        Ok(Ok(())) => true,
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "health check: database ping failed");
            false
        }
        Err(_) => {
            tracing::warn!("health check: database ping timed out");
            false
        }
    };
    let (mut response, status) = if healthy {
        (HttpResponse::Ok(), "ok")
    } else {
        (HttpResponse::ServiceUnavailable(), "error")
    };
    response
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .json(Health { status, timestamp })
}
