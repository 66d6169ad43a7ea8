//! Secret values in the configuration: [`Secret`] (strings) and [`SecretKey`] (32-byte keys). `Debug`
//! prints `[redacted]`, so neither logs nor the parsed command line ever show them.

use std::fmt;

use base64::Engine as _;
use rand::RngCore as _;

use super::SettingsError;

/// A secret string (password, client secret, URI with credentials): `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call this only where the value is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Lets clap parse secret flags straight into [`Secret`], so that even the raw arguments redact them.
impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::new(value))
    }
}

/// A 32-byte key (cookie signing, refresh-token encryption): `Debug` prints `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    /// Wraps 32 key bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A fresh random key (used when no key is configured and losing it on restart is harmless).
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Decodes a key given as standard or URL-safe base64 of exactly 32 bytes.
    pub(super) fn from_base64(key: &'static str, value: &str) -> Result<Self, SettingsError> {
        let value = value.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(value))
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(value))
            .map_err(|_| SettingsError::Invalid {
                key,
                reason: "must be base64 (e.g. `openssl rand -base64 32`)".into(),
            })?;
        let bytes: [u8; 32] = decoded.try_into().map_err(|_| SettingsError::Invalid {
            key,
            reason: "must decode to exactly 32 bytes".into(),
        })?;
        Ok(Self(bytes))
    }

    /// The key bytes. Call this only where the key is used.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
