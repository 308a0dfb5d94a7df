//! Rate limits (spec: security-and-traffic.md §6–7; krakend-ratelimit):
//! - `qos/ratelimit/router`: the client buckets (429, [`ClientLimit`]) then the endpoint bucket
//!   (503, a [`TokenBucket`]), checked by the generated handler before the endpoint call starts;
//! - `qos/ratelimit/proxy`: one bucket per backend ([`limited`]);
//! - `krustd/ratelimit/redis`: the same limits kept in Redis for every replica ([`redis`]).
//!
//! Every limiter is a `static` of the generated code, so one budget covers every core of the
//! process. An endpoint or backend without the namespace has no limiter code at all.

mod bucket;
mod clients;
pub mod redis;

pub use bucket::{fill_interval_ns, now_ns, BucketState, TokenBucket};
pub use clients::{ClientBuckets, DEFAULT_MAX_KEYS};

use crate::backend::{BackendError, BackendResult};
use crate::ctx::{ClientIp, SharedState};
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderName, StatusCode};
use std::borrow::Cow;
use std::future::Future;

/// KrakenD's error text (sic).
pub const LIMITED: &str = "rate limit exceded";

/// What identifies a client (`strategy` + `key`).
#[derive(Debug)]
pub enum ClientKey {
    /// `ip` without `key`: the client IP (router client-IP options applied).
    Ip,
    /// `ip` with `key`: the first comma item of that header, up to its first `:`, when it
    /// parses as an IP; else the client IP.
    IpHeader(HeaderName),
    /// `header`: the value of the client's request header.
    Header(HeaderName),
    /// `param`: the endpoint parameter in this path segment (decoded).
    Param(usize),
}

impl ClientKey {
    /// The key of `req`; `None` (or empty) when the request has none, which KrakenD answers
    /// with 429.
    pub fn of<'r>(&self, state: &SharedState, req: &'r Request) -> Option<Cow<'r, [u8]>> {
        let key: Cow<'r, [u8]> = match self {
            ClientKey::Ip => Cow::Owned(client_ip(state, req)),
            ClientKey::IpHeader(name) => {
                let first = req
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .map(str::trim)
                    .and_then(|v| v.split(':').next())
                    .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
                match first {
                    Some(ip) => Cow::Owned(ip.as_bytes().to_vec()),
                    None => Cow::Owned(client_ip(state, req)),
                }
            }
            ClientKey::Header(name) => Cow::Borrowed(req.headers().get(name)?.as_bytes()),
            ClientKey::Param(segment) => {
                let raw = req.uri().path().split('/').nth(segment + 1)?;
                Cow::Owned(percent_encoding::percent_decode_str(raw).collect::<Vec<u8>>())
            }
        };
        (!key.is_empty()).then_some(key)
    }
}

fn client_ip(state: &SharedState, req: &Request) -> Vec<u8> {
    match req.extensions().get::<ClientIp>() {
        Some(ip) => ip.0.as_bytes().to_vec(),
        None => ClientIp::of(state.service.client_ip, req)
            .0
            .as_bytes()
            .to_vec(),
    }
}

/// The per-client part of `qos/ratelimit/router`: how a client is known and its buckets.
#[derive(Debug)]
pub struct ClientLimit {
    pub key: ClientKey,
    pub buckets: ClientBuckets,
}

impl ClientLimit {
    /// Takes a token from the client's bucket; `false` (429) when it is empty or the request
    /// has no key.
    #[inline]
    pub fn allow(&self, state: &SharedState, req: &Request) -> bool {
        match self.key.of(state, req) {
            Some(k) => self.buckets.allow_key(&k),
            None => false,
        }
    }
}

/// A rejection of the router limiter: the status alone (no body, no `X-Krakend*`).
pub fn rejection(status: StatusCode) -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = status;
    r
}

/// 429: the client's bucket is empty (or the request has no client key).
pub fn too_many_requests() -> Response {
    rejection(StatusCode::TOO_MANY_REQUESTS)
}

/// 503: the endpoint's bucket is empty.
pub fn service_unavailable() -> Response {
    rejection(StatusCode::SERVICE_UNAVAILABLE)
}

/// `qos/ratelimit/proxy`: `call` runs only when `bucket` has a token; else the backend call
/// fails with KrakenD's `rate limit exceded`.
#[inline]
pub async fn limited(
    bucket: &'static TokenBucket,
    call: impl Future<Output = BackendResult>,
) -> BackendResult {
    if bucket.allow() {
        call.await
    } else {
        BackendResult::Failed(BackendError::plain(LIMITED))
    }
}
