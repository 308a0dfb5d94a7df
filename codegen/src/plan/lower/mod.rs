//! Lowering: the checked model → the plan. Each default and inheritance rule lives here, once.

mod auth_signer;
mod auth_validator;
mod backend;
mod backend_graphql;
mod canonical_json;
mod examples;
mod modifier_lua;
mod modifier_martian;
mod qos_circuit_breaker;
mod qos_http_cache;
mod qos_ratelimit;
mod security;
mod sequential_params;
mod service;
pub mod shaping;
mod static_data;
mod telemetry;
mod telemetry_otel;
mod telemetry_stats;
mod transport;
pub(super) mod validation;

use service::lower_service;

use super::ir::*;
use crate::model::namespaces::proxy::FlatmapEntry;
use crate::model::{self, Service};
use crate::naming;
use crate::path::EndpointPath;
use crate::{duration, host};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Default endpoint timeout when the contract sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// Choices of the build that the contract does not make.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Compile response shaping into the parse where possible; off puts every shaped backend
    /// on the generic path.
    pub compiled_shaping: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            compiled_shaping: true,
        }
    }
}

fn dur(at: &Option<model::At<String>>) -> Option<Duration> {
    at.as_ref()
        .and_then(|a| duration::parse(&a.value).ok())
        .filter(|d| !d.is_zero())
}

