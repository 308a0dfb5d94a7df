//! Lowering the traces of `telemetry/opentelemetry` (OTLP exporters, layers, sampling) and of
//! `telemetry/opencensus` (mapped onto the same plan: Jaeger → OTLP/HTTP, Prometheus → the
//! Prometheus exporter).

use crate::model::namespaces::telemetry_opencensus::{split_address, OpencensusOptions};
use crate::model::namespaces::telemetry_opentelemetry::{OtelOptions, DEFAULT_SKIP_PATHS};
use crate::model::namespaces::telemetry_otel_layers::{LayerOptions, OtlpOptions};
use crate::model::Service;
use crate::plan::telemetry::{
    EndpointTracing, LayerPlan, MetricsPlan, OtlpPlan, PrometheusPlan, TracesPlan,
};

/// KrakenD's `metric_reporting_period` default, seconds.
const METRIC_PERIOD: u64 = 30;
/// OpenCensus' Prometheus exporter port default.
const OPENCENSUS_PROMETHEUS_PORT: u16 = 9091;

fn contract_name(s: &Service) -> &str {
    s.name.as_ref().map_or("", |n| n.value.as_str())
}

fn default_skip_paths() -> Vec<String> {
    DEFAULT_SKIP_PATHS.iter().map(|p| (*p).to_owned()).collect()
}

/// krakend-otel's OTLP `port` default, over gRPC and over HTTP alike.
pub const OTLP_PORT: u16 = 4317;
/// krakend-otel's OTLP `host` default (for an absent or empty `host`).
pub const OTLP_HOST: &str = "localhost";

/// `http://host:port` of an OTLP exporter: as krakend-otel, an absent or empty `host` is
/// `localhost` and an absent or 0 `port` is 4317, whatever the transport.
pub fn otlp_base_url(o: &OtlpOptions) -> Option<String> {
    let host = match o.host.as_ref().filter(|h| !h.value.is_empty()) {
        Some(h) => split_address(&h.value).ok()?.1,
        None => OTLP_HOST.to_owned(),
    };
    let port = o
        .port
        .as_ref()
        .and_then(|p| u16::try_from(p.value).ok())
        .filter(|p| *p != 0)
        .unwrap_or(OTLP_PORT);
    Some(format!("http://{host}:{port}"))
}

/// `service_name` as krakend-otel defaults it: when absent or empty, the contract `name`, else
/// `KrakenD`.
pub(super) fn service_name(o: &OtelOptions, contract_name: &str) -> String {
    [
        o.service_name.as_ref().map_or("", |s| s.value.as_str()),
        contract_name,
    ]
    .into_iter()
    .find(|n| !n.is_empty())
    .unwrap_or("KrakenD")
    .to_owned()
}

/// `layers.global.disable_metrics`: requests are not measured.
pub(super) fn global_metrics_disabled(o: &OtelOptions) -> bool {
    o.traces
        .layers
        .as_ref()
        .and_then(|l| l.global.as_ref())
        .is_some_and(|g| g.flag("disable_metrics", false))
}

/// `layers.backend.metrics` on, as krakend-otel's `Enabled()` (on when absent).
pub(super) fn backend_metrics_enabled(o: &OtelOptions) -> bool {
    o.traces
        .layers
        .as_ref()
        .and_then(|l| l.backend_metrics.as_ref())
        .is_none_or(|b| {
            !b.flag("disable_stage", false)
                || ["round_trip", "read_payload", "detailed_connection"]
                    .iter()
                    .any(|k| b.flag(k, false))
        })
}

/// The OTLP exporters that push metrics (not `disable_metrics`).
pub(super) fn otlp_metrics(o: &OtelOptions) -> Vec<OtlpPlan> {
    o.otlp
        .iter()
        .filter(|e| !e.disable_metrics)
        .filter_map(|e| {
            Some(OtlpPlan {
                name: e.name.clone(),
                base_url: otlp_base_url(e)?,
                grpc: !e.use_http,
                traces: false,
                metrics: true,
                metric_period_secs: metric_period(o, e),
            })
        })
        .collect()
}

