//! The JWK client keys `auth/validator` and `auth/signer` share (krakend-jose
//! `SecretProviderConfig`): certificate pinning, an extra CA and the TLS 1.2 suites of the
//! `jwk_url` download, and the key that decrypts an encrypted `jwk_local_path`.

use super::namespaces::NsReader;
use super::transport::list;
use super::At;
use crate::diag::Diagnostics;
use base64::engine::general_purpose::URL_SAFE;
use base64::Engine;
use serde_json::Value;

/// The keys read here, for the namespaces' lists of known keys.
pub const KEYS: &[&str] = &[
    "jwk_fingerprints",
    "jwk_local_ca",
    "cipher_suites",
    "secret_url",
    "cypher_key",
];

/// The keys as written.
#[derive(Debug, Default, Clone)]
pub struct JwkClientOptions {
    /// `jwk_fingerprints`: padded URL-safe base64 SHA-256 of a SubjectPublicKeyInfo.
    pub fingerprints: Vec<At<String>>,
    /// `jwk_local_ca`: a PEM file of extra trusted CAs.
    pub local_ca: Option<At<String>>,
    /// `cipher_suites`: Go (IANA) ids.
    pub cipher_suites: Vec<At<i64>>,
    /// `secret_url`: the keeper of `cypher_key` (gocloud URL).
    pub secret_url: Option<At<String>>,
    /// `cypher_key`: the encrypted data key, standard base64 (Go `[]byte` in JSON).
    pub cypher_key: Option<At<String>>,
}

impl JwkClientOptions {
    pub(crate) fn read(d: &mut Diagnostics, r: &mut NsReader<'_>, ns: &str) -> Self {
        let mut string = |d: &mut Diagnostics, key: &str| r.string(d, ns, key);
        let local_ca = string(d, "jwk_local_ca");
        let secret_url = string(d, "secret_url");
        let cypher_key = string(d, "cypher_key");
        JwkClientOptions {
            fingerprints: list(d, r, "jwk_fingerprints", "strings", |v| {
                v.as_str().map(str::to_owned)
            }),
            local_ca,
            cipher_suites: list(d, r, "cipher_suites", "numeric ids", Value::as_i64),
            secret_url,
            cypher_key,
        }
    }

    /// Whether the `jwk_url` download needs its own TLS configuration.
    pub fn custom_tls(&self) -> bool {
        !self.fingerprints.is_empty() || self.local_ca.is_some() || !self.cipher_suites.is_empty()
    }
}

/// A `jwk_fingerprints` entry: padded URL-safe base64 (Go `base64.URLEncoding`) of a SHA-256.
pub fn fingerprint(text: &str) -> Result<[u8; 32], String> {
    let raw = URL_SAFE
        .decode(text)
        .map_err(|e| format!("`{text}` is not padded URL-safe base64: {e}"))?;
    <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| {
        format!(
            "`{text}` decodes to {} bytes: a fingerprint is a SHA-256 (32 bytes)",
            raw.len()
        )
    })
}
