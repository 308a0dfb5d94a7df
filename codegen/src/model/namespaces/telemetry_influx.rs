//! `telemetry/influx` (service level): krakend-influx, the `telemetry/metrics` snapshot pushed
//! to InfluxDB 1.x as line protocol every `ttl`.

use super::telemetry_metrics::string;
use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/influx";
/// Every key krakend-influx reads.
pub const KEYS: &[&str] = &[
    "address",
    "db",
    "username",
    "password",
    "ttl",
    "buffer_size",
];
/// krakend-influx's defaults.
pub const DEFAULT_DB: &str = "krakend";
pub const DEFAULT_TTL: &str = "1m";

#[derive(Debug, Default)]
pub struct InfluxOptions {
    pub pointer: String,
    pub address: Option<At<String>>,
    pub db: Option<At<String>>,
    pub username: Option<At<String>>,
    pub password: Option<At<String>>,
    pub ttl: Option<At<String>>,
    /// `buffer_size` (a negative or fractional number is reported by `check`).
    pub buffer_size: Option<At<f64>>,
    pub unknown: Vec<At<String>>,
}

impl InfluxOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let buffer_size = match r.get("buffer_size") {
            Some((Value::Number(n), pointer)) => n.as_f64().map(|value| At { value, pointer }),
            Some((_, p)) => {
                d.error(&p, format!("`{NAME}.buffer_size` must be a number"), None);
                None
            }
            None => None,
        };
        InfluxOptions {
            pointer: pointer.to_owned(),
            address: string(d, &mut r, NAME, "address"),
            db: string(d, &mut r, NAME, "db"),
            username: string(d, &mut r, NAME, "username"),
            password: string(d, &mut r, NAME, "password"),
            ttl: string(d, &mut r, NAME, "ttl"),
            buffer_size,
            unknown: r.finish(),
        }
    }
}
