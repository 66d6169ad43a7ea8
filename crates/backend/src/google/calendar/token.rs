//! Access tokens for one Google grant, obtained from its refresh token through the `oauth2` crate.
//!
//! The refresh token is stored encrypted (`accounts::token_cipher`); callers decrypt it and hand the
//! secret in as an [`oauth2::RefreshToken`], whose `Debug` is redacted. A [`Grant`] caches the access
//! token until `token_refresh_margin` before Google says it expires, refreshes it single-flight (one
//! refresh however many tasks wait), replaces it when Google answers 401 to it, and remembers a dead grant:
//! after `invalid_grant` every call fails with [`GoogleError::Revoked`] without asking Google again.

use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AccessToken, AsyncHttpClient as _, AuthType, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, HttpClientError, RefreshToken, RequestTokenError, TokenResponse as _, TokenUrl,
};
use tokio::time::Instant;

use super::client::later;
use super::error::{ApiErrorDetails, ErrorReason, GoogleError};
use super::metrics::Metrics;
use super::retry::parse_retry_after;
use crate::settings::GoogleSettings;

type TokenClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Used when the token endpoint gives no `expires_in` (Google always does: about an hour).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The token endpoint, shared by every grant.
#[derive(Debug, Clone)]
pub(crate) struct TokenEndpoint {
    client: TokenClient,
    http: reqwest::Client,
    request_timeout: Duration,
}

impl TokenEndpoint {
    /// The token endpoint of `settings`, called through `http` (which must not follow redirects).
    pub(crate) fn new(
        settings: &GoogleSettings,
        http: reqwest::Client,
        request_timeout: Duration,
    ) -> Result<Self, GoogleError> {
        let (Some(id), Some(secret)) = (&settings.client_id, &settings.client_secret) else {
            return Err(GoogleError::Config(
                "Google client id and secret are not set".into(),
            ));
        };
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::from_url(settings.token_url.clone()));
        Ok(Self {
            client,
            http,
            request_timeout,
        })
    }

    /// One `grant_type=refresh_token` request: the new access token and its lifetime.
    async fn refresh(
        &self,
        refresh_token: &RefreshToken,
    ) -> Result<(AccessToken, Duration), GoogleError> {
        // The oauth2 crate hides the HTTP status of error answers; this wrapper notes it (and Retry-After)
        // so that a 503 or 429 from the token endpoint is classified like one from the Calendar API.
        const NO_RETRY_AFTER: u64 = u64::MAX;
        let status = std::sync::Arc::new(AtomicU16::new(0));
        let retry_after = std::sync::Arc::new(AtomicU64::new(NO_RETRY_AFTER));
        let (http, status_ref, retry_after_ref) =
            (self.http.clone(), status.clone(), retry_after.clone());
        let send = move |request: oauth2::HttpRequest| {
            let (http, status_ref, retry_after_ref) =
                (http.clone(), status_ref.clone(), retry_after_ref.clone());
            async move {
                let response = http.call(request).await?;
                status_ref.store(response.status().as_u16(), Ordering::Relaxed);
                if let Some(wait) = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after)
                {
                    let millis = u64::try_from(wait.as_millis()).unwrap_or(NO_RETRY_AFTER - 1);
                    retry_after_ref.store(millis, Ordering::Relaxed);
                }
                Ok::<_, HttpClientError<reqwest::Error>>(response)
            }
        };
        // Boxed as `Send` here, where the types are concrete: the oauth2 client's higher-ranked
        // `AsyncHttpClient` bound otherwise keeps callers' futures from being provably `Send` (so
        // they could not run in `tokio::spawn`, as the sync worker does).
        let result = boxed_send(
            self.client
                .exchange_refresh_token(refresh_token)
                .request_async(&send),
        )
        .await;
        let status = status.load(Ordering::Relaxed);
        let retry_after = match retry_after.load(Ordering::Relaxed) {
            NO_RETRY_AFTER => None,
            millis => Some(Duration::from_millis(millis)),
        };
        let details = |reason: Option<ErrorReason>, message: String| ApiErrorDetails {
            status,
            reason,
            message,
            retry_after,
        };
        match result {
            Ok(response) => Ok((
                response.access_token().clone(),
                response.expires_in().unwrap_or(DEFAULT_LIFETIME),
            )),
            Err(RequestTokenError::ServerResponse(r))
                if *r.error() == BasicErrorResponseType::InvalidGrant =>
            {
                Err(GoogleError::Revoked)
            }
            Err(RequestTokenError::ServerResponse(r)) => {
                let code = r.error().to_string();
                match status {
                    400 | 401 => Err(GoogleError::Config(format!(
                        "the token endpoint refused the client: {code}"
                    ))),
                    _ => {
                        let reason = (code == "rate_limit_exceeded")
                            .then_some(ErrorReason::RateLimitExceeded);
                        Err(GoogleError::from_api(
                            details(reason, format!("token endpoint: {code}")),
                            false,
                        ))
                    }
                }
            }
            Err(RequestTokenError::Request(HttpClientError::Reqwest(e))) => {
                Err(GoogleError::from_reqwest(&e, self.request_timeout))
            }
            Err(RequestTokenError::Request(e)) => Err(GoogleError::Transport(e.to_string())),
            Err(RequestTokenError::Parse(_, _) | RequestTokenError::Other(_)) => match status {
                200 => Err(GoogleError::Unexpected(
                    "unreadable token endpoint answer".into(),
                )),
                _ => Err(GoogleError::from_api(
                    details(None, "token endpoint: unreadable answer".into()),
                    false,
                )),
            },
        }
    }
}

