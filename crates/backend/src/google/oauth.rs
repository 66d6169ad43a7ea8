//! The Google OAuth 2 client: authorization URL with PKCE (S256), code exchange and userinfo, against
//! the endpoints from configuration (Google in production, the emulator in tests).
//!
//! Built on the `oauth2` crate with a reqwest client that does not follow redirects. Tokens are kept in
//! `oauth2`'s secret types and never logged; errors carry the provider's error code at most.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse as _, TokenUrl,
};
use serde::Deserialize;
use url::Url;

use crate::settings::GoogleSettings;

/// Scopes requested: Calendar read/write plus the OpenID profile.
pub const SCOPES: &[&str] = &[
    "openid",
    "email",
    "profile",
    "https://www.googleapis.com/auth/calendar",
];

/// The Calendar scope Compass needs (read/write events, calendar list, watches).
pub const CALENDAR_SCOPE: &str = "https://www.googleapis.com/auth/calendar";

/// How long the provider calls may take.
const HTTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

type ConfiguredClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// Failures talking to Google's OAuth endpoints. `Display` never contains tokens.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// Client id/secret are not configured.
    #[error("Google is not configured")]
    NotConfigured,
    /// A configured endpoint or the redirect URL is not a valid URL.
    #[error("invalid Google OAuth configuration: {0}")]
    Config(String),
    /// The provider refused the authorization code (expired, reused, wrong verifier): `invalid_grant`.
    #[error("Google rejected the authorization code")]
    InvalidGrant,
    /// The provider answered with another OAuth error.
    #[error("Google token endpoint error: {0}")]
    Provider(String),
    /// The provider could not be reached or answered something unreadable.
    #[error("Google could not be reached: {0}")]
    Transport(String),
    /// The userinfo endpoint failed.
    #[error("Google userinfo failed: {0}")]
    UserInfo(String),
}

/// The start of an authorization: where to send the browser, and the secrets to keep until the callback.
#[derive(Debug)]
pub struct AuthorizationStart {
    /// The provider's authorization URL with all parameters.
    pub url: Url,
    /// The PKCE verifier (secret; kept server-side until the callback).
    pub pkce_verifier: PkceCodeVerifier,
}

/// Tokens from a code exchange.
#[derive(Debug)]
pub struct GoogleTokens {
    /// Short-lived access token.
    pub access_token: String,
    /// Long-lived refresh token (only with `access_type=offline` and consent).
    pub refresh_token: Option<String>,
    /// The scopes Google granted (the token response's `scope`); `None` when Google left it out, which
    /// OAuth 2 allows only when the grant is exactly what was asked for.
    pub scopes: Option<Vec<String>>,
}

impl GoogleTokens {
    /// True unless Google says the Calendar scope ([`CALENDAR_SCOPE`]) was not granted (the user may
    /// untick it on the consent screen).
    pub fn has_calendar_scope(&self) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == CALENDAR_SCOPE))
    }
}

/// The OpenID userinfo claims Compass uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GoogleUserInfo {
    /// Stable Google account id.
    pub sub: String,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether Google verified the email.
    #[serde(default)]
    pub email_verified: Option<bool>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Locale.
    #[serde(default)]
    pub locale: Option<String>,
}

/// A configured Google OAuth client.
#[derive(Debug, Clone)]
pub struct GoogleOAuth {
    client: ConfiguredClient,
    http: reqwest::Client,
    userinfo_url: Url,
}

