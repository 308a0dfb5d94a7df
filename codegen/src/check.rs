//! Every rule that makes a contract invalid, one function per rule (serde_derive's `check.rs`).
//! Rules read the model and report into `Diagnostics`; checking goes on past the first problem.

use crate::diag::Diagnostics;
use crate::model::{Backend, Endpoint, ExtraConfig, Service};
use crate::{duration, host, path};
use serde_json::Value;

/// Runs every rule, in contract order.
pub fn run(d: &mut Diagnostics, s: &Service) {
    check_version(d, s);
    check_listen_ip(d, s);
    check_port(d, s);
    check_unsupported_root_keys(d, s);
    check_durations(d, s);
    check_hosts(d, s);
    check_output_encodings(d, s);
    check_service_namespaces(d, s);
    for e in &s.endpoints {
        check_endpoint_path(d, s, e);
        check_method(d, e);
        check_backends_present(d, e);
        check_concurrent_calls(d, e);
        check_endpoint_namespaces(d, e);
        check_no_op(d, s, e);
        for (i, b) in e.backend.iter().enumerate() {
            check_url_pattern(d, s, e, i, b);
            check_backend_method(d, b);
            check_encoding(d, b);
            check_sd(d, b);
            check_manipulation(d, b);
            check_backend_namespaces(d, b);
        }
    }
    check_duplicate_routes(d, s);
    check_route_conflicts(d, s);
}

fn check_version(d: &mut Diagnostics, s: &Service) {
    match &s.version {
        None => d.error(
            "",
            "missing `version`",
            Some("add \"version\": 3 at the top of the contract".to_owned()),
        ),
        Some(v) if v.value != 3 => d.error(
            &v.pointer,
            format!("unsupported version: {} (want: 3)", v.value),
            Some("Krustd compiles KrakenD's format version 3; migrate the contract and set \"version\": 3".to_owned()),
        ),
        Some(_) => {}
    }
}

fn check_listen_ip(d: &mut Diagnostics, s: &Service) {
    if let Some(ip) = &s.listen_ip {
        if !ip.value.is_empty() && ip.value.parse::<std::net::IpAddr>().is_err() {
            d.error(
                &ip.pointer,
                format!("invalid ip address {}", ip.value),
                Some("use an IPv4 or IPv6 literal such as \"127.0.0.1\", or remove the key to listen on every interface".to_owned()),
            );
        }
    }
}

fn check_port(d: &mut Diagnostics, s: &Service) {
    if let Some(p) = &s.port {
        if !(0..=65535).contains(&p.value) {
            d.error(
                &p.pointer,
                format!("port {} is out of range", p.value),
                Some("use a port between 1 and 65535 (0 means the default, 8080)".to_owned()),
            );
        }
    }
}

fn check_unsupported_root_keys(d: &mut Diagnostics, s: &Service) {
    for k in &s.unsupported {
        d.error(
            &k.pointer,
            format!("`{}` is not supported by Krustd yet", k.value),
            Some("remove it; Krustd will not silently ignore a setting that changes how the gateway behaves".to_owned()),
        );
    }
}

/// Every duration of the service and its endpoints must parse.
fn check_durations(d: &mut Diagnostics, s: &Service) {
    let root = [
        &s.timeout,
        &s.cache_ttl,
        &s.read_timeout,
        &s.write_timeout,
        &s.idle_timeout,
        &s.read_header_timeout,
        &s.max_shutdown_wait_time,
    ];
    let endpoints = s.endpoints.iter().flat_map(|e| [&e.timeout, &e.cache_ttl]);
    for at in root.into_iter().chain(endpoints).flatten() {
        if let Err(msg) = duration::parse(&at.value) {
            d.error(
                &at.pointer,
                msg,
                Some("write a Go duration such as \"1500ms\", \"2s\" or \"1m30s\"".to_owned()),
            );
        }
    }
}

