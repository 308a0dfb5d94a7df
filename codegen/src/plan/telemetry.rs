//! IR of the telemetry namespaces (`telemetry/*`): what the gateway logs, measures and exports.

pub use crate::logfmt::{Piece, Spec, TimePart};

/// Everything telemetry; `Default` (all `None`) emits nothing.
#[derive(Debug, Clone, Default)]
pub struct Telemetry {
    pub logging: Option<LoggingPlan>,
    /// Request metrics and their exporters (`telemetry/opentelemetry` with an exporter).
    pub metrics: Option<MetricsPlan>,
}

impl Telemetry {
    /// Whether the contract has any telemetry to emit.
    pub fn any(&self) -> bool {
        self.logging.is_some() || self.metrics.is_some()
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
}

/// One Prometheus exporter.
#[derive(Debug, Clone)]
pub struct PrometheusPlan {
    pub name: String,
    pub listen_ip: String,
    pub port: u16,
}
