//! Error types: Google's Calendar error envelope (`ApiError`), OAuth endpoint errors (`OAuthError`),
//! control-API errors (`ControlError`) and start-up errors (`EmulatorError`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// Errors of starting an emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening socket could not be bound.
    #[error("could not bind the emulator's listening socket: {0}")]
    Bind(#[from] std::io::Error),
    /// The seed data was refused.
    #[error("invalid seed data: {0}")]
    Seed(String),
    /// The built-in ID-token signing key could not be loaded.
    #[error("could not load the ID-token signing key: {0}")]
    SigningKey(String),
}

/// A Calendar API error, answered as `{"error": {"code", "message", "errors": [...], "status"}}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code} {reason}: {message}")]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// `errors[0].domain`.
    pub domain: &'static str,
    /// `errors[0].reason`.
    pub reason: &'static str,
    /// Message, shown in `message` and `errors[0].message`.
    pub message: String,
    /// Optional `(locationType, location)`.
    pub location: Option<(&'static str, String)>,
    /// Optional `Retry-After` seconds.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// Creates an error with no location.
    pub fn new(
        code: u16,
        domain: &'static str,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            domain,
            reason,
            message: message.into(),
            location: None,
            retry_after: None,
        }
    }

    /// Adds `locationType` / `location`.
    pub fn at(mut self, location_type: &'static str, location: impl Into<String>) -> Self {
        self.location = Some((location_type, location.into()));
        self
    }

    /// 400 `invalid` for a parameter.
    pub fn invalid_param(name: &str, message: impl Into<String>) -> Self {
        Self::new(400, "global", "invalid", message).at("parameter", name)
    }

    /// 400 `badRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "global", "badRequest", message)
    }

    /// 400 `required` for a missing field or parameter.
    pub fn required(name: &str) -> Self {
        Self::new(400, "global", "required", format!("Missing {name}")).at("parameter", name)
    }

    /// 401 `authError`.
    pub fn auth_error() -> Self {
        Self::new(401, "global", "authError", "Invalid Credentials").at("header", "Authorization")
    }

    /// 403 `insufficientPermissions`.
    pub fn insufficient_permissions() -> Self {
        Self::new(
            403,
            "global",
            "insufficientPermissions",
            "Insufficient Permission",
        )
    }

    /// 404 `notFound`.
    pub fn not_found() -> Self {
        Self::new(404, "global", "notFound", "Not Found")
    }

    /// 409 `duplicate`.
    pub fn duplicate() -> Self {
        Self::new(
            409,
            "global",
            "duplicate",
            "The requested identifier already exists.",
        )
    }

    /// 410 `deleted`.
    pub fn deleted() -> Self {
        Self::new(410, "global", "deleted", "Resource has been deleted")
    }

    /// 410 `fullSyncRequired`.
    pub fn full_sync_required() -> Self {
        Self::new(
            410,
            "calendar",
            "fullSyncRequired",
            "Sync token is no longer valid, a full sync is required.",
        )
        .at("parameter", "syncToken")
    }

    /// 400 for a sync token that is not one of ours.
    pub fn invalid_sync_token() -> Self {
        Self::invalid_param("syncToken", "Invalid sync token value.")
    }

    /// 400 `invalid` for an update whose `sequence` is below the stored one.
    pub fn invalid_sequence() -> Self {
        Self::new(
            400,
            "global",
            "invalid",
            "Invalid sequence value. The specified sequence number is below the current sequence number of the \
             resource. Re-fetch the resource and use its sequence number on the following request.",
        )
    }

    /// 412 `conditionNotMet`.
    pub fn condition_not_met() -> Self {
        Self::new(412, "global", "conditionNotMet", "Precondition Failed").at("header", "If-Match")
    }

    /// 400 `timeRangeEmpty`.
    pub fn time_range_empty(location: &str) -> Self {
        Self::new(
            400,
            "calendar",
            "timeRangeEmpty",
            "The specified time range is empty.",
        )
        .at("parameter", location)
    }

    /// 403 `quotaExceeded`.
    pub fn quota_exceeded() -> Self {
        Self::new(
            403,
            "usageLimits",
            "quotaExceeded",
            "Calendar usage limits exceeded.",
        )
    }

    /// 500 `backendError`.
    pub fn backend_error() -> Self {
        Self::new(500, "global", "backendError", "Backend Error")
    }

    fn status_name(&self) -> &'static str {
        match self.code {
            400 => "INVALID_ARGUMENT",
            401 => "UNAUTHENTICATED",
            403 => "PERMISSION_DENIED",
            404 => "NOT_FOUND",
            409 => "ALREADY_EXISTS",
            410 => "FAILED_PRECONDITION",
            412 => "FAILED_PRECONDITION",
            429 => "RESOURCE_EXHAUSTED",
            503 => "UNAVAILABLE",
            504 => "DEADLINE_EXCEEDED",
            _ => "INTERNAL",
        }
    }

    /// The JSON body Google sends for this error.
    pub fn body(&self) -> serde_json::Value {
        let mut item =
            json!({"domain": self.domain, "reason": self.reason, "message": self.message});
        if let Some((kind, name)) = &self.location {
            item["locationType"] = json!(kind);
            item["location"] = json!(name);
        }
        json!({"error": {"code": self.code, "message": self.message, "errors": [item], "status": self.status_name()}})
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        if self.code == 401 {
            builder.insert_header((
                "WWW-Authenticate",
                "Bearer realm=\"https://accounts.google.com/\"",
            ));
        }
        if self.reason == "insufficientPermissions" {
            builder.insert_header((
                "WWW-Authenticate",
                "Bearer realm=\"https://accounts.google.com/\", error=\"insufficient_scope\"",
            ));
        }
        if let Some(seconds) = self.retry_after {
            builder.insert_header(("Retry-After", seconds.to_string()));
        }
        builder.json(self.body())
    }
}

/// An error of the OAuth token / revoke / userinfo endpoints: `{"error", "error_description"}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {error}: {description}")]
pub struct OAuthError {
    /// HTTP status code.
    pub status: u16,
    /// The `error` code (`invalid_grant`, `invalid_client`, ...).
    pub error: &'static str,
    /// The `error_description`.
    pub description: String,
}

impl OAuthError {
    /// Builds an OAuth error.
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    /// 400 `invalid_grant`.
    pub fn invalid_grant(description: &str) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    /// 400 `invalid_request`.
    pub fn invalid_request(description: &str) -> Self {
        Self::new(400, "invalid_request", description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .json(json!({"error": self.error, "error_description": self.description}))
    }
}

/// An error of the control API: `{"error": message}` with a status.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    /// HTTP status code.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}

impl ControlError {
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: 400,
            message: message.into(),
        }
    }

    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: 404,
            message: message.into(),
        }
    }
}

impl From<ApiError> for ControlError {
    fn from(e: ApiError) -> Self {
        Self {
            status: e.code,
            message: e.message,
        }
    }
}

impl ResponseError for ControlError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(json!({"error": self.message}))
    }
}