fn check_hosts(d: &mut Diagnostics, s: &Service) {
    let mut lists = vec![(&s.host, false)];
    for e in &s.endpoints {
        for b in &e.backend {
            let raw = b.disable_host_sanitize.as_ref().is_some_and(|x| x.value);
            lists.push((&b.host, raw));
        }
    }
    for (list, raw) in lists {
        let Some(list) = list else { continue };
        for (i, h) in list.value.iter().enumerate() {
            let pointer = if list.value.len() == 1 {
                list.pointer.clone()
            } else {
                crate::model::child(&list.pointer, &i.to_string())
            };
            if raw {
                if url_scheme_ok(h) {
                    continue;
                }
                d.error(
                    &pointer,
                    format!("host {h} not valid: it needs an http:// or https:// scheme"),
                    None,
                );
            } else if let Err(msg) = host::sanitize(h) {
                d.error(
                    &pointer,
                    msg,
                    Some("write `scheme://name:port` without a path, e.g. \"http://users.internal:8080\"".to_owned()),
                );
            }
        }
    }
}

fn url_scheme_ok(h: &str) -> bool {
    h.starts_with("http://") || h.starts_with("https://")
}

/// `output_encoding` values Krustd implements.
pub const OUTPUT_ENCODINGS: &[&str] = &[
    "json",
    "json-collection",
    "string",
    "no-op",
    "xml",
    "yaml",
    "negotiate",
];
/// KrakenD output encodings not implemented yet.
const OUTPUT_ENCODINGS_LATER: &[&str] = &[];
/// Backend `encoding` values Krustd implements (`fast-json` is KrakenD's alias of `json`).
pub const BACKEND_ENCODINGS: &[&str] = &[
    "json",
    "safejson",
    "string",
    "no-op",
    "fast-json",
    "xml",
    "rss",
];
const BACKEND_ENCODINGS_LATER: &[&str] = &[];

fn check_output_encodings(d: &mut Diagnostics, s: &Service) {
    let all =
        std::iter::once(&s.output_encoding).chain(s.endpoints.iter().map(|e| &e.output_encoding));
    for enc in all.flatten() {
        check_one_encoding(
            d,
            &enc.value,
            &enc.pointer,
            OUTPUT_ENCODINGS,
            OUTPUT_ENCODINGS_LATER,
            "output encoding",
        );
    }
}

fn check_one_encoding(
    d: &mut Diagnostics,
    value: &str,
    pointer: &str,
    known: &[&str],
    later: &[&str],
    what: &str,
) {
    if known.contains(&value) {
        return;
    }
    if later.contains(&value) {
        d.error(
            pointer,
            format!("{what} `{value}` is not supported by Krustd yet"),
            Some(format!("use one of: {}", known.join(", "))),
        );
    } else {
        d.error(
            pointer,
            format!("unknown {what} `{value}`"),
            Some(format!("use one of: {}", known.join(", "))),
        );
    }
}

/// KrakenD namespaces Krustd knows of, and whether they are implemented at each level.
const KNOWN_NAMESPACES: &[&str] = &[
    "router",
    "proxy",
    "backend/http",
    "backend/http/client",
    "auth/validator",
    "auth/signer",
    "auth/revoker",
    "auth/client-credentials",
    "security/cors",
    "security/http",
    "security/bot-detector",
    "validation/cel",
    "validation/json-schema",
    "qos/ratelimit/router",
    "qos/ratelimit/proxy",
    "qos/circuit-breaker",
    "qos/http-cache",
    "modifier/martian",
    "modifier/lua-endpoint",
    "modifier/lua-proxy",
    "modifier/lua-backend",
    "modifier/jmespath",
    "modifier/request-body-generator",
    "modifier/response-body-generator",
    "plugin/http-server",
    "plugin/http-client",
    "plugin/req-resp-modifier",
    "telemetry/logging",
    "telemetry/metrics",
    "telemetry/opentelemetry",
    "telemetry/influx",
    "telemetry/opencensus",
    "telemetry/gelf",
    "telemetry/logstash",
    "telemetry/newrelic",
    "telemetry/moesif",
    "backend/graphql",
    "backend/grpc",
    "backend/lambda",
    "backend/amqp/consumer",
    "backend/amqp/producer",
    "backend/pubsub/publisher",
    "backend/pubsub/subscriber",
    "backend/soap",
    "backend/static-filesystem",
    "async/amqp",
    "server/static-filesystem",
    "documentation/openapi",
    "grpc",
];

