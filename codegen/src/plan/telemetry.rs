//! IR of the telemetry namespaces (`telemetry/*`): what the gateway logs, measures and exports.

pub use crate::logfmt::{Piece, Spec, TimePart};

/// Everything telemetry; `Default` (all `None`) emits nothing.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    pub logging: Option<LoggingPlan>,
    /// Request metrics and their exporters (`telemetry/opentelemetry` with an exporter).
    pub metrics: Option<MetricsPlan>,
    /// Traces (`telemetry/opentelemetry` with an OTLP trace exporter, or `telemetry/opencensus`).
    pub traces: Option<TracesPlan>,
}

impl Telemetry {
    /// Whether the contract has any telemetry to emit.
    pub fn any(&self) -> bool {
        self.logging.is_some() || self.metrics.is_some() || self.traces.is_some()
    }
}

/// Traces and where they are exported.
#[derive(Debug, Clone)]
pub struct TracesPlan {
    pub service_name: String,
    pub service_version: String,
    pub deploy_env: String,
    /// 0 to 1.
    pub sample_rate: f64,
    pub skip_paths: Vec<String>,
    /// Incoming context honoured and outgoing written (not `disable_propagation`).
    pub propagation: bool,
    pub global: LayerPlan,
    /// Lower-case header names never reported.
    pub skip_headers: Vec<String>,
    pub exporters: Vec<OtlpPlan>,
}

/// One layer's trace switches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LayerPlan {
    pub traces: bool,
    pub report_headers: bool,
}

/// One OTLP exporter.
#[derive(Debug, Clone)]
pub struct OtlpPlan {
    pub name: String,
    /// `http://host:port`.
    pub base_url: String,
    /// OTLP/gRPC (no `use_http`), else OTLP/HTTP protobuf.
    pub grpc: bool,
    pub traces: bool,
    pub metrics: bool,
    pub metric_period_secs: u64,
}

/// The spans an endpoint emits (all off without traces).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointTracing {
    /// The proxy span around the pipe.
    pub proxy: bool,
    /// The backend layer: its stage span and round-trip span.
    pub backend_stage: bool,
    pub backend_round_trip: bool,
    pub backend_report_headers: bool,
}

impl EndpointTracing {
    /// Whether backend calls are traced.
    pub fn backend(&self) -> bool {
        self.backend_stage || self.backend_round_trip
    }
}

/// `telemetry/logging`, lowered.
#[derive(Debug, Clone)]
pub struct LoggingPlan {
    /// Prepended to every stdout line (cleared by the `logstash`, `elastic` and `custom` formats).
    pub prefix: String,
    pub stdout: bool,
    pub syslog: Option<SyslogPlan>,
    /// The stdout line.
    pub pattern: Vec<Piece>,
}

/// Syslog output: `<facility*8+severity>`, the severity being the configured level's.
#[derive(Debug, Clone)]
pub struct SyslogPlan {
    pub facility: u8,
    pub severity: u8,
    /// The syslog tag (KrakenD passes `prefix`; empty: the program name).
    pub tag: String,
}

/// Metrics and where they are exported.
#[derive(Debug, Clone)]
pub struct MetricsPlan {
    pub service_name: String,
    pub skip_paths: Vec<String>,
    pub prometheus: Vec<PrometheusPlan>,
    /// OTLP exporters the metrics are pushed to.
    pub otlp: Vec<OtlpPlan>,
    /// Requests are measured (not `layers.global.disable_metrics`).
    pub server: bool,
}

/// One Prometheus exporter.
#[derive(Debug, Clone)]
pub struct PrometheusPlan {
    pub name: String,
    pub listen_ip: String,
    pub port: u16,
}
