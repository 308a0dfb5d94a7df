//! `telemetry/gelf` (service level): krakend-gelf, the application log lines sent as GELF 1.1
//! messages to a Graylog input over UDP or TCP; and `telemetry/logstash` (krakend-logstash),
//! the log lines written as one logstash JSON record each.

use super::telemetry_metrics::{flag, string};
use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/gelf";
/// Every key krakend-gelf reads.
pub const KEYS: &[&str] = &["address", "enable_tcp"];
pub const LOGSTASH: &str = "telemetry/logstash";
/// krakend-logstash reads no key (the namespace being there enables it); `enabled` is what
/// KrakenD's documentation writes.
pub const LOGSTASH_KEYS: &[&str] = &["enabled"];

#[derive(Debug, Default)]
pub struct GelfOptions {
    pub pointer: String,
    pub address: Option<At<String>>,
    pub enable_tcp: bool,
    pub unknown: Vec<At<String>>,
}

impl GelfOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        GelfOptions {
            pointer: pointer.to_owned(),
            address: string(d, &mut r, NAME, "address"),
            enable_tcp: flag(d, &mut r, NAME, "enable_tcp"),
            unknown: r.finish(),
        }
    }
}

#[derive(Debug, Default)]
pub struct LogstashOptions {
    pub pointer: String,
    /// `enabled: false` as written (KrakenD enables the format anyway).
    pub disabled: Option<String>,
    pub unknown: Vec<At<String>>,
}

impl LogstashOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, LOGSTASH, value, pointer);
        let disabled = r
            .bool(d, "enabled", |k| {
                (format!("`{LOGSTASH}.{k}` must be a boolean"), None)
            })
            .filter(|b| !b.value)
            .map(|b| b.pointer);
        LogstashOptions {
            pointer: pointer.to_owned(),
            disabled,
            unknown: r.finish(),
        }
    }
}
