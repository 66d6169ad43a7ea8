//! [`GoogleError`]: every failure of a Calendar call, classified once from the HTTP status and Google's
//! error body (`{"error": {"code", "message", "errors": [{"domain", "reason", "message", …}], "status"}}`),
//! so that the sync engine decides what to do by matching one enum.
//!
//! | answer | variant | retried by the client |
//! |---|---|---|
//! | token endpoint `invalid_grant` | [`GoogleError::Revoked`] | no (the user must reconnect) |
//! | 401 (after one refresh) | [`GoogleError::Unauthorized`] | once, after a token refresh |
//! | 403 `rateLimitExceeded` / `userRateLimitExceeded` / `quotaExceeded` | [`GoogleError::RateLimited`] | yes |
//! | 403 anything else (`forbidden`, `insufficientPermissions`, …) | [`GoogleError::Forbidden`] | no |
//! | 429 | [`GoogleError::TooManyRequests`] | yes |
//! | 400 | [`GoogleError::BadRequest`] | no |
//! | 404 | [`GoogleError::NotFound`] | no |
//! | 409 | [`GoogleError::Conflict`] | no (a retried insert recognises its own event) |
//! | 410 `fullSyncRequired` / `updatedMinTooLongAgo` (any 410 on a listing) | [`GoogleError::FullSyncRequired`] | no |
//! | 410 `deleted` | [`GoogleError::Deleted`] | no |
//! | 412 | [`GoogleError::PreconditionFailed`] | no |
//! | 5xx | [`GoogleError::Server`] | yes |
//! | per-request timeout / overall deadline | [`GoogleError::Timeout`] / [`GoogleError::DeadlineExceeded`] | yes / no |
//! | connection refused or reset, unreadable answer stream | [`GoogleError::Transport`] | yes |
//!
//! `Display` is for people and logs: it carries Google's message and reason, never a token.

use std::time::Duration;

use serde::Deserialize;

google_enum! {
    /// `errors[].reason` in Google's error body (the ones the client acts on, and a few more).
    ErrorReason {
        /// 403/429: too many requests.
        RateLimitExceeded => "rateLimitExceeded",
        /// 403: too many requests for this user.
        UserRateLimitExceeded => "userRateLimitExceeded",
        /// 403: Calendar usage limits (anti-abuse) or project quota.
        QuotaExceeded => "quotaExceeded",
        /// 403: not allowed.
        Forbidden => "forbidden",
        /// 403: the token lacks a scope.
        InsufficientPermissions => "insufficientPermissions",
        /// 403: shared properties changed on an attendee's copy.
        ForbiddenForNonOrganizer => "forbiddenForNonOrganizer",
        /// 401: invalid credentials.
        AuthError => "authError",
        /// 404.
        NotFound => "notFound",
        /// 409: the id is taken (also by a deleted event).
        Duplicate => "duplicate",
        /// 410: already deleted.
        Deleted => "deleted",
        /// 410: the sync token is dead.
        FullSyncRequired => "fullSyncRequired",
        /// 410: `updatedMin` too far in the past.
        UpdatedMinTooLongAgo => "updatedMinTooLongAgo",
        /// 412: `If-Match` did not match.
        ConditionNotMet => "conditionNotMet",
        /// 5xx.
        BackendError => "backendError",
        /// 400: a value is invalid.
        Invalid => "invalid",
        /// 400: a required value is missing.
        Required => "required",
        /// 400: `timeMin` ≥ `timeMax`.
        TimeRangeEmpty => "timeRangeEmpty",
        /// 400: a parameter is invalid.
        InvalidParameter => "invalidParameter",
        /// 400: a watch channel id is already live.
        ChannelIdNotUnique => "channelIdNotUnique",
    }
}

/// What Google said about a failed call: HTTP status, the first `errors[].reason`, the message, and the
/// `Retry-After` it asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiErrorDetails {
    /// HTTP status.
    pub status: u16,
    /// `errors[0].reason`, when the body had one.
    pub reason: Option<ErrorReason>,
    /// `error.message` (or the status line when the body was not Google's envelope).
    pub message: String,
    /// `Retry-After`, when sent.
    pub retry_after: Option<Duration>,
}

