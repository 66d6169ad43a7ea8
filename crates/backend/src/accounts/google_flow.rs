//! Google sign-in / sign-up and "connect Google" (OAuth 2 authorization code + PKCE).
//!
//! `start` records a pending authorization (`oauth_state`) and returns the provider URL; `finish`
//! takes the record out once, checks the browser binding, exchanges the code, reads userinfo, and then
//! either signs the user in (creating or linking an account) or links Google to the signed-in account.
//! A Google account is linked to at most one Compass account. The refresh token is stored encrypted and
//! never logged. Linking sets `sync.importGCal` / `sync.incrementalGCalSync` to `RESTART` for the sync
//! engine (backend spec §8.4, Appendix C).

use chrono::Utc;
use compass_core::ids::UserId;
use compass_core::Nullable;
use compass_core::{SyncMetadata, SyncStatus, UserMetadata};
use url::Url;

use super::password_flow::{give_default_priorities, MAX_NAME_CHARS};
use super::session::{issue_session, IssuedSession, SessionUser};
use super::token_cipher::TokenCipher;
use crate::domain::{Email, SecretToken};
use crate::google::oauth::{GoogleOAuth, GoogleUserInfo, OAuthError};
use crate::settings::Settings;
use crate::sse::Hub;
pub use crate::store::oauth_state::{Intent, LIFETIME};
use crate::store::oauth_state::{PendingAuthorization, PendingAuthorizations};
use crate::store::users::{GoogleLinkDoc, NewUser, UserDoc, Users, EMAIL_INDEX, GOOGLE_ID_INDEX};
use crate::store::{Store, StoreError};
use crate::sync::health;

/// Path of the callback (under the public base URL).
pub const CALLBACK_PATH: &str = "/api/auth/google/callback";

/// Why a Google flow failed. Converted to the HTTP error at the HTTP boundary (`crate::http::error`).
#[derive(Debug, thiserror::Error)]
pub enum GoogleAuthError {
    /// Client id/secret not configured.
    #[error("Google is not configured for this Compass instance")]
    NotConfigured,
    /// `intent` is missing or unknown.
    #[error("must be signin or connect")]
    InvalidIntent,
    /// Connect without (or with another) session.
    #[error("Not signed in")]
    NotSignedIn,
    /// Unknown, expired, reused `state`, or a callback in another browser.
    #[error("Google sign-in expired or was started in another browser; please try again")]
    StateInvalid,
    /// The user cancelled at Google (or Google refused).
    #[error("Google sign-in was cancelled")]
    Denied,
    /// The callback has no `code`.
    #[error("is required")]
    MissingCode,
    /// Google rejected the code (expired/reused/wrong verifier). No data is touched.
    #[error("Google code exchange failed")]
    CodeRejected,
    /// The user did not grant the Calendar scope on Google's consent screen. Nothing is stored.
    #[error("Missing Google Calendar permissions. Please grant all requested permissions.")]
    MissingCalendarScope,
    /// Google returned no refresh token.
    #[error("Google did not grant offline access; please try again")]
    MissingRefreshToken,
    /// Google returned no usable email.
    #[error("Google did not share a valid email address")]
    MissingEmail,
    /// The Google account belongs to another Compass user.
    #[error("Google account is already connected to another Compass user")]
    AlreadyConnected,
    /// The Google email differs from the signed-in account's email.
    #[error("Google account email does not match the signed-in Compass account")]
    EmailMismatch,
    /// Google has not verified the email that matches an existing account.
    #[error("Google has not verified this email address")]
    EmailUnverified,
    /// Google could not be reached or answered unexpectedly.
    #[error("Google is unavailable, try again shortly")]
    Provider(#[source] OAuthError),
    /// The signed-in account no longer exists.
    #[error("User not found")]
    UserMissing,
    /// Encryption failed.
    #[error("refresh token encryption failed")]
    Crypto,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Parses the `intent` query parameter (default: `signin`).
pub fn parse_intent(raw: Option<&str>) -> Result<Intent, GoogleAuthError> {
    match raw.map(str::trim) {
        None | Some("") | Some("signin") => Ok(Intent::Signin),
        Some("connect") => Ok(Intent::Connect),
        Some(_) => Err(GoogleAuthError::InvalidIntent),
    }
}

/// A started authorization: the provider URL and the browser-binding nonce for the cookie.
#[derive(Debug)]
pub struct Started {
    /// Where to redirect the browser.
    pub url: Url,
    /// The cookie value binding the authorization to this browser.
    pub nonce: SecretToken,
}

/// The callback's query parameters. `Debug` hides the code and the state (both are secrets until used).
#[derive(Default)]
pub struct Callback {
    /// Authorization code.
    pub code: Option<String>,
    /// The `state` we sent.
    pub state: Option<String>,
    /// An OAuth error (e.g. `access_denied`).
    pub error: Option<String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("Callback")
            .field("code", &hidden(&self.code))
            .field("state", &hidden(&self.state))
            .field("error", &self.error)
            .finish()
    }
}

/// How a finished flow ends.
#[derive(Debug)]
pub struct Finished {
    /// A new session (sign-in), to set as cookie.
    pub session: Option<IssuedSession>,
    /// The Compass user.
    pub user: UserId,
}

fn picture(info: &GoogleUserInfo) -> String {
    info.picture
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "not provided".to_owned())
}

