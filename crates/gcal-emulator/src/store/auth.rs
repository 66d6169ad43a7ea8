//! OAuth state: authorization codes (with PKCE challenges), grants (one per consent, owning a refresh
//! token), access tokens, and their expiry / revocation.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::random_token;
use crate::clock::Clock;
use crate::error::OAuthError;

/// Codes live this long (Google: a few minutes).
const CODE_LIFETIME: Duration = Duration::from_secs(600);
/// Bound on stored access tokens; expired ones are purged past it.
const MAX_ACCESS_TOKENS: usize = 50_000;

/// Longest lifetime actually applied to a token (100 years): longer configured lifetimes mean "never expires"
/// and must not overflow `Instant`.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The instant `lifetime` after `now`, capped at [`FOREVER`].
pub(crate) fn later(now: Instant, lifetime: Duration) -> Instant {
    now.checked_add(lifetime.min(FOREVER))
        .or_else(|| now.checked_add(Duration::from_secs(365 * 24 * 3600)))
        .unwrap_or(now)
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub(crate) struct PendingCode {
    /// User who consented.
    pub user: String,
    /// Client it was issued to.
    pub client_id: String,
    /// Redirect URI it was issued for.
    pub redirect_uri: String,
    /// Granted scopes (space separated).
    pub scope: String,
    /// PKCE: (method, challenge).
    pub challenge: Option<(String, String)>,
    /// Whether a refresh token is to be issued (`access_type=offline`).
    pub offline: bool,
    /// Whether `prompt=consent` was sent (Google mints a new refresh token for a client that already has one
    /// only on explicit re-consent).
    pub prompt_consent: bool,
    /// OpenID `nonce`.
    pub nonce: Option<String>,
    /// When the code stops working.
    pub expires: Instant,
}

/// One consent of a user to a client.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    /// User email.
    pub user: String,
    /// Client id.
    pub client_id: String,
    /// Scopes.
    pub scope: String,
    /// Refresh token, when offline access was asked for.
    pub refresh_token: Option<String>,
    /// When the refresh token dies on its own.
    pub refresh_expires: Option<Instant>,
    /// Revoked grants refuse refresh and their access tokens.
    pub revoked: bool,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub(crate) struct AccessToken {
    /// Grant it belongs to.
    pub grant: String,
    /// Expiry.
    pub expires: Instant,
}

/// What a valid access token stands for.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// User email.
    pub user: String,
    /// Client id.
    pub client_id: String,
    /// Scopes.
    pub scope: String,
}

/// Tokens issued by the token endpoint.
#[derive(Debug, Clone)]
pub(crate) struct IssuedTokens {
    /// Access token.
    pub access_token: String,
    /// Seconds until it expires.
    pub expires_in: u64,
    /// Refresh token (code exchange with offline access only).
    pub refresh_token: Option<String>,
    /// Granted scopes.
    pub scope: String,
    /// The grant's user.
    pub user: String,
    /// The grant's client.
    pub client_id: String,
    /// OpenID nonce of the code.
    pub nonce: Option<String>,
}

/// All OAuth state. Every lifetime (codes, access and refresh tokens) reads the virtual [`Clock`].
#[derive(Debug, Default)]
pub(crate) struct AuthStore {
    clock: Clock,
    codes: HashMap<String, PendingCode>,
    grants: HashMap<String, Grant>,
    refresh: HashMap<String, String>,
    access: HashMap<String, AccessToken>,
}

/// Checks a PKCE verifier against a challenge.
fn pkce_ok(method: &str, challenge: &str, verifier: &str) -> bool {
    match method {
        "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge,
        "plain" => verifier == challenge,
        _ => false,
    }
}

impl AuthStore {
    /// Empty OAuth state reading `clock`.
    pub(crate) fn new(clock: Clock) -> Self {
        Self {
            clock,
            ..Self::default()
        }
    }

