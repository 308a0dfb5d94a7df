//! `telemetry/logging` (service level): KrakenD's application logger (krakend-gologging):
//! level, prefix, stdout, syslog and the line format.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/logging";
/// Every key KrakenD CE reads.
pub const KEYS: &[&str] = &[
    "level",
    "prefix",
    "stdout",
    "syslog",
    "syslog_facility",
    "format",
    "custom_format",
];
/// The levels KrakenD knows.
pub const LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];
/// The formats: KrakenD CE's three and `elastic` (ECS JSON).
pub const FORMATS: &[&str] = &["default", "logstash", "elastic", "custom"];
/// The syslog facilities KrakenD parses (anything else is `local3`).
pub const FACILITIES: &[&str] = &[
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

#[derive(Debug, Default)]
pub struct LoggingOptions {
    pub pointer: String,
    /// `level` as written.
    pub level: Option<At<String>>,
    pub prefix: Option<At<String>>,
    pub stdout: bool,
    pub syslog: bool,
    pub syslog_facility: Option<At<String>>,
    pub format: Option<At<String>>,
    pub custom_format: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

/// The error for an invalid `level`.
pub fn invalid_level(d: &mut Diagnostics, pointer: &str) {
    d.error(
        pointer,
        "invalid log level",
        Some("use DEBUG, INFO, WARNING, ERROR or CRITICAL".to_owned()),
    );
}

/// A string key, or an error.
fn string(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<String>> {
    r.string(d, NAME, key)
}

impl LoggingOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let level = match r.get("level") {
            Some((Value::String(s), pointer)) => Some(At {
                value: s.clone(),
                pointer,
            }),
            // Not a string: kept as its JSON text, which `check` reports as an invalid level.
            Some((v, pointer)) => Some(At {
                value: v.to_string(),
                pointer,
            }),
            None => None,
        };
        let must_be_bool = |k: &str| (format!("`{NAME}.{k}` must be a boolean"), None);
        let stdout = r.bool(d, "stdout", must_be_bool).is_some_and(|b| b.value);
        let syslog = r.bool(d, "syslog", must_be_bool).is_some_and(|b| b.value);
        let prefix = string(d, &mut r, "prefix");
        let syslog_facility = string(d, &mut r, "syslog_facility");
        let format = string(d, &mut r, "format");
        let custom_format = string(d, &mut r, "custom_format");
        LoggingOptions {
            pointer: pointer.to_owned(),
            level,
            prefix,
            stdout,
            syslog,
            syslog_facility,
            format,
            custom_format,
            unknown: r.finish(),
        }
    }
}
