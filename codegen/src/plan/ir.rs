//! The lowered contract (the IR): every default and inheritance rule applied, paths split,
//! names chosen, shaping decided. Emitters read only these types (never the model), so each
//! rule is applied once, in `lower`.

pub use crate::path::UrlPiece;
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
    /// The `telemetry/*` namespaces (`plan/telemetry.rs`).
    pub telemetry: crate::plan::telemetry::Telemetry,
    /// TLS, h2c, `client_tls`, compression (`plan/transport_ir.rs`).
    pub transport: crate::plan::transport_ir::Transport,
    /// `telemetry/metrics`, `telemetry/influx`, `telemetry/gelf` (`plan/telemetry_stats.rs`).
    pub legacy_telemetry: crate::plan::telemetry_stats::LegacyTelemetry,
}

#[derive(Debug, Clone, Default)]
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
    /// `security/cors`.
    pub cors: Option<Cors>,
    /// `security/http`.
    pub http_secure: Option<HttpSecure>,
    /// `security/bot-detector` at service level.
    pub bot_detector: Option<BotDetector>,
    /// `qos/ratelimit/router` at service level (its statics; every endpoint checks it).
    pub rate_limit: Option<RateLimit>,
    /// `modifier/lua-endpoint` at service level.
    pub lua: Option<super::lua_ir::Lua>,
}

/// `security/cors` with rs/cors's normalisation applied.
#[derive(Debug, Clone)]
pub struct Cors {
    pub origins_all: bool,
    /// Lower-case exact origins.
    pub origins: Vec<String>,
    /// Lower-case (prefix, suffix) around an origin's `*`.
    pub wildcards: Vec<(String, String)>,
    /// Compared case-sensitively; OPTIONS is always allowed.
    pub methods: Vec<String>,
    pub headers_all: bool,
    /// Lower-case, sorted, unique.
    pub headers: Vec<String>,
    /// `Access-Control-Expose-Headers`: canonical names joined by `, `.
    pub expose: Option<String>,
    pub credentials: bool,
    pub private_network: bool,
    pub passthrough: bool,
    pub success_status: u16,
    /// `Access-Control-Max-Age` (whole seconds, only when > 0).
    pub max_age: Option<String>,
    pub debug: bool,
}

/// `security/bot-detector`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BotDetector {
    /// Sorted, unique.
    pub allow: Vec<String>,
    /// Sorted, unique.
    pub deny: Vec<String>,
    /// Unanchored regexes, checked at build time.
    pub patterns: Vec<String>,
    pub empty_is_bot: bool,
}

/// `security/http` with `is_development` applied.
#[derive(Debug, Clone)]
pub struct HttpSecure {
    pub allowed_hosts: Option<AllowedHosts>,
    /// Lower-case names.
    pub host_proxy_headers: Vec<String>,
    pub ssl_redirect: bool,
    pub ssl_host: Option<String>,
    /// Lower-case name and the value that marks a request as HTTPS.
    pub ssl_proxy_headers: Vec<(String, String)>,
    /// `Strict-Transport-Security` value.
    pub sts: Option<String>,
    pub force_sts: bool,
    /// Headers set on every covered answer (lower-case names).
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub enum AllowedHosts {
    /// Compared case-insensitively.
    Plain(Vec<String>),
    /// Anchored (`^entry$`) regexes, checked at build time.
    Regex(Vec<String>),
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
    /// Backend calls are measured (`telemetry/opentelemetry` with an exporter).
    pub metrics: bool,
    /// Its proxy pipe is measured for `/__stats` (`telemetry/metrics` without `proxy_disabled`).
    pub pipe_metrics: bool,
    /// The spans it emits (`telemetry/opentelemetry` or `telemetry/opencensus` traces).
    pub tracing: crate::plan::telemetry::EndpointTracing,
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
    /// `proxy.static`: the strategy and the members of the data object.
    pub static_data: Option<(StaticStrategy, Vec<(String, StaticValue)>)>,
    /// `@test` examples, each one more generated test.
    pub examples: Vec<Example>,
    /// `validation/json-schema`: the schema as embedded JSON text (`$schema` defaulted).
    pub json_schema: Option<String>,
    /// Endpoint `validation/cel` (`None`: no namespace, or no rule that ever runs).
    pub cel: Option<Cel>,
    /// `security/bot-detector` at endpoint level.
    pub bot_detector: Option<BotDetector>,
    /// `auth/validator` (ir_auth.rs).
    pub auth_validator: Option<super::ir_auth::Validator>,
    /// `qos/ratelimit/router` (+ `krustd/ratelimit/redis`), when it limits something.
    pub rate_limit: Option<RateLimit>,
    /// `modifier/lua-endpoint` (router level, `pre` only).
    pub lua_endpoint: Option<super::lua_ir::Lua>,
    /// `modifier/lua-proxy`.
    pub lua_proxy: Option<super::lua_ir::Lua>,
    /// The service-level `qos/ratelimit/router`, checked before the endpoint's own limits.
    pub service_rate_limit: Option<RateLimit>,
    /// `auth/signer` (ir_signer.rs).
    pub auth_signer: Option<super::ir_signer::Signer>,
    /// Whether the client body is written straight from the backends' bytes
    /// (`plan/lower/canonical_json.rs`).
    pub canonical_json: CanonicalJson,
}

/// How an endpoint's JSON answer is written (issue 9; `plan/lower/canonical_json.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanonicalJson {
    /// Decoded into a `Value`, merged and rendered (the shared path).
    No,
    /// The one backend's answer, written from its bytes (`runtime::canonical_json::call`).
    Single,
    /// Each backend's `allow`ed part under its own `group`, each rendered from its bytes
    /// (`runtime::canonical_json::call_group`).
    Groups,
}

