//! OpenID ID tokens signed RS256 like Google's, and the JWKS document that publishes the public key.
//!
//! The signing key (`keys/id-token-signing-key.pk8`, PKCS#8 DER, RSA 2048) is a fixed **test key shipped in
//! the source on purpose**: it protects nothing, and a fixed key keeps tokens verifiable across restarts.
//! Clients verify emulator ID tokens exactly as Google's, only with the emulator's `jwks_uri`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::rsa::PublicKeyComponents;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::EmulatorError;

const KEY: &[u8] = include_bytes!("keys/id-token-signing-key.pk8");

/// Signs ID tokens and describes its public key.
pub(crate) struct IdTokenSigner {
    key: RsaKeyPair,
    kid: String,
    jwk: Value,
    rng: SystemRandom,
}

impl IdTokenSigner {
    /// Loads the built-in key.
    pub(crate) fn new() -> Result<Self, EmulatorError> {
        let key =
            RsaKeyPair::from_pkcs8(KEY).map_err(|e| EmulatorError::SigningKey(e.to_string()))?;
        let public: PublicKeyComponents<Vec<u8>> = key.public().into();
        let n = URL_SAFE_NO_PAD.encode(&public.n);
        let e = URL_SAFE_NO_PAD.encode(&public.e);
        let kid: String = Sha256::digest(&public.n)
            .iter()
            .take(20)
            .map(|b| format!("{b:02x}"))
            .collect();
        let jwk = json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": n, "e": e});
        Ok(Self {
            key,
            kid,
            jwk,
            rng: SystemRandom::new(),
        })
    }

    /// A compact JWS (`header.payload.signature`) of `claims`.
    pub(crate) fn sign(&self, claims: &Value) -> Option<String> {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "JWT"});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).ok()?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).ok()?)
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                input.as_bytes(),
                &mut signature,
            )
            .ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The JWKS document (`{"keys": [...]}`).
    pub(crate) fn jwks(&self) -> Value {
        json!({"keys": [self.jwk]})
    }
}
