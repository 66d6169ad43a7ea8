//! Passwords: the sign-up rules and argon2id hashing/verification.
//!
//! Hashes are PHC strings (`$argon2id$v=19$...`) with the crate's default parameters (19 MiB, t=2, p=1,
//! the OWASP minimum for argon2id). Hashing is CPU- and memory-heavy, so it runs on the blocking pool, and
//! [`PasswordWork`] bounds how many hashes run at once: a burst of sign-ins queues instead of allocating
//! 19 MiB per request without limit.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted at sign-up (in characters).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password accepted (in bytes); bounds the hashing work an anonymous request can cause.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why a password was refused or could not be processed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("password must be at least {MIN_PASSWORD_CHARS} characters long")]
    TooShort,
    /// More than [`MAX_PASSWORD_BYTES`] bytes.
    #[error("password must be at most {MAX_PASSWORD_BYTES} bytes long")]
    TooLong,
    /// Only whitespace.
    #[error("password must not be blank")]
    Blank,
    /// The hasher failed (should not happen with valid parameters).
    #[error("password hashing failed")]
    Hashing,
}

/// A password that passed the sign-up rules. Its `Debug` never shows the secret.
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

impl NewPassword {
    /// Checks the sign-up rules: not blank, at least [`MIN_PASSWORD_CHARS`] characters, at most
    /// [`MAX_PASSWORD_BYTES`] bytes.
    pub fn parse(raw: String) -> Result<Self, PasswordError> {
        if raw.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::TooLong);
        }
        if raw.trim().is_empty() {
            return Err(PasswordError::Blank);
        }
        if raw.chars().count() < MIN_PASSWORD_CHARS {
            return Err(PasswordError::TooShort);
        }
        Ok(Self(raw))
    }

    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Hashes a password with argon2id and a fresh random salt; returns the PHC string.
pub fn hash_password_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| PasswordError::Hashing)
}

/// Checks a password against a stored PHC string. A malformed stored hash counts as a mismatch.
pub fn verify_password_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Runs argon2 on the blocking pool, at most a fixed number of computations at a time.
#[derive(Debug, Clone)]
pub struct PasswordWork {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl PasswordWork {
    /// At most `concurrency` hashes or verifications at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        PasswordWork {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
        }
    }

    /// Two per CPU core: enough to keep the cores busy, and bounded memory (19 MiB each).
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        PasswordWork::new(cores * 2)
    }

    /// [`hash_password_blocking`] on the blocking thread pool, once a slot is free.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Hashing)?;
        let owned = password.expose().to_owned();
        tokio::task::spawn_blocking(move || hash_password_blocking(&owned))
            .await
            .map_err(|_| PasswordError::Hashing)?
    }

    /// [`verify_password_blocking`] on the blocking thread pool, once a slot is free. With `phc = None`
    /// (unknown account or an account without a password) it still spends the time of one verification
    /// against a dummy hash, so that response times do not reveal which emails exist, and returns `false`.
    pub async fn verify(&self, password: &str, phc: Option<String>) -> bool {
        if password.len() > MAX_PASSWORD_BYTES {
            return false;
        }
        let Ok(_permit) = self.permits.acquire().await else {
            return false;
        };
        let owned = password.to_owned();
        tokio::task::spawn_blocking(move || match phc {
            Some(phc) => verify_password_blocking(&owned, &phc),
            None => {
                let _ = verify_password_blocking(&owned, dummy_hash());
                false
            }
        })
        .await
        .unwrap_or(false)
    }
}

/// A fixed argon2id hash (of a random string nobody knows) with the default parameters.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(salt.as_str().as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_refuse_short_blank_and_huge_passwords() {
        assert_eq!(
            NewPassword::parse("short".into()).unwrap_err(),
            PasswordError::TooShort
        );
        assert_eq!(
            NewPassword::parse("          ".into()).unwrap_err(),
            PasswordError::Blank
        );
        assert_eq!(
            NewPassword::parse("x".repeat(MAX_PASSWORD_BYTES + 1)).unwrap_err(),
            PasswordError::TooLong
        );
        // Characters, not bytes: eight multi-byte characters are enough.
        assert!(NewPassword::parse("äöüäöüäö".into()).is_ok());
        assert!(NewPassword::parse("äöüäöüä".into()).is_err());
    }

    #[test]
    fn debug_redacts_the_secret() {
        let password = NewPassword::parse("correct horse".into()).unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn hash_is_argon2id_salted_and_verifies() {
        let first = hash_password_blocking("correct horse").unwrap();
        let second = hash_password_blocking("correct horse").unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "a fresh salt per hash");
        assert!(verify_password_blocking("correct horse", &first));
        assert!(!verify_password_blocking("correct horsE", &first));
        assert!(!verify_password_blocking(
            "correct horse",
            "not a phc string"
        ));
    }

    #[tokio::test]
    async fn unknown_account_never_verifies() {
        let work = PasswordWork::new(1);
        assert!(!work.verify("anything at all", None).await);
        let phc = work
            .hash(&NewPassword::parse("long enough".into()).unwrap())
            .await
            .unwrap();
        assert!(work.verify("long enough", Some(phc)).await);
    }

    #[tokio::test]
    async fn hashes_beyond_the_bound_wait_for_a_free_slot() {
        let work = PasswordWork::new(1);
        let held = work.permits.clone().acquire_owned().await.unwrap();
        let password = NewPassword::parse("long enough".into()).unwrap();
        let waiting = {
            let work = work.clone();
            tokio::spawn(async move { work.hash(&password).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            !waiting.is_finished(),
            "no slot was free, so the hash must wait"
        );
        drop(held);
        let phc = waiting.await.unwrap().unwrap();
        assert!(phc.starts_with("$argon2id$"));
    }
}