#[derive(Debug)]
enum TokenState {
    /// No access token yet (or the last one was refused).
    Empty,
    /// A usable access token.
    Valid {
        token: AccessToken,
        refresh_after: Instant,
    },
    /// The grant is dead (`invalid_grant`).
    Revoked,
}

/// One user's grant: the refresh token and the cached access token.
#[derive(Debug)]
pub(crate) struct Grant {
    refresh_token: RefreshToken,
    state: tokio::sync::Mutex<TokenState>,
}

impl Grant {
    pub(crate) fn new(refresh_token: RefreshToken) -> Self {
        Self {
            refresh_token,
            state: tokio::sync::Mutex::new(TokenState::Empty),
        }
    }

    /// A grant whose access token is already known (just received from a code exchange), valid for
    /// `expires_in` from now.
    pub(crate) fn with_access_token(
        refresh_token: RefreshToken,
        access_token: AccessToken,
        expires_in: Duration,
        margin: Duration,
    ) -> Self {
        Self {
            refresh_token,
            state: tokio::sync::Mutex::new(TokenState::Valid {
                token: access_token,
                refresh_after: later(expires_in.saturating_sub(margin)),
            }),
        }
    }

    /// A usable access token: the cached one unless it is about to expire or is `refused` (the token
    /// Google just answered 401 to), else a fresh one from the token endpoint.
    pub(crate) async fn access_token(
        &self,
        endpoint: &TokenEndpoint,
        margin: Duration,
        refused: Option<&AccessToken>,
        metrics: &Metrics,
    ) -> Result<AccessToken, GoogleError> {
        let mut state = self.state.lock().await;
        match &*state {
            TokenState::Revoked => return Err(GoogleError::Revoked),
            TokenState::Valid {
                token,
                refresh_after,
            } if Instant::now() < *refresh_after
                && refused.is_none_or(|r| r.secret() != token.secret()) =>
            {
                return Ok(token.clone());
            }
            _ => {}
        }
        match endpoint.refresh(&self.refresh_token).await {
            Ok((token, lifetime)) => {
                metrics.token_refresh();
                *state = TokenState::Valid {
                    token: token.clone(),
                    refresh_after: later(lifetime.saturating_sub(margin)),
                };
                Ok(token)
            }
            Err(GoogleError::Revoked) => {
                *state = TokenState::Revoked;
                Err(GoogleError::Revoked)
            }
            Err(other) => {
                *state = TokenState::Empty;
                Err(other)
            }
        }
    }

    /// True once the token endpoint answered `invalid_grant`.
    pub(crate) async fn is_revoked(&self) -> bool {
        matches!(*self.state.lock().await, TokenState::Revoked)
    }
}

/// `future` boxed as `Send`, proven where its type is concrete (see `TokenEndpoint::refresh`).
fn boxed_send<'a, T>(
    future: impl std::future::Future<Output = T> + Send + 'a,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>> {
    Box::pin(future)
}
