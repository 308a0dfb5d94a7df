//! Layers around every route: the router's path canonicalisation and gin's access log.

use super::Gateway;
use crate::ctx::{ClientIp, RawTarget};
use crate::router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::future::{ready, Either, Ready};
use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

/// Writes gin's access-log line for every request not in `logger_skip_paths`.
pub(super) async fn access_log<G: Gateway>(req: Request, next: Next) -> Response {
    let skip = G::SERVICE
        .access_log
        .is_some_and(|paths| paths.contains(&req.uri().path()));
    if skip || !crate::log::enabled(crate::log::Level::Info) {
        return next.run(req).await;
    }
    let now = std::time::SystemTime::now();
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // Computed once: the endpoint handler takes it from the request's extensions.
    let ip = ClientIp::of(G::SERVICE.client_ip, &req);
    let mut req = req;
    req.extensions_mut().insert(ip.clone());
    let resp = next.run(req).await;
    crate::log::access(
        now,
        resp.status().as_u16(),
        started.elapsed(),
        ip.as_str(),
        method.as_str(),
        &target,
    );
    resp
}

/// Rewrites the request path to the decoded-then-re-encoded form the router matches on, so
/// that `%2F` is a separator as in KrakenD; keeps the original target for `/__echo/`.
///
/// A plain tower layer rather than `axum::middleware::from_fn`: the rewrite is synchronous, so
/// the inner router's future is returned as is (no boxed future or boxed service per request).
pub(super) struct CanonicalizeLayer<G>(PhantomData<fn() -> G>);

// Not derived: a derive would require `G: Clone`.
impl<G> Clone for CanonicalizeLayer<G> {
    fn clone(&self) -> Self {
        CanonicalizeLayer(PhantomData)
    }
}

impl<G> CanonicalizeLayer<G> {
    pub(super) fn new() -> Self {
        CanonicalizeLayer(PhantomData)
    }
}

impl<S, G> tower::Layer<S> for CanonicalizeLayer<G> {
    type Service = Canonicalize<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Canonicalize {
            inner,
            gateway: PhantomData,
        }
    }
}

/// The service of [`CanonicalizeLayer`].
pub(super) struct Canonicalize<S, G> {
    inner: S,
    gateway: PhantomData<fn() -> G>,
}

impl<S: Clone, G> Clone for Canonicalize<S, G> {
    fn clone(&self) -> Self {
        Canonicalize {
            inner: self.inner.clone(),
            gateway: PhantomData,
        }
    }
}

impl<S, G> tower::Service<Request> for Canonicalize<S, G>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    G: Gateway,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        match canonicalize::<G>(req) {
            Ok(req) => Either::Right(self.inner.call(req)),
            Err(resp) => Either::Left(ready(Ok(resp))),
        }
    }
}

fn canonicalize<G: Gateway>(mut req: Request) -> Result<Request, Response> {
    let mut canonical = match router::canonical_path(req.uri().path()) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(p) => Some(p),
    };
    if G::ROUTES.remove_extra_slash {
        let current = canonical.as_deref().unwrap_or(req.uri().path());
        if let std::borrow::Cow::Owned(p) = router::clean_path(current) {
            canonical = Some(p);
        }
    }
    if let Some(path) = canonical {
        let original = req.uri().clone();
        let pq = match original.query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut parts = original.clone().into_parts();
        match pq.parse() {
            Ok(p) => parts.path_and_query = Some(p),
            Err(_) => return Err(http::StatusCode::BAD_REQUEST.into_response()),
        }
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(RawTarget(original));
        }
    }
    Ok(req)
}