/// Router options Krustd implements; the others are rejected until they land.
const ROUTER_KEYS: &[&str] = &[
    "return_error_msg",
    "hide_version_header",
    "error_body",
    "disable_health",
    "health_path",
    "disable_redirect_trailing_slash",
    "disable_redirect_fixed_path",
    "disable_handle_method_not_allowed",
    "disable_access_log",
    "logger_skip_paths",
    "max_multipart_memory",
    "remove_extra_slash",
    "auto_options",
    "disable_path_decoding",
    "forwarded_by_client_ip",
    "remote_ip_headers",
    "trusted_proxies",
    "app_engine",
];
const ROUTER_KEYS_IGNORED: &[&str] = &["max_payload", "decompress_gzip", "disable_gzip"];

/// Reports namespaces that are not implemented at this level (error) or unknown (warning).
fn check_namespaces(d: &mut Diagnostics, ec: &ExtraConfig, implemented: &[&str], level: &str) {
    for ns in &ec.namespaces {
        if implemented.contains(&ns.name.as_str()) {
            continue;
        }
        if KNOWN_NAMESPACES.contains(&ns.name.as_str()) {
            d.error(
                &ns.pointer,
                format!("namespace `{}` is not supported by Krustd yet (at {level} level)", ns.name),
                Some("remove it or wait for Krustd to implement it; an ignored namespace could leave the gateway less protected than the contract says".to_owned()),
            );
        } else {
            d.warning(
                &ns.pointer,
                format!("unknown namespace `{}`; KrakenD ignores it", ns.name),
                Some("check the spelling of the namespace".to_owned()),
            );
        }
    }
}

fn check_object_keys(
    d: &mut Diagnostics,
    value: &Value,
    pointer: &str,
    supported: &[&str],
    ignored: &[&str],
    what: &str,
) {
    let Value::Object(m) = value else {
        d.error(pointer, format!("`{what}` must be an object"), None);
        return;
    };
    for k in m.keys() {
        if crate::model::is_annotation(k) || supported.contains(&k.as_str()) {
            continue;
        }
        let p = crate::model::child(pointer, k);
        if ignored.contains(&k.as_str()) {
            d.warning(
                &p,
                format!("`{what}.{k}` has no effect in KrakenD CE"),
                None,
            );
        } else {
            d.error(
                &p,
                format!("`{what}.{k}` is not supported by Krustd yet"),
                Some(format!("supported keys: {}", supported.join(", "))),
            );
        }
    }
}

fn check_service_namespaces(d: &mut Diagnostics, s: &Service) {
    check_namespaces(
        d,
        &s.extra_config,
        &["router", "telemetry/logging"],
        "service",
    );
    if let Some(ns) = s.extra_config.get("router") {
        check_object_keys(
            d,
            &ns.value,
            &ns.pointer,
            ROUTER_KEYS,
            ROUTER_KEYS_IGNORED,
            "router",
        );
        check_router_types(d, &ns.value, &ns.pointer);
    }
    if let Some(ns) = s.extra_config.get("telemetry/logging") {
        check_object_keys(
            d,
            &ns.value,
            &ns.pointer,
            &[
                "level",
                "stdout",
                "prefix",
                "syslog",
                "syslog_facility",
                "format",
                "custom_format",
            ],
            &[],
            "telemetry/logging",
        );
        // Log formatting does not change what the gateway serves: a warning, not an error.
        for k in [
            "prefix",
            "syslog",
            "syslog_facility",
            "format",
            "custom_format",
        ] {
            if ns.value.get(k).is_some() {
                d.warning(
                    &crate::model::child(&ns.pointer, k),
                    format!("`telemetry/logging.{k}` is not implemented by Krustd yet; logs go to stdout in Krustd's format"),
                    None,
                );
            }
        }
        if let Some(level) = ns.value.get("level") {
            let ok = level.as_str().is_some_and(|l| {
                ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
                    .contains(&l.to_ascii_uppercase().as_str())
            });
            if !ok {
                d.error(
                    &crate::model::child(&ns.pointer, "level"),
                    "invalid log level",
                    Some("use DEBUG, INFO, WARNING, ERROR or CRITICAL".to_owned()),
                );
            }
        }
    }
}

