//! Every rule that makes a contract invalid, one function per rule (serde_derive's `check.rs`),
//! grouped by what they look at: one file for the service, endpoints, backends, encodings and
//! the route set, and one file per namespace. Rules read the model and report into
//! `Diagnostics`; checking goes on past the first problem. Type errors are the model's job.

mod auth_client_credentials;
mod auth_signer;
mod auth_validator;
mod backend;
mod backend_graphql;
mod backend_http;
mod backend_http_client;
mod encoding;
mod endpoint;
mod jwk_client;
mod modifier_lua;
mod modifier_martian;
mod namespaces;
mod proxy;
mod qos_circuit_breaker;
mod qos_http_cache;
mod qos_ratelimit;
mod qos_ratelimit_service;
mod router;
mod routes;
mod security;
mod service;
mod telemetry_logging;
mod telemetry_opentelemetry;
mod telemetry_otel;
mod telemetry_stats;
mod transport;
mod validation;

pub use encoding::{BACKEND_ENCODINGS, OUTPUT_ENCODINGS};
pub use endpoint::METHODS;
pub use proxy::STATIC_STRATEGIES;
pub use security::{anchored_host, regex_error};

use crate::diag::Diagnostics;
use crate::model::{BackendNamespaces, EndpointNamespaces, Service, ServiceNamespaces};

/// Runs every rule, in contract order.
pub fn run(d: &mut Diagnostics, s: &Service) {
    service::check_version(d, s);
    service::check_listen_ip(d, s);
    service::check_port(d, s);
    service::check_unsupported_root_keys(d, s);
    service::check_durations(d, s);
    service::check_hosts(d, s);
    encoding::check_output_encodings(d, s);
    namespaces::check_namespaces(
        d,
        &s.extra_config,
        ServiceNamespaces::IMPLEMENTED,
        "service",
    );
    if let Some(r) = &s.ns.router {
        router::check_router(d, r);
    }
    if let Some(o) = &s.ns.lua_endpoint {
        modifier_lua::check_lua(d, o);
    }
    if let Some(l) = &s.ns.logging {
        telemetry_logging::check_logging(d, l);
    }
    if let Some(c) = &s.ns.cors {
        security::check_cors(d, c);
    }
    if let Some(h) = &s.ns.http_secure {
        security::check_http_secure(d, h);
    }
    if let Some(b) = &s.ns.bot_detector {
        security::check_bot_detector(d, b);
    }
    if let Some(a) = &s.ns.auth_validator {
        auth_validator::check_shared_cache(d, a);
    }
    if let Some(o) = &s.ns.opentelemetry {
        telemetry_opentelemetry::check_opentelemetry(d, o);
    }
    if let Some(t) = &s.transport.tls {
        transport::check_tls(d, t);
    }
    if let Some(t) = &s.transport.client_tls {
        transport::check_client_tls(d, t);
    }
    if let Some(c) = &s.ns.compression {
        transport::check_compression(d, c);
    }
    if let Some(o) = &s.ns.opencensus {
        telemetry_otel::check_opencensus(d, o, s.ns.opentelemetry.is_some());
    }
    if let Some(r) = &s.ns.rate_limit {
        qos_ratelimit_service::check_service_rate_limit(d, r);
    }
    telemetry_stats::check_stats(d, s);
    for e in &s.endpoints {
        endpoint::check_endpoint_path(d, e);
        endpoint::check_method(d, e);
        endpoint::check_backends_present(d, e);
        endpoint::check_concurrent_calls(d, e);
        namespaces::check_namespaces(
            d,
            &e.extra_config,
            EndpointNamespaces::IMPLEMENTED,
            "endpoint",
        );
        if let Some(p) = &e.ns.proxy {
            proxy::check_endpoint_proxy(d, e, p);
        }
        if let Some(b) = &e.ns.bot_detector {
            security::check_bot_detector(d, b);
        }
        if let Some(a) = &e.ns.auth_validator {
            auth_validator::check_validator(d, a);
        }
        if let Some(o) = &e.ns.auth_signer {
            auth_signer::check_signer(d, e, endpoint::is_no_op(s, e), o);
        }
        if let Some(r) = &e.ns.rate_limit {
            qos_ratelimit::check_router_rate_limit(d, e, r);
        }
        if let Some(r) = &e.ns.redis_rate_limit {
            qos_ratelimit::check_redis_rate_limit(d, e, r);
        }
        endpoint::check_no_op(d, s, e);
        if let Some(o) = &e.ns.json_schema {
            validation::check_json_schema(d, o);
        }
        if let Some(o) = &e.ns.cel {
            let level = validation::Level::Endpoint {
                has_validator: e.ns.auth_validator.is_some(),
            };
            validation::check_cel(d, o, level);
            validation::check_cel_no_op(d, s, e, o, false);
        }
        for o in [&e.ns.lua_endpoint, &e.ns.lua_proxy].into_iter().flatten() {
            modifier_lua::check_lua(d, o);
        }
        for (i, b) in e.backend.iter().enumerate() {
            backend::check_url_pattern(d, e, i, b);
            backend::check_backend_method(d, b);
            encoding::check_encoding(d, b);
            backend::check_sd(d, b);
            backend::check_manipulation(d, b);
            namespaces::check_namespaces(
                d,
                &b.extra_config,
                BackendNamespaces::IMPLEMENTED,
                "backend",
            );
            if let Some(p) = &b.ns.proxy {
                proxy::check_backend_proxy(d, b, p);
            }
            if let Some(r) = &b.ns.rate_limit {
                qos_ratelimit::check_proxy_rate_limit(d, endpoint::is_no_op(s, e), b, r);
            }
            if let Some(h) = &b.ns.http {
                backend_http::check_backend_http(d, h);
            }
            if let Some(c) = &b.ns.http_client {
                backend_http_client::check_backend_http_client(d, c);
            }
            if let Some(cb) = &b.ns.circuit_breaker {
                qos_circuit_breaker::check_circuit_breaker(d, cb);
            }
            if let Some(c) = &b.ns.http_cache {
                qos_http_cache::check_http_cache(d, s, e, b, c);
            }
            if let Some(o) = &b.ns.cel {
                validation::check_cel(d, o, validation::Level::Backend);
                validation::check_cel_no_op(d, s, e, o, true);
            }
            if let Some(c) = &b.ns.client_credentials {
                auth_client_credentials::check_client_credentials(d, c);
            }
            if let Some(g) = &b.ns.graphql {
                backend_graphql::check_backend_graphql(d, g);
            }
            if let Some(m) = &b.ns.martian {
                modifier_martian::check_martian(d, m);
            }
            if let Some(o) = &b.ns.lua {
                modifier_lua::check_lua(d, o);
                modifier_lua::check_lua_http_cache(d, b, o);
            }
        }
    }
    routes::check_duplicate_routes(d, s);
    let reported = routes::check_route_conflicts(d, s);
    routes::check_router_accepts(d, s, &reported);
}

