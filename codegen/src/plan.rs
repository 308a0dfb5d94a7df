//! The lowered contract: every default and inheritance rule applied, paths split, names chosen.
//! Emitters read only this (never the model), so each rule is applied once, here.

use crate::check::health_path;
use crate::model::{self, Service};
use crate::path::{self, EndpointPath, UrlPiece};
use crate::{duration, host};
use serde_json::Value;
use std::time::Duration;

/// The whole gateway.
#[derive(Debug, Clone)]
pub struct Plan {
    pub service: ServicePlan,
    pub identity: Identity,
    pub endpoints: Vec<Endpoint>,
    /// Every registered path with its methods, in first-registration order.
    pub routes: Vec<Route>,
    /// Methods in the order they were first registered.
    pub method_order: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub name: String,
    pub contract_sha256: String,
    pub version: String,
    pub release: String,
}

#[derive(Debug, Clone)]
pub struct ServicePlan {
    pub port: u16,
    pub listen_ip: String,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub read_header_timeout: Option<Duration>,
    pub max_header_bytes: usize,
    pub max_shutdown_wait: Option<Duration>,
    pub debug_endpoint: bool,
    pub echo_endpoint: bool,
    pub health_path: Option<String>,
    pub return_error_msg: bool,
    pub version_header: String,
    pub log_level: Option<String>,
    pub error_body_404: Option<String>,
    pub error_body_405: Option<String>,
    pub disable_redirect_trailing_slash: bool,
    pub disable_redirect_fixed_path: bool,
    pub disable_handle_method_not_allowed: bool,
}

#[derive(Debug, Clone)]
pub struct Route {
    pub pattern: String,
    pub methods: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    JsonCollection,
    String,
    NoOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    JsonObject,
    JsonCollection,
    SafeJson,
    String,
    Discard,
    /// `no-op` endpoint: the answer is streamed, never decoded.
    Stream,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorHandling {
    Plain,
    ReturnCode,
    Details(String),
}

/// One zero-trust allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    pub all: bool,
    pub names: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Position in the contract's `endpoints`.
    pub index: usize,
    pub pointer: String,
    pub method: String,
    pub path: String,
    /// Function name (`get_users_id`), unique in the gateway.
    pub ident: String,
    pub params: Vec<String>,
    pub param_segments: Vec<usize>,
    pub timeout: Duration,
    pub backend_timeout: Duration,
    pub cache_max_age: Option<u64>,
    /// Lower-case names; `None` when absent or empty.
    pub input_headers: Option<AllowList>,
    pub input_query: Option<AllowList>,
    pub output: Output,
    pub backends: Vec<Backend>,
}

/// One manipulation step, in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeStep {
    Target(Vec<String>),
    Allow(Vec<Vec<String>>),
    Deny(Vec<Vec<String>>),
    Mapping(Vec<(String, String)>),
    Group(String),
}

#[derive(Debug, Clone)]
pub struct Backend {
    pub index: usize,
    pub pointer: String,
    /// Function name (`get_users_id_b0`).
    pub ident: String,
    pub url_pattern: String,
    pub url_display: String,
    pub path: Vec<UrlPiece>,
    pub query: Option<Vec<UrlPiece>>,
    pub hosts: Vec<String>,
    pub method: String,
    pub decode: Decode,
    pub input_headers: Option<AllowList>,
    pub input_query: Option<AllowList>,
    pub errors: ErrorHandling,
    pub steps: Vec<ShapeStep>,
}

/// Default endpoint timeout when the contract sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

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
pub fn lower(s: &Service, sha256: &str, version: &str, release: &str) -> Plan {
    let router = s
        .extra_config
        .get("router")
        .map(|n| n.value.clone())
        .unwrap_or(Value::Null);
    let rb = |k: &str| router.get(k).and_then(Value::as_bool).unwrap_or(false);
    let error_body = |code: &str| {
        router
            .get("error_body")
            .and_then(|b| b.get(code))
            .map(|v| v.to_string())
    };
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
    let read_timeout = dur(&s.read_timeout);
    let version_header = if rb("hide_version_header") {
        "Version undefined".to_owned()
    } else {
        format!("Version {version}")
    };
    let service = ServicePlan {
        port: s
            .port
            .as_ref()
            .and_then(|p| u16::try_from(p.value).ok())
            .filter(|p| *p != 0)
            .unwrap_or(8080),
        listen_ip: s
            .listen_ip
            .as_ref()
            .map(|i| i.value.clone())
            .unwrap_or_default(),
        read_timeout,
        write_timeout: dur(&s.write_timeout),
        idle_timeout: dur(&s.idle_timeout).or(read_timeout),
        read_header_timeout: dur(&s.read_header_timeout),
        max_header_bytes: s
            .max_header_bytes
            .as_ref()
            .and_then(|m| usize::try_from(m.value).ok())
            .filter(|m| *m > 0)
            .unwrap_or(1 << 20),
        max_shutdown_wait: dur(&s.max_shutdown_wait_time),
        debug_endpoint: s.debug_endpoint,
        echo_endpoint: s.echo_endpoint,
        health_path: health_path(s),
        return_error_msg: rb("return_error_msg"),
        version_header,
        log_level: s
            .extra_config
            .get("telemetry/logging")
            .and_then(|n| n.value.get("level"))
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase),
        error_body_404: error_body("404"),
        error_body_405: error_body("405"),
        disable_redirect_trailing_slash: rb("disable_redirect_trailing_slash"),
        disable_redirect_fixed_path: rb("disable_redirect_fixed_path"),
        disable_handle_method_not_allowed: rb("disable_handle_method_not_allowed"),
    };

    let mut endpoints = Vec::new();
    let mut used_idents: Vec<String> = Vec::new();
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
        let ident = unique_ident(
            &mut used_idents,
            &crate::emit::ident::endpoint_ident(&method, &ep.raw),
        );
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
            "no-op" => Output::NoOp,
            _ => Output::Json,
        };
        let n_backends = e.backend.len();
        let backend_timeout = if n_backends > 1 {
            timeout.mul_f64(0.85)
        } else {
            timeout
        };
        let backends = e
            .backend
            .iter()
            .enumerate()
            .map(|(bi, b)| lower_backend(b, bi, &ident, &ep, &method, output, &root_hosts))
            .collect();
        endpoints.push(Endpoint {
            index,
            pointer: e.pointer.clone(),
            method,
            path: ep.raw.clone(),
            ident,
            params: ep.params.clone(),
            param_segments: ep.param_segments(),
            timeout,
            backend_timeout,
            cache_max_age: dur(&e.cache_ttl).or(root_cache).map(|d| d.as_secs()),
            input_headers: allow_list(&e.input_headers, true),
            input_query: allow_list(&e.input_query_strings, false),
            output,
            backends,
        });
    }

    let mut routes: Vec<Route> = Vec::new();
    let mut method_order: Vec<String> = Vec::new();
    let mut add_route = |pattern: &str, method: &str, routes: &mut Vec<Route>| {
        if !method_order.iter().any(|m| m == method) {
            method_order.push(method.to_owned());
        }
        match routes.iter_mut().find(|r| r.pattern == pattern) {
            Some(r) => r.methods.push(method.to_owned()),
            None => routes.push(Route {
                pattern: pattern.to_owned(),
                methods: vec![method.to_owned()],
            }),
        }
    };
    if let Some(h) = &service.health_path {
        add_route(h, "GET", &mut routes);
    }
    for e in &endpoints {
        add_route(&e.path, &e.method, &mut routes);
    }
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
    }
}

