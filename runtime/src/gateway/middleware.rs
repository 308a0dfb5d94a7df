//! Layers around every route: the router's path canonicalisation and gin's access log.

use super::{Gateway, Handled};
use crate::ctx::{ClientIp, RawTarget, SharedState};
use crate::router;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use futures_util::future::{ready, Either, FutureExt, Ready};
use std::convert::Infallible;
use std::marker::PhantomData;
use std::task::{Context, Poll};

/// Writes gin's access-log line for every request not in `logger_skip_paths`.
///
/// A tower layer with a hand-written future, as [`CanonicalizeLayer`]: `from_fn` would clone
/// and box the inner service and box its future per request.
pub(super) struct AccessLogLayer<G>(PhantomData<fn() -> G>);

impl<G> Clone for AccessLogLayer<G> {
    fn clone(&self) -> Self {
        AccessLogLayer(PhantomData)
    }
}

impl<G> AccessLogLayer<G> {
    pub(super) fn new() -> Self {
        AccessLogLayer(PhantomData)
    }
}

impl<S, G> tower::Layer<S> for AccessLogLayer<G> {
    type Service = AccessLog<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        AccessLog {
            inner,
            gateway: PhantomData,
        }
    }
}

/// The service of [`AccessLogLayer`].
pub(super) struct AccessLog<S, G> {
    inner: S,
    gateway: PhantomData<fn() -> G>,
}

impl<S: Clone, G> Clone for AccessLog<S, G> {
    fn clone(&self) -> Self {
        AccessLog {
            inner: self.inner.clone(),
            gateway: PhantomData,
        }
    }
}

impl<S, G> tower::Service<Request> for AccessLog<S, G>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    G: Gateway,
{
    type Response = Response;
    type Error = Infallible;
    type Future = AccessLogFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let skip = G::SERVICE
            .access_log
            .is_some_and(|paths| paths.contains(&req.uri().path()));
        if skip || !crate::log::enabled(crate::log::Level::Info) {
            return AccessLogFuture {
                inner: self.inner.call(req),
                line: None,
            };
        }
        let line = Line {
            now: std::time::SystemTime::now(),
            started: std::time::Instant::now(),
            method: req.method().clone(),
            target: req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            // Computed once: the endpoint handler takes it from the request's extensions.
            ip: ClientIp::of(G::SERVICE.client_ip, &req),
        };
        req.extensions_mut().insert(line.ip.clone());
        AccessLogFuture {
            inner: self.inner.call(req),
            line: Some(line),
        }
    }
}

/// What an access-log line says besides the answer's status and latency.
struct Line {
    now: std::time::SystemTime,
    started: std::time::Instant,
    method: http::Method,
    target: String,
    ip: ClientIp,
}

pin_project_lite::pin_project! {
    /// [`AccessLog`]'s future: the inner one, then the line (when the request is logged).
    pub(super) struct AccessLogFuture<F> {
        #[pin]
        inner: F,
        line: Option<Line>,
    }
}

impl<F> std::future::Future for AccessLogFuture<F>
where
    F: std::future::Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Ok(resp) = std::task::ready!(this.inner.poll(cx));
        if let Some(line) = this.line.take() {
            crate::log::access(
                line.now,
                resp.status().as_u16(),
                line.started.elapsed(),
                line.ip.as_str(),
                line.method.as_str(),
                &line.target,
            );
        }
        Poll::Ready(Ok(resp))
    }
}

/// Rewrites the request path to the decoded-then-re-encoded form the router matches on, so
/// that `%2F` is a separator as in KrakenD; keeps the original target for `/__echo/`. Then a
/// request for an endpoint without path parameters goes straight to its handler
/// ([`Gateway::direct`], a `match` codegen emits) when nothing wraps the routes: the router's
/// match, its parameters and matched path, its per-request clone of the route and its boxed
/// handler future are for the other requests.
///
/// A plain tower layer rather than `axum::middleware::from_fn`: the rewrite is synchronous, so
/// the inner router's future is returned as is (no boxed future or boxed service per request).
pub(super) struct CanonicalizeLayer<G> {
    direct: Option<SharedState>,
    gateway: PhantomData<fn() -> G>,
}

// Not derived: a derive would require `G: Clone`.
impl<G> Clone for CanonicalizeLayer<G> {
    fn clone(&self) -> Self {
        CanonicalizeLayer {
            direct: self.direct.clone(),
            gateway: PhantomData,
        }
    }
}

impl<G> CanonicalizeLayer<G> {
    /// `direct`: the endpoints' state when their handlers may be called without the router.
    pub(super) fn new(direct: Option<SharedState>) -> Self {
        CanonicalizeLayer {
            direct,
            gateway: PhantomData,
        }
    }
}

impl<S, G> tower::Layer<S> for CanonicalizeLayer<G> {
    type Service = Canonicalize<S, G>;

    fn layer(&self, inner: S) -> Self::Service {
        Canonicalize {
            inner,
            direct: self.direct.clone(),
            gateway: PhantomData,
        }
    }
}

/// The service of [`CanonicalizeLayer`].
pub(super) struct Canonicalize<S, G> {
    inner: S,
    direct: Option<SharedState>,
    gateway: PhantomData<fn() -> G>,
}

impl<S: Clone, G> Clone for Canonicalize<S, G> {
    fn clone(&self) -> Self {
        Canonicalize {
            inner: self.inner.clone(),
            direct: self.direct.clone(),
            gateway: PhantomData,
        }
    }
}

/// An endpoint's answer from its handler called directly, as the router's future gives it.
type DirectFuture =
    futures_util::future::Map<Handled, fn(Response) -> Result<Response, Infallible>>;

impl<S, G> tower::Service<Request> for Canonicalize<S, G>
where
    S: tower::Service<Request, Response = Response, Error = Infallible>,
    G: Gateway,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<Ready<Result<Response, Infallible>>, Either<S::Future, DirectFuture>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let req = match canonicalize::<G>(req) {
            Ok(req) => req,
            Err(resp) => return Either::Left(ready(Ok(resp))),
        };
        if let Some(state) = &self.direct {
            if let Some(handler) = G::direct(req.method(), req.uri().path()) {
                let answer: fn(Response) -> Result<Response, Infallible> = Ok;
                return Either::Right(Either::Right(handler(state.clone(), req).map(answer)));
            }
        }
        Either::Right(Either::Left(self.inner.call(req)))
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
