//! `telemetry/metrics` (service level): KrakenD's `/__stats` JSON (krakend-metrics) on its own
//! listener; with `telemetry/influx`, the source of the points pushed to InfluxDB.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/metrics";
/// Every key krakend-metrics reads.
pub const KEYS: &[&str] = &[
    "collection_time",
    "listen_address",
    "router_disabled",
    "proxy_disabled",
    "backend_disabled",
    "endpoint_disabled",
];
/// krakend-metrics' defaults.
pub const DEFAULT_LISTEN_ADDRESS: &str = ":8090";
pub const DEFAULT_COLLECTION_TIME: &str = "60s";

#[derive(Debug, Default)]
pub struct MetricsOptions {
    pub pointer: String,
    pub collection_time: Option<At<String>>,
    pub listen_address: Option<At<String>>,
    pub router_disabled: bool,
    pub proxy_disabled: bool,
    pub backend_disabled: bool,
    pub endpoint_disabled: bool,
    pub unknown: Vec<At<String>>,
}

/// A string key of namespace `ns`, or an error.
pub(crate) fn string(
    d: &mut Diagnostics,
    r: &mut NsReader<'_>,
    ns: &str,
    key: &str,
) -> Option<At<String>> {
    r.string(d, ns, key)
}

/// A boolean key of namespace `ns` (absent: false), or an error.
pub(crate) fn flag(d: &mut Diagnostics, r: &mut NsReader<'_>, ns: &str, key: &str) -> bool {
    r.bool(d, key, |k| (format!("`{ns}.{k}` must be a boolean"), None))
        .is_some_and(|b| b.value)
}

impl MetricsOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        MetricsOptions {
            pointer: pointer.to_owned(),
            collection_time: string(d, &mut r, NAME, "collection_time"),
            listen_address: string(d, &mut r, NAME, "listen_address"),
            router_disabled: flag(d, &mut r, NAME, "router_disabled"),
            proxy_disabled: flag(d, &mut r, NAME, "proxy_disabled"),
            backend_disabled: flag(d, &mut r, NAME, "backend_disabled"),
            endpoint_disabled: flag(d, &mut r, NAME, "endpoint_disabled"),
            unknown: r.finish(),
        }
    }
}

/// `host:port` with a non-empty host and a port number.
pub fn host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or("no port")?;
    let port: u16 = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("no host".to_owned());
    }
    Ok((host.to_owned(), port))
}

/// Go's listen address `[ip]:port` (empty ip or `localhost` allowed); the ip to bind.
pub fn listen_address(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or("no port")?;
    let port: u16 = port.parse().map_err(|_| format!("invalid port {port:?}"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host {
        "" => "0.0.0.0".to_owned(),
        "localhost" => "127.0.0.1".to_owned(),
        h => h
            .parse::<std::net::IpAddr>()
            .map(|ip| ip.to_string())
            .map_err(|_| format!("{h:?} is not an IP address"))?,
    };
    Ok((ip, port))
}
