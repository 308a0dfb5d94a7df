//! `auth/validator` (JWT validation before the endpoint handler) and `auth/signer`.
//!
//! Generated handlers call [`validate`] with the endpoint's `'static` [`ValidatorSpec`] before
//! `EndpointCtx::start`. On success the verified claims are in the request's extensions as
//! [`Claims`] (for later stages such as CEL rules on `JWT`), `propagate_claims` headers are
//! written into the request (so `input_headers` filtering decides whether they reach backends),
//! and `{JWT.x}` url placeholders read [`Claims`] through [`url_params`] (appended to the
//! endpoint's parameters once the `EndpointCtx` exists). Rejections are 401/403
//! with no body, no `Content-Type`, no `X-Krakend*`.

pub mod claims;
pub mod jwk_tls;
pub mod keys;
pub mod remote;
pub mod sign;
pub mod signer;
pub mod token;

pub use claims::Claims;
pub use jwk_tls::JwkTls;
pub use keys::{StaticJwk, StaticMaterial};
pub use remote::RemoteSource;

use crate::ctx::SharedState;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderName, StatusCode};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// The JWS algorithms KrakenD accepts.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    HS256,
    HS384,
    HS512,
    RS256,
    RS384,
    RS512,
    ES256,
    ES384,
    ES512,
    PS256,
    PS384,
    PS512,
    EdDSA,
}

impl Alg {
    /// The `alg` header value.
    pub fn name(self) -> &'static str {
        match self {
            Alg::HS256 => "HS256",
            Alg::HS384 => "HS384",
            Alg::HS512 => "HS512",
            Alg::RS256 => "RS256",
            Alg::RS384 => "RS384",
            Alg::RS512 => "RS512",
            Alg::ES256 => "ES256",
            Alg::ES384 => "ES384",
            Alg::ES512 => "ES512",
            Alg::PS256 => "PS256",
            Alg::PS384 => "PS384",
            Alg::PS512 => "PS512",
            Alg::EdDSA => "EdDSA",
        }
    }
}

/// `key_identify_strategy`: which token header (and key member) identifies the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStrategy {
    Kid,
    X5t,
    X5tS256,
    KidX5t,
}

/// Keys embedded at build time from a `jwk_local_path` (checked there against `alg`).
#[derive(Debug)]
pub struct LocalKeys {
    pub keys: &'static [StaticJwk],
    pub built: OnceLock<Vec<keys::Key>>,
}

impl LocalKeys {
    pub const fn new(keys: &'static [StaticJwk]) -> Self {
        LocalKeys {
            keys,
            built: OnceLock::new(),
        }
    }

    /// The usable keys, built on first use.
    pub fn get(&self) -> &[keys::Key] {
        self.built
            .get_or_init(|| self.keys.iter().filter_map(StaticJwk::key).collect())
    }
}

/// Where the validator's keys come from.
#[derive(Debug)]
pub enum KeySource {
    Local(&'static LocalKeys),
    Remote(&'static RemoteSource),
}

/// One endpoint's `auth/validator`, as codegen emits it.
#[derive(Debug)]
pub struct ValidatorSpec {
    /// `METHOD /path`, for logs.
    pub endpoint: &'static str,
    pub alg: Alg,
    pub keys: KeySource,
    pub key_strategy: KeyStrategy,
    /// A non-https `jwk_url` (or a local path) without `disable_jwk_security`: KrakenD refuses
    /// to build the validator and the endpoint answers 401 to every request.
    pub insecure: bool,
    pub issuer: Option<&'static str>,
    pub audience: &'static [&'static str],
    pub leeway_secs: i64,
    pub roles_key: &'static str,
    pub roles_key_is_nested: bool,
    pub roles: &'static [&'static str],
    /// `scopes_key` and `scopes`, when both are set.
    pub scopes: Option<(&'static str, &'static [&'static str])>,
    pub scopes_all: bool,
    /// `auth_header_name`, lower-case.
    pub header_name: HeaderName,
    pub cookie_key: &'static str,
    pub propagate: &'static [(&'static str, HeaderName)],
    pub propagate_preserve_array: bool,
}

