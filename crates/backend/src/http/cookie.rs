//! The session cookie: `compass_session=<token>; HttpOnly; SameSite=Lax; Path=/` (+ `Secure` when the
//! public base URL is https), and the expired copy that clears it on sign-out.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::HttpRequest;

use crate::domain::SecretToken;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "compass_session";
/// Name of the cookie that binds a pending Google authorization to the browser that started it.
pub const OAUTH_COOKIE: &str = "compass_oauth";
/// Path of [`OAUTH_COOKIE`]: only the Google routes see it.
pub const OAUTH_COOKIE_PATH: &str = "/api/auth/google";

/// How the session cookie is built for this deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookiePolicy {
    /// Add the `Secure` attribute (the public base URL is https).
    pub secure: bool,
}

impl CookiePolicy {
    /// `Secure` exactly when the public base URL uses https.
    pub fn for_base_url(base: &url::Url) -> Self {
        Self {
            secure: base.scheme() == "https",
        }
    }

    /// The cookie that carries a new session for `max_age`.
    pub fn session_cookie(
        &self,
        token: &SecretToken,
        max_age: chrono::Duration,
    ) -> Cookie<'static> {
        Cookie::build(SESSION_COOKIE, token.expose().to_owned())
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(time::Duration::seconds(max_age.num_seconds().max(0)))
            .finish()
    }

    /// An expired, empty session cookie: tells the browser to drop it.
    pub fn clear_session_cookie(&self) -> Cookie<'static> {
        let mut cookie = Cookie::build(SESSION_COOKIE, "")
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        cookie.make_removal();
        cookie
    }
}

impl CookiePolicy {
    /// The browser-binding cookie of a pending Google authorization.
    pub fn oauth_cookie(
        &self,
        nonce: &SecretToken,
        max_age: std::time::Duration,
    ) -> Cookie<'static> {
        Cookie::build(OAUTH_COOKIE, nonce.expose().to_owned())
            .path(OAUTH_COOKIE_PATH)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(time::Duration::seconds(
                i64::try_from(max_age.as_secs()).unwrap_or(600),
            ))
            .finish()
    }

    /// Clears the browser-binding cookie.
    pub fn clear_oauth_cookie(&self) -> Cookie<'static> {
        let mut cookie = Cookie::build(OAUTH_COOKIE, "")
            .path(OAUTH_COOKIE_PATH)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        cookie.make_removal();
        cookie
    }
}

/// The browser-binding nonce the request carries, if well formed.
pub fn oauth_nonce(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(OAUTH_COOKIE)
        .and_then(|cookie| SecretToken::parse(cookie.value()))
}

/// The session token the request carries, if its cookie is present and well formed.
pub fn session_token(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(SESSION_COOKIE)
        .and_then(|cookie| SecretToken::parse(cookie.value()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn session_cookie_attributes() {
        let base = url::Url::parse("https://cal.example.com").unwrap();
        let token = SecretToken::generate();
        let cookie =
            CookiePolicy::for_base_url(&base).session_cookie(&token, chrono::Duration::days(14));
        let header = cookie.to_string();
        assert!(header.starts_with(&format!("{SESSION_COOKIE}={}", token.expose())));
        for attribute in [
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Secure",
            "Max-Age=1209600",
        ] {
            assert!(header.contains(attribute), "{header} lacks {attribute}");
        }
    }

    #[test]
    fn plain_http_base_url_is_not_secure() {
        let base = url::Url::parse("http://127.0.0.1:3000").unwrap();
        let policy = CookiePolicy::for_base_url(&base);
        let header = policy
            .session_cookie(&SecretToken::generate(), chrono::Duration::hours(1))
            .to_string();
        assert!(!header.contains("Secure"));
        let cleared = policy.clear_session_cookie().to_string();
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }

    #[test]
    fn reads_only_well_formed_tokens() {
        let token = SecretToken::generate();
        let req = TestRequest::default()
            .cookie(Cookie::new(SESSION_COOKIE, token.expose().to_owned()))
            .to_http_request();
        assert_eq!(session_token(&req), Some(token));
        let req = TestRequest::default()
            .cookie(Cookie::new(SESSION_COOKIE, "garbage"))
            .to_http_request();
        assert_eq!(session_token(&req), None);
        assert_eq!(
            session_token(&TestRequest::default().to_http_request()),
            None
        );
    }
}
