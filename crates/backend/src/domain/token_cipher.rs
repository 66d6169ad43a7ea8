//! Encryption at rest for Google refresh tokens: AES-256-GCM with the configured 32-byte key.
//!
//! Stored form: `v1:` + URL-safe base64 (no padding) of `nonce (12 bytes) || ciphertext+tag`. A fresh
//! random nonce per encryption; the user id is bound as associated data, so a ciphertext copied to another
//! user's document does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;

const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Encryption or decryption failed (wrong key, tampered or foreign ciphertext, bad format).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("refresh token could not be decrypted")]
pub struct TokenCipherError;

/// Encrypts and decrypts secrets with one AES-256-GCM key. `Debug` does not show the key.
#[derive(Clone)]
pub struct TokenCipher {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(<key redacted>)")
    }
}

impl TokenCipher {
    /// A cipher for a 256-bit key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    /// Encrypts `secret` for the owner `context` (the user id).
    pub fn encrypt(&self, secret: &str, context: &str) -> Result<String, TokenCipherError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| TokenCipherError)?;
        let mut blob = Vec::with_capacity(NONCE_LEN + sealed.len());
        blob.extend_from_slice(&nonce);
        blob.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(blob)))
    }

    /// Decrypts what [`TokenCipher::encrypt`] produced for the same `context`.
    pub fn decrypt(&self, stored: &str, context: &str) -> Result<String, TokenCipherError> {
        let encoded = stored.strip_prefix(PREFIX).ok_or(TokenCipherError)?;
        let blob = URL_SAFE_NO_PAD
            .decode(encoded)
            .map_err(|_| TokenCipherError)?;
        if blob.len() <= NONCE_LEN {
            return Err(TokenCipherError);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| TokenCipherError)?;
        String::from_utf8(plain).map_err(|_| TokenCipherError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_fresh_nonces() {
        let cipher = TokenCipher::new(&[7u8; 32]);
        let a = cipher.encrypt("1//refresh-token", "user-a").unwrap();
        let b = cipher.encrypt("1//refresh-token", "user-a").unwrap();
        assert_ne!(a, b);
        assert!(!a.contains("refresh"));
        assert_eq!(cipher.decrypt(&a, "user-a").unwrap(), "1//refresh-token");
    }

    #[test]
    fn wrong_key_context_or_tampering_fails() {
        let cipher = TokenCipher::new(&[7u8; 32]);
        let sealed = cipher.encrypt("secret", "user-a").unwrap();
        assert_eq!(cipher.decrypt(&sealed, "user-b"), Err(TokenCipherError));
        assert_eq!(
            TokenCipher::new(&[8u8; 32]).decrypt(&sealed, "user-a"),
            Err(TokenCipherError)
        );
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(cipher.decrypt(&tampered, "user-a"), Err(TokenCipherError));
        assert_eq!(
            cipher.decrypt("plain-token", "user-a"),
            Err(TokenCipherError)
        );
        assert_eq!(cipher.decrypt("v1:", "user-a"), Err(TokenCipherError));
    }
}
