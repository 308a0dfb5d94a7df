//! `auth/signer` (spec: security-and-traffic.md §2, krakend-jose `gin.TokenSigner`): the
//! endpoint's merged answer with each object under `keys_to_sign` replaced by a JWS of it.
//!
//! It replaces KrakenD's endpoint handler: any backend error (even a partial answer) is an
//! empty 400; a signer that cannot be built (insecure source, key not found or unusable) answers
//! an empty 401 to every request, as krakend-jose's `erroredHandler`. The answer is always JSON,
//! with no `X-Krakend*` and no `Cache-Control`.

use super::jwk_tls::JwkTls;
use super::sign::{self, PrivateMaterial, SigningKey};
use super::Alg;
use crate::ctx::{EndpointCtx, SharedState};
use crate::respond::Merged;
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;
use serde_json::Value;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// After a failed download, requests answer 401 without retrying for this long.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A private key embedded from `jwk_local_path` (checked by codegen against `alg`).
#[derive(Debug)]
pub struct LocalSigningKey {
    pub kid: &'static str,
    pub material: PrivateMaterial<'static>,
    built: OnceLock<Option<SigningKey>>,
}

impl LocalSigningKey {
    pub const fn new(kid: &'static str, material: PrivateMaterial<'static>) -> Self {
        LocalSigningKey {
            kid,
            material,
            built: OnceLock::new(),
        }
    }

    fn get(&self, alg: Alg) -> Option<&SigningKey> {
        self.built
            .get_or_init(|| SigningKey::new(self.kid, alg, &self.material).ok())
            .as_ref()
    }
}

/// A key downloaded from `jwk_url` on first use (single-flight), then kept: KrakenD reads it
/// once, when the endpoint is built.
#[derive(Debug)]
pub struct RemoteSigningKey {
    pub url: &'static str,
    /// `disable_jwk_security`: TLS certificates are not verified.
    pub insecure_tls: bool,
    /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`.
    pub tls: Option<&'static JwkTls>,
    key: OnceLock<SigningKey>,
    fetching: tokio::sync::Mutex<()>,
    failed: Mutex<Option<Instant>>,
}

impl RemoteSigningKey {
    pub const fn new(url: &'static str, insecure_tls: bool) -> Self {
        RemoteSigningKey {
            url,
            insecure_tls,
            tls: None,
            key: OnceLock::new(),
            fetching: tokio::sync::Mutex::const_new(()),
            failed: Mutex::new(None),
        }
    }

    /// A source whose download has its own TLS (see [`JwkTls`]).
    pub const fn with_tls(url: &'static str, insecure_tls: bool, tls: &'static JwkTls) -> Self {
        let mut k = RemoteSigningKey::new(url, insecure_tls);
        k.tls = Some(tls);
        k
    }

    async fn get(&self, state: &SharedState, spec: &SignerSpec) -> Option<&SigningKey> {
        if let Some(k) = self.key.get() {
            return Some(k);
        }
        let recently_failed = || {
            self.failed
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_some_and(|t| t.elapsed() < RETRY_AFTER)
        };
        if recently_failed() {
            return None;
        }
        let _single = self.fetching.lock().await;
        if let Some(k) = self.key.get() {
            return Some(k);
        }
        if recently_failed() {
            return None;
        }
        let url = super::resolve_url(state, self.url);
        let agent = state
            .agent
            .as_ref()
            .and_then(|a| a.to_str().ok())
            .unwrap_or("KrakenD");
        let built = match super::remote::client(self.insecure_tls, self.tls, agent) {
            Ok(client) => match super::remote::fetch(&client, &url).await {
                Ok(doc) => sign::from_set(&doc, spec.kid, spec.alg),
                Err(why) => Err(why),
            },
            Err(why) => Err(why),
        };
        match built {
            Ok(k) => Some(self.key.get_or_init(|| k)),
            Err(why) => {
                crate::log::error(&format!(
                    "[ENDPOINT: {}][JWTSigner] Unable to create the signer: {url}: {why}",
                    spec.endpoint
                ));
                *self
                    .failed
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Instant::now());
                None
            }
        }
    }
}

/// Where the signing key comes from.
#[derive(Debug)]
pub enum SignerKey {
    Local(&'static LocalSigningKey),
    Remote(&'static RemoteSigningKey),
}

/// One endpoint's `auth/signer`, as codegen emits it.
#[derive(Debug)]
pub struct SignerSpec {
    /// The endpoint path, for logs.
    pub endpoint: &'static str,
    pub alg: Alg,
    pub kid: &'static str,
    pub keys_to_sign: &'static [&'static str],
    /// `full`: the JWS JSON serialization instead of the compact one.
    pub full: bool,
    /// A non-https source without `disable_jwk_security`: every request gets 401 (KrakenD).
    pub insecure: bool,
    pub key: SignerKey,
}

fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

/// The answer of a signer endpoint for the merged backend data.
pub async fn finish(ctx: &EndpointCtx, spec: &'static SignerSpec, m: Merged) -> Response {
    let log =
        |msg: &str| crate::log::error(&format!("[ENDPOINT: {}][JWTSigner] {msg}", spec.endpoint));
    if spec.insecure {
        log("Unable to create the signer: the JWK source is not https and `disable_jwk_security` is off");
        return empty(StatusCode::UNAUTHORIZED);
    }
    let key = match &spec.key {
        SignerKey::Local(l) => l.get(spec.alg),
        SignerKey::Remote(r) => r.get(&ctx.state, spec).await,
    };
    let Some(key) = key else {
        return empty(StatusCode::UNAUTHORIZED);
    };
    if !m.errors.is_empty() || !m.complete {
        for e in &m.errors {
            log(&format!("Proxy response: {}", e.message));
        }
        return empty(StatusCode::BAD_REQUEST);
    }
    let mut data = match m.data {
        Some(Value::Object(d)) => d,
        Some(_) | None => serde_json::Map::new(),
    };
    for name in spec.keys_to_sign {
        let Some(v @ Value::Object(_)) = data.get(*name) else {
            continue;
        };
        let payload = crate::render::json::to_vec(v);
        match key.jws(&payload, spec.full) {
            Some(token) => {
                data.insert((*name).to_owned(), Value::String(token));
            }
            None => {
                log("Signing fields: unable to sign payload");
                return empty(StatusCode::BAD_REQUEST);
            }
        }
    }
    let mut resp = Response::new(Body::from(crate::render::json::to_vec(&Value::Object(
        data,
    ))));
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}
