//! The `global` layer (a `Router::layer` around the routes): the incoming trace context is
//! honoured, and a server span named after the path covers the request (unless skipped).
//!
//! A tower layer with a hand-written future rather than `axum::middleware::from_fn`: that one
//! boxes its future, clones and re-boxes the inner service per request and adds a `Next`
//! round; here the inner route's future is wrapped as it is, with the span beside it.

use super::{extract, report_headers, spans, Current, Encoded, Installed, Open, OtelSpec, CURRENT};
use opentelemetry::trace::{SpanKind, Status};
use std::borrow::Cow;
use std::cell::RefCell;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{ready, Context, Poll};

/// The methods whose server-span attributes are encoded once.
static STANDARD: [http::Method; 9] = [
    http::Method::GET,
    http::Method::POST,
    http::Method::PUT,
    http::Method::DELETE,
    http::Method::PATCH,
    http::Method::HEAD,
    http::Method::OPTIONS,
    http::Method::CONNECT,
    http::Method::TRACE,
];

/// The layer of a contract's traces (`Router::layer(ServerLayer(&OTEL))`).
#[derive(Clone, Copy, Debug)]
pub struct ServerLayer(pub &'static OtelSpec);

impl<S> tower::Layer<S> for ServerLayer {
    type Service = Server<S>;

    fn layer(&self, inner: S) -> Server<S> {
        Server {
            spec: self.0,
            // One per route and method, made when the router is built (bounded).
            fixed: Box::leak(Box::new(OnceLock::new())),
            inner,
        }
    }
}

/// [`ServerLayer`]'s service around one route.
#[derive(Clone, Debug)]
pub struct Server<S> {
    spec: &'static OtelSpec,
    /// The attributes of this route's server spans when its path has no parameters, encoded
    /// by its first traced request.
    fixed: &'static OnceLock<RouteSpan>,
    inner: S,
}

/// A route's server-span attributes (method, path, stage, route), valid for its requests of
/// that method and path.
#[derive(Debug)]
struct RouteSpan {
    method: http::Method,
    path: Box<str>,
    attributes: Box<[u8]>,
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
        let route = req
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|r| r.as_str());
        let fixed: &'static OnceLock<RouteSpan> = self.fixed;
        let cached = fixed
            .get()
            .filter(|f| f.method == req.method() && *f.path == *path && route == Some(path));
        let mut span = Open::start(
            spec,
            parent.as_ref().map(|p| &p.span),
            SpanKind::Server,
            match cached {
                Some(f) => Cow::Borrowed(&*f.path),
                None => Cow::Owned(path.to_owned()),
            },
        );
        if let Some(f) = cached.filter(|_| span.recording() && !spec.global.report_headers) {
            span.fixed = &f.attributes;
        } else if span.recording() {
            if route == Some(path) && self.fixed.get().is_none() {
                // A route without parameters: its spans' attributes are all the same.
                let mut attributes = Vec::new();
                for (key, value) in [
                    ("http.request.method", req.method().as_str()),
                    ("url.path", path),
                    ("krakend.stage", "global"),
                    ("http.route", path),
                ] {
                    spans::str_attribute(&mut attributes, spans::ATTRIBUTES, key, &[value]);
                }
                let _ = self.fixed.set(RouteSpan {
                    method: req.method().clone(),
                    path: path.into(),
                    attributes: attributes.into_boxed_slice(),
                });
            }
            // The same for every server span of a standard method: encoded once per method.
            static FIXED: [Encoded; 10] = [const { Encoded::new() }; 10];
            let method = req.method();
            let known = STANDARD.iter().position(|m| m == method);
            span.fixed = FIXED[known.unwrap_or(9)].get(|buf| {
                if known.is_some() {
                    let m = [method.as_str()];
                    spans::str_attribute(buf, spans::ATTRIBUTES, "http.request.method", &m);
                }
                spans::str_attribute(buf, spans::ATTRIBUTES, "krakend.stage", &["global"]);
            });
            span.attrs.reserve(160);
            if known.is_none() {
                span.set_str("http.request.method", method.as_str());
            }
            span.set_str("url.path", path);
            if let Some(r) = route {
                span.set_str("http.route", r);
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
                    span.set_status_code(status);
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
