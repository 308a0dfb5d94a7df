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
    pub remove_extra_slash: bool,
    pub auto_options: bool,
    pub disable_path_decoding: bool,
    pub forwarded_by_client_ip: bool,
    /// Lower-case header names.
    pub remote_ip_headers: Vec<String>,
    /// `None` trusts every address.
    pub trusted_proxies: Option<Vec<(std::net::IpAddr, u8)>>,
    pub app_engine: bool,
    /// `None` when `disable_access_log`, else `logger_skip_paths`.
    pub access_log: Option<Vec<String>>,
}

/// `trusted_proxies`: IPs and CIDRs; like gin, entries after the first invalid one are dropped.
pub fn trusted_proxies(list: &[Value]) -> Vec<(std::net::IpAddr, u8)> {
    let mut out = Vec::new();
    for item in list {
        let Some(text) = item.as_str() else { break };
        let (ip, bits) = match text.split_once('/') {
            Some((ip, bits)) => (ip, bits.parse::<u8>().ok()),
            None => (text, None),
        };
        let Ok(ip) = ip.parse::<std::net::IpAddr>() else {
            break;
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match bits {
            Some(b) if b <= max => out.push((ip, b)),
            None if !text.contains('/') => out.push((ip, max)),
            _ => break,
        }
    }
    out
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
    Xml,
    Yaml,
    Negotiate,
    NoOp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    JsonObject,
    JsonCollection,
    SafeJson,
    String,
    Xml {
        collection: bool,
    },
    Rss,
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
    /// `proxy.sequential` with at least two backends.
    pub sequential: bool,
    /// `concurrent_calls` (1 = a single call per backend).
    pub concurrent_calls: usize,
    /// Endpoint `proxy.flatmap_filter` (only kept with two or more backends).
    pub flatmap: Option<Vec<FlatOp>>,
    /// `proxy.static`: strategy and the data as normalised JSON text.
    pub static_data: Option<(StaticStrategy, String)>,
}

/// `proxy.static.strategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticStrategy {
    Always,
    Success,
    Complete,
    Errored,
    Incomplete,
}

/// One `flatmap_filter` operation, paths split on `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlatOp {
    Move { from: Vec<String>, to: Vec<String> },
    Del(Vec<Vec<String>>),
    Append { from: Vec<String>, to: Vec<String> },
}

/// One manipulation step, in execution order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeStep {
    Target(Vec<String>),
    Allow(Vec<Vec<String>>),
    Deny(Vec<Vec<String>>),
    Mapping(Vec<(String, String)>),
    /// Backend `proxy.flatmap_filter` (replaces allow, deny and mapping).
    Flatmap(Vec<FlatOp>),
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
    /// Whether the steps are compiled into the parse (`projection`) or run on the generic path.
    pub shaping: crate::projection::Shaping,
    /// Sequential references this step's url_pattern resolves: (step, dot path), in the
    /// order of `UrlPiece::Seq` indexes.
    pub seq_refs: Vec<(usize, Vec<String>)>,
    /// `backend/http/client.send_body_on_redirect`.
    pub send_body_on_redirect: bool,
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
        remove_extra_slash: rb("remove_extra_slash"),
        auto_options: rb("auto_options"),
        disable_path_decoding: rb("disable_path_decoding"),
        forwarded_by_client_ip: router
            .get("forwarded_by_client_ip")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        remote_ip_headers: router
            .get("remote_ip_headers")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect()
            })
            .unwrap_or_else(|| vec!["x-forwarded-for".to_owned(), "x-real-ip".to_owned()]),
        trusted_proxies: router
            .get("trusted_proxies")
            .and_then(Value::as_array)
            .map(|a| trusted_proxies(a)),
        app_engine: rb("app_engine"),
        access_log: (!rb("disable_access_log")).then(|| {
            router
                .get("logger_skip_paths")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        }),
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
            "xml" => Output::Xml,
            "yaml" => Output::Yaml,
            "negotiate" => Output::Negotiate,
            "no-op" => Output::NoOp,
            _ => Output::Json,
        };
        let n_backends = e.backend.len();
        let proxy = e.extra_config.get("proxy").map(|n| &n.value);
        let sequential = n_backends > 1
            && proxy
                .and_then(|p| p.get("sequential"))
                .and_then(Value::as_bool)
                == Some(true);
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
        let backends = e
            .backend
            .iter()
            .enumerate()
            .map(|(bi, b)| {
                lower_backend(b, bi, &ident, &ep, &method, output, &root_hosts, sequential)
            })
            .collect();
        let flatmap = proxy
            .and_then(|p| p.get("flatmap_filter"))
            .and_then(flat_ops)
            .filter(|_| n_backends > 1);
        let static_data = proxy.and_then(|p| p.get("static")).and_then(static_data);
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
            sequential,
            concurrent_calls,
            flatmap,
            static_data,
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

