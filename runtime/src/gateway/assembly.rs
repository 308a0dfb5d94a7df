//! Assembling a generated gateway into an axum `Router`: its endpoints, the router's own
//! routes (health, debug, echo), the fallback and the middleware layers.

use super::{middleware, routes, Gateway, Options};
use crate::ctx::{GatewayState, SharedState};
use axum::extract::Request;
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use std::convert::Infallible;
use std::sync::Arc;
use tower::util::Either;
use tower::Layer;

/// The gateway `G` as an axum router, with default options.
pub fn router<G: Gateway>() -> Router {
    router_with::<G>(Options::default())
}

/// The gateway `G` as an axum router: [`service_with`] as the fallback of a router without
/// routes (for embedding and tests; the gateway's own server runs [`service_with`] itself).
pub fn router_with<G: Gateway>(options: Options) -> Router {
    Router::new().fallback_service(service_with::<G>(options))
}

/// The gateway `G` as a service: CORS (outermost: preflights on any path are answered before
/// the router sees them), the access log, the path canonicalisation, then the endpoints
/// router, which matches the canonical path. The layers wrap the router directly (no outer
/// router and boxed fallback service per request: 3.3k instructions less per request of the
/// 3-backend bench route, issue 9).
pub fn service_with<G: Gateway>(
    options: Options,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future: Send + 'static>
       + Clone
       + Send
       + Sync
       + 'static {
    let (router, direct) = endpoints::<G>(options);
    let canonical = middleware::CanonicalizeLayer::<G>::new(direct).layer(router);
    let logged = match G::SERVICE.access_log {
        Some(_) => Either::Left(middleware::AccessLogLayer::<G>::new().layer(canonical)),
        None => Either::Right(canonical),
    };
    match G::cors() {
        Some(_) => {
            Either::Left(axum::middleware::from_fn(crate::security::cors_layer::<G>).layer(logged))
        }
        None => Either::Right(logged),
    }
}

/// The contract's endpoints, the router's own routes, the fallback and the layers that act
/// after the route match, with the gateway's state: every path here is canonical already.
/// With the state when no layer wraps the routes: the contract's endpoints can then be called
/// without the router ([`Gateway::direct`]), as nothing would run between the two.
fn endpoints<G: Gateway>(options: Options) -> (Router, Option<SharedState>) {
    crate::telemetry::install::<G>();
    if let Err(e) = crate::client::tls::config() {
        crate::log::error(&format!("https backends cannot be called: {e}"));
    }
    let mut state = GatewayState::new(
        G::SERVICE,
        G::IDENTITY,
        options.host_override.as_deref(),
        &options.host_map,
    );
    // client_tls: the backend client of this core with the contract's TLS configuration.
    if let Some(c) = G::TRANSPORT.client_tls {
        state.client = crate::client::Client::with_tls(crate::transport::client_config(c));
    }
    state.redis = options
        .redis_url
        .as_deref()
        .map(crate::ratelimit::redis::cluster);
    let state = Arc::new(state);
    let mut inner: Router<SharedState> = G::endpoints(Router::new());
    // Whether a layer below wraps the routes.
    let mut layered = false;
    // krustd/compression: the contract's endpoints only (not health, debug, echo or 404s).
    if let Some(c) = G::TRANSPORT.compression {
        inner = inner.layer(crate::transport::compression_layer(c));
        layered = true;
    }
    if let Some(path) = G::SERVICE.health_path {
        inner = inner.route(
            path,
            get(crate::builtin_routes::health)
                .head(routes::not_matched::<G>)
                .fallback(routes::not_matched::<G>),
        );
    }
    let (debug, echo) = (
        G::SERVICE.debug_endpoint || options.debug,
        G::SERVICE.echo_endpoint,
    );
    if debug {
        inner = inner
            .route("/__debug/", any(crate::builtin_routes::debug))
            .route("/__debug/{*rest}", any(crate::builtin_routes::debug));
    }
    if echo {
        inner = inner
            .route("/__echo/", any(crate::builtin_routes::echo))
            .route("/__echo/{*rest}", any(crate::builtin_routes::echo));
    }
    if let Some(guard) = G::guard() {
        guard.warm();
        // security/http, the service-level modifier/lua-endpoint and the service bot detector,
        // in this order: every route so far (health's GET is let through by the layer itself).
        inner = inner.route_layer(axum::middleware::from_fn(crate::security::guard_layer::<G>));
        layered = true;
    } else if let Some(lua) = G::service_lua() {
        // modifier/lua-endpoint (service level) alone: after the router match.
        let (pool, health) = (G::service_lua_pool(), G::SERVICE.health_path);
        inner = inner.route_layer(axum::middleware::from_fn(move |req, next| {
            crate::lua::service_layer(lua, pool, health, req, next)
        }));
        layered = true;
    }
    // telemetry: request metrics around the routes (the matched route is known there).
    if let Some(m) = G::TELEMETRY.metrics.filter(|m| m.server) {
        inner = inner.layer(crate::telemetry::MeasureLayer(m.skip_paths));
        layered = true;
    }
    // telemetry: the OpenTelemetry server span and incoming trace context (outside the metrics).
    if let Some(t) = G::TELEMETRY.traces {
        inner = inner.layer(crate::telemetry::otel::ServerLayer(t));
        layered = true;
    }
    let builtin = crate::builtin_routes::enabled(debug, echo);
    let direct = (!layered).then(|| state.clone());
    let router = inner
        .fallback(move |req: axum::extract::Request| async move {
            let answer = routes::not_matched_with::<G>(builtin, &req);
            // security/http, modifier/lua-endpoint (service level) and the bot detector run on
            // the router's 404 and 405 too (not on a redirect).
            crate::security::guard_not_matched::<G>(req, answer).await
        })
        .with_state(state);
    (router, direct)
}