fn restart_both() -> UserMetadata {
    UserMetadata {
        skip_onboarding: Some(false),
        sync: Some(SyncMetadata {
            import_gcal: Nullable::Value(SyncStatus::Restart),
            incremental_gcal_sync: Nullable::Value(SyncStatus::Restart),
        }),
        google: None,
    }
}

/// Google sign-in and connect over the handles they need.
#[derive(Debug, Clone, Copy)]
pub struct GoogleAccounts<'a> {
    store: &'a Store,
    hub: &'a Hub,
    settings: &'a Settings,
}

impl<'a> GoogleAccounts<'a> {
    /// The flows on `store`, publishing through `hub`, configured by `settings` (public URL, Google
    /// client, encryption key, session lifetime).
    pub fn new(store: &'a Store, hub: &'a Hub, settings: &'a Settings) -> Self {
        Self {
            store,
            hub,
            settings,
        }
    }

    fn oauth_client(&self) -> Result<GoogleOAuth, GoogleAuthError> {
        let mut callback = self.settings.public_url.clone();
        callback.set_path(CALLBACK_PATH);
        callback.set_query(None);
        GoogleOAuth::new(&self.settings.google, &callback).map_err(|e| match e {
            OAuthError::NotConfigured => GoogleAuthError::NotConfigured,
            other => GoogleAuthError::Provider(other),
        })
    }

    fn cipher(&self) -> TokenCipher {
        TokenCipher::new(self.settings.encryption_key.expose())
    }

    /// Starts a Google authorization for `intent` (connect needs `session`).
    pub async fn start(
        &self,
        intent: Intent,
        session: Option<&SessionUser>,
    ) -> Result<Started, GoogleAuthError> {
        let client = self.oauth_client()?;
        let (user, login_hint) = match intent {
            Intent::Signin => (None, None),
            Intent::Connect => {
                let session = session.ok_or(GoogleAuthError::NotSignedIn)?;
                let user = Users::new(self.store)
                    .find(&session.user_id)
                    .await?
                    .ok_or(GoogleAuthError::NotSignedIn)?;
                (Some(session.user_id.to_string()), Some(user.email))
            }
        };
        let oauth_state = SecretToken::generate();
        let nonce = SecretToken::generate();
        let begun = client.authorize(oauth_state.expose(), login_hint.as_deref());
        let state_hash = oauth_state.digest();
        let verifier = self
            .cipher()
            .encrypt(begun.pkce_verifier.secret(), state_hash.as_str())
            .map_err(|_| GoogleAuthError::Crypto)?;
        let expires = Utc::now()
            + chrono::Duration::from_std(LIFETIME).unwrap_or(chrono::Duration::minutes(10));
        PendingAuthorizations::new(self.store)
            .insert(&PendingAuthorization {
                state_hash: state_hash.as_str().to_owned(),
                binding: nonce.digest().as_str().to_owned(),
                verifier,
                intent,
                user,
                expires_at: mongodb::bson::DateTime::from_millis(expires.timestamp_millis()),
            })
            .await?;
        Ok(Started {
            url: begun.url,
            nonce,
        })
    }

