//! The contract as written: typed mirrors of `krakend.json`'s objects, with their JSON pointers.
//!
//! Reading is faithful and does not resolve anything: defaults and inheritance belong to
//! `plan`. Type errors are reported while reading (every one of them, not just the first);
//! unknown keys are warnings. Keys starting with `@ $ _ #` are annotations and are skipped.
//! Like KrakenD, values are read leniently where it is lenient: `"8080"` for an integer,
//! `"true"` for a bool, a single string for a list, and keys match case-insensitively.

use crate::diag::{Diagnostics, Severity, Target};
use serde_json::{Map, Value};

/// A value together with where it was written.
#[derive(Debug, Clone)]
pub struct At<T> {
    pub value: T,
    pub pointer: String,
}

/// The root object.
#[derive(Debug, Default)]
pub struct Service {
    pub version: Option<At<i64>>,
    pub name: Option<At<String>>,
    pub port: Option<At<i64>>,
    pub listen_ip: Option<At<String>>,
    pub host: Option<At<Vec<String>>>,
    pub timeout: Option<At<String>>,
    pub cache_ttl: Option<At<String>>,
    pub output_encoding: Option<At<String>>,
    pub endpoints: Vec<Endpoint>,
    pub extra_config: ExtraConfig,
    pub debug_endpoint: bool,
    pub echo_endpoint: bool,
    pub disable_rest: Option<At<bool>>,
    pub read_timeout: Option<At<String>>,
    pub write_timeout: Option<At<String>>,
    pub idle_timeout: Option<At<String>>,
    pub read_header_timeout: Option<At<String>>,
    pub max_header_bytes: Option<At<i64>>,
    pub max_shutdown_wait_time: Option<At<String>>,
    /// Keys Krustd knows but does not implement; `check` decides what they mean.
    pub unsupported: Vec<At<String>>,
}

/// One object of `endpoints`.
#[derive(Debug, Default)]
pub struct Endpoint {
    pub pointer: String,
    pub endpoint: Option<At<String>>,
    pub method: Option<At<String>>,
    pub backend: Vec<Backend>,
    pub timeout: Option<At<String>>,
    pub cache_ttl: Option<At<String>>,
    pub concurrent_calls: Option<At<i64>>,
    pub input_headers: Option<At<Vec<String>>>,
    pub input_query_strings: Option<At<Vec<String>>>,
    pub output_encoding: Option<At<String>>,
    pub extra_config: ExtraConfig,
}

/// One object of an endpoint's `backend`.
#[derive(Debug, Default)]
pub struct Backend {
    pub pointer: String,
    pub url_pattern: Option<At<String>>,
    pub host: Option<At<Vec<String>>>,
    pub method: Option<At<String>>,
    pub encoding: Option<At<String>>,
    pub group: Option<At<String>>,
    pub target: Option<At<String>>,
    pub allow: Option<At<Vec<String>>>,
    pub deny: Option<At<Vec<String>>>,
    pub mapping: Option<At<Vec<(String, String)>>>,
    pub is_collection: Option<At<bool>>,
    pub sd: Option<At<String>>,
    pub disable_host_sanitize: Option<At<bool>>,
    pub input_headers: Option<At<Vec<String>>>,
    pub input_query_strings: Option<At<Vec<String>>>,
    pub extra_config: ExtraConfig,
}

/// An `extra_config` object: namespace → raw value, with short names resolved from the legacy
/// aliases (the short name wins when both are present).
#[derive(Debug, Default)]
pub struct ExtraConfig {
    pub pointer: String,
    pub namespaces: Vec<Namespace>,
}

#[derive(Debug, Clone)]
pub struct Namespace {
    /// The short (current) name.
    pub name: String,
    pub pointer: String,
    pub value: Value,
}

impl ExtraConfig {
    pub fn get(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.name == name)
    }
}

