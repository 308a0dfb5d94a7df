//! The `extra_config` namespaces Krustd implements, one typed struct per namespace, each in its
//! own file. Every namespace is read once, here, with every type error reported (serde_derive's
//! `attr.rs`); keys a namespace does not know are kept in its `unknown` list for `check` to
//! judge. After `model`, nothing looks at the namespace's JSON again.
//!
//! Which namespaces are implemented at which level is said once, by the fields of
//! [`ServiceNamespaces`], [`EndpointNamespaces`] and [`BackendNamespaces`] and their
//! `IMPLEMENTED` lists; `check` reports any other namespace present.

pub mod auth_client_credentials;
pub mod auth_signer;
pub mod auth_validator;
pub mod backend_graphql;
pub mod backend_http;
pub mod backend_http_client;
pub mod krustd_compression;
pub mod krustd_ratelimit_redis;
pub mod modifier_lua;
pub mod modifier_martian;
pub mod proxy;
pub mod qos_circuit_breaker;
pub mod qos_http_cache;
pub mod qos_ratelimit_proxy;
pub mod qos_ratelimit_router;
pub mod router;
pub mod security_bot_detector;
pub mod security_cors;
pub mod security_http;
pub(crate) mod security_values;
pub mod telemetry_gelf;
pub mod telemetry_influx;
pub mod telemetry_logging;
pub mod telemetry_metrics;
pub mod telemetry_opencensus;
pub mod telemetry_opentelemetry;
pub mod telemetry_otel_layers;
pub mod validation_cel;
pub mod validation_json_schema;

pub use auth_client_credentials::ClientCredentialsOptions;
pub use auth_signer::AuthSignerOptions;
pub use auth_validator::{AuthValidatorOptions, SharedCacheOptions};
pub use backend_graphql::GraphQlOptions;
pub use backend_http::BackendHttpOptions;
pub use backend_http_client::BackendHttpClientOptions;
pub use krustd_compression::CompressionOptions;
pub use krustd_ratelimit_redis::RedisRateLimitOptions;
pub use modifier_lua::LuaOptions;
pub use modifier_martian::MartianOptions;
pub use proxy::ProxyOptions;
pub use qos_circuit_breaker::CircuitBreakerOptions;
pub use qos_http_cache::HttpCacheOptions;
pub use qos_ratelimit_proxy::ProxyRateLimitOptions;
pub use qos_ratelimit_router::RateLimitOptions;
pub use router::RouterOptions;
pub use security_bot_detector::BotDetectorOptions;
pub use security_cors::CorsOptions;
pub use security_http::HttpSecureOptions;
pub use telemetry_gelf::{GelfOptions, LogstashOptions};
pub use telemetry_influx::InfluxOptions;
pub use telemetry_logging::LoggingOptions;
pub use telemetry_metrics::MetricsOptions;
pub use telemetry_opentelemetry::OtelOptions;
pub use validation_cel::CelOptions;
pub use validation_json_schema::JsonSchemaOptions;

use super::reader::RawExtraConfig;
use super::{child, is_annotation, At};
use crate::diag::Diagnostics;
use serde_json::{Map, Value};

/// Service-level namespaces.
#[derive(Debug, Default)]
pub struct ServiceNamespaces {
    pub router: Option<RouterOptions>,
    pub logging: Option<LoggingOptions>,
    pub cors: Option<CorsOptions>,
    pub http_secure: Option<HttpSecureOptions>,
    pub bot_detector: Option<BotDetectorOptions>,
    pub auth_validator: Option<SharedCacheOptions>,
    pub opentelemetry: Option<OtelOptions>,
    pub compression: Option<CompressionOptions>,
    pub opencensus: Option<telemetry_opencensus::OpencensusOptions>,
    /// `qos/ratelimit/router` at service level: every endpoint, before its own limits.
    pub rate_limit: Option<RateLimitOptions>,
    pub stats: Option<MetricsOptions>,
    pub influx: Option<InfluxOptions>,
    pub gelf: Option<GelfOptions>,
    pub logstash: Option<LogstashOptions>,
    /// `modifier/lua-endpoint` at service level (krakend-lua's engine middleware).
    pub lua_endpoint: Option<LuaOptions>,
}

