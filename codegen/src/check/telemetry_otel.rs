//! Rules on the traces of `telemetry/opentelemetry` (OTLP exporters, sampling, layers) and on
//! `telemetry/opencensus`, whose mapping onto the OpenTelemetry pipeline is told in a warning.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::telemetry_opencensus::{
    self as oc, split_address, OpencensusOptions, JAEGER_THRIFT_PORT, OTLP_HTTP_PORT,
};
use crate::model::namespaces::telemetry_opentelemetry::OtelOptions;
use crate::model::namespaces::telemetry_otel_layers::{
    LayerOptions, BACKEND_METRIC_FLAGS, BACKEND_TRACE_FLAGS, GLOBAL_FLAGS, LAYER_NOT_YET,
    OTLP_KEYS, PROXY_FLAGS,
};

pub(super) fn check_traces(d: &mut Diagnostics, o: &OtelOptions) {
    for e in &o.otlp {
        check_unknown_keys(d, &e.unknown, OTLP_KEYS, &[], "exporters.otlp[]");
        // No or an empty `host`: krakend-otel's `localhost`.
        match e.host.as_ref().filter(|h| !h.value.is_empty()) {
            None => {}
            Some(h) => match split_address(&h.value) {
                Err(msg) => d.error(&h.pointer, msg, None),
                Ok((scheme, _, _)) if scheme != "http" && (e.use_http || scheme != "https") => d.error(
                    &h.pointer,
                    format!("{scheme}:// OTLP collectors are not supported: Krustd exports over plain HTTP"),
                    Some("send to a collector on the same host or network (`http://`)".to_owned()),
                ),
                // krakend-otel's gRPC exporter keeps its insecure option whatever the scheme.
                Ok((scheme, _, _)) if scheme == "https" => d.warning(
                    &h.pointer,
                    "OTLP over gRPC is sent in cleartext (HTTP/2 without TLS) despite `https://`, as KrakenD does",
                    Some("write `http://`, and reach the collector over a trusted network".to_owned()),
                ),
                Ok(_) => {}
            },
        }
        if let Some(p) = &e.port {
            if !(0..=65535).contains(&p.value) {
                d.error(
                    &p.pointer,
                    "invalid port",
                    Some("use 1 to 65535 (0: 4317)".to_owned()),
                );
            }
        }
        // krakend-otel's port default is the gRPC one, also for OTLP/HTTP.
        if e.use_http && e.port.as_ref().is_none_or(|p| p.value == 0) {
            d.warning(
                e.port.as_ref().map_or(&e.pointer, |p| &p.pointer),
                "OTLP/HTTP goes to port 4317 without a `port`, as in KrakenD (4317 is a collector's OTLP/gRPC port; its OTLP/HTTP one is 4318)",
                Some("write the collector's OTLP/HTTP port, e.g. `\"port\": 4318`".to_owned()),
            );
        }
    }
    if let Some(r) = &o.traces.trace_sample_rate {
        if !(0.0..=1.0).contains(&r.value) {
            d.error(&r.pointer, "`trace_sample_rate` must be from 0 to 1", None);
        } else if r.value == 0.0 {
            d.warning(
                &r.pointer,
                "`trace_sample_rate` 0 samples every trace, as in KrakenD (krakend-otel treats 0 like 1)",
                Some("to sample (almost) no trace, use a small rate such as 0.0001; to export no span, set `disable_traces` on the exporters".to_owned()),
            );
        }
    }
    let Some(layers) = &o.traces.layers else {
        return;
    };
    check_unknown_keys(
        d,
        &layers.unknown,
        &["global", "proxy", "backend"],
        &[],
        "layers",
    );
    let list: [(&Option<LayerOptions>, &[&str], &str); 4] = [
        (&layers.global, GLOBAL_FLAGS, "layers.global"),
        (&layers.proxy, PROXY_FLAGS, "layers.proxy"),
        (
            &layers.backend_traces,
            BACKEND_TRACE_FLAGS,
            "layers.backend.traces",
        ),
        (
            &layers.backend_metrics,
            BACKEND_METRIC_FLAGS,
            "layers.backend.metrics",
        ),
    ];
    for (l, flags, what) in list {
        let Some(l) = l else { continue };
        let supported: Vec<&str> = flags
            .iter()
            .chain(&["skip_headers"])
            .chain(LAYER_NOT_YET)
            .copied()
            .collect();
        check_unknown_keys(d, &l.unknown, &supported, &[], what);
        for k in &l.not_yet {
            d.warning(
                &k.pointer,
                format!(
                    "`{what}.{}` is not implemented by Krustd yet: ignored",
                    k.value
                ),
                None,
            );
        }
    }
}

