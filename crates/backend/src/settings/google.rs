//! [`GoogleSettings`]: the Google OAuth client and the endpoints (Google's by default; the emulator's in
//! development and tests: only base URLs differ).

use url::Url;

use super::parse::fixed_url;
use super::Secret;

/// Default Google OAuth authorization endpoint.
pub const GOOGLE_AUTH_URL: &str = "https://accounts.google.com/o/oauth2/v2/auth";
/// Default Google OAuth token endpoint.
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// Default Google OAuth revocation endpoint.
pub const GOOGLE_REVOKE_URL: &str = "https://oauth2.googleapis.com/revoke";
/// Default Google OpenID userinfo endpoint.
pub const GOOGLE_USERINFO_URL: &str = "https://openidconnect.googleapis.com/v1/userinfo";
/// Default Google Calendar API base (paths such as `/calendars/primary/events` are appended).
pub const GOOGLE_CALENDAR_API_URL: &str = "https://www.googleapis.com/calendar/v3";

/// Google OAuth client and endpoints. Google is "configured" when `client_id` and `client_secret` are both set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoogleSettings {
    /// OAuth client id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<Secret>,
    /// Authorization endpoint.
    pub auth_url: Url,
    /// Token endpoint.
    pub token_url: Url,
    /// Revocation endpoint.
    pub revoke_url: Url,
    /// OpenID userinfo endpoint.
    pub userinfo_url: Url,
    /// Calendar API base URL.
    pub calendar_api_url: Url,
}

impl GoogleSettings {
    /// Google's real endpoints, no client configured.
    pub fn unconfigured() -> Self {
        Self {
            client_id: None,
            client_secret: None,
            auth_url: fixed_url(GOOGLE_AUTH_URL),
            token_url: fixed_url(GOOGLE_TOKEN_URL),
            revoke_url: fixed_url(GOOGLE_REVOKE_URL),
            userinfo_url: fixed_url(GOOGLE_USERINFO_URL),
            calendar_api_url: fixed_url(GOOGLE_CALENDAR_API_URL),
        }
    }

    /// Points every endpoint at an emulator serving Google's paths under `base` (tests, local development).
    pub fn with_base_url(mut self, base: &Url) -> Self {
        let join = |path: &str| {
            let mut url = base.clone();
            url.set_path(path);
            url
        };
        self.auth_url = join("/o/oauth2/v2/auth");
        self.token_url = join("/token");
        self.revoke_url = join("/revoke");
        self.userinfo_url = join("/v1/userinfo");
        self.calendar_api_url = join("/calendar/v3");
        self
    }

    /// True when both the client id and the client secret are set.
    pub fn is_configured(&self) -> bool {
        self.client_id.is_some() && self.client_secret.is_some()
    }
}
