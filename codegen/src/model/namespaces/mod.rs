//! The `extra_config` namespaces Krustd implements, one typed struct per namespace, each in its
//! own file. Every namespace is read once, here, with every type error reported (serde_derive's
//! `attr.rs`); keys a namespace does not know are kept in its `unknown` list for `check` to
//! judge. After `model`, nothing looks at the namespace's JSON again.
//!
//! Which namespaces are implemented at which level is said once, by the fields of
//! [`ServiceNamespaces`], [`EndpointNamespaces`] and [`BackendNamespaces`] and their
//! `IMPLEMENTED` lists; `check` reports any other namespace present.

pub mod backend_http;
pub mod backend_http_client;
pub mod proxy;
pub mod router;
pub mod telemetry_logging;
pub mod telemetry_opentelemetry;

pub use backend_http::BackendHttpOptions;
pub use backend_http_client::BackendHttpClientOptions;
pub use proxy::ProxyOptions;
pub use router::RouterOptions;
pub use telemetry_logging::LoggingOptions;
pub use telemetry_opentelemetry::OtelOptions;

use super::reader::RawExtraConfig;
use super::{child, is_annotation, At};
use crate::diag::Diagnostics;
use serde_json::{Map, Value};

/// Service-level namespaces.
#[derive(Debug, Default)]
pub struct ServiceNamespaces {
    pub router: Option<RouterOptions>,
    pub logging: Option<LoggingOptions>,
    pub opentelemetry: Option<OtelOptions>,
}

impl ServiceNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] = &[
        router::NAME,
        telemetry_logging::NAME,
        telemetry_opentelemetry::NAME,
    ];

    pub fn read(d: &mut Diagnostics, ec: &RawExtraConfig<'_>) -> Self {
        ServiceNamespaces {
            router: ec
                .get(router::NAME)
                .map(|n| RouterOptions::read(d, n.value, &n.pointer)),
            logging: ec
                .get(telemetry_logging::NAME)
                .map(|n| LoggingOptions::read(d, n.value, &n.pointer)),
            opentelemetry: ec
                .get(telemetry_opentelemetry::NAME)
                .map(|n| OtelOptions::read(d, n.value, &n.pointer)),
        }
    }
}

/// Endpoint-level namespaces.
#[derive(Debug, Default)]
pub struct EndpointNamespaces {
    pub proxy: Option<ProxyOptions>,
}

impl EndpointNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] = &[proxy::NAME];

    pub fn read(d: &mut Diagnostics, ec: &RawExtraConfig<'_>) -> Self {
        EndpointNamespaces {
            proxy: ec
                .get(proxy::NAME)
                .map(|n| ProxyOptions::read(d, n.value, &n.pointer, proxy::Level::Endpoint)),
        }
    }
}

/// Backend-level namespaces.
#[derive(Debug, Default)]
pub struct BackendNamespaces {
    pub http: Option<BackendHttpOptions>,
    pub http_client: Option<BackendHttpClientOptions>,
    pub proxy: Option<ProxyOptions>,
}

impl BackendNamespaces {
    pub const IMPLEMENTED: &'static [&'static str] =
        &[backend_http::NAME, backend_http_client::NAME, proxy::NAME];

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