/// The traces of the contract, when a span is recorded or a context propagated.
pub(super) fn lower_traces(s: &Service) -> Option<TracesPlan> {
    if let Some(o) = &s.ns.opentelemetry {
        return otel_traces(o, contract_name(s));
    }
    s.ns.opencensus
        .as_ref()
        .and_then(|o| opencensus_traces(o, contract_name(s)))
}

/// The spans every endpoint emits.
pub(super) fn endpoint_tracing(s: &Service) -> EndpointTracing {
    if lower_traces(s).is_none() {
        return EndpointTracing::default();
    }
    if let Some(o) = &s.ns.opentelemetry {
        let layers = o.traces.layers.as_ref();
        let proxy = layers
            .and_then(|l| l.proxy.as_ref())
            .is_none_or(|p| !p.flag("disable_traces", false));
        let backend = layers.and_then(|l| l.backend_traces.as_ref());
        let flag = |b: Option<&LayerOptions>, k: &str, default: bool| {
            b.map_or(default, |b| b.flag(k, false))
        };
        return EndpointTracing {
            proxy,
            backend_stage: !flag(backend, "disable_stage", false),
            backend_round_trip: flag(backend, "round_trip", true),
            backend_report_headers: flag(backend, "report_headers", false),
        };
    }
    let (_, pipe, backend) = opencensus_layers(s.ns.opencensus.as_ref());
    EndpointTracing {
        proxy: pipe,
        backend_stage: backend,
        backend_round_trip: backend,
        backend_report_headers: false,
    }
}

fn otel_traces(o: &OtelOptions, contract_name: &str) -> Option<TracesPlan> {
    let exporters: Vec<OtlpPlan> = o
        .otlp
        .iter()
        .filter(|e| !e.disable_traces)
        .filter_map(|e| {
            Some(OtlpPlan {
                name: e.name.clone(),
                base_url: otlp_base_url(e)?,
                grpc: !e.use_http,
                traces: true,
                metrics: false,
                metric_period_secs: metric_period(o, e),
            })
        })
        .collect();
    if exporters.is_empty() {
        return None;
    }
    let layers = o.traces.layers.as_ref();
    let global = layers.and_then(|l| l.global.as_ref());
    let proxy = layers.and_then(|l| l.proxy.as_ref());
    let backend = layers.and_then(|l| l.backend_traces.as_ref());
    let global_plan = LayerPlan {
        traces: global.is_none_or(|g| !g.flag("disable_traces", false)),
        report_headers: global.is_some_and(|g| g.flag("report_headers", false)),
    };
    let propagation = global.is_none_or(|g| !g.flag("disable_propagation", false));
    let any_span = global_plan.traces
        || proxy.is_none_or(|p| !p.flag("disable_traces", false))
        || backend.is_none_or(|b| !b.flag("disable_stage", false) || b.flag("round_trip", false));
    if !any_span && !propagation {
        return None;
    }
    let mut skip_headers: Vec<String> = [global, proxy, backend]
        .into_iter()
        .flatten()
        .flat_map(|l| l.skip_headers.iter().map(|h| h.to_ascii_lowercase()))
        .collect();
    skip_headers.sort();
    skip_headers.dedup();
    Some(TracesPlan {
        service_name: service_name(o, contract_name),
        service_version: o
            .traces
            .service_version
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default(),
        deploy_env: o
            .traces
            .deploy_env
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default(),
        sample_rate: otel_sample_rate(o),
        skip_paths: o.skip_paths.clone().unwrap_or_else(default_skip_paths),
        propagation,
        global: global_plan,
        skip_headers,
        exporters,
    })
}