/// The valid operations of a `flatmap_filter` list; `None` when there are none (KrakenD then
/// leaves the feature off). `check` rejects malformed entries.
pub fn flat_ops(v: &Value) -> Option<Vec<FlatOp>> {
    let ops: Vec<FlatOp> = v
        .as_array()?
        .iter()
        .filter_map(|entry| {
            let mut args: Vec<Vec<String>> = entry
                .get("args")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .map(split_path)
                .collect();
            match entry.get("type")?.as_str()? {
                "move" | "append" if args.len() >= 2 => {
                    args.truncate(2);
                    let to = args.pop()?;
                    let from = args.pop()?;
                    Some(if entry.get("type")?.as_str()? == "move" {
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

fn static_data(v: &Value) -> Option<(StaticStrategy, String)> {
    let data = v.get("data")?.as_object()?;
    let strategy = match v.get("strategy").and_then(Value::as_str) {
        Some("success") => StaticStrategy::Success,
        Some("complete") => StaticStrategy::Complete,
        Some("errored") => StaticStrategy::Errored,
        Some("incomplete") => StaticStrategy::Incomplete,
        _ => StaticStrategy::Always,
    };
    let mut text = String::new();
    go_json(&Value::Object(data.clone()), &mut text);
    Some((strategy, text))
}

/// JSON text of a contract value with numbers as Go re-serialises a float64 (`1.0` → `1`,
/// `1e3` → `1000`, `1e21` → `1e+21`): KrakenD decodes contract numbers into float64.
pub fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) => out.push_str(&go_float(f)),
            None => out.push_str(&n.to_string()),
        },
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                go_json(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Go's `encoding/json` float64 text: shortest round-trip digits, exponent form below 1e-6
/// and from 1e21 on.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            // Go writes `1e-07` and then trims it to `1e-7`, as Rust prints it.
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

#[allow(clippy::too_many_arguments)]
fn lower_backend(
    b: &model::Backend,
    index: usize,
    endpoint_ident: &str,
    ep: &EndpointPath,
    endpoint_method: &str,
    output: Output,
    root_hosts: &[String],
    sequential: bool,
) -> Backend {
    let url_pattern = b
        .url_pattern
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_else(|| "/".to_owned());
    let mut seq_refs: Vec<(usize, Vec<String>)> = Vec::new();
    let mut resolve = |name: &str| -> Option<usize> {
        if !sequential {
            return None;
        }
        let (step, path) = path::parse_sequential_ref(name)?;
        if step >= index || path.is_empty() {
            return None;
        }
        let key = (step, path);
        Some(match seq_refs.iter().position(|r| *r == key) {
            Some(i) => i,
            None => {
                seq_refs.push(key);
                seq_refs.len() - 1
            }
        })
    };
    let (path, query) = path::split_url_pattern_seq(&url_pattern, &ep.params, &mut resolve);
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
            "xml" => Decode::Xml {
                collection: is_collection,
            },
            "rss" => Decode::Rss,
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
        let flatmap = b
            .extra_config
            .get("proxy")
            .and_then(|p| p.value.get("flatmap_filter"))
            .and_then(flat_ops);
        let has_flatmap = flatmap.is_some();
        if let Some(ops) = flatmap {
            // A valid flatmap_filter replaces allow, deny and mapping.
            steps.push(ShapeStep::Flatmap(ops));
        } else if let Some(a) = allow {
            steps.push(ShapeStep::Allow(
                a.value.iter().map(|p| split_path(p)).collect(),
            ));
        } else if let Some(dn) = deny {
            steps.push(ShapeStep::Deny(
                dn.value.iter().map(|p| split_path(p)).collect(),
            ));
        }
        if let Some(m) = b
            .mapping
            .as_ref()
            .filter(|m| !m.value.is_empty() && !has_flatmap)
        {
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
        shaping: crate::projection::shaping(decode, &steps),
        steps,
        seq_refs,
        send_body_on_redirect: b
            .extra_config
            .get("backend/http/client")
            .and_then(|n| n.value.get("send_body_on_redirect"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
    }
}
