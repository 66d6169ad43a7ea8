//! Email + password account flows ([`PasswordAccounts`]): sign-up, sign-in and sign-out, with the attempt
//! bound and generic errors. Handlers in `crate::http::auth` parse the request, call one of these and map
//! [`AuthError`] to their response.

use chrono::Utc;
use compass_core::{SyncStatus, UserMetadata};

use super::password::{NewPassword, PasswordError, PasswordWork};
use super::session::{issue_session, revoke_session, IssuedSession, SessionUser};
use crate::domain::{Email, EmailError};
use crate::sse::Hub;
use crate::store::attempts::{AttemptKey, Attempts};
use crate::store::priorities::Priorities;
use crate::store::users::{NewUser, UserDoc, Users, EMAIL_INDEX};
use crate::store::Store;
use crate::store::StoreError;

/// Longest display name accepted (characters).
pub const MAX_NAME_CHARS: usize = 100;

/// The one message for every failed sign-in (unknown email, wrong password, password-less account).
pub const INVALID_CREDENTIALS: &str = "Invalid email or password";

/// Why an account flow failed. Converted to the HTTP error at the HTTP boundary (`crate::http::error`).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// A field is missing or malformed (400 naming it).
    #[error("{field}: {message}")]
    Invalid {
        /// The JSON field.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Sign-in failed; deliberately says nothing about why.
    #[error("{INVALID_CREDENTIALS}")]
    InvalidCredentials,
    /// Sign-up with an email that already has an account.
    #[error("An account cannot be created with this email; if it is yours, sign in instead")]
    SignupRefused,
    /// Too many failed attempts for this account or client.
    #[error("too many failed attempts")]
    TooManyAttempts {
        /// Until the window ends.
        retry_after: std::time::Duration,
    },
    /// Password hashing failed.
    #[error("password hashing failed")]
    Hashing,
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, message: impl ToString) -> AuthError {
    AuthError::Invalid {
        field,
        message: message.to_string(),
    }
}

/// A display name: trimmed, not blank, at most [`MAX_NAME_CHARS`] characters.
pub fn parse_name(raw: &str) -> Result<String, AuthError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(invalid("name", "is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("name", "must not contain control characters"));
    }
    Ok(name.to_owned())
}

fn parse_email(raw: &str) -> Result<Email, AuthError> {
    Email::parse(raw).map_err(|e: EmailError| invalid("email", e))
}

/// Sign-up input, as received. `Debug` hides the password.
pub struct SignUp {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
    /// Display name as typed.
    pub name: String,
}

/// Sign-in input, as received. `Debug` hides the password.
pub struct SignIn {
    /// Email as typed.
    pub email: String,
    /// Password as typed.
    pub password: String,
}

impl std::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("name", &self.name)
            .finish()
    }
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

async fn check_attempts(store: &Store, keys: &[AttemptKey]) -> Result<(), AuthError> {
    match Attempts::new(store).check(keys, Utc::now()).await? {
        Ok(()) => Ok(()),
        Err(retry_after) => Err(AuthError::TooManyAttempts { retry_after }),
    }
}

/// Gives a new account the default priority labels (as the reference does at sign-up). Idempotent.
pub(crate) async fn give_default_priorities(
    store: &Store,
    id: &compass_core::UserId,
) -> Result<(), StoreError> {
    Priorities::new(store).create_defaults(id, None).await
}

/// The email + password flows over the handles they need.
#[derive(Debug, Clone, Copy)]
pub struct PasswordAccounts<'a> {
    store: &'a Store,
    hub: &'a Hub,
    passwords: &'a PasswordWork,
    session_ttl: std::time::Duration,
}

impl<'a> PasswordAccounts<'a> {
    /// The flows on `store`, ending streams through `hub`, hashing with `passwords`; new sessions last
    /// `session_ttl`.
    pub fn new(
        store: &'a Store,
        hub: &'a Hub,
        passwords: &'a PasswordWork,
        session_ttl: std::time::Duration,
    ) -> Self {
        Self {
            store,
            hub,
            passwords,
            session_ttl,
        }
    }

