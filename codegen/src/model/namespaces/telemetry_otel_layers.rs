//! The trace-related keys of `telemetry/opentelemetry`: `exporters.otlp[]`, the service
//! attributes, `trace_sample_rate`, `metric_reporting_period` and `layers` (krakend-otel's
//! `config.go`). Every key is read here once; the rules on values live in
//! `check/telemetry_otel.rs`.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;

/// Keys of `exporters.otlp[]`.
pub const OTLP_KEYS: &[&str] = &[
    "name",
    "host",
    "port",
    "use_http",
    "disable_metrics",
    "disable_traces",
    "custom_metric_reporting_period",
];
/// Boolean switches of `layers.global`.
pub const GLOBAL_FLAGS: &[&str] = &[
    "disable_metrics",
    "disable_traces",
    "disable_propagation",
    "report_headers",
];
/// Boolean switches of `layers.proxy`.
pub const PROXY_FLAGS: &[&str] = &["disable_metrics", "disable_traces", "report_headers"];
/// Boolean switches of `layers.backend.traces`.
pub const BACKEND_TRACE_FLAGS: &[&str] = &[
    "disable_stage",
    "round_trip",
    "read_payload",
    "detailed_connection",
    "report_headers",
];
/// Boolean switches of `layers.backend.metrics`.
pub const BACKEND_METRIC_FLAGS: &[&str] = &[
    "disable_stage",
    "round_trip",
    "read_payload",
    "detailed_connection",
];
/// Layer keys KrakenD reads that Krustd ignores (a warning).
pub const LAYER_NOT_YET: &[&str] = &[
    "metrics_static_attributes",
    "traces_static_attributes",
    "static_attributes",
    "semantic_convention",
];

/// One `exporters.otlp[]` entry.
#[derive(Debug, Default)]
pub struct OtlpOptions {
    pub pointer: String,
    pub name: String,
    pub host: Option<At<String>>,
    pub port: Option<At<i64>>,
    pub use_http: bool,
    pub disable_metrics: bool,
    pub disable_traces: bool,
    pub custom_metric_reporting_period: Option<At<i64>>,
    pub unknown: Vec<At<String>>,
}

/// One layer object: its boolean switches and `skip_headers`.
#[derive(Debug, Default)]
pub struct LayerOptions {
    pub pointer: String,
    pub flags: Vec<(String, bool)>,
    pub skip_headers: Vec<String>,
    /// Keys of [`LAYER_NOT_YET`] present.
    pub not_yet: Vec<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl LayerOptions {
    /// The switch `key`, `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> bool {
        self.flags
            .iter()
            .find(|(k, _)| k == key)
            .map_or(default, |(_, v)| *v)
    }

    fn read(d: &mut Diagnostics, name: &str, value: &Value, pointer: &str, flags: &[&str]) -> Self {
        let mut r = NsReader::new(d, name, value, pointer);
        let mut out = LayerOptions {
            pointer: pointer.to_owned(),
            ..LayerOptions::default()
        };
        for f in flags {
            if let Some(b) = r.bool(d, f, |k| (format!("`{k}` must be a boolean"), None)) {
                out.flags.push(((*f).to_owned(), b.value));
            }
        }
        if let Some((v, p)) = r.get("skip_headers") {
            out.skip_headers = strings(d, v, &p, "`skip_headers` must be a list of header names");
        }
        for k in LAYER_NOT_YET {
            if let Some((_, pointer)) = r.get(k) {
                out.not_yet.push(At {
                    value: (*k).to_owned(),
                    pointer,
                });
            }
        }
        out.unknown = r.finish();
        out
    }
}

/// `layers`.
#[derive(Debug, Default)]
pub struct LayersOptions {
    pub pointer: String,
    pub global: Option<LayerOptions>,
    pub proxy: Option<LayerOptions>,
    pub backend_traces: Option<LayerOptions>,
    pub backend_metrics: Option<LayerOptions>,
    pub unknown: Vec<At<String>>,
}

/// The service attributes, sampling and layers.
#[derive(Debug, Default)]
pub struct TraceOptions {
    pub service_version: Option<At<String>>,
    pub deploy_env: Option<At<String>>,
    pub trace_sample_rate: Option<At<f64>>,
    pub metric_reporting_period: Option<At<i64>>,
    pub layers: Option<LayersOptions>,
}

