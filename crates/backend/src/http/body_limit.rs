//! The request-size guard: a middleware that answers 413 from the declared `Content-Length` before any
//! body is read (bodies without a length are cut off by the extractors' limits, configured in `crate::app`).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::web;

use super::error::ApiError;
use crate::state::AppState;

/// Answers 413 before reading a body whose declared `Content-Length` exceeds the limit (bodies without a
/// length are cut off by the extractors' limits instead).
pub async fn reject_oversized_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<AppState>>()
        .map_or(usize::MAX, |state| state.settings.body_limit);
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        let response =
            actix_web::ResponseError::error_response(&ApiError::PayloadTooLarge { limit });
        return Ok(req.into_response(response).map_into_boxed_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