    /// Creates a password account and signs it in.
    pub async fn sign_up(
        &self,
        input: SignUp,
        client_ip: &str,
    ) -> Result<(UserDoc, IssuedSession), AuthError> {
        let email = parse_email(&input.email)?;
        let password = NewPassword::parse(input.password)
            .map_err(|e: PasswordError| invalid("password", e))?;
        let name = parse_name(&input.name)?;
        let ip_key = [AttemptKey::Ip(client_ip.to_owned())];
        check_attempts(self.store, &ip_key).await?;

        let users = Users::new(self.store);
        if users.find_by_email(&email).await?.is_some() {
            Attempts::new(self.store)
                .record_failure(&ip_key, Utc::now())
                .await?;
            return Err(AuthError::SignupRefused);
        }
        let hash = self
            .passwords
            .hash(&password)
            .await
            .map_err(|_| AuthError::Hashing)?;
        let now = Utc::now();
        let id = Users::new_id();
        let new = NewUser {
            email,
            name,
            locale: None,
            password_hash: Some(hash),
            google: None,
            metadata: UserMetadata::default(),
        };
        let user = match users.insert(&id, new, now).await {
            Ok(user) => user,
            // Lost a race with a concurrent sign-up for the same email.
            Err(e) if e.is_conflict_on(EMAIL_INDEX) => return Err(AuthError::SignupRefused),
            Err(e) => return Err(e.into()),
        };
        give_default_priorities(self.store, &id).await?;
        let session = issue_session(self.store, &id, self.session_ttl, now).await?;
        tracing::info!(user = %id, "account created");
        Ok((user, session))
    }

    /// Checks email and password and starts a session. Every failure is the same
    /// [`AuthError::InvalidCredentials`] and counts against the account and the client IP.
    pub async fn sign_in(
        &self,
        input: SignIn,
        client_ip: &str,
    ) -> Result<(UserDoc, IssuedSession), AuthError> {
        let email = parse_email(&input.email)?;
        if input.password.is_empty() {
            return Err(invalid("password", "is required"));
        }
        let keys = [
            AttemptKey::Account(email.clone()),
            AttemptKey::Ip(client_ip.to_owned()),
        ];
        check_attempts(self.store, &keys).await?;

        let users = Users::new(self.store);
        let user = users.find_by_email(&email).await?;
        let hash = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = self.passwords.verify(&input.password, hash).await;
        let Some(user) = user.filter(|_| verified) else {
            Attempts::new(self.store)
                .record_failure(&keys, Utc::now())
                .await?;
            return Err(AuthError::InvalidCredentials);
        };
        let now = Utc::now();
        let id = user.user_id();
        users.touch_login(&id, now).await?;
        let session = issue_session(self.store, &id, self.session_ttl, now).await?;
        Ok((user, session))
    }

    /// Revokes the session, ends its SSE streams and marks the incremental Google sync for a restart when
    /// the user has Google linked (backend spec §8.6). Cleanup failures are logged, never returned.
    pub async fn sign_out(&self, session: &SessionUser) -> Result<(), AuthError> {
        revoke_session(self.store, session).await?;
        self.hub.end_session(session.session_id.as_str());
        let users = Users::new(self.store);
        match users.find(&session.user_id).await {
            Ok(Some(user)) if user.has_google() => {
                if let Err(error) = users
                    .set_sync_status(&session.user_id, None, Some(SyncStatus::Restart))
                    .await
                {
                    tracing::warn!(%error, "sign-out cleanup failed");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sign-out cleanup failed"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("  Ann Lee ").unwrap(), "Ann Lee");
        assert!(matches!(
            parse_name("   "),
            Err(AuthError::Invalid { field: "name", .. })
        ));
        assert!(parse_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(parse_name("Ann\u{0}").is_err());
    }

    #[test]
    fn debug_output_hides_passwords() {
        let up = SignUp {
            email: "a@example.com".into(),
            password: "hunter2-secret".into(),
            name: "Ann".into(),
        };
        let inn = SignIn {
            email: "a@example.com".into(),
            password: "hunter2-secret".into(),
        };
        for shown in [format!("{up:?}"), format!("{inn:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("a@example.com"), "{shown}");
        }
    }
}
