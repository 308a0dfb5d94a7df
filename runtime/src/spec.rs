//! The `'static` facts codegen emits for a contract: one `ServiceSpec`, one `EndpointSpec` per
//! endpoint and one `BackendSpec` per backend. They are data handed to runtime mechanisms, not a
//! plan to interpret: which mechanisms run, in which order, is decided by the emitted code.

use crate::forward::{HeaderAllowList, QueryAllowList};
use crate::url::UrlTemplate;
use http::Method;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Service-level settings that the runtime needs while serving.
#[derive(Debug)]
pub struct ServiceSpec {
    /// Contract `port` (0 already replaced by 8080).
    pub port: u16,
    /// Contract `listen_ip` (empty = all interfaces).
    pub listen_ip: &'static str,
    pub read_timeout: Option<Duration>,
    pub write_timeout: Option<Duration>,
    /// Effective idle timeout (`idle_timeout`, else `read_timeout`).
    pub idle_timeout: Option<Duration>,
    pub read_header_timeout: Option<Duration>,
    /// `max_header_bytes` (0 → 1 MiB): larger request heads are answered with 431.
    pub max_header_bytes: usize,
    /// `max_shutdown_wait_time`; `None` waits for in-flight requests forever.
    pub max_shutdown_wait: Option<Duration>,
    pub debug_endpoint: bool,
    pub echo_endpoint: bool,
    /// Router `health_path`, `None` when `disable_health`.
    pub health_path: Option<&'static str>,
    /// Router `return_error_msg`.
    pub return_error_msg: bool,
    /// Value of the `X-Krakend` header.
    pub version_header: &'static str,
    /// `telemetry/logging.level`, when set.
    pub log_level: Option<&'static str>,
    /// Router `disable_path_decoding`: skip the 400 for parameters that still look encoded.
    pub disable_path_decoding: bool,
    /// Router client-IP options.
    pub client_ip: &'static crate::forward::ClientIpPolicy,
    /// The access log: `None` when `disable_access_log`, else the `logger_skip_paths`.
    pub access_log: Option<&'static [&'static str]>,
}

/// What a client response is rendered as (`output_encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Json,
    JsonCollection,
    String,
    Xml,
    Yaml,
    /// Chosen per request from the client's `Accept` (json, xml or yaml).
    Negotiate,
}

/// How a backend answer is decoded (`encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decode {
    /// A JSON object (`is_collection: false`).
    JsonObject,
    /// A JSON array wrapped as `{"collection": [...]}` (`is_collection: true`).
    JsonCollection,
    /// Any JSON value (`safejson`).
    SafeJson,
    /// The whole body as `{"content": "..."}`.
    String,
    /// XML (`encoding: xml`); `collection` wraps it as `{"collection": ...}`.
    Xml { collection: bool },
    /// An RSS, Atom or JSON feed (`encoding: rss`).
    Rss,
    /// Nothing decoded: the backend contributes no data (a `no-op` backend under a
    /// non-`no-op` endpoint).
    Discard,
}

/// One endpoint.
#[derive(Debug)]
pub struct EndpointSpec {
    /// `GET /users/{id}`: for logs and error texts.
    pub name: &'static str,
    /// Indexes of the canonical path's segments that hold `{params}`, in declaration order.
    pub param_segments: &'static [usize],
    /// Endpoint `timeout` (inheritance applied).
    pub timeout: Duration,
    /// Deadline of the backend calls: the endpoint timeout, or 85 % of it with several backends.
    pub backend_timeout: Duration,
    /// `cache_ttl` in whole seconds; `None` when zero.
    pub cache_max_age: Option<u64>,
    /// `input_headers`; `None` when absent or empty.
    pub input_headers: Option<&'static HeaderAllowList>,
    /// `input_query_strings`; `None` when absent or empty.
    pub input_query: Option<&'static QueryAllowList>,
    pub output: Output,
}

/// The backend hosts. The list is plain constant data; the round-robin cursor, the one
/// mutable part, is a `static` of its own that the generated code keeps apart (only emitted
/// for two or more hosts).
#[derive(Debug)]
pub struct Hosts {
    pub list: &'static [&'static str],
    /// The round-robin cursor; `None` when there is nothing to rotate.
    pub next: Option<&'static AtomicUsize>,
}

impl Hosts {
    pub const fn new(list: &'static [&'static str], next: Option<&'static AtomicUsize>) -> Self {
        Hosts { list, next }
    }

    /// The host for the next call (round-robin); `None` when the list is empty.
    pub fn pick(&self) -> Option<&'static str> {
        match self.list.len() {
            0 => None,
            1 => self.list.first().copied(),
            n => {
                let i = self
                    .next
                    .map_or(0, |next| next.fetch_add(1, Ordering::Relaxed))
                    % n;
                self.list.get(i).copied()
            }
        }
    }
}

/// `backend/http` failure handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorHandling {
    /// Non-200/201 answers are plain failures.
    Plain,
    /// `return_error_code`: the failure carries the backend status, body and content type.
    ReturnCode,
    /// `return_error_details: alias`: the error becomes data `{"error_<alias>": {...}}`.
    Details(&'static str),
}

/// One backend of an endpoint.
#[derive(Debug)]
pub struct BackendSpec {
    /// `url_pattern` as KrakenD prints it in errors (`/users/{{.Id}}`).
    pub url_pattern: &'static str,
    pub url: UrlTemplate,
    pub hosts: Hosts,
    pub method: Method,
    pub decode: Decode,
    /// Backend `input_headers`, when non-empty.
    pub input_headers: Option<&'static HeaderAllowList>,
    /// Backend `input_query_strings`, when non-empty.
    pub input_query: Option<&'static QueryAllowList>,
    pub errors: ErrorHandling,
    /// `backend/http/client.send_body_on_redirect`: replay the body on 307/308.
    pub send_body_on_redirect: bool,
    /// `modifier/martian`: the backend's compiled request/response modifiers.
    pub martian: Option<&'static crate::martian::Martian>,
    /// `backend/graphql`: the GraphQL operation the request becomes.
    pub graphql: Option<&'static crate::graphql::GraphQl>,
    /// `auth/client-credentials`: the token source of the backend's `Authorization`.
    pub client_credentials: Option<&'static crate::client_credentials::ClientCredentials>,
}