    /// Stores a new authorization code.
    pub(crate) fn issue_code(&mut self, mut pending: PendingCode) -> String {
        let now = self.clock.instant();
        self.codes.retain(|_, c| c.expires > now);
        pending.expires = now + CODE_LIFETIME;
        let code = format!("4/0{}", random_token(60));
        self.codes.insert(code.clone(), pending);
        code
    }

    fn mint_access(&mut self, grant_id: &str, lifetime: Duration) -> String {
        let now = self.clock.instant();
        if self.access.len() >= MAX_ACCESS_TOKENS {
            self.access.retain(|_, t| t.expires > now);
        }
        if self.access.len() >= MAX_ACCESS_TOKENS {
            // Still full of live tokens: the tenth that expires soonest dies silently (as Google's per-user token
            // cap drops the oldest ones), so the map stays bounded and eviction is rare.
            let mut expiries: Vec<Instant> = self.access.values().map(|t| t.expires).collect();
            let nth = MAX_ACCESS_TOKENS / 10;
            let (_, cutoff, _) = expiries.select_nth_unstable(nth);
            let cutoff = *cutoff;
            self.access.retain(|_, t| t.expires > cutoff);
        }
        let token = format!("ya29.{}", random_token(120));
        self.access.insert(
            token.clone(),
            AccessToken {
                grant: grant_id.to_owned(),
                expires: later(now, lifetime),
            },
        );
        token
    }

    /// Creates a grant and its first tokens (code exchange, or the control API minting tokens directly).
    pub(crate) fn create_grant(
        &mut self,
        user: &str,
        client_id: &str,
        scope: &str,
        offline: bool,
        access_lifetime: Duration,
        refresh_lifetime: Option<Duration>,
    ) -> IssuedTokens {
        let grant_id = random_token(32);
        let refresh_token = offline.then(|| format!("1//0{}", random_token(100)));
        if let Some(rt) = &refresh_token {
            self.refresh.insert(rt.clone(), grant_id.clone());
        }
        self.grants.insert(
            grant_id.clone(),
            Grant {
                user: user.to_owned(),
                client_id: client_id.to_owned(),
                scope: scope.to_owned(),
                refresh_token: refresh_token.clone(),
                refresh_expires: refresh_lifetime.map(|d| later(self.clock.instant(), d)),
                revoked: false,
            },
        );
        let access_token = self.mint_access(&grant_id, access_lifetime);
        IssuedTokens {
            access_token,
            expires_in: access_lifetime.as_secs(),
            refresh_token,
            scope: scope.to_owned(),
            user: user.to_owned(),
            client_id: client_id.to_owned(),
            nonce: None,
        }
    }

