//! Assembling a generated gateway into an axum `Router`: its endpoints, the router's own
//! routes (health, debug, echo), the fallback and the middleware layers.

use super::{middleware, routes, Gateway, Options};
use crate::ctx::{GatewayState, SharedState};
use axum::routing::{any, get};
use axum::Router;
use std::sync::Arc;

/// The gateway `G` as an axum router, with default options.
pub fn router<G: Gateway>() -> Router {
    router_with::<G>(Options::default())
}

/// The gateway `G` as an axum router.
pub fn router_with<G: Gateway>(options: Options) -> Router {
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
    // krustd/compression: the contract's endpoints only (not health, debug, echo or 404s).
    if let Some(c) = G::TRANSPORT.compression {
        inner = inner.layer(crate::transport::compression_layer(c));
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
    } else if let Some(lua) = G::service_lua() {
        // modifier/lua-endpoint (service level) alone: after the router match.
        let (pool, health) = (G::service_lua_pool(), G::SERVICE.health_path);
        inner = inner.route_layer(axum::middleware::from_fn(move |req, next| {
            crate::lua::service_layer(lua, pool, health, req, next)
        }));
    }
    // telemetry: request metrics around the routes (the matched route is known there).
    if let Some(m) = G::TELEMETRY.metrics.filter(|m| m.server) {
        inner = inner.layer(crate::telemetry::MeasureLayer(m.skip_paths));
    }
    // telemetry: the OpenTelemetry server span and incoming trace context (outside the metrics).
    if let Some(t) = G::TELEMETRY.traces {
        inner = inner.layer(crate::telemetry::otel::ServerLayer(t));
    }
    let builtin = crate::builtin_routes::enabled(debug, echo);
    let inner = inner
        .fallback(move |req: axum::extract::Request| async move {
            let answer = routes::not_matched_with::<G>(builtin, &req);
            // security/http, modifier/lua-endpoint (service level) and the bot detector run on
            // the router's 404 and 405 too (not on a redirect).
            crate::security::guard_not_matched::<G>(req, answer).await
        })
        .with_state(state);
    let outer = Router::new()
        .fallback_service(inner)
        .layer(middleware::CanonicalizeLayer::<G>::new());
    let outer = match G::SERVICE.access_log {
        Some(_) => outer.layer(axum::middleware::from_fn(middleware::access_log::<G>)),
        None => outer,
    };
    match G::cors() {
        // Outermost: preflights on any path are answered before the router sees them.
        Some(_) => outer.layer(axum::middleware::from_fn(crate::security::cors_layer::<G>)),
        None => outer,
    }
}
