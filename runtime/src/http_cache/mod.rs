//! `qos/http-cache` (backend level; spec: security-and-traffic.md §9): an in-memory HTTP cache
//! on a backend's client, with the semantics of KrakenD's (krakend-httpcache over
//! krakend/httpcache, gregjones/httpcache's RFC 7234 transport):
//!
//! - only GET and HEAD backends (codegen emits the cache for no other), and no request with
//!   `Range`; the key is the backend URL as sent (HEAD's prefixed with `HEAD `);
//! - one entry per key; it answers only a request whose headers listed in the answer's `Vary`
//!   have the values the stored request had (else the backend is asked and the new answer
//!   replaces it);
//! - freshness from the answer's `Cache-Control: max-age`, else `Expires`, against its `Date`
//!   (see [`policy`]); a stale entry is revalidated with `If-None-Match`/`If-Modified-Since`,
//!   and a `304` refreshes it; `no-store` (answer or request) is never stored;
//! - the request's own directives (`no-cache`, `max-age`, `only-if-cached`, ...) count only
//!   when the backend request carries `Cache-Control`, i.e. when `input_headers` forwards it;
//! - an entry is kept whatever its status, and answers go through the normal status check,
//!   decoding and shaping ([`crate::backend::answer`]).
//!
//! Beyond KrakenD: the store is always bounded ([`store`]); `max_size` (bytes, default
//! [`DEFAULT_MAX_SIZE`]) and `max_items` cap it, and answers that could never be used again
//! (no freshness, no validator) are not stored at all.
//!
//! `shared: true` backends use one process-wide store; the others one store per backend.
//!
//! Seam for response modifiers (`modifier/martian`): the cache asks the backend through
//! [`crate::backend::exchange`], and judges and stores what that returns. Modifiers of the raw
//! answer belong inside `exchange` (after the body is read), so a `Cache-Control` they set is
//! what makes an answer cacheable, and a cached answer is stored already modified.

pub mod policy;
pub mod store;

use crate::backend::{self, BackendError, BackendResult, Decoder, Received};
use crate::ctx::EndpointCtx;
use crate::spec::BackendSpec;
use http::header::{HeaderName, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, RANGE};
use http::{HeaderMap, Method, StatusCode};
use policy::{CacheControl, Freshness};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;
use store::{Entry, Store};

/// Krustd's bound of a store without `max_size`: 64 MiB (KrakenD's store has none).
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

/// A store's bounds, as codegen resolved them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSpec {
    /// The process-wide store (`shared: true`).
    pub shared: bool,
    /// Bytes the store may hold (`max_size`, else [`DEFAULT_MAX_SIZE`]).
    pub max_size: u64,
    /// Entries the store may hold (`max_items`); 0 = no count of its own.
    pub max_items: u64,
}

/// One backend's cache: a `static` in generated code, its store made on first use.
#[derive(Debug)]
pub struct HttpCache {
    spec: CacheSpec,
    own: OnceLock<Store>,
}

/// The process-wide store of `shared: true` backends. Codegen gives every shared backend the
/// bounds of the first one in contract order, so whichever is used first makes the same store.
static SHARED: OnceLock<Store> = OnceLock::new();

impl HttpCache {
    pub const fn new(spec: CacheSpec) -> Self {
        HttpCache {
            spec,
            own: OnceLock::new(),
        }
    }

    /// The store this backend uses.
    pub fn store(&'static self) -> &'static Store {
        let cell = if self.spec.shared { &SHARED } else { &self.own };
        cell.get_or_init(|| store::new_store(&self.spec))
    }
}

/// [`backend::call`] for a backend with `qos/http-cache`: within the endpoint deadline, the
/// answer comes from the cache or the backend, then goes through the normal status check and
/// decoding.
pub async fn call(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    cache: &'static HttpCache,
    seq: &[Option<String>],
    decoder: Option<Decoder>,
) -> BackendResult {
    let fetch = async {
        let (uri, headers) = match backend::prepare(ctx, spec, seq) {
            Ok(p) => p,
            Err(e) => return BackendResult::Failed(e),
        };
        match exchange(ctx, spec, cache.store(), uri, headers).await {
            Ok(r) => backend::answer(spec, r, decoder).await,
            Err(e) => BackendResult::Failed(e),
        }
    };
    match tokio::time::timeout_at(ctx.deadline, fetch).await {
        Ok(r) => r,
        Err(_) => BackendResult::Failed(BackendError::plain("context deadline exceeded")),
    }
}

/// The cache key of a request (gregjones' `cacheKey`).
fn key(method: &Method, uri: &http::Uri) -> String {
    if method == Method::GET {
        uri.to_string()
    } else {
        format!("{method} {uri}")
    }
}

/// Whether the request still has the values the stored request had for every `Vary` header.
fn vary_matches(entry: &Entry, req: &HeaderMap) -> bool {
    entry.varied.iter().all(|(name, stored)| {
        let now = req.get(name).map(HeaderValue::as_bytes).unwrap_or_default();
        now == stored
            .as_ref()
            .map(HeaderValue::as_bytes)
            .unwrap_or_default()
    })
}

/// Hop-by-hop headers of a `304` that do not replace the stored ones.
fn end_to_end(name: &HeaderName, connection: &[String]) -> bool {
    !matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailers"
            | "transfer-encoding"
            | "upgrade"
    ) && !connection.iter().any(|c| c == name.as_str())
}

