//! The Prometheus exporter of `telemetry/opentelemetry` (`exporters.prometheus[]`): `GET
//! /metrics` in the text exposition format on its own port, served by its own thread so a
//! scrape never runs on a gateway worker. Every series carries the build identity.

use super::metrics::{Registry, BUCKETS};
use std::fmt::Write as _;
use std::net::SocketAddr;

/// One `exporters.prometheus[]` entry.
#[derive(Debug)]
pub struct PrometheusSpec {
    pub name: &'static str,
    /// `listen_ip` (empty: every interface).
    pub listen_ip: &'static str,
    /// `port` (default 9090).
    pub port: u16,
}

/// The exposition text of `registry`.
pub fn render(registry: &Registry, spec: &super::MetricsSpec) -> String {
    let service_name = spec.service_name;
    let id = registry.identity;
    let mut labels = String::new();
    for (k, v) in [
        ("service_name", service_name),
        ("contract", id.name),
        ("contract_sha256", id.contract_sha256),
        ("release", id.release),
        ("krustd_version", id.version),
    ] {
        let _ = write!(labels, "{k}=\"{}\",", escape(v));
    }
    let base = labels.trim_end_matches(',');
    let mut out = String::with_capacity(4096);
    let _ = writeln!(out, "# HELP target_info Identity of the gateway build.");
    let _ = writeln!(out, "# TYPE target_info gauge");
    let _ = writeln!(out, "target_info{{{base}}} 1");
    let snaps: Vec<_> = registry
        .slots()
        .iter()
        .chain(std::iter::once(&registry.unmatched))
        .map(|s| (s, s.snapshot()))
        .filter(|(_, snap)| snap.count > 0)
        .collect();
    let _ = writeln!(
        out,
        "# HELP http_server_requests_total Requests served, by route, method and status."
    );
    let _ = writeln!(out, "# TYPE http_server_requests_total counter");
    for (slot, snap) in &snaps {
        let (route, method) = (escape(slot.route), escape(slot.method));
        for (status, n) in &snap.by_status {
            let _ = writeln!(
                out,
                "http_server_requests_total{{{base},http_route=\"{route}\",http_request_method=\"{method}\",http_response_status_code=\"{status}\"}} {n}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP http_server_request_duration_seconds Time to answer a request."
    );
    let _ = writeln!(out, "# TYPE http_server_request_duration_seconds histogram");
    for (slot, snap) in &snaps {
        let l = format!(
            "{base},http_route=\"{}\",http_request_method=\"{}\"",
            escape(slot.route),
            escape(slot.method)
        );
        for (i, n) in snap.buckets.iter().enumerate() {
            let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "http_server_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "http_server_request_duration_seconds_sum{{{l}}} {}",
            snap.sum_seconds
        );
        let _ = writeln!(
            out,
            "http_server_request_duration_seconds_count{{{l}}} {}",
            snap.count
        );
    }
    backends(&mut out, base, spec.backends);
    let _ = writeln!(
        out,
        "# HELP http_server_active_requests Requests in flight."
    );
    let _ = writeln!(out, "# TYPE http_server_active_requests gauge");
    let _ = writeln!(
        out,
        "http_server_active_requests{{{base}}} {}",
        registry.in_flight()
    );
    let _ = writeln!(
        out,
        "# HELP krustd_log_lines_dropped_total Log lines dropped because an output did not keep up."
    );
    let _ = writeln!(out, "# TYPE krustd_log_lines_dropped_total counter");
    let _ = writeln!(
        out,
        "krustd_log_lines_dropped_total{{{base}}} {}",
        super::logging::dropped_lines()
    );
    out
}

/// The backend series: call durations and failures by kind.
fn backends(out: &mut String, base: &str, list: &[&super::BackendMetrics]) {
    let snaps: Vec<_> = list.iter().map(|b| (b, b.snapshot())).collect();
    let _ = writeln!(
        out,
        "# HELP http_client_request_duration_seconds Time of the backend calls."
    );
    let _ = writeln!(out, "# TYPE http_client_request_duration_seconds histogram");
    for (b, snap) in &snaps {
        let l = format!(
            "{base},http_route=\"{}\",http_request_method=\"{}\",backend=\"{}\"",
            escape(b.route),
            escape(b.method),
            escape(b.backend)
        );
        for (i, n) in snap.buckets.iter().enumerate() {
            let le = BUCKETS.get(i).map_or("+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "http_client_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "http_client_request_duration_seconds_sum{{{l}}} {}",
            snap.sum_seconds
        );
        let _ = writeln!(
            out,
            "http_client_request_duration_seconds_count{{{l}}} {}",
            snap.count
        );
    }
    let _ = writeln!(
        out,
        "# HELP krustd_backend_errors_total Failed backend calls by kind."
    );
    let _ = writeln!(out, "# TYPE krustd_backend_errors_total counter");
    for (b, snap) in &snaps {
        for (kind, n) in super::backend_metrics::ERROR_KINDS.iter().zip(&snap.errors) {
            if *n > 0 {
                let _ = writeln!(
                    out,
                    "krustd_backend_errors_total{{{base},http_route=\"{}\",http_request_method=\"{}\",backend=\"{}\",error_type=\"{kind}\"}} {n}",
                    escape(b.route),
                    escape(b.method),
                    escape(b.backend)
                );
            }
        }
    }
}

/// A label value escaped as the exposition format wants.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Starts one exporter thread serving `GET /metrics` on the spec's address.
pub fn start(
    spec: &'static PrometheusSpec,
    registry: &'static Registry,
    metrics: &'static super::MetricsSpec,
) -> Result<SocketAddr, String> {
    let ip = if spec.listen_ip.is_empty() {
        std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    } else {
        spec.listen_ip
            .parse()
            .map_err(|_| format!("invalid listen_ip {:?}", spec.listen_ip))?
    };
    let addr = SocketAddr::new(ip, spec.port);
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        format!(
            "prometheus exporter {:?}: cannot listen on {addr}: {e}",
            spec.name
        )
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("prometheus exporter: {e}"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    std::thread::Builder::new()
        .name("krustd-prometheus".to_owned())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    crate::log::error(&format!("prometheus exporter: {e}"));
                    return;
                }
            };
            rt.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || async move {
                        (
                            [(
                                http::header::CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8",
                            )],
                            render(registry, metrics),
                        )
                    }),
                );
                let _ = axum::serve(listener, app).await;
            });
        })
        .map_err(|e| format!("prometheus exporter thread: {e}"))?;
    Ok(bound)
}
