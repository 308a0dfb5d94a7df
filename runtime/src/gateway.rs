//! Assembling a generated gateway into an axum `Router`.

use crate::ctx::{BuildIdentity, GatewayState, RawTarget, SharedState};
use crate::router::{self, RouteTable};
use crate::spec::ServiceSpec;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use std::sync::Arc;

/// What codegen emits for a contract: its static facts and its routes.
pub trait Gateway: 'static {
    const SERVICE: &'static ServiceSpec;
    const IDENTITY: &'static BuildIdentity;
    const ROUTES: &'static RouteTable;
    /// Adds the contract's endpoints to `router`.
    fn endpoints(router: Router<SharedState>) -> Router<SharedState>;
}

/// Run-time choices that are not part of the contract.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Serve `/__debug/` even if the contract does not enable it (`krustd -d`).
    pub debug: bool,
    /// Send every backend call to this host instead (tests generated from the contract).
    pub host_override: Option<String>,
    /// Replace these contract hosts (`http://users`) by others (`http://127.0.0.1:4321`):
    /// for tests that point a contract at mock backends.
    pub host_map: Vec<(String, String)>,
}

/// The gateway `G` as an axum router, with default options.
pub fn router<G: Gateway>() -> Router {
    router_with::<G>(Options::default())
}

/// The gateway `G` as an axum router.
pub fn router_with<G: Gateway>(options: Options) -> Router {
    if let Err(e) = crate::client::tls::config() {
        crate::log::error(&format!("https backends cannot be called: {e}"));
    }
    let state = Arc::new(GatewayState::new(
        G::SERVICE,
        G::IDENTITY,
        options.host_override.as_deref(),
        &options.host_map,
    ));
    let mut inner: Router<SharedState> = G::endpoints(Router::new());
    if let Some(path) = G::SERVICE.health_path {
        inner = inner.route(
            path,
            get(crate::special::health)
                .head(not_matched::<G>)
                .fallback(not_matched::<G>),
        );
    }
    if G::SERVICE.debug_endpoint || options.debug {
        inner = inner
            .route("/__debug/", any(crate::special::debug))
            .route("/__debug/{*rest}", any(crate::special::debug));
    }
    if G::SERVICE.echo_endpoint {
        inner = inner
            .route("/__echo/", any(crate::special::echo))
            .route("/__echo/{*rest}", any(crate::special::echo));
    }
    let inner = inner.fallback(not_matched::<G>).with_state(state);
    let outer = Router::new()
        .fallback_service(inner)
        .layer(axum::middleware::from_fn(canonicalize::<G>));
    match G::SERVICE.access_log {
        Some(_) => outer.layer(axum::middleware::from_fn(access_log::<G>)),
        None => outer,
    }
}

/// Writes gin's access-log line for every request not in `logger_skip_paths`.
async fn access_log<G: Gateway>(req: Request, next: Next) -> Response {
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
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    let ip = crate::forward::client_ip_with(G::SERVICE.client_ip, req.headers(), peer);
    let resp = next.run(req).await;
    crate::log::access(
        now,
        resp.status().as_u16(),
        started.elapsed(),
        &ip,
        method.as_str(),
        &target,
    );
    resp
}

/// `router.auto_options`: 200, empty body, `Allow` = the path's methods sorted.
pub async fn auto_options<G: Gateway>(path: axum::extract::MatchedPath) -> Response {
    let mut methods: Vec<&str> = G::ROUTES
        .routes
        .iter()
        .filter(|r| r.pattern == path.as_str())
        .flat_map(|r| r.methods.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    let mut resp = Response::new(axum::body::Body::empty());
    if let Ok(v) = http::HeaderValue::from_str(&methods.join(", ")) {
        resp.headers_mut().insert(http::header::ALLOW, v);
    }
    resp.headers_mut().insert(
        crate::respond::X_KRAKEND,
        http::HeaderValue::from_static(G::SERVICE.version_header),
    );
    resp
}

/// The answer when no handler matched: redirect, 405 or 404 (see [`router::not_matched`]).
pub async fn not_matched<G: Gateway>(req: Request) -> Response {
    router::not_matched(
        G::ROUTES,
        req.method(),
        req.uri().path(),
        req.uri().query(),
        req.headers(),
    )
}

/// Rewrites the request path to the decoded-then-re-encoded form the router matches on, so
/// that `%2F` is a separator as in KrakenD; keeps the original target for `/__echo/`.
async fn canonicalize<G: Gateway>(mut req: Request, next: Next) -> Response {
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
            Err(_) => return http::StatusCode::BAD_REQUEST.into_response(),
        }
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(RawTarget(original));
        }
    }
    next.run(req).await
}
