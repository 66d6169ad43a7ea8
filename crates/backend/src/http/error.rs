//! The HTTP boundary's one error type, [`ApiError`], and how it becomes a JSON response.
//!
//! Every failing handler returns an `ApiError`; the status is decided in one `match`
//! ([`ApiError::status`]) and the body is always `{"result", "message", "code"?}` (`code` a
//! [`compass_core::ErrorCode`]). Every flow error becomes an `ApiError` here, in one place: store, accounts,
//! Google sign-in, events and priorities. Internal causes are logged
//! with the request's span (and so its request id) and never sent to the client.

use std::time::Duration;

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use compass_core::{ErrorBody, ErrorCode};

use crate::accounts::password_flow::INVALID_CREDENTIALS;
use crate::accounts::{AuthError, GoogleAuthError, OpenStreamError};
use crate::events::plan::PlanError;
use crate::events::service::EventsError;
use crate::google::calendar::GoogleError;
use crate::priorities::PrioritiesError;
use crate::store::StoreError;
use crate::sync::SyncError;

/// A failure as the HTTP client sees it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed; `field` names the offending input when there is one.
    #[error("{}", bad_request_message(field.as_deref(), message))]
    BadRequest {
        /// The JSON field, query parameter or path segment at fault.
        field: Option<String>,
        /// What is wrong with it.
        message: String,
    },
    /// 401: no valid session (or wrong credentials).
    #[error("{message}")]
    Unauthorized {
        /// What the client is told, e.g. "Not signed in".
        message: String,
    },
    /// 401 `GOOGLE_REVOKED`: a Google call made for this request found the grant revoked; the revocation
    /// already ran (Google-derived data removed, `GOOGLE_REVOKED` published). The reference's payload (§4.0).
    #[error("Google access revoked. Your Google data has been removed.")]
    GoogleRevoked,
    /// 403: signed in but not allowed (also CSRF refusals).
    #[error("{message}")]
    Forbidden {
        /// What the client is told.
        message: String,
    },
    /// 404: unknown resource, or one that belongs to someone else (never revealing which).
    #[error("Not found")]
    NotFound,
    /// 409: the request conflicts with existing state.
    #[error("{message}")]
    Conflict {
        /// What the client is told.
        message: String,
        /// A stable machine-readable code, e.g. `GOOGLE_ACCOUNT_ALREADY_CONNECTED`.
        code: Option<ErrorCode>,
    },
    /// 413: the body is larger than the configured limit.
    #[error("Request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },
    /// 429: too many attempts; try again after the given time.
    #[error("Too many attempts, try again later")]
    TooManyRequests {
        /// Sent as `Retry-After` (whole seconds, rounded up).
        retry_after: Duration,
    },
    /// 503: a dependency (the database, Google configuration) is unavailable.
    #[error("{message}")]
    Unavailable {
        /// What the client is told.
        message: String,
        /// A stable machine-readable code, e.g. `GOOGLE_NOT_CONFIGURED`.
        code: Option<ErrorCode>,
    },
    /// 500: a bug or an unexpected failure. The cause is logged, the client sees a generic message.
    #[error("Internal server error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// `field: message`, or just `message`.
fn bad_request_message(field: Option<&str>, message: &str) -> String {
    match field {
        Some(field) if !field.is_empty() => format!("{field}: {message}"),
        _ => message.to_owned(),
    }
}

