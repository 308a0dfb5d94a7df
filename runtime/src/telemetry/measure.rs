//! The request-metrics layer (a `Router::layer` around the routes, so the matched route is
//! known): counts the request, its status and duration in its route's [`Slot`], and keeps it in
//! flight meanwhile.
//!
//! A tower layer with a hand-written future rather than `axum::middleware::from_fn` (which
//! boxes its future and clones and re-boxes the inner service per request), and no per-request
//! lookup: axum builds one layered service per route and method, so each remembers the slot its
//! first measured request resolved (route and method compared on every use, the registry's
//! index consulted only when they differ). Recording is relaxed atomic adds: no lock, no
//! allocation.

use super::metrics::{InFlight, Slot};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};
use std::time::Instant;

/// The layer of a contract's request metrics (`Router::layer(MeasureLayer(skip_paths))`).
#[derive(Clone, Copy, Debug)]
pub struct MeasureLayer(pub &'static [&'static str]);

impl<S> tower::Layer<S> for MeasureLayer {
    type Service = Measure<S>;

    fn layer(&self, inner: S) -> Measure<S> {
        Measure {
            skip_paths: self.0,
            slot: Arc::new(OnceLock::new()),
            inner,
        }
    }
}

/// [`MeasureLayer`]'s service around one route.
#[derive(Clone, Debug)]
pub struct Measure<S> {
    skip_paths: &'static [&'static str],
    /// The slot of this route's requests, resolved by the first one.
    slot: Arc<OnceLock<&'static Slot>>,
    inner: S,
}

impl<S> Measure<S> {
    /// The slot of `req`'s matched route and method (the registry's `unmatched` without one).
    fn slot(
        &self,
        registry: &'static super::metrics::Registry,
        req: &axum::extract::Request,
    ) -> &'static Slot {
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|m| m.as_str());
        let method = req.method().as_str();
        let matches = |s: &Slot| route == Some(s.route) && s.method == method;
        if let Some(s) = self.slot.get().filter(|s| matches(s)) {
            return s;
        }
        let s = registry.slot(route, method);
        if matches(s) {
            let _ = self.slot.set(s);
        }
        s
    }
}

impl<S> tower::Service<axum::extract::Request> for Measure<S>
where
    S: tower::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = Infallible,
    >,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = MeasureFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        let Some(registry) = super::registry() else {
            return MeasureFuture::Plain {
                inner: self.inner.call(req),
            };
        };
        let path = req.uri().path();
        if self.skip_paths.iter().any(|p| path.starts_with(p)) {
            return MeasureFuture::Plain {
                inner: self.inner.call(req),
            };
        }
        let started = Instant::now();
        let slot = self.slot(registry, &req);
        let in_flight = registry.enter();
        MeasureFuture::Measured {
            inner: self.inner.call(req),
            slot,
            started,
            in_flight: Some(in_flight),
        }
    }
}

pin_project_lite::pin_project! {
    /// [`Measure`]'s future: the route's future, recorded in its slot when it ends.
    #[project = MeasureProj]
    pub enum MeasureFuture<F> {
        Plain { #[pin] inner: F },
        Measured {
            #[pin]
            inner: F,
            slot: &'static Slot,
            started: Instant,
            // In flight until the request ends or is dropped (the client went away).
            in_flight: Option<InFlight<'static>>,
        },
    }
}

impl<F> Future for MeasureFuture<F>
where
    F: Future<Output = Result<axum::response::Response, Infallible>>,
{
    type Output = Result<axum::response::Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            MeasureProj::Plain { inner } => inner.poll(cx),
            MeasureProj::Measured {
                inner,
                slot,
                started,
                in_flight,
            } => {
                let Ok(resp) = ready!(inner.poll(cx));
                slot.record(resp.status().as_u16(), started.elapsed());
                in_flight.take();
                Poll::Ready(Ok(resp))
            }
        }
    }
}