/// Legacy (pre-2.0) namespace names and their short names (spec: contract.md §6).
pub const NAMESPACE_ALIASES: &[(&str, &str)] = &[
    ("github_com/luraproject/lura/router/gin", "router"),
    ("github.com/devopsfaith/krakend/proxy", "proxy"),
    ("github.com/devopsfaith/krakend/http", "backend/http"),
    (
        "github.com/devopsfaith/krakend-jose/validator",
        "auth/validator",
    ),
    ("github.com/devopsfaith/krakend-jose/signer", "auth/signer"),
    ("github_com/devopsfaith/bloomfilter", "auth/revoker"),
    (
        "github.com/devopsfaith/krakend-oauth2-clientcredentials",
        "auth/client-credentials",
    ),
    ("github_com/devopsfaith/krakend-cors", "security/cors"),
    ("github_com/devopsfaith/krakend-httpsecure", "security/http"),
    (
        "github_com/devopsfaith/krakend-botdetector",
        "security/bot-detector",
    ),
    ("github.com/devopsfaith/krakend-cel", "validation/cel"),
    (
        "github.com/devopsfaith/krakend-jsonschema",
        "validation/json-schema",
    ),
    (
        "github.com/devopsfaith/krakend-circuitbreaker/gobreaker",
        "qos/circuit-breaker",
    ),
    ("github.com/devopsfaith/krakend-httpcache", "qos/http-cache"),
    ("github.com/devopsfaith/krakend-martian", "modifier/martian"),
    (
        "github.com/devopsfaith/krakend-lua/router",
        "modifier/lua-endpoint",
    ),
    (
        "github.com/devopsfaith/krakend-lua/proxy",
        "modifier/lua-proxy",
    ),
    (
        "github.com/devopsfaith/krakend-lua/proxy/backend",
        "modifier/lua-backend",
    ),
    (
        "github_com/devopsfaith/krakend-gologging",
        "telemetry/logging",
    ),
    (
        "github_com/devopsfaith/krakend-metrics",
        "telemetry/metrics",
    ),
    ("github_com/devopsfaith/krakend-gelf", "telemetry/gelf"),
    (
        "github_com/devopsfaith/krakend-logstash",
        "telemetry/logstash",
    ),
    ("github_com/letgoapp/krakend-influx", "telemetry/influx"),
    (
        "github_com/devopsfaith/krakend-opencensus",
        "telemetry/opencensus",
    ),
    (
        "github.com/devopsfaith/krakend-opencensus",
        "telemetry/opencensus",
    ),
    (
        "github.com/devopsfaith/krakend-amqp/consume",
        "backend/amqp/consumer",
    ),
    (
        "github.com/devopsfaith/krakend-amqp/produce",
        "backend/amqp/producer",
    ),
    ("github.com/devopsfaith/krakend-lambda", "backend/lambda"),
    (
        "github.com/devopsfaith/krakend-pubsub/publisher",
        "backend/pubsub/publisher",
    ),
    (
        "github.com/devopsfaith/krakend-pubsub/subscriber",
        "backend/pubsub/subscriber",
    ),
];

/// Appends a key to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn child(pointer: &str, key: &str) -> String {
    let mut p = String::with_capacity(pointer.len() + key.len() + 1);
    p.push_str(pointer);
    p.push('/');
    for c in key.chars() {
        match c {
            '~' => p.push_str("~0"),
            '/' => p.push_str("~1"),
            c => p.push(c),
        }
    }
    p
}

/// Whether a key is an annotation (`@comment`, `$schema`, `_x`, `#x`).
pub fn is_annotation(key: &str) -> bool {
    key.starts_with(['@', '$', '_', '#'])
}

/// Reads the keys of one object, remembering which ones were consumed.
pub struct ObjectReader<'a> {
    map: &'a Map<String, Value>,
    pointer: String,
    used: Vec<&'a str>,
}

impl<'a> ObjectReader<'a> {
    pub fn new(map: &'a Map<String, Value>, pointer: String) -> Self {
        ObjectReader {
            map,
            pointer,
            used: Vec::new(),
        }
    }

    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The raw value of `key` (exact match first, then case-insensitive) and its pointer.
    pub fn raw(&mut self, key: &str) -> Option<(&'a Value, String)> {
        let (k, v) = match self.map.get_key_value(key) {
            Some(kv) => kv,
            None => self
                .map
                .iter()
                .find(|(k, _)| !is_annotation(k) && k.eq_ignore_ascii_case(key))?,
        };
        self.used.push(k.as_str());
        Some((v, child(&self.pointer, k)))
    }