    /// Exchanges a code (once) for tokens, checking client, redirect URI and PKCE.
    pub(crate) fn exchange_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        access_lifetime: Duration,
        refresh_lifetime: Option<Duration>,
    ) -> Result<IssuedTokens, OAuthError> {
        let pending = self
            .codes
            .remove(code)
            .ok_or_else(|| OAuthError::invalid_grant("Malformed auth code."))?;
        if pending.expires <= self.clock.instant() {
            return Err(OAuthError::invalid_grant("Bad Request"));
        }
        if pending.client_id != client_id {
            return Err(OAuthError::new(401, "unauthorized_client", "Unauthorized"));
        }
        if redirect_uri != Some(pending.redirect_uri.as_str()) {
            return Err(OAuthError::new(400, "redirect_uri_mismatch", "Bad Request"));
        }
        match (&pending.challenge, verifier) {
            (Some(_), None) => return Err(OAuthError::invalid_grant("Missing code verifier.")),
            (Some((method, challenge)), Some(v)) if !pkce_ok(method, challenge, v) => {
                return Err(OAuthError::invalid_grant("Invalid code verifier."))
            }
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier or verifier is not needed.",
                ))
            }
            _ => {}
        }
        let already_has_refresh = self.grants.values().any(|g| {
            g.user == pending.user
                && g.client_id == pending.client_id
                && !g.revoked
                && g.refresh_token.is_some()
        });
        let mint_refresh = pending.offline && (pending.prompt_consent || !already_has_refresh);
        let mut issued = self.create_grant(
            &pending.user,
            &pending.client_id,
            &pending.scope,
            mint_refresh,
            access_lifetime,
            refresh_lifetime,
        );
        issued.nonce = pending.nonce;
        Ok(issued)
    }

    /// Refresh-token grant: a new access token (no new refresh token).
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        access_lifetime: Duration,
    ) -> Result<IssuedTokens, OAuthError> {
        let dead = || OAuthError::invalid_grant("Token has been expired or revoked.");
        let grant_id = self.refresh.get(refresh_token).cloned().ok_or_else(dead)?;
        let grant = self.grants.get(&grant_id).cloned().ok_or_else(dead)?;
        if grant.revoked
            || grant
                .refresh_expires
                .is_some_and(|e| e <= self.clock.instant())
        {
            return Err(dead());
        }
        if grant.client_id != client_id {
            return Err(OAuthError::new(401, "unauthorized_client", "Unauthorized"));
        }
        let access_token = self.mint_access(&grant_id, access_lifetime);
        Ok(IssuedTokens {
            access_token,
            expires_in: access_lifetime.as_secs(),
            refresh_token: None,
            scope: grant.scope,
            user: grant.user,
            client_id: grant.client_id,
            nonce: None,
        })
    }

    /// Validates an access token.
    pub(crate) fn principal(&self, token: &str) -> Option<Principal> {
        let now = self.clock.instant();
        let access = self.access.get(token).filter(|t| t.expires > now)?;
        let grant = self.grants.get(&access.grant).filter(|g| !g.revoked)?;
        Some(Principal {
            user: grant.user.clone(),
            client_id: grant.client_id.clone(),
            scope: grant.scope.clone(),
        })
    }

    /// Revokes the grant behind an access or refresh token; false when the token is unknown.
    pub(crate) fn revoke_token(&mut self, token: &str) -> bool {
        let grant_id = self
            .refresh
            .get(token)
            .cloned()
            .or_else(|| self.access.get(token).map(|a| a.grant.clone()));
        match grant_id.and_then(|g| self.grants.get_mut(&g)) {
            Some(grant) if !grant.revoked => {
                grant.revoked = true;
                true
            }
            _ => false,
        }
    }

    /// Revokes every grant of a user; returns how many.
    pub(crate) fn revoke_user(&mut self, user: &str) -> usize {
        let mut n = 0;
        for g in self
            .grants
            .values_mut()
            .filter(|g| g.user == user && !g.revoked)
        {
            g.revoked = true;
            n += 1;
        }
        n
    }

    /// Makes every access token of a user expire now (refresh still works).
    pub(crate) fn expire_access_tokens(&mut self, user: &str) -> usize {
        let now = self.clock.instant();
        let grants: Vec<String> = self
            .grants
            .iter()
            .filter(|(_, g)| g.user == user)
            .map(|(id, _)| id.clone())
            .collect();
        let mut n = 0;
        for t in self
            .access
            .values_mut()
            .filter(|t| grants.contains(&t.grant) && t.expires > now)
        {
            t.expires = now;
            n += 1;
        }
        n
    }

    /// Makes every refresh token of a user expire now (as Google's 7-day "Testing" limit does).
    pub(crate) fn expire_refresh_tokens(&mut self, user: &str) -> usize {
        let now = self.clock.instant();
        let mut n = 0;
        for g in self
            .grants
            .values_mut()
            .filter(|g| g.user == user && g.refresh_token.is_some())
        {
            g.refresh_expires = Some(now);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_access_tokens_stay_bounded() {
        let mut store = AuthStore::default();
        let issued = store.create_grant(
            "a@example.com",
            "client",
            "scope",
            true,
            Duration::from_secs(3600),
            None,
        );
        for _ in 0..MAX_ACCESS_TOKENS + 10 {
            store.mint_access("grant", Duration::from_secs(3600));
        }
        assert!(store.access.len() <= MAX_ACCESS_TOKENS);
        assert!(
            store.principal(&issued.access_token).is_none(),
            "the oldest token was dropped"
        );
    }
}