impl ServiceNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] = &[
        router::NAME,
        telemetry_logging::NAME,
        security_cors::NAME,
        security_http::NAME,
        security_bot_detector::NAME,
        auth_validator::NAME,
        telemetry_opentelemetry::NAME,
        krustd_compression::NAME,
        telemetry_opencensus::NAME,
        qos_ratelimit_router::NAME,
        telemetry_metrics::NAME,
        telemetry_influx::NAME,
        telemetry_gelf::NAME,
        telemetry_gelf::LOGSTASH,
        modifier_lua::ENDPOINT,
    ];

    pub fn read(d: &mut Diagnostics, ec: &RawExtraConfig<'_>) -> Self {
        ServiceNamespaces {
            lua_endpoint: ec
                .get(modifier_lua::ENDPOINT)
                .map(|n| LuaOptions::read(d, modifier_lua::ENDPOINT, n.value, &n.pointer)),
            router: ec
                .get(router::NAME)
                .map(|n| RouterOptions::read(d, n.value, &n.pointer)),
            logging: ec
                .get(telemetry_logging::NAME)
                .map(|n| LoggingOptions::read(d, n.value, &n.pointer)),
            cors: ec
                .get(security_cors::NAME)
                .map(|n| CorsOptions::read(d, n.value, &n.pointer)),
            http_secure: ec
                .get(security_http::NAME)
                .map(|n| HttpSecureOptions::read(d, n.value, &n.pointer)),
            bot_detector: ec
                .get(security_bot_detector::NAME)
                .map(|n| BotDetectorOptions::read(d, n.value, &n.pointer)),
            auth_validator: ec
                .get(auth_validator::NAME)
                .map(|n| SharedCacheOptions::read(d, n.value, &n.pointer)),
            opentelemetry: ec
                .get(telemetry_opentelemetry::NAME)
                .map(|n| OtelOptions::read(d, n.value, &n.pointer)),
            compression: ec
                .get(krustd_compression::NAME)
                .map(|n| CompressionOptions::read(d, n.value, &n.pointer)),
            opencensus: ec
                .get(telemetry_opencensus::NAME)
                .map(|n| telemetry_opencensus::OpencensusOptions::read(d, n.value, &n.pointer)),
            rate_limit: ec
                .get(qos_ratelimit_router::NAME)
                .map(|n| RateLimitOptions::read(d, n.value, &n.pointer)),
            stats: ec
                .get(telemetry_metrics::NAME)
                .map(|n| MetricsOptions::read(d, n.value, &n.pointer)),
            influx: ec
                .get(telemetry_influx::NAME)
                .map(|n| InfluxOptions::read(d, n.value, &n.pointer)),
            gelf: ec
                .get(telemetry_gelf::NAME)
                .map(|n| GelfOptions::read(d, n.value, &n.pointer)),
            logstash: ec
                .get(telemetry_gelf::LOGSTASH)
                .map(|n| LogstashOptions::read(d, n.value, &n.pointer)),
        }
    }
}

/// Endpoint-level namespaces.
#[derive(Debug, Default)]
pub struct EndpointNamespaces {
    pub proxy: Option<ProxyOptions>,
    pub bot_detector: Option<BotDetectorOptions>,
    pub auth_validator: Option<AuthValidatorOptions>,
    pub rate_limit: Option<RateLimitOptions>,
    pub redis_rate_limit: Option<RedisRateLimitOptions>,
    pub json_schema: Option<JsonSchemaOptions>,
    pub cel: Option<CelOptions>,
    pub lua_endpoint: Option<LuaOptions>,
    pub lua_proxy: Option<LuaOptions>,
    pub auth_signer: Option<AuthSignerOptions>,
}

impl EndpointNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] = &[
        proxy::NAME,
        security_bot_detector::NAME,
        auth_validator::NAME,
        qos_ratelimit_router::NAME,
        krustd_ratelimit_redis::NAME,
        validation_json_schema::NAME,
        validation_cel::NAME,
        modifier_lua::ENDPOINT,
        modifier_lua::PROXY,
        auth_signer::NAME,
    ];

    pub fn read(d: &mut Diagnostics, ec: &RawExtraConfig<'_>) -> Self {
        EndpointNamespaces {
            proxy: ec
                .get(proxy::NAME)
                .map(|n| ProxyOptions::read(d, n.value, &n.pointer, proxy::Level::Endpoint)),
            bot_detector: ec
                .get(security_bot_detector::NAME)
                .map(|n| BotDetectorOptions::read(d, n.value, &n.pointer)),
            auth_validator: ec
                .get(auth_validator::NAME)
                .map(|n| AuthValidatorOptions::read(d, n.value, &n.pointer)),
            rate_limit: ec
                .get(qos_ratelimit_router::NAME)
                .map(|n| RateLimitOptions::read(d, n.value, &n.pointer)),
            redis_rate_limit: ec
                .get(krustd_ratelimit_redis::NAME)
                .map(|n| RedisRateLimitOptions::read(d, n.value, &n.pointer)),
            json_schema: ec
                .get(validation_json_schema::NAME)
                .map(|n| JsonSchemaOptions::read(n.value, &n.pointer)),
            cel: ec
                .get(validation_cel::NAME)
                .map(|n| CelOptions::read(d, n.value, &n.pointer)),
            lua_endpoint: ec
                .get(modifier_lua::ENDPOINT)
                .map(|n| LuaOptions::read(d, modifier_lua::ENDPOINT, n.value, &n.pointer)),
            lua_proxy: ec
                .get(modifier_lua::PROXY)
                .map(|n| LuaOptions::read(d, modifier_lua::PROXY, n.value, &n.pointer)),
            auth_signer: ec
                .get(auth_signer::NAME)
                .map(|n| AuthSignerOptions::read(d, n.value, &n.pointer)),
        }
    }
}