/// One wrongly typed router value makes KrakenD ignore most of the block: reject it instead.
fn check_router_types(d: &mut Diagnostics, value: &Value, pointer: &str) {
    let Value::Object(m) = value else { return };
    for (k, v) in m {
        let p = crate::model::child(pointer, k);
        let ok = match k.as_str() {
            "return_error_msg"
            | "hide_version_header"
            | "disable_health"
            | "disable_redirect_trailing_slash"
            | "disable_redirect_fixed_path"
            | "disable_handle_method_not_allowed"
            | "disable_access_log"
            | "remove_extra_slash"
            | "auto_options"
            | "disable_path_decoding"
            | "forwarded_by_client_ip"
            | "app_engine" => v.is_boolean(),
            "remote_ip_headers" => v.as_array().is_some_and(|a| {
                a.iter().all(|h| {
                    h.as_str().is_some_and(|h| {
                        !h.is_empty()
                            && h.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    })
                })
            }),
            "trusted_proxies" => match v.as_array() {
                Some(a) => {
                    let kept = crate::plan::trusted_proxies(a).len();
                    if kept < a.len() {
                        d.error(
                            &crate::model::child(&p, &kept.to_string()),
                            "invalid trusted proxy: KrakenD drops it and every entry after it",
                            Some("write IPs or CIDRs such as \"10.0.0.0/8\"".to_owned()),
                        );
                    }
                    true
                }
                None => false,
            },
            "health_path" => v.as_str().is_some_and(|s| s.starts_with('/')),
            "logger_skip_paths" => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            "error_body" => v.is_object(),
            _ => true,
        };
        if !ok {
            d.error(
                &p,
                format!("router option `{k}` has the wrong type"),
                Some("KrakenD silently drops most router options when one is mistyped; fix the value".to_owned()),
            );
        }
    }
}

fn check_endpoint_namespaces(d: &mut Diagnostics, e: &Endpoint) {
    check_namespaces(d, &e.extra_config, &["proxy"], "endpoint");
    let Some(ns) = e.extra_config.get("proxy") else {
        return;
    };
    check_object_keys(
        d,
        &ns.value,
        &ns.pointer,
        &[
            "sequential",
            "sequential_propagated_params",
            "static",
            "flatmap_filter",
            "force_sandboxed_request",
        ],
        &[],
        "proxy",
    );
    let at = |k: &str| crate::model::child(&ns.pointer, k);
    for k in ["sequential", "force_sandboxed_request"] {
        if ns.value.get(k).is_some_and(|v| !v.is_boolean()) {
            d.error(&at(k), format!("`proxy.{k}` must be a boolean"), None);
        }
    }
    if let Some(f) = ns.value.get("flatmap_filter") {
        check_flatmap(d, f, &at("flatmap_filter"));
        if e.backend.len() < 2 {
            d.warning(
                &at("flatmap_filter"),
                "an endpoint flatmap_filter only runs with two or more backends; KrakenD ignores it here",
                Some("move it to the backend's extra_config.proxy".to_owned()),
            );
        }
    }
    if let Some(st) = ns.value.get("static") {
        check_static(d, st, &at("static"));
    }
    if let Some(p) = ns.value.get("sequential_propagated_params") {
        check_propagated_params(d, p, &at("sequential_propagated_params"), e.backend.len());
    }
}