impl ApiError {
    /// 400 naming the field at fault.
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// 400 without a specific field (e.g. unreadable JSON).
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: None,
            message: message.into(),
        }
    }

    /// 401 with the generic "Not signed in" message.
    pub fn unauthorized() -> Self {
        Self::Unauthorized {
            message: "Not signed in".into(),
        }
    }

    /// 403 with the given message.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden {
            message: message.into(),
        }
    }

    /// 500 wrapping an unexpected cause (logged, never sent).
    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(cause))
    }

    /// The HTTP status of this error: the one place where it is decided.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } | Self::GoogleRevoked => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code, if any.
    fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Conflict { code, .. } | Self::Unavailable { code, .. } => *code,
            Self::GoogleRevoked => Some(ErrorCode::GoogleRevoked),
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status();
        match self {
            Self::Internal(cause) => {
                tracing::error!(error = %cause, source = ?cause.source(), "internal error")
            }
            Self::Unavailable { .. } => tracing::warn!(error = %self, "dependency unavailable"),
            _ => tracing::debug!(status = status.as_u16(), error = %self, "request refused"),
        }
        let result = match self {
            Self::GoogleRevoked => "Google access revoked",
            _ => status.canonical_reason().unwrap_or("Error"),
        };
        let body = ErrorBody {
            result: result.to_owned(),
            message: self.to_string(),
            code: self.code().map(|code| code.as_str().to_owned()),
        };
        let mut response = HttpResponse::build(status);
        if let Self::TooManyRequests { retry_after } = self {
            let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.insert_header((header::RETRY_AFTER, value));
            }
        }
        response.json(body)
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => Self::NotFound,
            StoreError::Conflict { .. } => Self::Conflict {
                message: "This already exists".into(),
                code: None,
            },
            StoreError::Unavailable { .. } | StoreError::Connect { .. } => {
                tracing::warn!(error = %error, "database unavailable");
                Self::Unavailable {
                    message: "The database is unavailable, try again shortly".into(),
                    code: None,
                }
            }
            // A transaction that met other writes of the same documents for its whole retry window:
            // nothing was written, and trying again later is the answer (not a server bug).
            other if other.is_write_conflict() => {
                tracing::warn!(error = %other, "write conflicts outlasted the retry window");
                Self::Unavailable {
                    message: "Other changes to the same events are being saved; nothing was changed, try again"
                        .into(),
                    code: None,
                }
            }
            other => Self::internal(other),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid { field, message } => ApiError::bad_request(field, message),
            AuthError::InvalidCredentials => ApiError::Unauthorized {
                message: INVALID_CREDENTIALS.into(),
            },
            AuthError::SignupRefused => ApiError::Conflict {
                message: error.to_string(),
                code: None,
            },
            AuthError::TooManyAttempts { retry_after } => ApiError::TooManyRequests { retry_after },
            AuthError::Hashing => ApiError::internal(error),
            AuthError::Store(store) => store.into(),
        }
    }
}

impl From<GoogleAuthError> for ApiError {
    fn from(error: GoogleAuthError) -> Self {
        let message = error.to_string();
        let conflict = |code: ErrorCode| ApiError::Conflict {
            message: message.clone(),
            code: Some(code),
        };
        match error {
            GoogleAuthError::NotConfigured => ApiError::Unavailable {
                message,
                code: Some(ErrorCode::GoogleNotConfigured),
            },
            GoogleAuthError::InvalidIntent => ApiError::bad_request("intent", message),
            GoogleAuthError::MissingCode => ApiError::bad_request("code", message),
            GoogleAuthError::StateInvalid => ApiError::bad_request("state", message),
            GoogleAuthError::NotSignedIn => ApiError::unauthorized(),
            GoogleAuthError::Denied
            | GoogleAuthError::CodeRejected
            | GoogleAuthError::MissingRefreshToken
            | GoogleAuthError::MissingCalendarScope
            | GoogleAuthError::MissingEmail => ApiError::malformed(message),
            GoogleAuthError::AlreadyConnected => conflict(ErrorCode::GoogleAccountAlreadyConnected),
            GoogleAuthError::EmailMismatch => conflict(ErrorCode::GoogleConnectEmailMismatch),
            GoogleAuthError::EmailUnverified => conflict(ErrorCode::GoogleEmailNotVerified),
            GoogleAuthError::Provider(cause) => {
                tracing::warn!(error = %cause, "google oauth provider failure");
                ApiError::Unavailable {
                    message,
                    code: Some(ErrorCode::GoogleUnavailable),
                }
            }
            GoogleAuthError::UserMissing => ApiError::NotFound,
            GoogleAuthError::Crypto => ApiError::internal(GoogleAuthError::Crypto),
            GoogleAuthError::Store(store) => store.into(),
        }
    }
}