impl ApiErrorDetails {
    /// Reads Google's error envelope; anything else (an HTML page from a proxy, an empty body) keeps the
    /// status and a generic message.
    pub fn parse(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        #[derive(Deserialize)]
        struct Envelope {
            error: Body,
        }
        #[derive(Deserialize)]
        struct Body {
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            errors: Vec<Item>,
        }
        #[derive(Deserialize)]
        struct Item {
            #[serde(default)]
            reason: Option<String>,
        }
        let parsed = serde_json::from_slice::<Envelope>(body).ok();
        let reason = parsed
            .as_ref()
            .and_then(|e| e.error.errors.iter().find_map(|i| i.reason.as_deref()))
            .map(ErrorReason::from);
        let message = parsed
            .and_then(|e| e.error.message)
            .filter(|m| !m.trim().is_empty())
            .unwrap_or_else(|| {
                reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("unexpected answer")
                    .to_owned()
            });
        Self {
            status,
            reason,
            message: truncate(message, 300),
            retry_after,
        }
    }
}

impl std::fmt::Display for ApiErrorDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(reason) = &self.reason {
            write!(f, " {reason}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The class of an outcome, for retry decisions and counters ([`GoogleError::class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// The grant is dead (`invalid_grant`).
    Revoked,
    /// 401.
    Unauthorized,
    /// 403 rate limit or quota.
    RateLimited,
    /// 403 permission.
    Forbidden,
    /// 429.
    TooManyRequests,
    /// 400.
    BadRequest,
    /// 404.
    NotFound,
    /// 409.
    Conflict,
    /// 410 on a sync token (or `updatedMin`).
    FullSyncRequired,
    /// 410 `deleted`.
    Deleted,
    /// 412.
    PreconditionFailed,
    /// 5xx.
    Server,
    /// A request or the whole call took too long.
    Timeout,
    /// The connection failed or broke.
    Transport,
    /// A success answer that could not be read, or another unexpected answer.
    Unexpected,
    /// The client is misconfigured.
    Config,
}

impl ErrorClass {
    /// Every class, in declaration order.
    pub const ALL: [ErrorClass; 16] = [
        Self::Revoked,
        Self::Unauthorized,
        Self::RateLimited,
        Self::Forbidden,
        Self::TooManyRequests,
        Self::BadRequest,
        Self::NotFound,
        Self::Conflict,
        Self::FullSyncRequired,
        Self::Deleted,
        Self::PreconditionFailed,
        Self::Server,
        Self::Timeout,
        Self::Transport,
        Self::Unexpected,
        Self::Config,
    ];

    /// A short snake_case name (logs, metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Unauthorized => "unauthorized",
            Self::RateLimited => "rate_limited",
            Self::Forbidden => "forbidden",
            Self::TooManyRequests => "too_many_requests",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::FullSyncRequired => "full_sync_required",
            Self::Deleted => "deleted",
            Self::PreconditionFailed => "precondition_failed",
            Self::Server => "server",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Unexpected => "unexpected",
            Self::Config => "config",
        }
    }

    /// Whether a failure of this class may succeed when simply tried again later (for idempotent calls).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::RateLimited
                | Self::TooManyRequests
                | Self::Server
                | Self::Timeout
                | Self::Transport
        )
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A failed Calendar call. See the module documentation for the table of classes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GoogleError {
    /// The refresh token is dead (`invalid_grant`: revoked, expired, or the password changed). The user
    /// must connect Google again; nothing is retried.
    #[error("Google access was revoked or has expired (invalid_grant); the user must reconnect")]
    Revoked,
    /// Google refused the access token even after a refresh.
    #[error("Google refused the credentials ({0})")]
    Unauthorized(ApiErrorDetails),
    /// 403 `rateLimitExceeded`, `userRateLimitExceeded` or `quotaExceeded`.
    #[error("Google rate limit or quota ({0})")]
    RateLimited(ApiErrorDetails),
    /// 403 for a missing permission or scope (`forbidden`, `insufficientPermissions`, …).
    #[error("Google denied permission ({0})")]
    Forbidden(ApiErrorDetails),
    /// 429.
    #[error("Google throttled the request ({0})")]
    TooManyRequests(ApiErrorDetails),
    /// 400: the request is wrong (including an invalid sync token value).
    #[error("Google rejected the request ({0})")]
    BadRequest(ApiErrorDetails),
    /// 404: the calendar, event or channel does not exist (or is not visible).
    #[error("not found at Google ({0})")]
    NotFound(ApiErrorDetails),
    /// 409: the id is already used (`duplicate`).
    #[error("conflict at Google ({0})")]
    Conflict(ApiErrorDetails),
    /// 410 on a listing: the sync token (or `updatedMin`) is no longer valid; drop it and sync in full.
    #[error("Google requires a full sync ({0})")]
    FullSyncRequired(ApiErrorDetails),
    /// 410 `deleted`: the resource was already deleted.
    #[error("already deleted at Google ({0})")]
    Deleted(ApiErrorDetails),
    /// 412: `If-Match` did not match the current etag.
    #[error("the event changed at Google ({0})")]
    PreconditionFailed(ApiErrorDetails),
    /// 5xx.
    #[error("Google failed ({0})")]
    Server(ApiErrorDetails),
    /// A request got no complete answer within the per-request timeout.
    #[error("Google did not answer within {0:?}")]
    Timeout(Duration),
    /// The call as a whole ran out of time (retries included).
    #[error("the Google call did not finish within its {0:?} deadline")]
    DeadlineExceeded(Duration),
    /// The connection could not be made or broke.
    #[error("Google could not be reached: {0}")]
    Transport(String),
    /// Any other answer, or a success answer that could not be read.
    #[error("unexpected answer from Google: {0}")]
    Unexpected(String),
    /// The client is misconfigured (no client id/secret, bad URL, token endpoint refusing the client).
    #[error("Google client misconfigured: {0}")]
    Config(String),
}