/// `flatmap_filter`: a list of `{"type": move|del|append, "args": [...]}`. KrakenD panics on
/// malformed move/append entries at request time; Krustd rejects them at build time.
fn check_flatmap(d: &mut Diagnostics, v: &Value, pointer: &str) {
    let Some(list) = v.as_array() else {
        d.error(
            pointer,
            "`flatmap_filter` must be a list of operations",
            None,
        );
        return;
    };
    for (i, entry) in list.iter().enumerate() {
        let p = crate::model::child(pointer, &i.to_string());
        let ty = entry.get("type").and_then(Value::as_str);
        let args = entry.get("args").and_then(Value::as_array);
        let strings = args.is_some_and(|a| a.iter().all(Value::is_string));
        let n = args.map_or(0, Vec::len);
        let problem = match ty {
            Some("move") | Some("append") if !strings || n != 2 => {
                Some("needs exactly two string args: [source, destination]")
            }
            Some("del") if !strings || n == 0 => {
                Some("needs one or more string args (the paths to delete)")
            }
            Some("move") | Some("append") | Some("del") => None,
            Some(_) => Some("has an unknown type (use move, del or append)"),
            None => Some("needs a string `type` (move, del or append)"),
        };
        if let Some(problem) = problem {
            d.error(&p, format!("flatmap_filter operation {i} {problem}"), None);
        }
    }
}

fn check_static(d: &mut Diagnostics, v: &Value, pointer: &str) {
    if !v.get("data").is_some_and(Value::is_object) {
        d.error(
            pointer,
            "`proxy.static.data` must be a JSON object",
            Some(
                "KrakenD switches the static proxy off otherwise; write {\"data\": {...}}"
                    .to_owned(),
            ),
        );
    }
    match v.get("strategy") {
        None => {}
        Some(Value::String(s))
            if ["always", "success", "complete", "errored", "incomplete"].contains(&s.as_str()) => {
        }
        Some(_) => d.warning(
            &crate::model::child(pointer, "strategy"),
            "unknown static strategy; KrakenD uses `always`",
            Some("use always, success, complete, errored or incomplete".to_owned()),
        ),
    }
}

fn check_propagated_params(d: &mut Diagnostics, v: &Value, pointer: &str, backends: usize) {
    let Some(list) = v.as_array() else {
        d.error(
            pointer,
            "`sequential_propagated_params` must be a list",
            None,
        );
        return;
    };
    for (i, item) in list.iter().enumerate() {
        let p = crate::model::child(pointer, &i.to_string());
        match item.as_str().and_then(path::parse_sequential_ref) {
            Some((n, _)) if n < backends => {}
            Some((n, _)) => d.error(
                &p,
                format!("`resp{n}` refers to a backend that does not exist"),
                None,
            ),
            None => d.error(
                &p,
                "propagated params look like `resp0` or `resp0_field.sub`",
                None,
            ),
        }
    }
    if !list.is_empty() {
        d.warning(
            pointer,
            "`sequential_propagated_params` feed CEL, Lua and GraphQL, which Krustd does not implement: they have no effect",
            None,
        );
    }
}

