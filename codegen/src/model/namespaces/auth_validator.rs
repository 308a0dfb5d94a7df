//! `auth/validator` (endpoint level: JWT validation; service level: `shared_cache_duration`)
//! (spec: security-and-traffic.md §1).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::jwk_client::JwkClientOptions;
use crate::model::{child, At};
use serde_json::Value;

pub const NAME: &str = "auth/validator";
/// Endpoint-level keys Krustd implements.
pub const KEYS: &[&str] = &[
    "alg",
    "jwk_url",
    "jwk_local_path",
    "disable_jwk_security",
    "cache",
    "cache_duration",
    "failed_jwk_key_cooldown",
    "key_identify_strategy",
    "issuer",
    "audience",
    "roles_key",
    "roles_key_is_nested",
    "roles",
    "scopes_key",
    "scopes",
    "scopes_matcher",
    "auth_header_name",
    "cookie_key",
    "leeway",
    "propagate_claims",
    "propagate_claims_preserve_array",
    "operation_debug",
    "jwk_fingerprints",
    "jwk_local_ca",
    "cipher_suites",
    "secret_url",
    "cypher_key",
];
/// Service-level keys.
pub const SERVICE_KEYS: &[&str] = &["shared_cache_duration"];

/// The endpoint-level namespace as written.
#[derive(Debug, Default)]
pub struct AuthValidatorOptions {
    pub pointer: String,
    pub alg: Option<At<String>>,
    pub jwk_url: Option<At<String>>,
    pub jwk_local_path: Option<At<String>>,
    pub disable_jwk_security: bool,
    pub cache: Option<At<bool>>,
    pub cache_duration: Option<At<i64>>,
    pub failed_jwk_key_cooldown: Option<At<String>>,
    pub key_identify_strategy: Option<At<String>>,
    pub issuer: Option<At<String>>,
    pub audience: Vec<String>,
    pub roles_key: Option<At<String>>,
    pub roles_key_is_nested: bool,
    pub roles: Option<At<Vec<String>>>,
    pub scopes_key: Option<At<String>>,
    pub scopes: Vec<String>,
    pub scopes_matcher: Option<At<String>>,
    pub auth_header_name: Option<At<String>>,
    pub cookie_key: Option<At<String>>,
    pub leeway: Option<At<String>>,
    /// `[claim, header]` pairs.
    pub propagate_claims: Vec<At<(String, String)>>,
    pub propagate_claims_preserve_array: bool,
    /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`, `secret_url`, `cypher_key`.
    pub client: JwkClientOptions,
    /// The keys of `jwk_local_path`, read by the builder (`side_files`) before `check`.
    pub local_keys: Option<Vec<LocalJwk>>,
    pub unknown: Vec<At<String>>,
}

/// One usable key of a `jwk_local_path` file, decoded.
#[derive(Debug, Clone)]
pub struct LocalJwk {
    pub kid: String,
    pub x5t: String,
    pub x5t_s256: String,
    pub material: LocalMaterial,
}

/// Decoded key material (public parts, or the `oct` secret).
#[derive(Debug, Clone)]
pub enum LocalMaterial {
    Oct(Vec<u8>),
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { crv: String, x: Vec<u8>, y: Vec<u8> },
    Okp { crv: String, x: Vec<u8> },
}

/// The service-level namespace.
#[derive(Debug, Default)]
pub struct SharedCacheOptions {
    pub pointer: String,
    pub shared_cache_duration: Option<At<i64>>,
    pub unknown: Vec<At<String>>,
}

fn string(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
    r.string(d, NAME, key)
}

fn strings(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> Option<At<Vec<String>>> {
    let (v, pointer) = r.get(key)?;
    let list = v.as_array().and_then(|a| {
        a.iter()
            .map(|i| i.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
    });
    match list {
        Some(value) => Some(At { value, pointer }),
        None => {
            d.error(
                &pointer,
                format!("`{NAME}.{key}` must be a list of strings"),
                None,
            );
            None
        }
    }
}

fn int(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> Option<At<i64>> {
    let (v, pointer) = r.get(key)?;
    match v.as_i64().filter(|n| *n >= 0 && *n <= i64::from(u32::MAX)) {
        Some(value) => Some(At { value, pointer }),
        None => {
            d.error(
                &pointer,
                format!("`{NAME}.{key}` must be a number of seconds"),
                None,
            );
            None
        }
    }
}

fn boolean(r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str) -> Option<At<bool>> {
    r.bool(d, key, |k| {
        (format!("`{NAME}.{k}` must be a boolean"), None)
    })
}

impl AuthValidatorOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let mut o = AuthValidatorOptions {
            pointer: pointer.to_owned(),
            alg: string(&mut r, d, "alg"),
            jwk_url: string(&mut r, d, "jwk_url"),
            jwk_local_path: string(&mut r, d, "jwk_local_path"),
            disable_jwk_security: boolean(&mut r, d, "disable_jwk_security")
                .is_some_and(|b| b.value),
            cache: boolean(&mut r, d, "cache"),
            cache_duration: int(&mut r, d, "cache_duration"),
            failed_jwk_key_cooldown: string(&mut r, d, "failed_jwk_key_cooldown"),
            key_identify_strategy: string(&mut r, d, "key_identify_strategy"),
            issuer: string(&mut r, d, "issuer"),
            audience: strings(&mut r, d, "audience")
                .map(|a| a.value)
                .unwrap_or_default(),
            roles_key: string(&mut r, d, "roles_key"),
            roles_key_is_nested: boolean(&mut r, d, "roles_key_is_nested").is_some_and(|b| b.value),
            roles: strings(&mut r, d, "roles"),
            scopes_key: string(&mut r, d, "scopes_key"),
            scopes: strings(&mut r, d, "scopes")
                .map(|a| a.value)
                .unwrap_or_default(),
            scopes_matcher: string(&mut r, d, "scopes_matcher"),
            auth_header_name: string(&mut r, d, "auth_header_name"),
            cookie_key: string(&mut r, d, "cookie_key"),
            leeway: string(&mut r, d, "leeway"),
            propagate_claims_preserve_array: boolean(&mut r, d, "propagate_claims_preserve_array")
                .is_some_and(|b| b.value),
            client: JwkClientOptions::read(d, &mut r, NAME),
            ..AuthValidatorOptions::default()
        };
        boolean(&mut r, d, "operation_debug");
        if let Some((v, p)) = r.get("propagate_claims") {
            let pairs = v.as_array().map(|list| {
                list.iter()
                    .enumerate()
                    .map(|(i, pair)| {
                        let at = child(&p, &i.to_string());
                        match pair.as_array().map(Vec::as_slice) {
                            Some([Value::String(c), Value::String(h)]) => Ok(At {
                                value: (c.clone(), h.clone()),
                                pointer: at,
                            }),
                            _ => Err(at),
                        }
                    })
                    .collect::<Vec<_>>()
            });
            match pairs {
                Some(pairs) => {
                    for pair in pairs {
                        match pair {
                            Ok(at) => o.propagate_claims.push(at),
                            Err(at) => d.error(
                                &at,
                                "each `propagate_claims` entry must be a [\"claim\", \"Header\"] pair",
                                None,
                            ),
                        }
                    }
                }
                None => d.error(&p, "`propagate_claims` must be a list of pairs", None),
            }
        }
        o.unknown = r.finish();
        o
    }
}

impl SharedCacheOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        SharedCacheOptions {
            pointer: pointer.to_owned(),
            shared_cache_duration: int(&mut r, d, "shared_cache_duration"),
            unknown: r.finish(),
        }
    }
}