impl GoogleError {
    /// Classifies an error answer of a Calendar method. `listing` is true for methods that take a sync
    /// token (`events.list`, `calendarList.list`): there any 410 means the token is dead.
    pub fn from_api(details: ApiErrorDetails, listing: bool) -> Self {
        use ErrorReason as R;
        match details.status {
            400 => Self::BadRequest(details),
            401 => Self::Unauthorized(details),
            403 => match details.reason {
                Some(R::RateLimitExceeded | R::UserRateLimitExceeded | R::QuotaExceeded) => {
                    Self::RateLimited(details)
                }
                _ => Self::Forbidden(details),
            },
            404 => Self::NotFound(details),
            409 => Self::Conflict(details),
            410 => match details.reason {
                Some(R::FullSyncRequired | R::UpdatedMinTooLongAgo) => {
                    Self::FullSyncRequired(details)
                }
                Some(R::Deleted) => Self::Deleted(details),
                _ if listing => Self::FullSyncRequired(details),
                _ => Self::Deleted(details),
            },
            412 => Self::PreconditionFailed(details),
            429 => Self::TooManyRequests(details),
            500..=599 => Self::Server(details),
            _ => Self::Unexpected(details.to_string()),
        }
    }

    /// Classifies a reqwest failure (the URL is left out: it may carry a sync token).
    pub(crate) fn from_reqwest(error: &reqwest::Error, request_timeout: Duration) -> Self {
        if error.is_timeout() {
            Self::Timeout(request_timeout)
        } else if error.is_builder() {
            Self::Config(error_chain(error))
        } else {
            Self::Transport(error_chain(error))
        }
    }

    /// The class of this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Revoked => ErrorClass::Revoked,
            Self::Unauthorized(_) => ErrorClass::Unauthorized,
            Self::RateLimited(_) => ErrorClass::RateLimited,
            Self::Forbidden(_) => ErrorClass::Forbidden,
            Self::TooManyRequests(_) => ErrorClass::TooManyRequests,
            Self::BadRequest(_) => ErrorClass::BadRequest,
            Self::NotFound(_) => ErrorClass::NotFound,
            Self::Conflict(_) => ErrorClass::Conflict,
            Self::FullSyncRequired(_) => ErrorClass::FullSyncRequired,
            Self::Deleted(_) => ErrorClass::Deleted,
            Self::PreconditionFailed(_) => ErrorClass::PreconditionFailed,
            Self::Server(_) => ErrorClass::Server,
            Self::Timeout(_) | Self::DeadlineExceeded(_) => ErrorClass::Timeout,
            Self::Transport(_) => ErrorClass::Transport,
            Self::Unexpected(_) => ErrorClass::Unexpected,
            Self::Config(_) => ErrorClass::Config,
        }
    }

    /// Google's details, for errors that came with an HTTP answer.
    pub fn details(&self) -> Option<&ApiErrorDetails> {
        match self {
            Self::Unauthorized(d)
            | Self::RateLimited(d)
            | Self::Forbidden(d)
            | Self::TooManyRequests(d)
            | Self::BadRequest(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::FullSyncRequired(d)
            | Self::Deleted(d)
            | Self::PreconditionFailed(d)
            | Self::Server(d) => Some(d),
            _ => None,
        }
    }

    /// The `Retry-After` Google asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        self.details().and_then(|d| d.retry_after)
    }

    /// The `errors[0].reason` Google gave.
    pub fn reason(&self) -> Option<&ErrorReason> {
        self.details().and_then(|d| d.reason.as_ref())
    }

    /// See [`ErrorClass::is_retryable`] (a `DeadlineExceeded` is final).
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::DeadlineExceeded(_)) && self.class().is_retryable()
    }
}