fn check_backend_namespaces(d: &mut Diagnostics, b: &Backend) {
    check_namespaces(
        d,
        &b.extra_config,
        &["backend/http", "backend/http/client", "proxy"],
        "backend",
    );
    if let Some(ns) = b.extra_config.get("proxy") {
        check_object_keys(d, &ns.value, &ns.pointer, &["flatmap_filter"], &[], "proxy");
        if let Some(f) = ns.value.get("flatmap_filter") {
            check_flatmap(d, f, &crate::model::child(&ns.pointer, "flatmap_filter"));
            let ignored = [&b.allow, &b.deny]
                .into_iter()
                .flatten()
                .map(|a| a.pointer.clone());
            for p in ignored.chain(b.mapping.iter().map(|m| m.pointer.clone())) {
                d.warning(
                    &p,
                    "ignored: a backend flatmap_filter replaces allow, deny and mapping",
                    None,
                );
            }
        }
    }
    if let Some(ns) = b.extra_config.get("backend/http/client") {
        check_object_keys(
            d,
            &ns.value,
            &ns.pointer,
            &["send_body_on_redirect"],
            &[],
            "backend/http/client",
        );
        if ns
            .value
            .get("send_body_on_redirect")
            .is_some_and(|v| !v.is_boolean())
        {
            d.error(
                &crate::model::child(&ns.pointer, "send_body_on_redirect"),
                "`send_body_on_redirect` must be a boolean",
                None,
            );
        }
    }
    if let Some(ns) = b.extra_config.get("backend/http") {
        check_object_keys(
            d,
            &ns.value,
            &ns.pointer,
            &["return_error_code", "return_error_details"],
            &[],
            "backend/http",
        );
        if let Some(v) = ns.value.get("return_error_code") {
            if !v.is_boolean() {
                d.error(
                    &crate::model::child(&ns.pointer, "return_error_code"),
                    "`return_error_code` must be a boolean",
                    None,
                );
            }
        }
        if let Some(v) = ns.value.get("return_error_details") {
            if v.as_str().is_none_or(str::is_empty) {
                d.error(
                    &crate::model::child(&ns.pointer, "return_error_details"),
                    "`return_error_details` must be a non-empty string (the alias of the error object)",
                    None,
                );
            }
        }
    }
}

fn check_endpoint_path(d: &mut Diagnostics, _s: &Service, e: &Endpoint) {
    let Some(p) = &e.endpoint else {
        d.error(
            &e.pointer,
            "endpoint without `endpoint` path",
            Some("add \"endpoint\": \"/path\"".to_owned()),
        );
        return;
    };
    if let Err(msg) = path::EndpointPath::parse(&p.value) {
        d.error(&p.pointer, msg, Some("KrakenD CE paths are `/literal/{param}/...`: each `{param}` fills a whole segment; wildcards are Enterprise-only".to_owned()));
    }
}

/// Methods KrakenD registers routes for.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

fn check_method(d: &mut Diagnostics, e: &Endpoint) {
    if let Some(m) = &e.method {
        if !METHODS.contains(&m.value.to_ascii_uppercase().as_str()) {
            d.error(
                &m.pointer,
                format!("method `{}` cannot be routed", m.value),
                Some(
                    "KrakenD only registers GET, POST, PUT, PATCH and DELETE endpoints".to_owned(),
                ),
            );
        }
    }
}

fn check_backend_method(d: &mut Diagnostics, b: &Backend) {
    if let Some(m) = &b.method {
        let up = m.value.to_ascii_uppercase();
        if http_method_ok(&up) {
            return;
        }
        d.error(
            &m.pointer,
            format!("backend method `{}` is not supported", m.value),
            Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT or TRACE".to_owned()),
        );
    }
}

fn http_method_ok(m: &str) -> bool {
    [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ]
    .contains(&m)
}

fn check_backends_present(d: &mut Diagnostics, e: &Endpoint) {
    if e.backend.is_empty() {
        let what = e.endpoint.as_ref().map(|p| p.value.as_str()).unwrap_or("");
        d.error(
            &e.pointer,
            format!("the endpoint `{what}` has 0 backends defined"),
            Some("add at least one object to `backend`".to_owned()),
        );
    }
}

fn check_concurrent_calls(d: &mut Diagnostics, e: &Endpoint) {
    if let Some(c) = &e.concurrent_calls {
        if c.value > 64 {
            d.error(
                &c.pointer,
                "`concurrent_calls` above 64 would flood the backend",
                None,
            );
        } else if c.value < 0 {
            d.error(&c.pointer, "`concurrent_calls` cannot be negative", None);
        }
    }
}

fn endpoint_output<'a>(s: &'a Service, e: &'a Endpoint) -> &'a str {
    e.output_encoding
        .as_ref()
        .or(s.output_encoding.as_ref())
        .map(|o| o.value.as_str())
        .unwrap_or("json")
}