/// How `telemetry/opencensus` is mapped (a warning), or why it cannot be (errors).
pub(super) fn check_opencensus(d: &mut Diagnostics, o: &OpencensusOptions, with_otel: bool) {
    check_unknown_keys(d, &o.unknown, oc::KEYS, &[], oc::NAME);
    if with_otel {
        d.error(
            &o.pointer,
            "`telemetry/opencensus` and `telemetry/opentelemetry` both configure the telemetry",
            Some("keep `telemetry/opentelemetry` (OpenCensus is deprecated)".to_owned()),
        );
        return;
    }
    for u in &o.unmapped {
        let help = match u.value.as_str() {
            "influxdb" => "use `telemetry/influx` for InfluxDB",
            "zipkin" => "use `telemetry/opentelemetry` with an OTLP exporter to a collector that forwards to Zipkin",
            _ => "remove it, or use `telemetry/opentelemetry` with an OTLP exporter",
        };
        d.error(
            &u.pointer,
            format!(
                "the OpenCensus exporter `{}` cannot be mapped onto Krustd's OpenTelemetry pipeline (it maps `jaeger` and `prometheus`)",
                u.value
            ),
            Some(help.to_owned()),
        );
    }
    if let Some(r) = &o.sample_rate {
        if !(0..=100).contains(&r.value) {
            d.error(&r.pointer, "`sample_rate` is a percentage: 0 to 100", None);
        }
    }
    let (router, pipe, backend) = o.enabled_layers.unwrap_or((true, true, true));
    let layers: Vec<&str> = [
        (router, "router → global (server span)"),
        (pipe, "pipe → proxy"),
        (backend, "backend → backend"),
    ]
    .into_iter()
    .filter_map(|(on, s)| on.then_some(s))
    .collect();
    let rate = o.sample_rate.as_ref().map_or(0, |r| r.value.clamp(0, 100));
    if let Some(j) = &o.jaeger {
        match j.target() {
            Err(msg) => d.error(&j.pointer, format!("Jaeger exporter: {msg}"), None),
            Ok(t) => {
                let at = j
                    .endpoint
                    .as_ref()
                    .or(j.agent_endpoint.as_ref())
                    .map_or(j.pointer.as_str(), |e| e.pointer.as_str());
                let named = match (t.from_agent, t.replaced_port) {
                    (true, _) => "the contract names Jaeger's agent (UDP), which Krustd does not speak".to_owned(),
                    (false, Some(JAEGER_THRIFT_PORT)) => format!(
                        "the contract names Jaeger's thrift-HTTP collector (:{JAEGER_THRIFT_PORT}/api/traces), which Krustd does not speak"
                    ),
                    (false, Some(p)) => format!("the contract names port {p}"),
                    (false, None) => "the contract names no port".to_owned(),
                };
                let message = if t.replaced_port.is_some() || t.from_agent {
                    format!(
                        "`telemetry/opencensus` Jaeger exporter mapped to OTLP/HTTP: spans go to {}/v1/traces, Jaeger's OTLP port {OTLP_HTTP_PORT}; {named}",
                        t.base_url
                    )
                } else {
                    format!(
                        "`telemetry/opencensus` Jaeger exporter mapped to OTLP/HTTP: spans go to {}/v1/traces",
                        t.base_url
                    )
                };
                d.warning(
                    at,
                    message,
                    Some(format!(
                        "use Jaeger's OTLP port {OTLP_HTTP_PORT} (enabled by default since Jaeger 1.35), or move to `telemetry/opentelemetry` with `exporters.otlp` (`use_http`, port {OTLP_HTTP_PORT}); sampled at {rate}% (`sample_rate`), layers: {}",
                        if layers.is_empty() { "none".to_owned() } else { layers.join(", ") }
                    )),
                );
            }
        }
    }
    if let Some(p) = &o.prometheus {
        let port = p.port.as_ref().map_or(9091, |p| p.value);
        if !(0..=65535).contains(&port) {
            d.error(
                p.port.as_ref().map_or(&p.pointer, |p| &p.pointer),
                "invalid port",
                None,
            );
        } else {
            d.warning(
                &p.pointer,
                format!(
                    "`telemetry/opencensus` Prometheus exporter mapped onto Krustd's: GET /metrics on port {} (every interface); OpenCensus' metric names, `namespace` and `tag_*` options do not apply",
                    if port == 0 { 9091 } else { port }
                ),
                Some("move to `telemetry/opentelemetry` with `exporters.prometheus`".to_owned()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(ns: &str, body: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{"{ns}": {{{body}}}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn otlp_exporters_and_layers() {
        let ok = r#""trace_sample_rate": 0.5, "service_version": "1", "deploy_env": "prod", "exporters": {"otlp": [{"name": "c", "host": "localhost", "port": 4318, "use_http": true, "disable_metrics": true}]}, "layers": {"global": {"report_headers": true, "disable_propagation": false}, "proxy": {"disable_traces": true}, "backend": {"traces": {"round_trip": true}, "metrics": {"read_payload": true}}}"#;
        assert!(diags("telemetry/opentelemetry", ok).is_empty());
        let d = diags(
            "telemetry/opentelemetry",
            r#""trace_sample_rate": 2, "exporters": {"otlp": [{"host": "https://c", "port": 4318, "use_http": true, "disable_metrics": true}]}"#,
        );
        assert_eq!(d.len(), 2, "{d:#?}");
        let d = diags(
            "telemetry/opentelemetry",
            r#""trace_sample_rate": 0, "exporters": {"otlp": [{"host": "c"}]}"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(
            d[0].starts_with("`trace_sample_rate` 0 samples every trace"),
            "{d:#?}"
        );
        // krakend-otel defaults an absent `port` to 4317 over HTTP too: said; no `host` is fine.
        let d = diags(
            "telemetry/opentelemetry",
            r#""exporters": {"otlp": [{"use_http": true}, {"host": ""}]}"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].starts_with("OTLP/HTTP goes to port 4317"), "{d:#?}");
        // gRPC (no `use_http`) is KrakenD's default; `https://` is sent in cleartext, as KrakenD.
        let d = diags(
            "telemetry/opentelemetry",
            r#""exporters": {"otlp": [{"host": "c"}, {"host": "http://c", "port": 4317}]}"#,
        );
        assert!(d.is_empty(), "{d:#?}");
        let d = diags(
            "telemetry/opentelemetry",
            r#""exporters": {"otlp": [{"host": "https://c"}]}"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(
            d[0].starts_with("OTLP over gRPC is sent in cleartext"),
            "{d:#?}"
        );
    }

    #[test]
    fn opencensus_mapping_is_told() {
        let d = diags(
            "telemetry/opencensus",
            r#""sample_rate": 100, "exporters": {"jaeger": {"endpoint": "http://jaeger:14268/api/traces", "service_name": "gw"}, "prometheus": {"port": 9091}}"#,
        );
        assert_eq!(
            d,
            [
                "`telemetry/opencensus` Jaeger exporter mapped to OTLP/HTTP: spans go to http://jaeger:4318/v1/traces, Jaeger's OTLP port 4318; the contract names Jaeger's thrift-HTTP collector (:14268/api/traces), which Krustd does not speak @/extra_config/telemetry~1opencensus/exporters/jaeger/endpoint",
                "`telemetry/opencensus` Prometheus exporter mapped onto Krustd's: GET /metrics on port 9091 (every interface); OpenCensus' metric names, `namespace` and `tag_*` options do not apply @/extra_config/telemetry~1opencensus/exporters/prometheus",
            ]
        );
        let d = diags(
            "telemetry/opencensus",
            r#""exporters": {"jaeger": {"endpoint": "http://jaeger:4318"}, "zipkin": {"collector_url": "http://z:9411"}}"#,
        );
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(
            d[0].starts_with("the OpenCensus exporter `zipkin` cannot be mapped"),
            "{d:#?}"
        );
        assert!(d[1].starts_with("`telemetry/opencensus` Jaeger exporter mapped to OTLP/HTTP: spans go to http://jaeger:4318/v1/traces @"), "{d:#?}");
    }
}