/// The diagnostics of a contract as `message @pointer` lines (rule unit tests).
#[cfg(test)]
pub(crate) fn diagnostics_of(contract: &str) -> Vec<String> {
    let source = std::sync::Arc::new(crate::diag::Source {
        name: "krakend.json".to_owned(),
        text: contract.to_owned(),
    });
    let mut d = Diagnostics::new(source);
    let root: serde_json::Value = serde_json::from_str(contract).unwrap_or_default();
    if let Some(s) = crate::model::read(&mut d, &root) {
        run(&mut d, &s);
    }
    let report = match d.finish() {
        Ok(r) | Err(r) => r,
    };
    report
        .items
        .iter()
        .map(|i| format!("{} @{}", i.message, i.pointer))
        .collect()
}

/// A contract with `root` members (JSON text, may be empty) and one endpoint `/a` written as
/// `endpoint` members plus `backend` (the backend's members), for rule unit tests. The given
/// members come last, so they win over the defaults (the last of duplicate keys counts).
#[cfg(test)]
pub(crate) fn one_endpoint(root: &str, endpoint: &str, backend: &str) -> String {
    let sep = |s: &str| {
        if s.is_empty() {
            String::new()
        } else {
            format!(", {s}")
        }
    };
    format!(
        r#"{{"version": 3, "host": ["http://b:8080"], "endpoints": [{{"endpoint": "/a", "backend": [{{"url_pattern": "/a"{}}}]{}}}]{}}}"#,
        sep(backend),
        sep(endpoint),
        sep(root)
    )
}
