//! OTLP metrics (`exporters.otlp[]` without `disable_metrics`): every reporting period, the
//! lock-free registry's snapshot (the one the Prometheus exporter reads) is encoded as an OTLP
//! `ExportMetricsServiceRequest` (cumulative sums and histograms, the build identity in the
//! resource) and POSTed to `/v1/metrics` from the exporter thread ([`super::transport`]), or
//! sent in one OTLP/gRPC `MetricsService/Export` call ([`super::grpc`]).
//! Recording stays the registry's relaxed atomic adds: nothing is added to the request path.

use super::OtlpSpec;
use crate::telemetry::metrics::{Registry, BUCKETS};
use crate::telemetry::MetricsSpec;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// OTLP's cumulative aggregation temporality.
const CUMULATIVE: i32 = 2;

fn kv(key: &str, value: impl Into<String>) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.into())),
        }),
        ..KeyValue::default()
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Per-bucket counts (OTLP) from cumulative ones (the snapshots').
fn per_bucket(cumulative: &[u64]) -> Vec<u64> {
    let mut prev = 0;
    cumulative
        .iter()
        .map(|c| {
            let n = c.saturating_sub(prev);
            prev = *c;
            n
        })
        .collect()
}

fn histogram(name: &str, description: &str, points: Vec<HistogramDataPoint>) -> Metric {
    Metric {
        name: name.to_owned(),
        description: description.to_owned(),
        unit: "s".to_owned(),
        data: Some(metric::Data::Histogram(Histogram {
            data_points: points,
            aggregation_temporality: CUMULATIVE,
        })),
        ..Metric::default()
    }
}

fn int_point(attributes: Vec<KeyValue>, start: u64, now: u64, v: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsInt(
            i64::try_from(v).unwrap_or(i64::MAX),
        )),
        ..NumberDataPoint::default()
    }
}

/// The request of one export: the registry's and the backends' series since `start`.
pub fn encode(registry: &Registry, spec: &MetricsSpec, start: u64) -> ExportMetricsServiceRequest {
    let now = now_nanos();
    let id = registry.identity;
    let resource = Resource {
        attributes: vec![
            kv("service.name", spec.service_name),
            kv("krustd.contract.name", id.name),
            kv("krustd.contract.sha256", id.contract_sha256),
            kv("krustd.release", id.release),
            kv("krustd.version", id.version),
        ],
        ..Resource::default()
    };
    let bounds = BUCKETS.to_vec();
    let mut requests = Vec::new();
    let mut durations = Vec::new();
    for slot in registry
        .slots()
        .iter()
        .chain(std::iter::once(&registry.unmatched))
    {
        let snap = slot.snapshot();
        if snap.count == 0 {
            continue;
        }
        let base = vec![
            kv("http.route", slot.route),
            kv("http.request.method", slot.method),
        ];
        for (status, n) in &snap.by_status {
            let mut attrs = base.clone();
            attrs.push(kv("http.response.status_code", status.clone()));
            requests.push(int_point(attrs, start, now, *n));
        }
        durations.push(HistogramDataPoint {
            attributes: base,
            start_time_unix_nano: start,
            time_unix_nano: now,
            count: snap.count,
            sum: Some(snap.sum_seconds),
            bucket_counts: per_bucket(&snap.buckets),
            explicit_bounds: bounds.clone(),
            ..HistogramDataPoint::default()
        });
    }
    let mut backend_durations = Vec::new();
    for b in spec.backends {
        let snap = b.snapshot();
        if snap.count == 0 {
            continue;
        }
        backend_durations.push(HistogramDataPoint {
            attributes: vec![
                kv("http.route", b.route),
                kv("http.request.method", b.method),
                kv("krakend.backend", b.backend),
            ],
            start_time_unix_nano: start,
            time_unix_nano: now,
            count: snap.count,
            sum: Some(snap.sum_seconds),
            bucket_counts: per_bucket(&snap.buckets),
            explicit_bounds: bounds.clone(),
            ..HistogramDataPoint::default()
        });
    }
    let metrics = vec![
        Metric {
            name: "http.server.requests".to_owned(),
            description: "Requests served, by route, method and status.".to_owned(),
            unit: "{request}".to_owned(),
            data: Some(metric::Data::Sum(Sum {
                data_points: requests,
                aggregation_temporality: CUMULATIVE,
                is_monotonic: true,
            })),
            ..Metric::default()
        },
        histogram(
            "http.server.duration",
            "Time to answer a request.",
            durations,
        ),
        histogram(
            "http.client.duration",
            "Time of the backend calls.",
            backend_durations,
        ),
        Metric {
            name: "http.server.active_requests".to_owned(),
            description: "Requests in flight.".to_owned(),
            unit: "{request}".to_owned(),
            data: Some(metric::Data::Gauge(Gauge {
                data_points: vec![int_point(Vec::new(), start, now, registry.in_flight())],
            })),
            ..Metric::default()
        },
    ];
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(resource),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "krustd".to_owned(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}

/// One OTLP/HTTP export of `body` to `url`.
async fn post(url: &str, body: Vec<u8>) -> Result<(), String> {
    let request = http::Request::post(url)
        .header(http::header::CONTENT_TYPE, "application/x-protobuf")
        .body(bytes::Bytes::from(body))
        .map_err(|e| e.to_string())?;
    let resp = super::transport::send(request)
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("status {}", resp.status()))
    }
}

/// Starts the periodic export of one exporter (on the exporter thread).
pub fn start(
    e: &'static OtlpSpec,
    registry: &'static Registry,
    spec: &'static MetricsSpec,
) -> Result<(), String> {
    let handle = super::transport::handle()?;
    let url = format!("{}/v1/metrics", e.base_url);
    let target = e.target("metrics");
    let period = Duration::from_secs(e.metric_period_secs.max(1));
    let started = now_nanos();
    handle.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let body = encode(registry, spec, started).encode_to_vec();
            let result = if e.grpc {
                super::grpc::unary(e.base_url, super::grpc::METRICS, &body).await
            } else {
                post(&url, body).await
            };
            if let Err(err) = result {
                super::transport::export_failed(e.name, &format!("metrics to {target}"), &err);
            }
        }
    });
    Ok(())
}
