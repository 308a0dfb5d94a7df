//! `auth/signer` (endpoint level; spec: security-and-traffic.md §2).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::jwk_client::JwkClientOptions;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "auth/signer";
/// Keys Krustd implements.
pub const KEYS: &[&str] = &[
    "alg",
    "kid",
    "keys_to_sign",
    "jwk_url",
    "jwk_local_path",
    "disable_jwk_security",
    "full",
    "jwk_fingerprints",
    "jwk_local_ca",
    "cipher_suites",
    "secret_url",
    "cypher_key",
];

/// The namespace as written.
#[derive(Debug, Default)]
pub struct AuthSignerOptions {
    pub pointer: String,
    pub alg: Option<At<String>>,
    pub kid: Option<At<String>>,
    pub keys_to_sign: Vec<String>,
    pub jwk_url: Option<At<String>>,
    pub jwk_local_path: Option<At<String>>,
    pub disable_jwk_security: bool,
    pub full: bool,
    /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`, `secret_url`, `cypher_key`.
    pub client: JwkClientOptions,
    /// The key `kid` of `jwk_local_path`, read by the builder before `check`: `Err` says why
    /// it cannot sign (no such kid, public key only, …).
    pub local_key: Option<Result<PrivateJwk, String>>,
    pub unknown: Vec<At<String>>,
}

/// A private key of a `jwk_local_path` file, decoded.
#[derive(Debug, Clone)]
pub enum PrivateJwk {
    Oct(Vec<u8>),
    /// n, e, d, p, q, dp, dq, qi.
    Rsa([Vec<u8>; 8]),
    Ec {
        crv: String,
        x: Vec<u8>,
        y: Vec<u8>,
        d: Vec<u8>,
    },
    /// Ed25519 public key and seed.
    Okp {
        x: Vec<u8>,
        d: Vec<u8>,
    },
}

fn string(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
    r.string(d, NAME, key)
}

fn boolean(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> bool {
    r.bool(d, key, |k| {
        (format!("`{NAME}.{k}` must be a boolean"), None)
    })
    .is_some_and(|b| b.value)
}

impl AuthSignerOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let mut o = AuthSignerOptions {
            pointer: pointer.to_owned(),
            alg: string(&mut r, d, "alg"),
            kid: string(&mut r, d, "kid"),
            jwk_url: string(&mut r, d, "jwk_url"),
            jwk_local_path: string(&mut r, d, "jwk_local_path"),
            disable_jwk_security: boolean(&mut r, d, "disable_jwk_security"),
            full: boolean(&mut r, d, "full"),
            client: JwkClientOptions::read(d, &mut r, NAME),
            ..AuthSignerOptions::default()
        };
        if let Some((v, p)) = r.get("keys_to_sign") {
            let list = v.as_array().and_then(|a| {
                a.iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            });
            match list {
                Some(l) => o.keys_to_sign = l,
                None => d.error(
                    &p,
                    format!("`{NAME}.keys_to_sign` must be a list of strings"),
                    None,
                ),
            }
        }
        o.unknown = r.finish();
        o
    }
}