fn unique_ident(used: &mut Vec<String>, base: &str) -> String {
    let mut candidate = base.to_owned();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{base}_{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

fn lower_backend(
    b: &model::Backend,
    index: usize,
    endpoint_ident: &str,
    ep: &EndpointPath,
    endpoint_method: &str,
    output: Output,
    root_hosts: &[String],
) -> Backend {
    let url_pattern = b
        .url_pattern
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_else(|| "/".to_owned());
    let (path, query) = path::split_url_pattern(&url_pattern, &ep.params);
    let raw_hosts = b.disable_host_sanitize.as_ref().is_some_and(|x| x.value);
    let hosts = match &b.host {
        Some(h) if !h.value.is_empty() => h
            .value
            .iter()
            .filter_map(|x| {
                if raw_hosts {
                    Some(x.trim_end_matches('/').to_owned())
                } else {
                    host::sanitize(x).ok()
                }
            })
            .collect(),
        _ => root_hosts.to_vec(),
    };
    let encoding = b
        .encoding
        .as_ref()
        .map(|x| x.value.to_ascii_lowercase())
        .unwrap_or_else(|| "json".to_owned());
    let is_collection = b.is_collection.as_ref().is_some_and(|x| x.value);
    let decode = if output == Output::NoOp {
        Decode::Stream
    } else {
        match encoding.as_str() {
            "safejson" => Decode::SafeJson,
            "string" => Decode::String,
            "no-op" => Decode::Discard,
            _ if is_collection => Decode::JsonCollection,
            _ => Decode::JsonObject,
        }
    };
    let http = b.extra_config.get("backend/http").map(|n| &n.value);
    let errors = match (
        http.and_then(|h| h.get("return_error_details"))
            .and_then(Value::as_str),
        http.and_then(|h| h.get("return_error_code"))
            .and_then(Value::as_bool),
    ) {
        (Some(alias), _) if !alias.is_empty() => ErrorHandling::Details(alias.to_owned()),
        (_, Some(true)) => ErrorHandling::ReturnCode,
        _ => ErrorHandling::Plain,
    };
    let mut steps = Vec::new();
    if !matches!(decode, Decode::Discard | Decode::Stream) {
        if let Some(t) = b.target.as_ref().filter(|t| !t.value.is_empty()) {
            steps.push(ShapeStep::Target(split_path(&t.value)));
        }
        let allow = b.allow.as_ref().filter(|a| !a.value.is_empty());
        let deny = b.deny.as_ref().filter(|a| !a.value.is_empty());
        if let Some(a) = allow {
            steps.push(ShapeStep::Allow(
                a.value.iter().map(|p| split_path(p)).collect(),
            ));
        } else if let Some(dn) = deny {
            steps.push(ShapeStep::Deny(
                dn.value.iter().map(|p| split_path(p)).collect(),
            ));
        }
        if let Some(m) = b.mapping.as_ref().filter(|m| !m.value.is_empty()) {
            let pairs = m
                .value
                .iter()
                .map(|(old, new)| {
                    let new = new.split('.').next().unwrap_or_default().to_owned();
                    (old.clone(), new)
                })
                .collect();
            steps.push(ShapeStep::Mapping(pairs));
        }
        if let Some(g) = b.group.as_ref().filter(|g| !g.value.is_empty()) {
            steps.push(ShapeStep::Group(g.value.clone()));
        }
    }
    Backend {
        index,
        pointer: b.pointer.clone(),
        ident: format!("{endpoint_ident}_b{index}"),
        url_display: path::display_pattern(&url_pattern),
        url_pattern,
        path,
        query,
        hosts,
        method: b
            .method
            .as_ref()
            .map(|m| m.value.to_ascii_uppercase())
            .unwrap_or_else(|| endpoint_method.to_owned()),
        decode,
        input_headers: allow_list(&b.input_headers, true),
        input_query: allow_list(&b.input_query_strings, false),
        errors,
        steps,
    }
}