/// `trace_sample_rate` as krakend-otel applies it: a ratio strictly between 0 and 1, else every
/// trace (0 included).
fn otel_sample_rate(o: &OtelOptions) -> f64 {
    o.traces
        .trace_sample_rate
        .as_ref()
        .map(|r| r.value)
        .filter(|r| *r > 0.0 && *r < 1.0)
        .unwrap_or(1.0)
}

fn metric_period(o: &OtelOptions, e: &OtlpOptions) -> u64 {
    e.custom_metric_reporting_period
        .as_ref()
        .or(o.traces.metric_reporting_period.as_ref())
        .and_then(|p| u64::try_from(p.value).ok())
        .filter(|p| *p > 0)
        .unwrap_or(METRIC_PERIOD)
}

/// `enabled_layers` (router, pipe, backend): all on without the object.
fn opencensus_layers(o: Option<&OpencensusOptions>) -> (bool, bool, bool) {
    o.and_then(|o| o.enabled_layers)
        .unwrap_or((true, true, true))
}

fn opencensus_traces(o: &OpencensusOptions, contract_name: &str) -> Option<TracesPlan> {
    let target = o.jaeger.as_ref()?.target().ok()?;
    let (router, pipe, backend) = opencensus_layers(Some(o));
    if !(router || pipe || backend) {
        return None;
    }
    let service_name = o
        .jaeger
        .as_ref()
        .and_then(|j| j.service_name.as_ref())
        .map_or_else(|| contract_name.to_owned(), |s| s.value.clone());
    Some(TracesPlan {
        service_name,
        service_version: String::new(),
        deploy_env: String::new(),
        sample_rate: o
            .sample_rate
            .as_ref()
            .map_or(0.0, |r| r.value.clamp(0, 100) as f64 / 100.0),
        skip_paths: default_skip_paths(),
        propagation: true,
        global: LayerPlan {
            traces: router,
            report_headers: false,
        },
        skip_headers: Vec::new(),
        exporters: vec![OtlpPlan {
            name: "jaeger".to_owned(),
            base_url: target.base_url,
            grpc: false,
            traces: true,
            metrics: false,
            metric_period_secs: o
                .reporting_period
                .as_ref()
                .and_then(|p| u64::try_from(p.value).ok())
                .filter(|p| *p > 0)
                .unwrap_or(METRIC_PERIOD),
        }],
    })
}