/// A KrakenD token bucket: one token every `fill_ns`, `capacity` tokens when full (KrakenD's
/// defaults and `every` conversion applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bucket {
    pub fill_ns: u64,
    pub capacity: u64,
}

/// `qos/ratelimit/router` of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// `max_rate` (503).
    pub endpoint: Option<Bucket>,
    /// `client_max_rate` (429).
    pub clients: Option<ClientRateLimit>,
    /// `krustd/ratelimit/redis`: both budgets kept in Redis.
    pub redis: Option<RedisRateLimit>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRateLimit {
    pub bucket: Bucket,
    pub key: ClientKey,
    /// Idle time after which a client's bucket is dropped.
    pub ttl_s: u32,
    pub cleanup_s: u32,
    pub shards: usize,
}

/// What identifies a client; header names lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientKey {
    Ip,
    IpHeader(String),
    Header(String),
    /// The path segment holding the parameter.
    Param(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisRateLimit {
    pub name: String,
    pub timeout: Duration,
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

/// A JSON value of the contract, numbers as KrakenD writes them back (Go's float64 text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticValue {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<StaticValue>),
    Object(Vec<(String, StaticValue)>),
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
    /// Whether the steps are compiled into the parse or run on the generic path.
    pub shaping: Shaping,
    /// Sequential references this step's url_pattern resolves: (step, dot path), in the
    /// order of `UrlPiece::Seq` indexes.
    pub seq_refs: Vec<(usize, Vec<String>)>,
    /// Sequential values this step's request parameters carry (lura's `Resp<N>_<path>`):
    /// (name, step, dot path); set only when the backend's Lua, CEL or GraphQL can read them.
    pub seq_params: Vec<(String, usize, Vec<String>)>,
    /// A `no-op` step of a sequence whose whole answer (`resp<N>`) is propagated: its raw
    /// body is kept for the later steps.
    pub keep_body: bool,
    /// `backend/http/client.send_body_on_redirect`.
    pub send_body_on_redirect: bool,
    /// `modifier/martian`, when the backend has it (and it does something).
    pub martian: Option<super::martian_ir::Martian>,
    /// `backend/graphql`, when the backend has it.
    pub graphql: Option<super::graphql_ir::GraphQl>,
    /// `auth/client-credentials`, when the backend has it.
    pub client_credentials: Option<super::client_credentials_ir::ClientCredentials>,
    /// Backend `validation/cel`.
    pub cel: Option<Cel>,
    /// `qos/ratelimit/proxy`, when `max_rate` > 0.
    pub rate_limit: Option<Bucket>,
    /// `qos/circuit-breaker`, when it has an effect.
    pub breaker: Option<Breaker>,
    /// `qos/http-cache`, on a GET or HEAD backend.
    pub http_cache: Option<HttpCache>,
    /// `modifier/lua-backend`.
    pub lua: Option<super::lua_ir::Lua>,
}

/// `qos/circuit-breaker` with its defaults applied (timeout 0 → 60 s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    pub name: String,
    /// Seconds; 0 = the counters never reset.
    pub interval: u64,
    /// Seconds the breaker stays open.
    pub timeout: u64,
    pub max_errors: u32,
    pub log_status_change: bool,
}

/// `qos/http-cache`: which store, and its bounds (Krustd's default when none is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCache {
    pub shared: bool,
    /// Bytes.
    pub max_size: u64,
    /// Entries; 0 = no count of its own.
    pub max_items: u64,
}

/// `validation/cel` rules of one endpoint or backend, split by phase (see `crate::validation`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cel {
    pub pre: CelPhase,
    pub post: CelPhase,
    pub jwt: CelPhase,
    /// The endpoint parameters as `req_params` keys (first letter upper-case), in order.
    pub param_names: Vec<String>,
}

/// The expressions of one phase, in contract order, and the variables they use (bits).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CelPhase {
    pub exprs: Vec<String>,
    pub uses: u16,
}

/// How a backend's data gets shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shaping {
    /// No manipulation steps at all.
    Unshaped,
    /// Every step on the generic path, for the reason given (said in the generated code).
    Generic(&'static str),
    /// The first `covers` steps compiled into the parse; the others, if any, on the generic
    /// path for the reason given.
    Projected {
        projection: Projection,
        covers: usize,
        rest: Option<&'static str>,
    },
}

/// What the runtime's `projection::Projection` holds, in plan form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// `JsonObject`, `JsonCollection` or `SafeJson`.
    pub decode: Decode,
    pub target: Vec<String>,
    pub select: Select,
    pub mapping: Vec<(String, String)>,
    pub group: Option<String>,
}

/// Which keys of the targeted object survive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    /// The effective `allow` paths as a tree (see [`allow_tree`]).
    Allow(Vec<Field>),
    /// The `deny` paths as a tree (see [`deny_tree`]).
    Deny(Vec<Field>),
}

/// One key of a tree; siblings are unique and sorted by key (byte order), as the runtime
/// searches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    /// Empty: a path ends here.
    pub below: Vec<Field>,
}

/// One `@test` example of an endpoint, ready to emit (a Krustd extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// What the example shows (its `name`, else its position).
    pub name: String,
    pub method: String,
    /// The request path, without the query.
    pub path: String,
    /// The encoded query string (empty: none).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// One answer per backend, in backend order.
    pub backends: Vec<ExampleAnswer>,
    pub response: ExampleAnswer,
}

/// A backend's answer, or the expected gateway answer of an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleAnswer {
    pub status: u16,
    pub content_type: String,
    /// The body as sent (backends) or as JSON text (expected answer); `None`: not checked.
    pub body: Option<String>,
    /// The expected body was a JSON string: compared as exact text.
    pub body_is_text: bool,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
}