/// Backend-level namespaces.
#[derive(Debug, Default)]
pub struct BackendNamespaces {
    pub http: Option<BackendHttpOptions>,
    pub http_client: Option<BackendHttpClientOptions>,
    pub proxy: Option<ProxyOptions>,
    pub circuit_breaker: Option<CircuitBreakerOptions>,
    pub http_cache: Option<HttpCacheOptions>,
    pub rate_limit: Option<ProxyRateLimitOptions>,
    pub cel: Option<CelOptions>,
    pub martian: Option<MartianOptions>,
    pub graphql: Option<GraphQlOptions>,
    pub client_credentials: Option<ClientCredentialsOptions>,
    pub lua: Option<LuaOptions>,
}

impl BackendNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] = &[
        backend_http::NAME,
        backend_http_client::NAME,
        proxy::NAME,
        qos_circuit_breaker::NAME,
        qos_http_cache::NAME,
        qos_ratelimit_proxy::NAME,
        validation_cel::NAME,
        modifier_martian::NAME,
        backend_graphql::NAME,
        auth_client_credentials::NAME,
        modifier_lua::BACKEND,
    ];

    pub fn read(d: &mut Diagnostics, ec: &RawExtraConfig<'_>) -> Self {
        BackendNamespaces {
            http: ec
                .get(backend_http::NAME)
                .map(|n| BackendHttpOptions::read(d, n.value, &n.pointer)),
            http_client: ec
                .get(backend_http_client::NAME)
                .map(|n| BackendHttpClientOptions::read(d, n.value, &n.pointer)),
            proxy: ec
                .get(proxy::NAME)
                .map(|n| ProxyOptions::read(d, n.value, &n.pointer, proxy::Level::Backend)),
            circuit_breaker: ec
                .get(qos_circuit_breaker::NAME)
                .map(|n| CircuitBreakerOptions::read(d, n.value, &n.pointer)),
            http_cache: ec
                .get(qos_http_cache::NAME)
                .map(|n| HttpCacheOptions::read(d, n.value, &n.pointer)),
            rate_limit: ec
                .get(qos_ratelimit_proxy::NAME)
                .map(|n| ProxyRateLimitOptions::read(d, n.value, &n.pointer)),
            cel: ec
                .get(validation_cel::NAME)
                .map(|n| CelOptions::read(d, n.value, &n.pointer)),
            martian: ec
                .get(modifier_martian::NAME)
                .map(|n| MartianOptions::read(d, n.value, &n.pointer)),
            graphql: ec
                .get(backend_graphql::NAME)
                .map(|n| GraphQlOptions::read(d, n.value, &n.pointer)),
            client_credentials: ec
                .get(auth_client_credentials::NAME)
                .map(|n| ClientCredentialsOptions::read(d, n.value, &n.pointer)),
            lua: ec
                .get(modifier_lua::BACKEND)
                .map(|n| LuaOptions::read(d, modifier_lua::BACKEND, n.value, &n.pointer)),
        }
    }
}

/// The keys of one namespace object, read by exact name (as KrakenD's config structs do).
pub(crate) struct NsReader<'a> {
    map: Option<&'a Map<String, Value>>,
    pointer: String,
    used: Vec<&'a str>,
}

impl<'a> NsReader<'a> {
    /// Reports `` `name` must be an object `` when the namespace is not an object.
    pub fn new(d: &mut Diagnostics, name: &str, value: &'a Value, pointer: &str) -> Self {
        let map = match value {
            Value::Object(m) => Some(m),
            _ => {
                d.error(pointer, format!("`{name}` must be an object"), None);
                None
            }
        };
        NsReader {
            map,
            pointer: pointer.to_owned(),
            used: Vec::new(),
        }
    }

    /// The value of `key` and its pointer, marking the key as known.
    pub fn get(&mut self, key: &str) -> Option<(&'a Value, String)> {
        let (k, v) = self.map?.get_key_value(key)?;
        self.used.push(k.as_str());
        Some((v, child(&self.pointer, k)))
    }

    /// A boolean; anything else is reported with `message(key)`.
    pub fn bool(
        &mut self,
        d: &mut Diagnostics,
        key: &str,
        message: impl Fn(&str) -> (String, Option<String>),
    ) -> Option<At<bool>> {
        let (v, pointer) = self.get(key)?;
        match v {
            Value::Bool(b) => Some(At { value: *b, pointer }),
            _ => {
                let (msg, help) = message(key);
                d.error(&pointer, msg, help);
                None
            }
        }
    }

    /// A string; anything else is reported as `` `ns.key` must be a string `` (`` `key` `` alone
    /// when `ns` is empty).
    pub fn string(&mut self, d: &mut Diagnostics, ns: &str, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.get(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            _ => {
                let name = if ns.is_empty() {
                    key.to_owned()
                } else {
                    format!("{ns}.{key}")
                };
                d.error(&pointer, format!("`{name}` must be a string"), None);
                None
            }
        }
    }

    /// The keys that were not read (annotations aside), in the object's order.
    pub fn finish(self) -> Vec<At<String>> {
        let Some(map) = self.map else {
            return Vec::new();
        };
        map.keys()
            .filter(|k| !is_annotation(k) && !self.used.contains(&k.as_str()))
            .map(|k| At {
                value: k.clone(),
                pointer: child(&self.pointer, k),
            })
            .collect()
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
