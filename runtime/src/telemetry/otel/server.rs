//! The `global` layer (a `Router::layer` around the routes): the incoming trace context is
//! honoured, and a server span named after the path covers the request (unless skipped).
//!
//! A tower layer with a hand-written future rather than `axum::middleware::from_fn`: that one
//! boxes its future, clones and re-boxes the inner service per request and adds a `Next`
//! round; here the inner route's future is wrapped as it is, with the span beside it.

use super::{extract, report_headers, Current, Installed, Open, OtelSpec, CURRENT};
use opentelemetry::trace::{SpanKind, Status};
use std::borrow::Cow;
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

/// The layer of a contract's traces (`Router::layer(ServerLayer(&OTEL))`).
#[derive(Clone, Copy, Debug)]
pub struct ServerLayer(pub &'static OtelSpec);

impl<S> tower::Layer<S> for ServerLayer {
    type Service = Server<S>;

    fn layer(&self, inner: S) -> Server<S> {
        Server {
            spec: self.0,
            inner,
        }
    }
}

/// [`ServerLayer`]'s service around one route.
#[derive(Clone, Debug)]
pub struct Server<S> {
    spec: &'static OtelSpec,
    inner: S,
}

impl<S> tower::Service<axum::extract::Request> for Server<S>
where
    S: tower::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = Infallible,
    >,
{
    type Response = axum::response::Response;
    type Error = Infallible;
    type Future = ServerFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: axum::extract::Request) -> Self::Future {
        let spec = self.spec;
        let Some(otel) = spec.state.get() else {
            return ServerFuture::Plain {
                inner: self.inner.call(req),
            };
        };
        let parent = if spec.propagation {
            extract(otel, req.headers())
        } else {
            None
        };
        let path = req.uri().path();
        if !spec.global.traces || spec.skip_paths.iter().any(|p| path.starts_with(p)) {
            // No span, but a scope: the incoming context for the backends, and the one the
            // proxy span replaces in place (`ProxySpan`).
            let here = parent.unwrap_or_else(Current::none);
            return ServerFuture::Scoped {
                inner: CURRENT.scope(RefCell::new(here), self.inner.call(req)),
            };
        }
        let mut span = Open::start(
            spec,
            parent.as_ref().map(|p| &p.span),
            SpanKind::Server,
            Cow::Owned(path.to_owned()),
        );
        if span.recording() {
            span.attrs.reserve(160);
            span.set_str("http.request.method", req.method().as_str());
            span.set_str("url.path", path);
            span.set_str("krakend.stage", "global");
            if let Some(r) = req.extensions().get::<axum::extract::MatchedPath>() {
                span.set_str("http.route", r.as_str());
            }
            if spec.global.report_headers {
                report_headers(
                    &mut span,
                    "http.request.header.",
                    req.headers(),
                    spec.skip_headers,
                );
            }
        }
        let here = Current {
            span: span.cx.clone(),
            baggage: parent.and_then(|p| p.baggage),
        };
        ServerFuture::Traced {
            inner: CURRENT.scope(RefCell::new(here), self.inner.call(req)),
            span: Some(span),
            spec,
            otel,
        }
    }
}

pin_project_lite::pin_project! {
    /// [`Server`]'s future: the route's future, in the server span's context when traced.
    #[project = ServerProj]
    pub enum ServerFuture<F> {
        /// Traces not installed.
        Plain { #[pin] inner: F },
        /// No span: the incoming context (if any) kept for the backends and the proxy span.
        Scoped { #[pin] inner: tokio::task::futures::TaskLocalFuture<RefCell<Current>, F> },
        Traced {
            #[pin]
            inner: tokio::task::futures::TaskLocalFuture<RefCell<Current>, F>,
            span: Option<Open>,
            spec: &'static OtelSpec,
            otel: &'static Installed,
        },
    }
}

impl<F> Future for ServerFuture<F>
where
    F: Future<Output = Result<axum::response::Response, Infallible>>,
{
    type Output = Result<axum::response::Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            ServerProj::Plain { inner } => inner.poll(cx),
            ServerProj::Scoped { inner } => inner.poll(cx),
            ServerProj::Traced {
                inner,
                span,
                spec,
                otel,
            } => {
                let Ok(resp) = ready!(inner.poll(cx));
                if let Some(mut span) = span.take() {
                    let status = resp.status().as_u16();
                    span.set_i64("http.response.status_code", i64::from(status));
                    if status >= 500 {
                        span.status = Status::error("");
                    }
                    if spec.global.report_headers {
                        report_headers(
                            &mut span,
                            "http.response.header.",
                            resp.headers(),
                            spec.skip_headers,
                        );
                    }
                    span.end(otel);
                }
                Poll::Ready(Ok(resp))
            }
        }
    }
}
