//! The contract as written: typed mirrors of `krakend.json`'s objects, with their JSON pointers.
//!
//! Reading is faithful and does not resolve anything: defaults and inheritance belong to
//! `plan`. Type errors are reported while reading (every one of them, not just the first);
//! unknown keys are warnings. Keys starting with `@ $ _ #` are annotations and are skipped.
//! Like KrakenD, values are read leniently where it is lenient: `"8080"` for an integer,
//! `"true"` for a bool, a single string for a list, and keys match case-insensitively.

pub mod examples;
pub mod jwk_client;
pub mod jwk_file;
pub mod jwk_secret;
pub mod namespaces;
mod reader;
pub mod signer_jwk;
pub mod transport;

use crate::diag::Diagnostics;
pub use namespaces::{BackendNamespaces, EndpointNamespaces, ServiceNamespaces};
pub use reader::{child, is_annotation, ObjectReader};
use reader::{kind, type_error};
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
    /// Every namespace present, implemented here or not.
    pub extra_config: ExtraConfig,
    /// The namespaces Krustd implements at service level, typed.
    pub ns: ServiceNamespaces,
    pub debug_endpoint: bool,
    pub echo_endpoint: bool,
    pub disable_rest: Option<At<bool>>,
    pub read_timeout: Option<At<String>>,
    pub write_timeout: Option<At<String>>,
    pub idle_timeout: Option<At<String>>,
    pub read_header_timeout: Option<At<String>>,
    pub max_header_bytes: Option<At<i64>>,
    pub max_shutdown_wait_time: Option<At<String>>,
    /// `tls`, `client_tls`, `allow_insecure_connections`, `use_h2c` (`transport.rs`).
    pub transport: transport::TransportOptions,
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
    pub ns: EndpointNamespaces,
    /// `@test` examples (a Krustd extension).
    pub examples: Vec<examples::Example>,
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
    pub ns: BackendNamespaces,
}

/// The namespaces of an `extra_config` object, short names resolved from the legacy aliases
/// (the short name wins when both are present). Only names and pointers: the namespaces
/// Krustd implements are read into typed structs (`ns`), the others are judged by `check`.
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
}

impl ExtraConfig {
    pub fn get(&self, name: &str) -> Option<&Namespace> {
        self.namespaces.iter().find(|n| n.name == name)
    }
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
const UNSUPPORTED_ROOT_KEYS: &[&str] = &["plugin", "async_agent", "sequential_start"];

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
        ..Service::default()
    };
    let raw = r.extra_config(d);
    s.ns = ServiceNamespaces::read(d, &raw);
    s.extra_config = raw.names();
    for key in TRANSPORT_KEYS {
        r.raw(key);
    }
    s.transport = transport::TransportOptions {
        tls: r
            .raw("tls")
            .map(|(v, p)| transport::TlsOptions::read(d, v, &p)),
        client_tls: r
            .raw("client_tls")
            .map(|(v, p)| transport::ClientTlsOptions::read(d, v, &p)),
        allow_insecure_connections: r.bool(d, "allow_insecure_connections"),
        use_h2c: r.bool(d, "use_h2c"),
    };
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
        ..Endpoint::default()
    };
    let raw = r.extra_config(d);
    e.ns = EndpointNamespaces::read(d, &raw);
    e.extra_config = raw.names();
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
    if let Some((v, p)) = r.raw("@test") {
        e.examples = examples::read(d, v, &p, e.backend.len());
    }
    r.warn_unknown(d, "an endpoint");
    e
}

fn read_backend(d: &mut Diagnostics, map: &Map<String, Value>, pointer: String) -> Backend {
    let mut r = ObjectReader::new(map, pointer.clone());
    let mut b = Backend {
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
        ..Backend::default()
    };
    let raw = r.extra_config(d);
    b.ns = BackendNamespaces::read(d, &raw);
    b.extra_config = raw.names();
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