impl From<SyncError> for ApiError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Google(GoogleError::Revoked) => ApiError::GoogleRevoked,
            SyncError::NotConnected => ApiError::BadRequest {
                field: None,
                message: "User is missing a Google refresh token".into(),
            },
            SyncError::Store(error) => error.into(),
            SyncError::Google(cause) => {
                tracing::warn!(error = %cause, "Google call failed");
                ApiError::Unavailable {
                    message: "Google is unavailable, try again shortly".into(),
                    code: Some(ErrorCode::GoogleUnavailable),
                }
            }
            SyncError::Stopping => ApiError::Unavailable {
                message: "The server is shutting down".into(),
                code: None,
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<OpenStreamError> for ApiError {
    fn from(error: OpenStreamError) -> Self {
        match error {
            OpenStreamError::SignedOut => ApiError::unauthorized(),
            OpenStreamError::ShuttingDown => ApiError::Unavailable {
                message: "The server is shutting down".into(),
                code: None,
            },
            OpenStreamError::ServerFull => ApiError::Unavailable {
                message: "Too many open event streams on this server, try again later".into(),
                code: None,
            },
            OpenStreamError::Store(error) => error.into(),
        }
    }
}

impl From<EventsError> for ApiError {
    fn from(error: EventsError) -> Self {
        match error {
            EventsError::Plan(PlanError::BadRequest { field, message }) => {
                ApiError::bad_request(field, message)
            }
            EventsError::Plan(PlanError::SeriesGone) | EventsError::NotFound => ApiError::NotFound,
            EventsError::IdTaken(id) => ApiError::Conflict {
                message: format!("_id: an event with id {id} already exists"),
                code: Some(ErrorCode::EventIdTaken),
            },
            EventsError::TooManyWrites { .. } => ApiError::malformed(error.to_string()),
            EventsError::Store(error) => error.into(),
        }
    }
}

impl From<PrioritiesError> for ApiError {
    fn from(error: PrioritiesError) -> Self {
        match error {
            PrioritiesError::NotFound => ApiError::NotFound,
            PrioritiesError::NameTaken => ApiError::Conflict {
                message: error.to_string(),
                code: None,
            },
            PrioritiesError::Store(error) => error.into(),
        }
    }
}

/// Maps actix's JSON extractor failures to `ApiError` (400 naming the field, 413 over the limit).
pub fn json_error(error: JsonPayloadError, _req: &HttpRequest, limit: usize) -> actix_web::Error {
    let api = match &error {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::PayloadTooLarge { limit }
        }
        JsonPayloadError::Payload(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
        JsonPayloadError::ContentType => {
            ApiError::malformed("Content-Type must be application/json")
        }
        JsonPayloadError::Deserialize(e) => {
            // serde_json messages name the field ("missing field `email`") and never echo secrets' values.
            ApiError::malformed(format!("Invalid JSON body: {e}"))
        }
        _ => ApiError::malformed("Invalid request body"),
    };
    api.into()
}

/// Maps query-string extractor failures to 400.
pub fn query_error(error: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("Invalid query string: {error}")).into()
}

