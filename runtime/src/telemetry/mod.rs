//! Telemetry (`telemetry/*` namespaces): the application logger's formats and outputs
//! ([`logging`], [`syslog`]), the lock-free metrics registry ([`metrics`]) and its Prometheus
//! exporter ([`prometheus`]). Generated code names a [`TelemetrySpec`] only when the contract
//! has a telemetry namespace; without one nothing here runs.

pub mod backend_metrics;
pub mod gelf;
pub mod influx;
pub mod logging;
pub mod measure;
pub mod metrics;
pub mod otel;
pub mod outcome;
pub mod pipe_metrics;
pub mod prometheus;
pub mod stats;
pub mod syslog;

pub use backend_metrics::{measured, BackendMetrics};
pub use gelf::GelfSpec;
pub use influx::InfluxSpec;
pub use logging::{LogPiece, LogSpec, LoggingSpec, SyslogSpec, TimePart};
pub use measure::MeasureLayer;
pub use outcome::CallOutcome;
pub use pipe_metrics::PipeMetrics;
pub use prometheus::PrometheusSpec;
pub use stats::{LegacyTelemetrySpec, StatsSpec};

use std::sync::OnceLock;

/// The telemetry of a contract.
#[derive(Debug)]
pub struct TelemetrySpec {
    /// `telemetry/logging` (with a valid `level`).
    pub logging: Option<&'static LoggingSpec>,
    /// Metrics, when an exporter wants them (`telemetry/opentelemetry`).
    pub metrics: Option<&'static MetricsSpec>,
    /// Traces (`telemetry/opentelemetry` with an OTLP trace exporter, or `telemetry/opencensus`).
    pub traces: Option<&'static otel::OtelSpec>,
}

/// What is measured and where it goes.
#[derive(Debug)]
pub struct MetricsSpec {
    /// `service_name` (default: the contract `name`).
    pub service_name: &'static str,
    /// Paths not measured (`skip_paths`).
    pub skip_paths: &'static [&'static str],
    pub prometheus: &'static [PrometheusSpec],
    /// OTLP exporters the metrics are pushed to (`exporters.otlp[]` with metrics).
    pub otlp: &'static [otel::OtlpSpec],
    /// Requests are measured (not `layers.global.disable_metrics`).
    pub server: bool,
    /// The metrics of every measured backend.
    pub backends: &'static [&'static BackendMetrics],
}

impl TelemetrySpec {
    /// No telemetry namespace.
    pub const NONE: TelemetrySpec = TelemetrySpec {
        logging: None,
        metrics: None,
        traces: None,
    };
}

static REGISTRY: OnceLock<metrics::Registry> = OnceLock::new();
static EXPORTERS: OnceLock<Vec<std::net::SocketAddr>> = OnceLock::new();

/// The metrics registry, once [`install`] made one.
pub fn registry() -> Option<&'static metrics::Registry> {
    REGISTRY.get()
}

/// The addresses the Prometheus exporters listen on (tests scrape them).
pub fn exporter_addrs() -> &'static [std::net::SocketAddr] {
    EXPORTERS.get().map_or(&[], Vec::as_slice)
}

/// Starts what the contract's telemetry needs, once per process (later calls, e.g. from every
/// worker's router, do nothing).
pub fn install<G: crate::gateway::Gateway>() {
    // Traces: one pipeline per generated gateway (its spec holds it), not once per process.
    if let Some(t) = G::TELEMETRY.traces {
        otel::install(t, G::IDENTITY);
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let spec = G::TELEMETRY;
        // telemetry/gelf: an output of the logger, ready before its first line.
        if let Some(g) = &G::LEGACY_TELEMETRY.gelf {
            gelf::install(g);
        }
        if let Some(l) = spec.logging {
            logging::install(l);
        }
        if let Some(m) = spec.metrics {
            let registry = REGISTRY.get_or_init(|| metrics::Registry::new(G::IDENTITY, G::ROUTES));
            let addrs = m
                .prometheus
                .iter()
                .filter_map(|p| match prometheus::start(p, registry, m) {
                    Ok(a) => {
                        crate::log::info(&format!(
                            "[SERVICE: OpenTelemetry] Prometheus exporter {:?} listening on {a}",
                            p.name
                        ));
                        Some(a)
                    }
                    Err(e) => {
                        crate::log::error(&format!("[SERVICE: OpenTelemetry] {e}"));
                        None
                    }
                })
                .collect();
            let _ = EXPORTERS.set(addrs);
            for e in m.otlp {
                match otel::metrics::start(e, registry, m) {
                    Ok(()) => crate::log::info(&format!(
                        "[SERVICE: OpenTelemetry] OTLP exporter {:?}: metrics to {} every {} s",
                        e.name,
                        e.target("metrics"),
                        e.metric_period_secs
                    )),
                    Err(err) => crate::log::error(&format!("[SERVICE: OpenTelemetry] {err}")),
                }
            }
        }
        // telemetry/metrics (+ telemetry/influx): `/__stats` and the collector's thread.
        if let Err(e) = stats::start(G::LEGACY_TELEMETRY, spec.metrics) {
            crate::log::error(&format!("[SERVICE: Stats] {e}"));
        }
    });
}