fn check_no_op(d: &mut Diagnostics, s: &Service, e: &Endpoint) {
    if endpoint_output(s, e) != "no-op" {
        return;
    }
    let pointer = e
        .output_encoding
        .as_ref()
        .map(|o| o.pointer.as_str())
        .unwrap_or(&e.pointer);
    if e.backend.len() > 1 {
        d.error(
            pointer,
            "can not use NoOp encoding with more than one backends connected to the same endpoint",
            Some("use one backend, or another output_encoding to merge several".to_owned()),
        );
    }
    for b in &e.backend {
        let manip = [
            b.group.as_ref().map(|x| &x.pointer),
            b.target.as_ref().map(|x| &x.pointer),
            b.allow.as_ref().map(|x| &x.pointer),
            b.deny.as_ref().map(|x| &x.pointer),
            b.mapping.as_ref().map(|x| &x.pointer),
        ];
        for p in manip.into_iter().flatten() {
            d.error(
                p,
                "response manipulation has no effect on a no-op endpoint",
                Some("remove it, or use a decoding output_encoding such as json".to_owned()),
            );
        }
    }
}

fn check_encoding(d: &mut Diagnostics, b: &Backend) {
    if let Some(enc) = &b.encoding {
        check_one_encoding(
            d,
            &enc.value.to_ascii_lowercase(),
            &enc.pointer,
            BACKEND_ENCODINGS,
            BACKEND_ENCODINGS_LATER,
            "backend encoding",
        );
    }
}

fn check_sd(d: &mut Diagnostics, b: &Backend) {
    if let Some(sd) = &b.sd {
        if sd.value == "dns" {
            d.error(
                &sd.pointer,
                "`sd: dns` (SRV discovery) is not supported by Krustd yet",
                Some("list the hosts in `host`".to_owned()),
            );
        }
    }
}

fn check_manipulation(d: &mut Diagnostics, b: &Backend) {
    let paths = [&b.allow, &b.deny];
    for list in paths.into_iter().flatten() {
        for (i, p) in list.value.iter().enumerate() {
            if p.is_empty() || p.split('.').any(str::is_empty) {
                d.error(
                    &crate::model::child(&list.pointer, &i.to_string()),
                    format!("`{p}` is not a dot path"),
                    Some("write paths like \"user.address.city\"".to_owned()),
                );
            }
        }
    }
    if let Some(t) = &b.target {
        if !t.value.is_empty() && t.value.split('.').any(str::is_empty) {
            d.error(&t.pointer, format!("`{}` is not a dot path", t.value), None);
        }
    }
}