fn allow_list(at: &Option<model::At<Vec<String>>>, lower: bool) -> Option<AllowList> {
    let list = &at.as_ref()?.value;
    if list.is_empty() {
        return None;
    }
    let mut names: Vec<String> = Vec::new();
    let mut all = false;
    for n in list {
        if n == "*" {
            all = true;
            continue;
        }
        let n = if lower {
            n.to_ascii_lowercase()
        } else {
            n.clone()
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    Some(AllowList { all, names })
}

/// Builds the plan of a checked contract.
pub fn lower(
    s: &Service,
    sha256: &str,
    version: &str,
    release: &str,
    options: PlanOptions,
) -> Plan {
    let root_timeout = dur(&s.timeout).unwrap_or(DEFAULT_TIMEOUT);
    let root_cache = dur(&s.cache_ttl);
    let root_output = s.output_encoding.as_ref().map(|o| o.value.clone());
    let root_hosts: Vec<String> = s
        .host
        .as_ref()
        .map(|h| {
            h.value
                .iter()
                .filter_map(|x| host::sanitize(x).ok())
                .collect()
        })
        .unwrap_or_default();
    let service = lower_service(s, super::KRAKEND_VERSION);

    let mut endpoints = Vec::new();
    let mut used_idents: HashSet<String> = HashSet::new();
    for (index, e) in s.endpoints.iter().enumerate() {
        let Some(raw_path) = &e.endpoint else {
            continue;
        };
        let Ok(ep) = EndpointPath::parse(&raw_path.value) else {
            continue;
        };
        let method = e
            .method
            .as_ref()
            .map(|m| m.value.to_ascii_uppercase())
            .unwrap_or_else(|| "GET".to_owned());
        let ident = unique_ident(&mut used_idents, &naming::endpoint_ident(&method, &ep.raw));
        let timeout = dur(&e.timeout).unwrap_or(root_timeout);
        let output = match e
            .output_encoding
            .as_ref()
            .map(|o| o.value.as_str())
            .or(root_output.as_deref())
            .unwrap_or("json")
        {
            "json-collection" => Output::JsonCollection,
            "string" => Output::String,
            "xml" => Output::Xml,
            "yaml" => Output::Yaml,
            "negotiate" => Output::Negotiate,
            "no-op" => Output::NoOp,
            _ => Output::Json,
        };
        let n_backends = e.backend.len();
        let proxy = e.ns.proxy.as_ref();
        let sequential = n_backends > 1 && proxy.is_some_and(|p| p.sequential);
        let concurrent_calls = e
            .concurrent_calls
            .as_ref()
            .and_then(|c| usize::try_from(c.value).ok())
            .filter(|c| *c > 0)
            .unwrap_or(1);
        let backend_timeout = if concurrent_calls > 1 {
            timeout.mul_f64(0.75)
        } else if n_backends > 1 {
            timeout.mul_f64(0.85)
        } else {
            timeout
        };
        let backend_path = auth_validator::backend_path(&ep, e);
        let ctx = backend::EndpointFacts {
            ident: &ident,
            path: &backend_path,
            method: &method,
            output,
            root_hosts: &root_hosts,
            sequential,
            options,
        };
        let mut backends: Vec<Backend> = e
            .backend
            .iter()
            .enumerate()
            .map(|(bi, b)| backend::lower_backend(b, bi, &ctx))
            .collect();
        if sequential {
            let propagated = proxy.and_then(|p| p.propagated_params.as_ref());
            let list: Vec<String> = propagated
                .map(|l| l.value.iter().filter_map(|i| i.value.clone()).collect())
                .unwrap_or_default();
            sequential_params::assign(&mut backends, &list);
        }
        let flatmap = proxy
            .and_then(|p| p.flatmap_filter.as_ref())
            .and_then(|f| flat_ops(&f.value))
            .filter(|_| n_backends > 1);
        let static_data = proxy
            .and_then(|p| p.static_data.as_ref())
            .and_then(static_data::lower_static);
        let rate_limit = e.ns.rate_limit.as_ref().and_then(|r| {
            qos_ratelimit::lower_rate_limit(r, e.ns.redis_rate_limit.as_ref(), &ep, &method)
        });
        let ex = examples::lower_examples(&e.examples, &method, e.backend.len(), &e.pointer);
        endpoints.push(Endpoint {
            index,
            pointer: e.pointer.clone(),
            method,
            path: ep.raw.clone(),
            ident,
            metrics: telemetry::measures_backends(s),
            pipe_metrics: telemetry_stats::measures_pipes(s),
            tracing: telemetry_otel::endpoint_tracing(s),
            params: ep.params.clone(),
            param_segments: ep.param_segments(),
            timeout,
            backend_timeout,
            cache_max_age: dur(&e.cache_ttl).or(root_cache).map(|d| d.as_secs()),
            input_headers: allow_list(&e.input_headers, true),
            input_query: allow_list(&e.input_query_strings, false),
            output,
            backends,
            sequential,
            concurrent_calls,
            flatmap,
            static_data,
            auth_validator: e
                .ns
                .auth_validator
                .as_ref()
                .map(|v| auth_validator::lower_validator(e, v, s.ns.auth_validator.as_ref())),
            examples: ex,
            bot_detector: e.ns.bot_detector.as_ref().map(security::lower_bot_detector),
            rate_limit,
            auth_signer: e.ns.auth_signer.as_ref().map(auth_signer::lower_signer),
            service_rate_limit: service.rate_limit.clone(),
            json_schema: e.ns.json_schema.as_ref().map(validation::lower_json_schema),
            cel: e
                .ns
                .cel
                .as_ref()
                .and_then(|c| validation::lower_cel(c, &ep.params)),
            lua_endpoint: e
                .ns
                .lua_endpoint
                .as_ref()
                .and_then(|o| modifier_lua::lower_lua(o, &ep.params, timeout)),
            lua_proxy: e
                .ns
                .lua_proxy
                .as_ref()
                .and_then(|o| modifier_lua::lower_lua(o, &ep.params, timeout)),
            canonical_json: CanonicalJson::No,
        });
    }

    qos_http_cache::share_bounds(&mut endpoints);
    for e in &mut endpoints {
        e.canonical_json = canonical_json::decide(e);
    }
    let (routes, method_order) = routes(service.health_path.as_deref(), &endpoints);
    Plan {
        service,
        identity: Identity {
            name: s.name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
            contract_sha256: sha256.to_owned(),
            version: version.to_owned(),
            release: release.to_owned(),
        },
        endpoints,
        routes,
        method_order,
        telemetry: telemetry::lower_telemetry(s),
        transport: transport::lower_transport(s),
        legacy_telemetry: telemetry_stats::lower_legacy_telemetry(s),
    }
}

/// Every registered path with its methods, in first-registration order (the health path
/// first), and the methods in the order they were first registered.
fn routes(health_path: Option<&str>, endpoints: &[Endpoint]) -> (Vec<Route>, Vec<String>) {
    let mut routes: Vec<Route> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    let mut method_order: Vec<String> = Vec::new();
    let registrations = health_path.map(|h| (h, "GET")).into_iter().chain(
        endpoints
            .iter()
            .map(|e| (e.path.as_str(), e.method.as_str())),
    );
    for (pattern, method) in registrations {
        if !method_order.iter().any(|m| m == method) {
            method_order.push(method.to_owned());
        }
        match at.get(pattern) {
            Some(&i) => routes[i].methods.push(method.to_owned()),
            None => {
                at.insert(pattern.to_owned(), routes.len());
                routes.push(Route {
                    pattern: pattern.to_owned(),
                    methods: vec![method.to_owned()],
                });
            }
        }
    }
    (routes, method_order)
}

/// `base`, or `base_2`, `base_3`… when it is taken.
fn unique_ident(used: &mut HashSet<String>, base: &str) -> String {
    let mut candidate = base.to_owned();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    used.insert(candidate.clone());
    candidate
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

/// The operations of a `flatmap_filter` list; `None` when there are none (KrakenD then leaves
/// the feature off). `check` rejects malformed entries.
fn flat_ops(entries: &[FlatmapEntry]) -> Option<Vec<FlatOp>> {
    let ops: Vec<FlatOp> = entries
        .iter()
        .filter_map(|entry| {
            let mut args: Vec<Vec<String>> =
                entry.args.as_ref()?.iter().map(|a| split_path(a)).collect();
            match entry.kind.as_deref()? {
                kind @ ("move" | "append") if args.len() >= 2 => {
                    args.truncate(2);
                    let to = args.pop()?;
                    let from = args.pop()?;
                    Some(if kind == "move" {
                        FlatOp::Move { from, to }
                    } else {
                        FlatOp::Append { from, to }
                    })
                }
                "del" if !args.is_empty() => Some(FlatOp::Del(args)),
                _ => None,
            }
        })
        .collect();
    (!ops.is_empty()).then_some(ops)
}
