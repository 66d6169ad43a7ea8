//! Random secrets handed to browsers (session tokens, OAuth `state`, binding nonces) and their SHA-256
//! digests. Only digests are stored, so a database dump does not contain usable cookies.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};
use std::fmt;

/// A 256-bit random secret, URL-safe base64 without padding (43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

impl SecretToken {
    /// Length of the encoded form.
    pub const ENCODED_LEN: usize = 43;

    /// A fresh secret from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts a value received from a client if it has the shape of a token (no database lookup).
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == Self::ENCODED_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        well_formed.then(|| Self(raw.to_owned()))
    }

    /// The encoded secret (for the cookie or URL only; never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digest stored in the database instead of the secret.
    pub fn digest(&self) -> TokenDigest {
        TokenDigest::of(&self.0)
    }
}

/// Lower-case hex SHA-256 of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenDigest(String);

impl TokenDigest {
    /// SHA-256 of `secret`, hex encoded.
    pub fn of(secret: &str) -> Self {
        let digest = Sha256::digest(secret.as_bytes());
        let mut hex = String::with_capacity(64);
        for byte in digest {
            hex.push_str(&format!("{byte:02x}"));
        }
        Self(hex)
    }

    /// The hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = SecretToken::generate();
        let b = SecretToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), SecretToken::ENCODED_LEN);
        assert_eq!(SecretToken::parse(a.expose()), Some(a.clone()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn parse_refuses_other_shapes() {
        assert!(SecretToken::parse("").is_none());
        assert!(SecretToken::parse("short").is_none());
        assert!(SecretToken::parse(&"a".repeat(44)).is_none());
        assert!(SecretToken::parse(&format!("{}=", "a".repeat(42))).is_none());
    }

    #[test]
    fn digest_is_sha256_hex() {
        // SHA-256("abc") from FIPS 180-2.
        assert_eq!(
            TokenDigest::of("abc").as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = SecretToken::generate();
        assert_eq!(token.digest(), TokenDigest::of(token.expose()));
    }
}