/// Maps path extractor failures to 400.
pub fn path_error(error: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::malformed(format!("Invalid path: {error}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;

    async fn body_of(error: ApiError) -> (StatusCode, serde_json::Value) {
        let response = error.error_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body()).await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[actix_web::test]
    async fn bad_request_names_the_field() {
        let (status, body) = body_of(ApiError::bad_request("startDate", "must be a date")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["result"], "Bad Request");
        assert_eq!(body["message"], "startDate: must be a date");
        assert!(body.get("code").is_none());
    }

    #[actix_web::test]
    async fn internal_causes_are_not_sent() {
        let cause = std::io::Error::other("secret connection string mongodb://u:p@h");
        let (status, body) = body_of(ApiError::internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["message"], "Internal server error");
        assert!(!body.to_string().contains("mongodb"));
    }

    #[actix_web::test]
    async fn codes_are_sent_for_conflicts() {
        let (status, body) = body_of(ApiError::Conflict {
            message: "Google account is already connected to another Compass user".into(),
            code: Some(ErrorCode::GoogleAccountAlreadyConnected),
        })
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["code"], "GOOGLE_ACCOUNT_ALREADY_CONNECTED");
    }

    #[actix_web::test]
    async fn too_many_requests_sets_retry_after() {
        let response = ApiError::TooManyRequests {
            retry_after: Duration::from_millis(1500),
        }
        .error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER).expect("header"),
            "2"
        );
    }

    #[actix_web::test]
    async fn store_errors_map_to_statuses() {
        let not_found: ApiError = StoreError::not_found("event", "x").into();
        assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
        let conflict: ApiError = StoreError::Conflict {
            collection: "user".into(),
            index: "email_unique".into(),
        }
        .into();
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        let connect: ApiError = StoreError::Connect {
            hosts: "h".into(),
            reason: "r".into(),
        }
        .into();
        assert_eq!(connect.status(), StatusCode::SERVICE_UNAVAILABLE);
        let reply: mongodb::error::CommandError =
            mongodb::bson::from_document(mongodb::bson::doc! {
                "code": 112,
                "codeName": "WriteConflict",
                "errmsg": "WriteConflict error: this operation conflicted with another operation.",
            })
            .expect("a command error");
        let conflict: ApiError = StoreError::from(mongodb::error::Error::from(
            mongodb::error::ErrorKind::Command(reply),
        ))
        .into();
        assert_eq!(conflict.status(), StatusCode::SERVICE_UNAVAILABLE);
        let other: ApiError =
            StoreError::from(mongodb::error::Error::custom("something else")).into();
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn account_errors_map_to_generic_statuses() {
        let api: ApiError = AuthError::InvalidCredentials.into();
        assert_eq!(api.status(), 401);
        assert_eq!(api.to_string(), INVALID_CREDENTIALS);
        let api: ApiError = AuthError::Invalid {
            field: "email",
            message: "is required".into(),
        }
        .into();
        assert_eq!(api.status(), 400);
        assert_eq!(api.to_string(), "email: is required");
        let api: ApiError = AuthError::SignupRefused.into();
        assert_eq!(api.status(), 409);
    }

    #[test]
    fn google_conflicts_carry_the_reference_codes() {
        let api: ApiError = GoogleAuthError::AlreadyConnected.into();
        assert_eq!(api.status(), 409);
        assert_eq!(api.code(), Some(ErrorCode::GoogleAccountAlreadyConnected));
        let api: ApiError = GoogleAuthError::NotConfigured.into();
        assert_eq!(api.status(), 503);
        let api: ApiError = GoogleAuthError::CodeRejected.into();
        assert_eq!(api.status(), 400);
        assert_eq!(api.to_string(), "Google code exchange failed");
    }

    #[actix_web::test]
    async fn a_revoked_grant_is_the_reference_payload() {
        let (status, body) = body_of(SyncError::Google(GoogleError::Revoked).into()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            serde_json::json!({
                "result": "Google access revoked",
                "message": "Google access revoked. Your Google data has been removed.",
                "code": "GOOGLE_REVOKED",
            })
        );
    }

    #[test]
    fn priority_rename_conflicts_name_the_field() {
        let api: ApiError = PrioritiesError::NameTaken.into();
        assert_eq!(api.status(), 409);
        assert_eq!(api.to_string(), "name: another label already has this name");
    }
}