/// gregjones' `RoundTrip` over [`backend::exchange`]: answer from the store, revalidate, or
/// ask the backend; then store what may be stored.
async fn exchange(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    store: &'static Store,
    uri: http::Uri,
    headers: Cow<'_, HeaderMap>,
) -> Result<Received, BackendError> {
    if headers.contains_key(RANGE) {
        return backend::exchange(ctx, spec, uri, &headers).await;
    }
    let key = key(&spec.method, &uri);
    let req_cc = CacheControl::of(&headers);
    let now = SystemTime::now();
    let cached = store.get(key.as_str());
    let (received, revalidated) = match cached {
        Some(entry) => {
            let mut validators: Vec<(HeaderName, HeaderValue)> = Vec::new();
            if vary_matches(&entry, &headers) {
                match policy::freshness(&entry.received.headers, entry.at, &req_cc, now) {
                    Freshness::Fresh => return Ok(entry.received.clone()),
                    Freshness::Stale => {
                        let h = &entry.received.headers;
                        // Go looks for the caller's own `etag`/`last-modified` request headers.
                        if let Some(etag) = h.get(http::header::ETAG) {
                            if !headers.contains_key(http::header::ETAG) {
                                validators.push((IF_NONE_MATCH, etag.clone()));
                            }
                        }
                        if let Some(lm) = h.get(http::header::LAST_MODIFIED) {
                            if !headers.contains_key(http::header::LAST_MODIFIED) {
                                validators.push((IF_MODIFIED_SINCE, lm.clone()));
                            }
                        }
                    }
                    Freshness::Transparent => {}
                }
            }
            let sent = if validators.is_empty() {
                backend::exchange(ctx, spec, uri, &headers).await
            } else {
                let mut h = headers.as_ref().clone();
                for (k, v) in validators {
                    h.insert(k, v);
                }
                backend::exchange(ctx, spec, uri, &h).await
            };
            let get = spec.method == Method::GET;
            match sent {
                Ok(r) if get && r.status == StatusCode::NOT_MODIFIED => {
                    (refreshed(&entry.received, r.headers), true)
                }
                Err(_)
                    if get
                        && policy::stale_on_error(
                            &entry.received.headers,
                            entry.at,
                            &req_cc,
                            now,
                        ) =>
                {
                    return Ok(entry.received.clone())
                }
                Ok(r)
                    if get
                        && r.status.as_u16() >= 500
                        && policy::stale_on_error(
                            &entry.received.headers,
                            entry.at,
                            &req_cc,
                            now,
                        ) =>
                {
                    return Ok(entry.received.clone())
                }
                Err(e) => {
                    store.remove(key.as_str());
                    return Err(e);
                }
                Ok(r) => {
                    if r.status != StatusCode::OK {
                        store.remove(key.as_str());
                    }
                    (r, false)
                }
            }
        }
        None if req_cc.has("only-if-cached") => (
            Received {
                status: StatusCode::GATEWAY_TIMEOUT,
                headers: HeaderMap::new(),
                url: uri,
                body: bytes::Bytes::new(),
            },
            false,
        ),
        None => (backend::exchange(ctx, spec, uri, &headers).await?, false),
    };
    let resp_cc = CacheControl::of(&received.headers);
    let at = SystemTime::now();
    if policy::storable(&req_cc, &resp_cc)
        && (revalidated || policy::worth_storing(&received.headers, &resp_cc, at))
    {
        let varied = policy::vary_names(&received.headers)
            .into_iter()
            .map(|name| {
                let v = headers.get(&name).filter(|v| !v.is_empty()).cloned();
                (name, v)
            })
            .collect();
        let entry = Entry::new(&key, received.clone(), at, varied);
        store.insert(key, Arc::new(entry));
    } else {
        store.remove(key.as_str());
    }
    Ok(received)
}

/// The stored answer with the end-to-end headers of a `304` replacing its own.
fn refreshed(stored: &Received, fresh: HeaderMap) -> Received {
    let connection: Vec<String> = fresh
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect();
    let mut r = stored.clone();
    for name in fresh.keys() {
        if end_to_end(name, &connection) {
            r.headers.remove(name);
            for v in fresh.get_all(name) {
                r.headers.append(name.clone(), v.clone());
            }
        }
    }
    r
}