impl GoogleOAuth {
    /// A client for `settings` whose callback is `redirect_url`. [`OAuthError::NotConfigured`] when the
    /// client id or secret is missing.
    pub fn new(settings: &GoogleSettings, redirect_url: &Url) -> Result<Self, OAuthError> {
        let (Some(id), Some(secret)) = (&settings.client_id, &settings.client_secret) else {
            return Err(OAuthError::NotConfigured);
        };
        let config = |e: url::ParseError| OAuthError::Config(e.to_string());
        let client = BasicClient::new(ClientId::new(id.clone()))
            .set_client_secret(ClientSecret::new(secret.expose().to_owned()))
            .set_auth_type(AuthType::RequestBody)
            .set_auth_uri(AuthUrl::from_url(settings.auth_url.clone()))
            .set_token_uri(TokenUrl::from_url(settings.token_url.clone()))
            .set_redirect_uri(RedirectUrl::new(redirect_url.to_string()).map_err(config)?);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| OAuthError::Config(e.to_string()))?;
        Ok(Self {
            client,
            http,
            userinfo_url: settings.userinfo_url.clone(),
        })
    }

    /// The authorization URL for `state`: code flow, PKCE S256, offline access, forced consent (so a
    /// refresh token is always issued), Calendar + profile scopes, and an optional `login_hint`.
    pub fn authorize(&self, state: &str, login_hint: Option<&str>) -> AuthorizationStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = state.to_owned();
        let mut request = self
            .client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge)
            .add_extra_param("access_type", "offline")
            .add_extra_param("prompt", "consent")
            .add_extra_param("include_granted_scopes", "true");
        if let Some(hint) = login_hint {
            request = request.add_extra_param("login_hint", hint.to_owned());
        }
        let (url, _) = request.url();
        AuthorizationStart {
            url,
            pkce_verifier: verifier,
        }
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: String,
    ) -> Result<GoogleTokens, OAuthError> {
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r)
                    if *r.error() == BasicErrorResponseType::InvalidGrant =>
                {
                    OAuthError::InvalidGrant
                }
                RequestTokenError::ServerResponse(r) => OAuthError::Provider(r.error().to_string()),
                RequestTokenError::Request(e) => OAuthError::Transport(e.to_string()),
                RequestTokenError::Parse(_, _) => {
                    OAuthError::Transport("unreadable token response".into())
                }
                RequestTokenError::Other(m) => OAuthError::Transport(m),
            })?;
        Ok(GoogleTokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
            scopes: response
                .scopes()
                .map(|scopes| scopes.iter().map(|s| s.as_str().to_owned()).collect()),
        })
    }

    /// The OpenID claims of the account behind `access_token`.
    pub async fn userinfo(&self, access_token: &str) -> Result<GoogleUserInfo, OAuthError> {
        let response = self
            .http
            .get(self.userinfo_url.clone())
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OAuthError::Transport(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(OAuthError::UserInfo(format!("HTTP {}", status.as_u16())));
        }
        let info: GoogleUserInfo = response
            .json()
            .await
            .map_err(|_| OAuthError::UserInfo("unreadable userinfo response".into()))?;
        if info.sub.trim().is_empty() {
            return Err(OAuthError::UserInfo("userinfo has no sub".into()));
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;

    fn configured() -> GoogleSettings {
        let mut settings = GoogleSettings::unconfigured()
            .with_base_url(&Url::parse("http://127.0.0.1:4555").unwrap());
        settings.client_id = Some("client-1".into());
        settings.client_secret = Some(Secret::new("s3cret"));
        settings
    }

    #[test]
    fn unconfigured_google_is_reported() {
        let redirect = Url::parse("http://127.0.0.1:3000/api/auth/google/callback").unwrap();
        assert!(matches!(
            GoogleOAuth::new(&GoogleSettings::unconfigured(), &redirect),
            Err(OAuthError::NotConfigured)
        ));
    }

    #[test]
    fn authorization_url_carries_pkce_offline_consent_and_scopes() {
        let redirect = Url::parse("http://127.0.0.1:3000/api/auth/google/callback").unwrap();
        let client = GoogleOAuth::new(&configured(), &redirect).unwrap();
        let start = client.authorize("state-123", Some("ann@example.com"));
        assert!(start
            .url
            .as_str()
            .starts_with("http://127.0.0.1:4555/o/oauth2/v2/auth?"));
        let params: std::collections::HashMap<_, _> =
            start.url.query_pairs().into_owned().collect();
        assert_eq!(params["response_type"], "code");
        assert_eq!(params["client_id"], "client-1");
        assert_eq!(params["redirect_uri"], redirect.as_str());
        assert_eq!(params["state"], "state-123");
        assert_eq!(params["code_challenge_method"], "S256");
        assert_eq!(params["access_type"], "offline");
        assert_eq!(params["prompt"], "consent");
        assert_eq!(params["login_hint"], "ann@example.com");
        let scopes: Vec<_> = params["scope"].split(' ').collect();
        for scope in SCOPES {
            assert!(scopes.contains(scope), "{scope}");
        }
        // The challenge is the S256 of the verifier we keep.
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&start.pkce_verifier);
        assert_eq!(&params["code_challenge"], challenge.as_str());
        assert!(!start.url.as_str().contains("s3cret"));
    }
}