/// The error and its sources, without URLs (they may carry sync or page tokens).
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // reqwest puts the URL in parentheses: "error sending request for url (http://…)".
    if let Some(start) = text.find(" for url (") {
        if let Some(len) = text[start..].find(')') {
            text.replace_range(start..start + len + 1, "");
        }
    }
    truncate(text, 300)
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(code: u16, reason: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({"error": {
            "code": code, "message": "Something", "status": "X",
            "errors": [{"domain": "global", "reason": reason, "message": "Something"}]
        }}))
        .unwrap()
    }

    fn classify(code: u16, reason: &str, listing: bool) -> ErrorClass {
        GoogleError::from_api(
            ApiErrorDetails::parse(code, &body(code, reason), None),
            listing,
        )
        .class()
    }

    #[test]
    fn forbidden_splits_rate_limits_from_permissions() {
        for reason in [
            "rateLimitExceeded",
            "userRateLimitExceeded",
            "quotaExceeded",
        ] {
            assert_eq!(
                classify(403, reason, false),
                ErrorClass::RateLimited,
                "{reason}"
            );
        }
        for reason in [
            "forbidden",
            "insufficientPermissions",
            "accessNotConfigured",
        ] {
            assert_eq!(
                classify(403, reason, false),
                ErrorClass::Forbidden,
                "{reason}"
            );
        }
        assert!(ErrorClass::RateLimited.is_retryable());
        assert!(!ErrorClass::Forbidden.is_retryable());
    }

    #[test]
    fn gone_splits_dead_sync_tokens_from_deleted_resources() {
        assert_eq!(
            classify(410, "fullSyncRequired", false),
            ErrorClass::FullSyncRequired
        );
        assert_eq!(
            classify(410, "updatedMinTooLongAgo", true),
            ErrorClass::FullSyncRequired
        );
        assert_eq!(classify(410, "deleted", true), ErrorClass::Deleted);
        assert_eq!(classify(410, "other", true), ErrorClass::FullSyncRequired);
        assert_eq!(classify(410, "other", false), ErrorClass::Deleted);
    }

    #[test]
    fn other_statuses_map_to_their_class() {
        let cases = [
            (400, ErrorClass::BadRequest),
            (401, ErrorClass::Unauthorized),
            (404, ErrorClass::NotFound),
            (409, ErrorClass::Conflict),
            (412, ErrorClass::PreconditionFailed),
            (429, ErrorClass::TooManyRequests),
            (500, ErrorClass::Server),
            (502, ErrorClass::Server),
            (503, ErrorClass::Server),
            (504, ErrorClass::Server),
            (418, ErrorClass::Unexpected),
        ];
        for (status, class) in cases {
            assert_eq!(classify(status, "x", false), class, "{status}");
        }
    }

    #[test]
    fn bodies_that_are_not_googles_envelope_keep_the_status() {
        let details = ApiErrorDetails::parse(502, b"<html>Bad Gateway</html>", None);
        assert_eq!(details.reason, None);
        assert_eq!(details.message, "Bad Gateway");
        assert_eq!(
            GoogleError::from_api(details, false).class(),
            ErrorClass::Server
        );
    }

    #[test]
    fn unknown_reasons_are_kept() {
        let details = ApiErrorDetails::parse(400, &body(400, "somethingNew"), None);
        assert_eq!(
            details.reason,
            Some(ErrorReason::Unknown("somethingNew".into()))
        );
        assert_eq!(details.to_string(), "HTTP 400 somethingNew: Something");
    }

    #[test]
    fn class_names_are_distinct() {
        let names: std::collections::BTreeSet<_> =
            ErrorClass::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorClass::ALL.len());
        for (i, class) in ErrorClass::ALL.iter().enumerate() {
            assert_eq!(class.index(), i);
        }
    }
}