    pub fn string(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Value::Number(n) => Some(At {
                value: n.to_string(),
                pointer,
            }),
            Value::Bool(b) => Some(At {
                value: b.to_string(),
                pointer,
            }),
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a string", other);
                None
            }
        }
    }

    pub fn int(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<i64>> {
        let (v, pointer) = self.raw(key)?;
        let parsed = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(value) => Some(At { value, pointer }),
            None => {
                type_error(d, &pointer, key, "an integer", v);
                None
            }
        }
    }

    pub fn bool(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<bool>> {
        let (v, pointer) = self.raw(key)?;
        let parsed = match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.as_str() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_i64().map(|i| i != 0),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(value) => Some(At { value, pointer }),
            None => {
                type_error(d, &pointer, key, "a boolean", v);
                None
            }
        }
    }

    /// A list of strings; a single string counts as a one-element list.
    pub fn strings(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<Vec<String>>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: vec![s.clone()],
                pointer,
            }),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Number(n) => out.push(n.to_string()),
                        other => {
                            ok = false;
                            type_error(d, &child(&pointer, &i.to_string()), key, "a string", other);
                        }
                    }
                }
                ok.then_some(At {
                    value: out,
                    pointer,
                })
            }
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a list of strings", other);
                None
            }
        }
    }

    /// An object of string values, in the contract's key order.
    pub fn string_map(
        &mut self,
        d: &mut Diagnostics,
        key: &str,
    ) -> Option<At<Vec<(String, String)>>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::Object(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, v) in m {
                    match v {
                        Value::String(s) => out.push((k.clone(), s.clone())),
                        other => type_error(d, &child(&pointer, k), k, "a string", other),
                    }
                }
                Some(At {
                    value: out,
                    pointer,
                })
            }
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "an object of strings", other);
                None
            }
        }
    }

    /// A duration, kept as text (parsed by `check`/`plan`); numbers are nanoseconds, as in Go.
    pub fn duration(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Value::Number(n) => match n.as_u64() {
                Some(ns) => Some(At {
                    value: format!("{ns}ns"),
                    pointer,
                }),
                None => {
                    type_error(d, &pointer, key, "a duration", v);
                    None
                }
            },
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a duration string such as \"2s\"", other);
                None
            }
        }
    }

    pub fn extra_config(&mut self, d: &mut Diagnostics) -> ExtraConfig {
        let Some((v, pointer)) = self.raw("extra_config") else {
            return ExtraConfig::default();
        };
        let Value::Object(m) = v else {
            type_error(d, &pointer, "extra_config", "an object", v);
            return ExtraConfig::default();
        };
        let mut namespaces: Vec<Namespace> = Vec::new();
        for (k, v) in m {
            if is_annotation(k) {
                continue;
            }
            let short = NAMESPACE_ALIASES
                .iter()
                .find(|(long, _)| long == k)
                .map(|(_, short)| *short);
            let name = short.unwrap_or(k.as_str()).to_owned();
            let ns = Namespace {
                name: name.clone(),
                pointer: child(&pointer, k),
                value: v.clone(),
            };
            match namespaces.iter_mut().find(|n| n.name == name) {
                // The short name wins over its legacy alias.
                Some(existing) => {
                    if short.is_none() {
                        *existing = ns;
                    }
                }
                None => namespaces.push(ns),
            }
        }
        ExtraConfig {
            pointer,
            namespaces,
        }
    }

    /// Warns about every key that was not read and is not an annotation.
    pub fn warn_unknown(self, d: &mut Diagnostics, what: &str) {
        for k in self.map.keys() {
            if is_annotation(k) || self.used.contains(&k.as_str()) {
                continue;
            }
            d.report(
                Severity::Warning,
                &child(&self.pointer, k),
                Target::Key,
                format!("unknown key `{k}` in {what}; KrakenD ignores it"),
                Some(
                    "check the spelling, or prefix it with `@` to mark it as a comment".to_owned(),
                ),
            );
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn type_error(d: &mut Diagnostics, pointer: &str, key: &str, expected: &str, found: &Value) {
    d.error(
        pointer,
        format!("`{key}` must be {expected}, found {}", kind(found)),
        None,
    );
}

/// Root keys Krustd accepts but that change nothing it implements (backend transport tuning
/// that the HTTP client handles its own way).
const TRANSPORT_KEYS: &[&str] = &[
    "disable_keep_alives",
    "disable_compression",
    "max_idle_connections",
    "max_idle_connections_per_host",
    "idle_connection_timeout",
    "response_header_timeout",
    "expect_continue_timeout",
    "dialer_timeout",
    "dialer_keep_alive",
    "dialer_fallback_delay",
    "dns_cache_ttl",
];

/// Root keys KrakenD knows that Krustd does not implement yet: using them is an error.
const UNSUPPORTED_ROOT_KEYS: &[&str] = &[
    "tls",
    "client_tls",
    "allow_insecure_connections",
    "use_h2c",
    "plugin",
    "async_agent",
    "sequential_start",
];

/// Reads a whole contract. Returns `None` when the root is not an object.
pub fn read(d: &mut Diagnostics, root: &Value) -> Option<Service> {
    let Value::Object(map) = root else {
        d.error(
            "",
            format!("the contract must be a JSON object, found {}", kind(root)),
            None,
        );
        return None;
    };
    let mut r = ObjectReader::new(map, String::new());
    let mut s = Service {
        version: r.int(d, "version"),
        name: r.string(d, "name"),
        port: r.int(d, "port"),
        listen_ip: r.string(d, "listen_ip"),
        host: r.strings(d, "host"),
        timeout: r.duration(d, "timeout"),
        cache_ttl: r.duration(d, "cache_ttl"),
        output_encoding: r.string(d, "output_encoding"),
        debug_endpoint: r.bool(d, "debug_endpoint").is_some_and(|b| b.value),
        echo_endpoint: r.bool(d, "echo_endpoint").is_some_and(|b| b.value),
        disable_rest: r.bool(d, "disable_rest"),
        read_timeout: r.duration(d, "read_timeout"),
        write_timeout: r.duration(d, "write_timeout"),
        idle_timeout: r.duration(d, "idle_timeout"),
        read_header_timeout: r.duration(d, "read_header_timeout"),
        max_header_bytes: r.int(d, "max_header_bytes"),
        max_shutdown_wait_time: r.duration(d, "max_shutdown_wait_time"),
        extra_config: r.extra_config(d),
        ..Service::default()
    };
    for key in TRANSPORT_KEYS {
        r.raw(key);
    }
    for key in UNSUPPORTED_ROOT_KEYS {
        if let Some((_, pointer)) = r.raw(key) {
            s.unsupported.push(At {
                value: (*key).to_owned(),
                pointer,
            });
        }
    }
    if let Some((v, pointer)) = r.raw("endpoints") {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = child(&pointer, &i.to_string());
                    match item {
                        Value::Object(m) => s.endpoints.push(read_endpoint(d, m, p)),
                        other => type_error(d, &p, "endpoints", "an object", other),
                    }
                }
            }
            Value::Null => {}
            other => type_error(d, &pointer, "endpoints", "a list of endpoints", other),
        }
    }
    r.warn_unknown(d, "the service");
    Some(s)
}

