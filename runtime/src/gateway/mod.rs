//! A generated gateway as an axum `Router`: what codegen emits ([`Gateway`]), the run-time
//! [`Options`], and the parts: [`assembly`] (routes and layers), [`middleware`] (path
//! canonicalisation, access log) and [`routes`] (handlers of the router's own answers).

mod assembly;
mod middleware;
mod routes;

pub use assembly::{router, router_with, service_with};
pub use routes::{auto_options, not_matched};

use crate::ctx::{BuildIdentity, SharedState};
use crate::router::RouteTable;
use crate::spec::ServiceSpec;
use axum::Router;

/// What a generated endpoint handler returns: its whole request, boxed once.
///
/// A handler's future holds its backend calls (several KiB for a fan-out), and axum moves the
/// future a handler returns several times before it boxes it itself. Boxing it in the handler,
/// where it is made, leaves axum a pointer to move (issue 9, BENCHMARKS.md).
pub type Handled =
    std::pin::Pin<Box<dyn std::future::Future<Output = axum::response::Response> + Send>>;

/// An endpoint handler called without the router ([`Gateway::direct`]).
pub type Direct = fn(SharedState, axum::extract::Request) -> Handled;

/// What codegen emits for a contract: its static facts and its routes.
pub trait Gateway: 'static {
    const SERVICE: &'static ServiceSpec;
    const IDENTITY: &'static BuildIdentity;
    const ROUTES: &'static RouteTable;
    /// `security/cors`, when the contract has it (the layer wraps the whole server).
    fn cors() -> Option<&'static crate::security::cors::CorsSpec> {
        None
    }
    /// `security/http` and the service-level bot detector, when the contract has one of them.
    fn guard() -> Option<&'static crate::security::ServiceGuard> {
        None
    }
    /// A service-level `modifier/lua-endpoint`, when the contract has one.
    fn service_lua() -> Option<&'static crate::lua::LuaSpec> {
        None
    }
    /// The pool of that service-level Lua when it may call `http_response` (its calls are
    /// offloaded).
    fn service_lua_pool() -> Option<&'static crate::lua::offload::Pool> {
        None
    }
    /// The `telemetry/*` namespaces (emitted only when the contract has one).
    const TELEMETRY: &'static crate::telemetry::TelemetrySpec =
        &crate::telemetry::TelemetrySpec::NONE;
    /// The transport (`tls`, `use_h2c`, `client_tls`, `krustd/compression`), when the
    /// contract has one of them.
    const TRANSPORT: &'static crate::transport::TransportSpec =
        &crate::transport::TransportSpec::NONE;
    /// `telemetry/metrics`, `telemetry/influx`, `telemetry/gelf` (emitted only when present).
    const LEGACY_TELEMETRY: &'static crate::telemetry::LegacyTelemetrySpec =
        &crate::telemetry::LegacyTelemetrySpec::NONE;
    /// Adds the contract's endpoints to `router`.
    fn endpoints(router: Router<SharedState>) -> Router<SharedState>;
    /// The handler of the endpoint with this method and (canonical) path, for endpoints whose
    /// path has no parameter: a `match` on the two, which the path canonicalisation calls
    /// instead of the router when no layer wraps the routes. `None`: the router decides.
    fn direct(_method: &http::Method, _path: &str) -> Option<Direct> {
        None
    }
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
    /// The Redis of `krustd/ratelimit/redis` (`redis://host:port`; env `KRUSTD_REDIS_URL`).
    pub redis_url: Option<String>,
}