/// An empty 401/403 (no body, no `Content-Type`).
pub fn reject(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// The URL to download from: a test host map may point a contract host elsewhere.
pub(crate) fn resolve_url(state: &SharedState, url: &'static str) -> Cow<'static, str> {
    for (from, to) in &state.host_map {
        if let (Some(rest), Ok(base)) = (url.strip_prefix(from.as_str()), to) {
            return format!("{}://{}{}{rest}", base.scheme, base.authority, base.path).into();
        }
    }
    url.into()
}

/// Validates the request's token (401/403 on failure); see the module documentation.
pub async fn validate(
    state: &SharedState,
    spec: &'static ValidatorSpec,
    req: &mut Request,
) -> Result<(), Response> {
    let unauthorized = || reject(StatusCode::UNAUTHORIZED);
    if spec.insecure {
        crate::log::error(&format!(
            "JOSE: {}: the JWK source is not https and `disable_jwk_security` is off",
            spec.endpoint
        ));
        return Err(unauthorized());
    }
    let claims = {
        let token = token::extract(spec, req.headers()).ok_or_else(unauthorized)?;
        let t = token::parse(token, spec.alg, spec.key_strategy).ok_or_else(unauthorized)?;
        let verified = match &spec.keys {
            KeySource::Local(local) => local
                .get()
                .iter()
                .find(|k| k.id(spec.key_strategy) == t.key_id)
                .is_some_and(|k| k.verify(spec.alg, t.signed.as_bytes(), &t.signature)),
            KeySource::Remote(source) => {
                let url = resolve_url(state, source.url);
                let agent = state
                    .agent
                    .as_ref()
                    .and_then(|a| a.to_str().ok())
                    .unwrap_or("KrakenD");
                let store = remote::store(source, &url, agent);
                match store.lookup(&t.key_id, spec.key_strategy).await {
                    Some(snap) => snap
                        .find(&t.key_id, spec.key_strategy)
                        .is_some_and(|k| k.verify(spec.alg, t.signed.as_bytes(), &t.signature)),
                    None => false,
                }
            }
        };
        if !verified {
            return Err(unauthorized());
        }
        token::claims(t.payload).ok_or_else(unauthorized)?
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if !token::registered_claims_ok(spec, &claims, now) {
        return Err(unauthorized());
    }
    let forbidden = || reject(StatusCode::FORBIDDEN);
    if !spec.roles.is_empty() {
        let v = claims::lookup(&claims, spec.roles_key, spec.roles_key_is_nested);
        if !claims::any_of(v, spec.roles) {
            return Err(forbidden());
        }
    }
    if let Some((key, scopes)) = spec.scopes {
        let v = claims::lookup(&claims, key, true);
        let ok = if spec.scopes_all {
            claims::all_of(v, scopes)
        } else {
            claims::any_of(v, scopes)
        };
        if !ok {
            return Err(forbidden());
        }
    }
    if !spec.propagate.is_empty() {
        claims::propagate(
            &claims,
            spec.propagate,
            spec.propagate_preserve_array,
            req.headers_mut(),
        );
    }
    req.extensions_mut().insert(Claims(Arc::new(claims)));
    Ok(())
}

/// The values of `{JWT.<claim>}` url placeholders (top-level claims, formatted as
/// `propagate_claims` does), in `names` order. A missing claim (or no claims) gives KrakenD's
/// unresolved form `{{.JWT.<claim>}}`, sent escaped like any value.
pub fn url_params(req: &Request, names: &[&str]) -> Vec<String> {
    let claims = req.extensions().get::<Claims>();
    names
        .iter()
        .map(|n| match claims.and_then(|c| c.0.get(*n)) {
            Some(v) => claims::text(v),
            None => format!("{{{{.JWT.{n}}}}}"),
        })
        .collect()
}