fn read_endpoint(d: &mut Diagnostics, map: &Map<String, Value>, pointer: String) -> Endpoint {
    let mut r = ObjectReader::new(map, pointer.clone());
    let mut e = Endpoint {
        pointer: pointer.clone(),
        endpoint: r.string(d, "endpoint"),
        method: r.string(d, "method"),
        timeout: r.duration(d, "timeout"),
        cache_ttl: r.duration(d, "cache_ttl"),
        concurrent_calls: r.int(d, "concurrent_calls"),
        input_headers: r.strings(d, "input_headers"),
        input_query_strings: r.strings(d, "input_query_strings"),
        output_encoding: r.string(d, "output_encoding"),
        extra_config: r.extra_config(d),
        ..Endpoint::default()
    };
    if let Some((v, p)) = r.raw("backend") {
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let bp = child(&p, &i.to_string());
                    match item {
                        Value::Object(m) => e.backend.push(read_backend(d, m, bp)),
                        other => type_error(d, &bp, "backend", "an object", other),
                    }
                }
            }
            Value::Null => {}
            other => type_error(d, &p, "backend", "a list of backends", other),
        }
    }
    r.warn_unknown(d, "an endpoint");
    e
}

fn read_backend(d: &mut Diagnostics, map: &Map<String, Value>, pointer: String) -> Backend {
    let mut r = ObjectReader::new(map, pointer.clone());
    let b = Backend {
        pointer,
        url_pattern: r.string(d, "url_pattern"),
        host: r.strings(d, "host"),
        method: r.string(d, "method"),
        encoding: r.string(d, "encoding"),
        group: r.string(d, "group"),
        target: r.string(d, "target"),
        allow: r.strings(d, "allow"),
        deny: r.strings(d, "deny"),
        mapping: r.string_map(d, "mapping"),
        is_collection: r.bool(d, "is_collection"),
        sd: r.string(d, "sd"),
        disable_host_sanitize: r.bool(d, "disable_host_sanitize"),
        input_headers: r.strings(d, "input_headers"),
        input_query_strings: r.strings(d, "input_query_strings"),
        extra_config: r.extra_config(d),
    };
    // KrakenD ignores these at backend level: the endpoint's values always apply.
    for key in ["timeout", "concurrent_calls"] {
        if let Some((_, p)) = r.raw(key) {
            d.warning(
                &p,
                format!("backend `{key}` is ignored: the endpoint's `{key}` applies"),
                Some(format!("move `{key}` to the endpoint")),
            );
        }
    }
    r.raw("sd_scheme");
    r.warn_unknown(d, "a backend");
    b
}