fn strings(d: &mut Diagnostics, v: &Value, p: &str, message: &str) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .filter_map(|(i, v)| match v {
                Value::String(s) => Some(s.clone()),
                _ => {
                    d.error(&child(p, &i.to_string()), message, None);
                    None
                }
            })
            .collect(),
        _ => {
            d.error(p, message, None);
            Vec::new()
        }
    }
}

fn string(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<String>> {
    r.string(d, "", key)
}

fn integer(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<i64>> {
    match r.get(key)? {
        (Value::Number(n), pointer) if n.as_i64().is_some() => Some(At {
            value: n.as_i64().unwrap_or_default(),
            pointer,
        }),
        (_, p) => {
            d.error(&p, format!("`{key}` must be an integer"), None);
            None
        }
    }
}

impl TraceOptions {
    /// Reads the keys from the namespace's reader.
    pub(crate) fn read(d: &mut Diagnostics, r: &mut NsReader<'_>) -> Self {
        let service_version = string(d, r, "service_version");
        let deploy_env = string(d, r, "deploy_env");
        let trace_sample_rate = match r.get("trace_sample_rate") {
            Some((Value::Number(n), pointer)) => n.as_f64().map(|value| At { value, pointer }),
            Some((_, p)) => {
                d.error(&p, "`trace_sample_rate` must be a number from 0 to 1", None);
                None
            }
            None => None,
        };
        let metric_reporting_period = integer(d, r, "metric_reporting_period");
        let layers = r.get("layers").map(|(v, p)| LayersOptions::read(d, v, &p));
        TraceOptions {
            service_version,
            deploy_env,
            trace_sample_rate,
            metric_reporting_period,
            layers,
        }
    }
}

impl LayersOptions {
    fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, "layers", value, pointer);
        let global = r
            .get("global")
            .map(|(v, p)| LayerOptions::read(d, "layers.global", v, &p, GLOBAL_FLAGS));
        let proxy = r
            .get("proxy")
            .map(|(v, p)| LayerOptions::read(d, "layers.proxy", v, &p, PROXY_FLAGS));
        let (mut backend_traces, mut backend_metrics, mut unknown) = (None, None, Vec::new());
        if let Some((v, p)) = r.get("backend") {
            let mut b = NsReader::new(d, "layers.backend", v, &p);
            backend_traces = b.get("traces").map(|(v, p)| {
                LayerOptions::read(d, "layers.backend.traces", v, &p, BACKEND_TRACE_FLAGS)
            });
            backend_metrics = b.get("metrics").map(|(v, p)| {
                LayerOptions::read(d, "layers.backend.metrics", v, &p, BACKEND_METRIC_FLAGS)
            });
            unknown = b.finish();
        }
        unknown.extend(r.finish());
        LayersOptions {
            pointer: pointer.to_owned(),
            global,
            proxy,
            backend_traces,
            backend_metrics,
            unknown,
        }
    }
}

impl OtlpOptions {
    /// `exporters.otlp`, a list.
    pub fn read_list(d: &mut Diagnostics, value: &Value, pointer: &str) -> Vec<Self> {
        match value {
            Value::Array(list) => list
                .iter()
                .enumerate()
                .map(|(i, item)| OtlpOptions::read(d, item, &child(pointer, &i.to_string())))
                .collect(),
            _ => {
                d.error(pointer, "`exporters.otlp` must be a list", None);
                Vec::new()
            }
        }
    }

    fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, "exporters.otlp[]", value, pointer);
        let name = string(d, &mut r, "name")
            .map(|n| n.value)
            .unwrap_or_default();
        let host = string(d, &mut r, "host");
        let port = integer(d, &mut r, "port");
        let mut flag = |k: &str| {
            r.bool(d, k, |k| (format!("`{k}` must be a boolean"), None))
                .is_some_and(|b| b.value)
        };
        let use_http = flag("use_http");
        let disable_metrics = flag("disable_metrics");
        let disable_traces = flag("disable_traces");
        let custom_metric_reporting_period = integer(d, &mut r, "custom_metric_reporting_period");
        OtlpOptions {
            pointer: pointer.to_owned(),
            name,
            host,
            port,
            use_http,
            disable_metrics,
            disable_traces,
            custom_metric_reporting_period,
            unknown: r.finish(),
        }
    }
}