fn check_url_pattern(d: &mut Diagnostics, _s: &Service, e: &Endpoint, i: usize, b: &Backend) {
    let Some(ep) = &e.endpoint else { return };
    let Ok(path) = path::EndpointPath::parse(&ep.value) else {
        return;
    };
    let pattern = b
        .url_pattern
        .as_ref()
        .map(|u| u.value.as_str())
        .unwrap_or("/");
    let pointer = b
        .url_pattern
        .as_ref()
        .map(|u| u.pointer.as_str())
        .unwrap_or(&b.pointer);
    let placeholders = path::placeholders(pattern);
    let method = e
        .method
        .as_ref()
        .map(|m| m.value.to_ascii_uppercase())
        .unwrap_or_else(|| "GET".into());
    let mut distinct: Vec<&str> = Vec::new();
    let sequential = e.backend.len() > 1
        && e.extra_config
            .get("proxy")
            .and_then(|n| n.value.get("sequential"))
            .and_then(Value::as_bool)
            == Some(true);
    for p in &placeholders {
        if p.starts_with("JWT.") {
            d.error(pointer, format!("placeholder `{{{p}}}` needs a JWT validator, which Krustd does not support yet"), None);
            continue;
        }
        if let Some((n, field)) = path::parse_sequential_ref(p) {
            if !sequential {
                d.warning(
                    pointer,
                    format!(
                        "`{{{p}}}` is only resolved by the sequential proxy; it is sent unresolved"
                    ),
                    Some("set extra_config.proxy.sequential: true on the endpoint".to_owned()),
                );
            } else if n >= e.backend.len() {
                d.error(
                    pointer,
                    format!("`{{{p}}}` refers to backend {n}, which does not exist"),
                    None,
                );
            } else if n >= i {
                d.error(
                    pointer,
                    format!(
                        "`{{{p}}}` refers to backend {n}, which runs after this one (backend {i})"
                    ),
                    Some(
                        "a sequential step can only use the responses of earlier steps".to_owned(),
                    ),
                );
            } else if field.is_empty() {
                d.error(
                    pointer,
                    format!("`{{{p}}}` needs a field: `{{resp{n}_field}}`"),
                    None,
                );
            }
            continue;
        }
        if !path.params.iter().any(|n| n == p) {
            d.error(
                pointer,
                format!(
                    "undefined output param '{p}'! endpoint: {method} {}, backend: {i}",
                    ep.value
                ),
                Some(format!(
                    "declare `{{{p}}}` in the endpoint path, or use one of: {}",
                    if path.params.is_empty() {
                        "(no params declared)".to_owned()
                    } else {
                        path.params.join(", ")
                    }
                )),
            );
        }
        if !distinct.contains(&p.as_str()) {
            distinct.push(p);
        }
    }
    if distinct.len() > path.params.len() {
        d.error(
            pointer,
            format!(
                "input and output params do not match. endpoint: {method} {}, backend: {i}",
                ep.value
            ),
            None,
        );
    }
}

/// The same method and path twice.
fn check_duplicate_routes(d: &mut Diagnostics, s: &Service) {
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        let method = e
            .method
            .as_ref()
            .map(|m| m.value.to_ascii_uppercase())
            .unwrap_or_else(|| "GET".into());
        let path = path::normalise(&p.value);
        if let Some((_, _, first)) = seen.iter().find(|(m, q, _)| *m == method && *q == path) {
            d.error(
                &p.pointer,
                format!("handlers are already registered for path '{path}' ({method})"),
                Some(format!(
                    "the same method and path is declared at {first}; remove one"
                )),
            );
        } else {
            seen.push((method, path, &e.pointer));
        }
    }
}

/// Routes axum (like KrakenD's router) cannot hold together: two parameters with different
/// names at the same position, a parameter or literal clashing with the health path.
fn check_route_conflicts(d: &mut Diagnostics, s: &Service) {
    let mut parsed: Vec<(path::EndpointPath, &str)> = Vec::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        if let Ok(ep) = path::EndpointPath::parse(&p.value) {
            parsed.push((ep, &p.pointer));
        }
    }
    for (i, (a, pointer)) in parsed.iter().enumerate() {
        for (b, _) in parsed.iter().take(i) {
            if let Some((x, y)) = path::param_name_conflict(a, b) {
                d.error(
                    pointer,
                    format!("route conflict: `{{{x}}}` in {} and `{{{y}}}` in {} are parameters at the same position with different names", a.raw, b.raw),
                    Some("use the same parameter name at the same position in every endpoint".to_owned()),
                );
                break;
            }
        }
    }
    let health = health_path(s);
    if let Some(h) = health {
        for (ep, pointer) in &parsed {
            if ep.raw == h {
                d.error(
                    pointer,
                    format!("the endpoint {h} collides with the health endpoint"),
                    Some(
                        "rename the endpoint, or move the health endpoint with router.health_path"
                            .to_owned(),
                    ),
                );
            }
        }
    }
}

/// The health path after router options (`None` when disabled).
pub fn health_path(s: &Service) -> Option<String> {
    let router = s.extra_config.get("router").map(|n| &n.value);
    if router
        .and_then(|r| r.get("disable_health"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        return None;
    }
    Some(
        router
            .and_then(|r| r.get("health_path"))
            .and_then(Value::as_str)
            .unwrap_or("/__health")
            .to_owned(),
    )
}