    /// Completes an authorization started by [`Self::start`] in the browser holding `nonce`.
    pub async fn finish(
        &self,
        callback: Callback,
        nonce: Option<SecretToken>,
        session: Option<&SessionUser>,
    ) -> Result<Finished, GoogleAuthError> {
        let oauth_state = callback
            .state
            .as_deref()
            .and_then(SecretToken::parse)
            .ok_or(GoogleAuthError::StateInvalid)?;
        let pending = PendingAuthorizations::new(self.store)
            .take(&oauth_state.digest(), Utc::now())
            .await?
            .ok_or(GoogleAuthError::StateInvalid)?;
        let bound = nonce.is_some_and(|n| n.digest().as_str() == pending.binding);
        if !bound {
            return Err(GoogleAuthError::StateInvalid);
        }
        if callback.error.is_some() {
            return Err(GoogleAuthError::Denied);
        }
        let code = callback
            .code
            .filter(|c| !c.is_empty())
            .ok_or(GoogleAuthError::MissingCode)?;
        let verifier = self
            .cipher()
            .decrypt(&pending.verifier, &pending.state_hash)
            .map_err(|_| GoogleAuthError::StateInvalid)?;

        let client = self.oauth_client()?;
        let tokens = client
            .exchange_code(&code, verifier)
            .await
            .map_err(|e| match e {
                // A bad or expired code is not a revoked grant: nobody's Google data is touched (§15 item 26).
                OAuthError::InvalidGrant => GoogleAuthError::CodeRejected,
                other => GoogleAuthError::Provider(other),
            })?;
        if !tokens.has_calendar_scope() {
            return Err(GoogleAuthError::MissingCalendarScope);
        }
        let info = client
            .userinfo(&tokens.access_token)
            .await
            .map_err(GoogleAuthError::Provider)?;

        match pending.intent {
            Intent::Connect => {
                let user = pending.user_id().ok_or(GoogleAuthError::NotSignedIn)?;
                if session.map(|s| &s.user_id) != Some(&user) {
                    return Err(GoogleAuthError::NotSignedIn);
                }
                self.connect(&user, &info, tokens.refresh_token).await?;
                Ok(Finished {
                    session: None,
                    user,
                })
            }
            Intent::Signin => self.sign_in(&info, tokens.refresh_token).await,
        }
    }

    /// Tells the user's tabs their metadata changed (after the write committed); best effort.
    async fn publish_metadata(&self, user: &UserDoc) {
        if let Err(error) = health::publish(self.store, self.hub, &user.user_id()).await {
            tracing::warn!(%error, "metadata not published");
        }
    }

    /// Links Google to the signed-in `user` (§4.3): conflicts first, nothing persisted on conflict.
    async fn connect(
        &self,
        user: &UserId,
        info: &GoogleUserInfo,
        refresh_token: Option<String>,
    ) -> Result<(), GoogleAuthError> {
        let users = Users::new(self.store);
        if let Some(owner) = users.find_by_google_id(&info.sub).await? {
            if &owner.user_id() != user {
                return Err(GoogleAuthError::AlreadyConnected);
            }
        }
        let current = users
            .find(user)
            .await?
            .ok_or(GoogleAuthError::UserMissing)?;
        let google_email = info
            .email
            .as_deref()
            .and_then(|e| Email::parse(e).ok())
            .ok_or(GoogleAuthError::MissingEmail)?;
        if google_email.as_str() != current.email {
            return Err(GoogleAuthError::EmailMismatch);
        }
        let refresh_token = refresh_token.ok_or(GoogleAuthError::MissingRefreshToken)?;
        let sealed = self
            .cipher()
            .encrypt(&refresh_token, user.as_str())
            .map_err(|_| GoogleAuthError::Crypto)?;
        match users
            .link_google(user, &info.sub, &picture(info), Some(&sealed), Utc::now())
            .await
        {
            Err(e) if e.is_conflict_on(GOOGLE_ID_INDEX) => {
                return Err(GoogleAuthError::AlreadyConnected)
            }
            other => other?,
        }
        users
            .set_sync_status(user, Some(SyncStatus::Restart), Some(SyncStatus::Restart))
            .await?;
        if let Some(updated) = users.find(user).await? {
            self.publish_metadata(&updated).await;
        }
        tracing::info!(user = %user, "google connected");
        Ok(())
    }

