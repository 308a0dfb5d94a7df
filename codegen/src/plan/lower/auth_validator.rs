//! Lowering of `auth/validator` (spec: security-and-traffic.md §1): KrakenD's defaults applied.

use crate::duration;
use crate::model::jwk_client::JwkClientOptions;
use crate::model::jwk_file;
use crate::model::namespaces::auth_validator::{
    AuthValidatorOptions, LocalMaterial, SharedCacheOptions,
};
use crate::plan::ir_auth::{EmbeddedJwk, EmbeddedMaterial, JwkTls, Validator, ValidatorKeys};
use crate::plan::transport_ir::Params;
use crate::tls_ids::Version;
use std::time::Duration;

const DEFAULT_CACHE_SECS: u64 = 900;

/// The `{JWT.<claim>}` placeholders of the endpoint's backends (full names, first use order).
pub(super) fn url_placeholders(e: &crate::model::Endpoint) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in &e.backend {
        let pattern = b.url_pattern.as_ref().map_or("", |u| u.value.as_str());
        for p in crate::path::placeholders(pattern) {
            if p.starts_with("JWT.") && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The endpoint path whose parameters the backends' url_patterns resolve against: the
/// endpoint's own, then its `{JWT.<claim>}` placeholders (validator present).
pub(super) fn backend_path(
    ep: &crate::path::EndpointPath,
    e: &crate::model::Endpoint,
) -> crate::path::EndpointPath {
    let mut path = ep.clone();
    if e.ns.auth_validator.is_some() {
        path.params.extend(url_placeholders(e));
    }
    path
}

/// The TLS of a `jwk_url` download (validator and signer), when the contract sets any of
/// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites` (krakend-jose's JWK client: TLS 1.2 at
/// least, Go's default curves, the system's CAs plus the local one).
pub(super) fn jwk_tls(c: &JwkClientOptions) -> Option<JwkTls> {
    if !c.custom_tls() {
        return None;
    }
    Some(JwkTls {
        fingerprints: c
            .fingerprints
            .iter()
            .filter_map(|f| crate::model::jwk_client::fingerprint(&f.value).ok())
            .collect(),
        params: Params {
            min_version: Version::Tls12,
            max_version: Version::Tls13,
            cipher_suites: super::transport::tls12_suites(&c.cipher_suites),
            // X25519, P-256, P-384: Go's default preference (no `curve_preferences` key here).
            curves: vec![29, 23, 24],
            ca_certs: c
                .local_ca
                .iter()
                .filter(|p| !p.value.is_empty())
                .map(|p| p.value.clone())
                .collect(),
            system_ca_pool: true,
        },
    })
}

pub(super) fn lower_validator(
    e: &crate::model::Endpoint,
    o: &AuthValidatorOptions,
    shared: Option<&SharedCacheOptions>,
) -> Validator {
    let alg = o.alg.as_ref().map(|a| a.value.clone()).unwrap_or_default();
    let keys = match (&o.jwk_url, &o.local_keys) {
        (None, Some(local)) => ValidatorKeys::Local(
            local
                .iter()
                .filter(|k| jwk_file::fits(&alg, k))
                .map(|k| EmbeddedJwk {
                    kid: k.kid.clone(),
                    x5t: k.x5t.clone(),
                    x5t_s256: k.x5t_s256.clone(),
                    material: match &k.material {
                        LocalMaterial::Oct(b) => EmbeddedMaterial::Oct(b.clone()),
                        LocalMaterial::Rsa { n, e } => EmbeddedMaterial::Rsa {
                            n: n.clone(),
                            e: e.clone(),
                        },
                        LocalMaterial::Ec { crv, x, y } => EmbeddedMaterial::Ec {
                            crv: crv.clone(),
                            x: x.clone(),
                            y: y.clone(),
                        },
                        LocalMaterial::Okp { x, .. } => EmbeddedMaterial::Okp(x.clone()),
                    },
                })
                .collect(),
        ),
        _ => {
            let cache = o.cache.as_ref().is_some_and(|c| c.value);
            let shared_secs = shared.map(|s| {
                s.shared_cache_duration
                    .as_ref()
                    .map_or(DEFAULT_CACHE_SECS, |d| d.value as u64)
            });
            let own_secs = o
                .cache_duration
                .as_ref()
                .map(|d| d.value as u64)
                .filter(|s| *s > 0)
                .unwrap_or(DEFAULT_CACHE_SECS);
            let (shared, secs) = match shared_secs {
                Some(s) if cache => (true, s),
                _ => (false, own_secs),
            };
            ValidatorKeys::Remote {
                url: o
                    .jwk_url
                    .as_ref()
                    .map(|u| u.value.clone())
                    .unwrap_or_default(),
                cache,
                ttl: Duration::from_secs(secs),
                shared,
                cooldown: o
                    .failed_jwk_key_cooldown
                    .as_ref()
                    .and_then(|c| duration::parse(&c.value).ok())
                    .filter(|d| *d >= Duration::from_secs(1)),
                insecure_tls: o.disable_jwk_security,
                tls: jwk_tls(&o.client),
            }
        }
    };
    let https = o
        .jwk_url
        .as_ref()
        .is_some_and(|u| u.value.starts_with("https://"));
    let leeway_secs = o
        .leeway
        .as_ref()
        .and_then(|l| duration::parse(&l.value).ok())
        .map_or(1, |d| d.as_secs().max(1) as i64);
    let key_strategy = match o.key_identify_strategy.as_ref().map(|s| s.value.as_str()) {
        Some("x5t") => "X5t",
        Some("x5t#S256") => "X5tS256",
        Some("kid_x5t") => "KidX5t",
        _ => "Kid",
    };
    let scopes = match &o.scopes_key {
        Some(k) if !k.value.is_empty() && !o.scopes.is_empty() => {
            Some((k.value.clone(), o.scopes.clone()))
        }
        _ => None,
    };
    let text = |v: &Option<crate::model::At<String>>, default: &str| {
        v.as_ref()
            .map(|s| s.value.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    Validator {
        alg,
        keys,
        key_strategy,
        insecure: !https && !o.disable_jwk_security,
        issuer: o
            .issuer
            .as_ref()
            .map(|i| i.value.clone())
            .filter(|i| !i.is_empty()),
        audience: o.audience.clone(),
        leeway_secs,
        roles_key: text(&o.roles_key, "roles"),
        roles_key_is_nested: o.roles_key_is_nested,
        roles: o
            .roles
            .as_ref()
            .map(|r| r.value.clone())
            .unwrap_or_default(),
        scopes,
        scopes_all: o.scopes_matcher.as_ref().is_some_and(|m| m.value == "all"),
        header_name: text(&o.auth_header_name, "authorization").to_ascii_lowercase(),
        cookie_key: text(&o.cookie_key, "access_token"),
        propagate: o
            .propagate_claims
            .iter()
            .map(|p| (p.value.0.clone(), p.value.1.to_ascii_lowercase()))
            .collect(),
        propagate_preserve_array: o.propagate_claims_preserve_array,
        url_claims: url_placeholders(e)
            .iter()
            .map(|p| p["JWT.".len()..].to_owned())
            .collect(),
    }
}
