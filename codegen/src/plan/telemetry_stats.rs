//! IR of KrakenD's pre-OpenTelemetry telemetry: the `/__stats` server (`telemetry/metrics`),
//! the InfluxDB pusher (`telemetry/influx`) and the GELF log output (`telemetry/gelf`).
//! `telemetry/logstash` is lowered into the logging pattern (`plan/telemetry.rs`).

/// Everything here; `Default` (all `None`) emits nothing.
#[derive(Debug, Clone, Default)]
pub struct LegacyTelemetry {
    pub stats: Option<StatsPlan>,
    pub influx: Option<InfluxPlan>,
    pub gelf: Option<GelfPlan>,
}

impl LegacyTelemetry {
    pub fn any(&self) -> bool {
        self.stats.is_some() || self.influx.is_some() || self.gelf.is_some()
    }
}

/// `telemetry/metrics`.
#[derive(Debug, Clone)]
pub struct StatsPlan {
    /// The ip to bind (`0.0.0.0` for Go's empty host).
    pub listen_ip: String,
    pub port: u16,
    pub collection_ms: u64,
    /// The layers exposed (KrakenD's `*_disabled` negated).
    pub router: bool,
    pub proxy: bool,
    pub backend: bool,
    /// Serve `/__stats` (`endpoint_disabled` negated).
    pub endpoint: bool,
}

/// `telemetry/influx`.
#[derive(Debug, Clone)]
pub struct InfluxPlan {
    /// `address` without a trailing `/`.
    pub address: String,
    pub db: String,
    pub username: String,
    pub password: String,
    pub ttl_ms: u64,
    /// Failed batches kept for the next write.
    pub buffer_size: usize,
}

/// `telemetry/gelf`.
#[derive(Debug, Clone)]
pub struct GelfPlan {
    pub host: String,
    pub port: u16,
    pub tcp: bool,
    /// Send the `telemetry/logstash` record (the rendered line) as the message.
    pub record: bool,
}