    /// Google sign-in / sign-up (Appendix C): the canonical account is the one linked to this Google
    /// account, else the one with the (Google-verified) email, else a new one.
    async fn sign_in(
        &self,
        info: &GoogleUserInfo,
        refresh_token: Option<String>,
    ) -> Result<Finished, GoogleAuthError> {
        let users = Users::new(self.store);
        let email = info.email.as_deref().and_then(|e| Email::parse(e).ok());
        let existing = match users.find_by_google_id(&info.sub).await? {
            Some(user) => Some(user),
            None => match &email {
                Some(email) => match users.find_by_email(email).await? {
                    Some(_) if info.email_verified != Some(true) => {
                        return Err(GoogleAuthError::EmailUnverified)
                    }
                    found => found,
                },
                None => None,
            },
        };
        let now = Utc::now();
        let user = match existing {
            None => {
                let email = email.ok_or(GoogleAuthError::MissingEmail)?;
                let refresh_token = refresh_token.ok_or(GoogleAuthError::MissingRefreshToken)?;
                let id = Users::new_id();
                let sealed = self
                    .cipher()
                    .encrypt(&refresh_token, id.as_str())
                    .map_err(|_| GoogleAuthError::Crypto)?;
                let name = info
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .unwrap_or("Mystery Person")
                    .chars()
                    .take(MAX_NAME_CHARS)
                    .collect();
                let new = NewUser {
                    email,
                    name,
                    locale: info.locale.clone(),
                    password_hash: None,
                    google: Some(GoogleLinkDoc {
                        google_id: info.sub.clone(),
                        picture: picture(info),
                        refresh_token_encrypted: sealed,
                    }),
                    metadata: restart_both(),
                };
                let user = match users.insert(&id, new, now).await {
                    Ok(user) => user,
                    Err(e)
                        if e.is_conflict_on(EMAIL_INDEX) || e.is_conflict_on(GOOGLE_ID_INDEX) =>
                    {
                        // A concurrent sign-in created the account first.
                        return Err(GoogleAuthError::AlreadyConnected);
                    }
                    Err(e) => return Err(e.into()),
                };
                give_default_priorities(self.store, &id).await?;
                user
            }
            Some(user) => {
                let id = user.user_id();
                let had_token = user.has_refresh_token();
                let sealed = match &refresh_token {
                    Some(token) => Some(
                        self.cipher()
                            .encrypt(token, id.as_str())
                            .map_err(|_| GoogleAuthError::Crypto)?,
                    ),
                    None => None,
                };
                match users
                    .link_google(&id, &info.sub, &picture(info), sealed.as_deref(), now)
                    .await
                {
                    Err(e) if e.is_conflict_on(GOOGLE_ID_INDEX) => {
                        return Err(GoogleAuthError::AlreadyConnected)
                    }
                    other => other?,
                }
                // Incremental sign-in when sync was already running; otherwise reconnect/repair.
                let incremental =
                    had_token && user.metadata.import_gcal() == Some(SyncStatus::Completed);
                let import = (!incremental).then_some(SyncStatus::Restart);
                users
                    .set_sync_status(&id, import, Some(SyncStatus::Restart))
                    .await?;
                users.find(&id).await?.unwrap_or(user)
            }
        };
        let id = user.user_id();
        self.publish_metadata(&user).await;
        let session = issue_session(self.store, &id, self.settings.session_ttl, now).await?;
        tracing::info!(user = %id, "google sign-in");
        Ok(Finished {
            session: Some(session),
            user: id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_debug_hides_code_and_state() {
        let callback = Callback {
            code: Some("4/0AbCdEf-secret-code".into()),
            state: Some("state-secret-value".into()),
            error: None,
        };
        let shown = format!("{callback:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    #[test]
    fn intents_parse() {
        assert_eq!(parse_intent(None).unwrap(), Intent::Signin);
        assert_eq!(parse_intent(Some("signin")).unwrap(), Intent::Signin);
        assert_eq!(parse_intent(Some("connect")).unwrap(), Intent::Connect);
        assert!(parse_intent(Some("steal")).is_err());
    }
}