/// OpenCensus' Prometheus exporter, mapped onto Krustd's (every interface, its `port`).
pub(super) fn opencensus_metrics(s: &Service) -> Option<MetricsPlan> {
    if s.ns.opentelemetry.is_some() {
        return None;
    }
    let p = s.ns.opencensus.as_ref()?.prometheus.as_ref()?;
    Some(MetricsPlan {
        service_name: contract_name(s).to_owned(),
        skip_paths: default_skip_paths(),
        prometheus: vec![PrometheusPlan {
            name: "opencensus".to_owned(),
            listen_ip: String::new(),
            port: p
                .port
                .as_ref()
                .and_then(|p| u16::try_from(p.value).ok())
                .filter(|p| *p != 0)
                .unwrap_or(OPENCENSUS_PROMETHEUS_PORT),
        }],
        otlp: Vec::new(),
        server: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(otel: &str) -> Service {
        let text = format!(
            r#"{{"version": 3, "name": "gw", "host": ["http://b"], "extra_config": {{"telemetry/opentelemetry": {{{otel}}}}}, "endpoints": [{{"endpoint": "/a", "backend": [{{"url_pattern": "/a"}}]}}]}}"#
        );
        let source = std::sync::Arc::new(crate::diag::Source {
            name: "krakend.json".to_owned(),
            text: text.clone(),
        });
        let mut d = crate::diag::Diagnostics::new(source);
        let root: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let s = crate::model::read(&mut d, &root);
        assert!(d.finish().is_ok());
        s.unwrap_or_else(|| panic!("a service"))
    }

    const OTLP: &str =
        r#""exporters": {"otlp": [{"host": "http://c", "port": 4320, "use_http": true}]}"#;

    #[test]
    fn layer_switches() {
        let s = service(OTLP);
        let t = lower_traces(&s).unwrap_or_else(|| panic!("traces"));
        assert_eq!(t.exporters[0].base_url, "http://c:4320");
        assert!(!t.exporters[0].grpc);
        assert_eq!((t.service_name.as_str(), t.sample_rate), ("gw", 1.0));
        assert!(t.propagation && t.global.traces);
        assert_eq!(
            endpoint_tracing(&s),
            EndpointTracing {
                proxy: true,
                backend_stage: true,
                backend_round_trip: true,
                backend_report_headers: false
            }
        );
        assert_eq!(
            otlp_metrics(s.ns.opentelemetry.as_ref().unwrap_or_else(|| panic!())).len(),
            1
        );

        let s = service(&format!(
            r#"{OTLP}, "layers": {{"global": {{"disable_traces": true, "disable_propagation": true, "disable_metrics": true}}, "proxy": {{"disable_traces": true}}, "backend": {{"traces": {{"disable_stage": true}}, "metrics": {{"disable_stage": true}}}}}}"#
        ));
        // No span left and nothing propagated: no traces at all.
        assert!(lower_traces(&s).is_none());
        assert_eq!(endpoint_tracing(&s), EndpointTracing::default());
        let o = s.ns.opentelemetry.as_ref().unwrap_or_else(|| panic!());
        assert!(global_metrics_disabled(o) && !backend_metrics_enabled(o));

        let s = service(&format!(
            r#"{OTLP}, "trace_sample_rate": 0.25, "layers": {{"global": {{"disable_traces": true}}, "backend": {{"traces": {{"round_trip": true, "disable_stage": true}}}}}}"#
        ));
        let t = lower_traces(&s).unwrap_or_else(|| panic!("traces"));
        assert!(!t.global.traces && t.propagation);
        assert_eq!(t.sample_rate, 0.25);
        let e = endpoint_tracing(&s);
        assert!(e.proxy && !e.backend_stage && e.backend_round_trip);

        // 0 samples every trace, as krakend-otel.
        let s = service(&format!(r#"{OTLP}, "trace_sample_rate": 0"#));
        let t = lower_traces(&s).unwrap_or_else(|| panic!("traces"));
        assert_eq!(t.sample_rate, 1.0);

        // Without `use_http`: OTLP/gRPC, port 4317 by default, traces and metrics.
        let s = service(r#""exporters": {"otlp": [{"host": "c"}]}"#);
        let t = lower_traces(&s).unwrap_or_else(|| panic!("traces"));
        assert_eq!(t.exporters[0].base_url, "http://c:4317");
        assert!(t.exporters[0].grpc);
        let o = s.ns.opentelemetry.as_ref().unwrap_or_else(|| panic!());
        assert!(otlp_metrics(o)[0].grpc);

        // krakend-otel's service name: the contract's for an empty one, else `KrakenD`.
        let s = service(r#""service_name": "", "exporters": {"otlp": [{"host": "c"}]}"#);
        assert_eq!(
            lower_traces(&s).map(|t| t.service_name).as_deref(),
            Some("gw")
        );
        let o = s.ns.opentelemetry.as_ref().unwrap_or_else(|| panic!());
        assert_eq!(service_name(o, ""), "KrakenD");

        // krakend-otel's defaults: 4317 with `use_http` too; no or an empty `host` is localhost.
        let s = service(
            r#""exporters": {"otlp": [{"use_http": true}, {"name": "b", "host": "", "port": 0}]}"#,
        );
        let t = lower_traces(&s).unwrap_or_else(|| panic!("traces"));
        assert_eq!(t.exporters[0].base_url, "http://localhost:4317");
        assert!(!t.exporters[0].grpc);
        assert_eq!(t.exporters[1].base_url, "http://localhost:4317");
        assert!(t.exporters[1].grpc);
    }
}
