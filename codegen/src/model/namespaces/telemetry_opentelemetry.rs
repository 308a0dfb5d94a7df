//! `telemetry/opentelemetry` (service level): KrakenD's OpenTelemetry integration
//! (krakend-otel): the Prometheus and OTLP exporters, traces and their layers. The keys Krustd
//! does not implement yet are read and reported (a warning: telemetry does not change what the
//! gateway serves). The OTLP and layer keys are read in `telemetry_otel_layers.rs`.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;

pub const NAME: &str = "telemetry/opentelemetry";
/// Keys Krustd implements.
pub const KEYS: &[&str] = &[
    "service_name",
    "skip_paths",
    "exporters",
    "service_version",
    "deploy_env",
    "trace_sample_rate",
    "metric_reporting_period",
    "layers",
];
/// Keys KrakenD reads that Krustd does not implement yet (a warning).
pub const NOT_YET: &[&str] = &["histograms"];
/// Keys of `exporters.prometheus[]`; `process_metrics` and `go_metrics` have no Rust meaning.
/// krakend-otel reads the listen address from `host`; `listen_ip` is KrakenD's documented name.
pub const PROMETHEUS_KEYS: &[&str] = &[
    "name",
    "port",
    "host",
    "listen_ip",
    "process_metrics",
    "go_metrics",
];
/// KrakenD's `skip_paths` default.
pub const DEFAULT_SKIP_PATHS: &[&str] = &["/__health", "/__debug/", "/__echo/", "/__stats/"];

#[derive(Debug, Default)]
pub struct OtelOptions {
    pub pointer: String,
    pub service_name: Option<At<String>>,
    pub skip_paths: Option<Vec<String>>,
    pub prometheus: Vec<PrometheusOptions>,
    /// `exporters.otlp[]`.
    pub otlp: Vec<super::telemetry_otel_layers::OtlpOptions>,
    /// `service_version`, `deploy_env`, `trace_sample_rate`, `metric_reporting_period`, `layers`.
    pub traces: super::telemetry_otel_layers::TraceOptions,
    /// Keys of [`NOT_YET`] present.
    pub not_yet: Vec<At<String>>,
    pub unknown: Vec<At<String>>,
}

#[derive(Debug, Default)]
pub struct PrometheusOptions {
    pub pointer: String,
    pub name: String,
    pub port: Option<At<i64>>,
    /// `host` (krakend-otel's key), else `listen_ip`.
    pub listen_ip: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl OtelOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let service_name = match r.get("service_name") {
            Some((Value::String(s), p)) => Some(At {
                value: s.clone(),
                pointer: p,
            }),
            Some((_, p)) => {
                d.error(&p, "`service_name` must be a string", None);
                None
            }
            None => None,
        };
        let skip_paths = match r.get("skip_paths") {
            Some((Value::Array(a), p)) => {
                let mut out = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    match v {
                        Value::String(s) => out.push(s.clone()),
                        _ => d.error(
                            &child(&p, &i.to_string()),
                            "a skip path must be a string",
                            None,
                        ),
                    }
                }
                Some(out)
            }
            Some((_, p)) => {
                d.error(&p, "`skip_paths` must be a list of paths", None);
                None
            }
            None => None,
        };
        let mut prometheus = Vec::new();
        let mut otlp = Vec::new();
        let mut unknown_exporters = Vec::new();
        if let Some((v, p)) = r.get("exporters") {
            let mut e = NsReader::new(d, "exporters", v, &p);
            if let Some((v, p)) = e.get("prometheus") {
                match v {
                    Value::Array(list) => {
                        for (i, item) in list.iter().enumerate() {
                            prometheus.push(PrometheusOptions::read(
                                d,
                                item,
                                &child(&p, &i.to_string()),
                            ));
                        }
                    }
                    _ => d.error(&p, "`exporters.prometheus` must be a list", None),
                }
            }
            if let Some((v, p)) = e.get("otlp") {
                otlp = super::telemetry_otel_layers::OtlpOptions::read_list(d, v, &p);
            }
            unknown_exporters = e.finish();
        }
        let traces = super::telemetry_otel_layers::TraceOptions::read(d, &mut r);
        let not_yet = NOT_YET
            .iter()
            .filter_map(|k| {
                r.get(k).map(|(_, pointer)| At {
                    value: (*k).to_owned(),
                    pointer,
                })
            })
            .collect();
        let mut unknown = r.finish();
        unknown.extend(unknown_exporters);
        OtelOptions {
            pointer: pointer.to_owned(),
            service_name,
            skip_paths,
            prometheus,
            otlp,
            traces,
            not_yet,
            unknown,
        }
    }
}

impl PrometheusOptions {
    fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, "exporters.prometheus[]", value, pointer);
        let name = match r.get("name") {
            Some((Value::String(s), _)) => s.clone(),
            _ => String::new(),
        };
        let port = match r.get("port") {
            Some((Value::Number(n), p)) => n.as_i64().map(|v| At {
                value: v,
                pointer: p,
            }),
            Some((_, p)) => Some(At {
                value: -1,
                pointer: p,
            }),
            None => None,
        };
        let mut ip = |key: &str| match r.get(key) {
            Some((Value::String(s), p)) => Some(At {
                value: s.clone(),
                pointer: p,
            }),
            Some((_, p)) => {
                d.error(&p, format!("`{key}` must be a string"), None);
                None
            }
            None => None,
        };
        let listen_ip = ip("listen_ip");
        let listen_ip = ip("host").or(listen_ip);
        r.get("process_metrics");
        r.get("go_metrics");
        PrometheusOptions {
            pointer: pointer.to_owned(),
            name,
            port,
            listen_ip,
            unknown: r.finish(),
        }
    }
}
