//! `telemetry/logging` (service level): the log level. Log formatting does not change what
//! the gateway serves, so the keys Krustd does not implement yet are warnings.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/logging";
/// Keys read without effect (`stdout`: Krustd always logs to stdout).
pub const KEYS: &[&str] = &["level", "stdout"];
/// Keys KrakenD implements and Krustd does not yet (a warning).
pub const NOT_YET: &[&str] = &[
    "prefix",
    "syslog",
    "syslog_facility",
    "format",
    "custom_format",
];
/// The levels KrakenD knows.
pub const LEVELS: &[&str] = &["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"];

#[derive(Debug, Default)]
pub struct LoggingOptions {
    pub pointer: String,
    /// `level` as written.
    pub level: Option<At<String>>,
    /// Keys of [`NOT_YET`] present.
    pub not_yet: Vec<At<String>>,
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

impl LoggingOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let level = match r.get("level") {
            Some((Value::String(s), pointer)) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Some((_, p)) => {
                invalid_level(d, &p);
                None
            }
            None => None,
        };
        r.get("stdout");
        let not_yet = NOT_YET
            .iter()
            .filter_map(|k| {
                r.get(k).map(|(_, pointer)| At {
                    value: (*k).to_owned(),
                    pointer,
                })
            })
            .collect();
        LoggingOptions {
            pointer: pointer.to_owned(),
            level,
            not_yet,
            unknown: r.finish(),
        }
    }
}
