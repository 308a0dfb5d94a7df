//! `qos/circuit-breaker` (backend level): a closed/open/half-open breaker per backend.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "qos/circuit-breaker";
pub const KEYS: &[&str] = &[
    "interval",
    "timeout",
    "max_errors",
    "name",
    "log_status_change",
];

#[derive(Debug, Default)]
pub struct CircuitBreakerOptions {
    pub pointer: String,
    /// Seconds; `check` rejects negative ones.
    pub interval: Option<At<i64>>,
    pub timeout: Option<At<i64>>,
    pub max_errors: Option<At<i64>>,
    pub name: Option<At<String>>,
    pub log_status_change: bool,
    pub unknown: Vec<At<String>>,
}

impl CircuitBreakerOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let interval = whole_number(d, &mut r, "interval");
        let timeout = whole_number(d, &mut r, "timeout");
        let max_errors = whole_number(d, &mut r, "max_errors");
        let name = match r.get("name") {
            Some((Value::String(s), pointer)) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Some((_, p)) => {
                d.error(&p, "`name` must be a string", None);
                None
            }
            None => None,
        };
        let log_status_change = r
            .bool(d, "log_status_change", |k| {
                (format!("`{k}` must be a boolean"), None)
            })
            .is_some_and(|b| b.value);
        CircuitBreakerOptions {
            pointer: pointer.to_owned(),
            interval,
            timeout,
            max_errors,
            name,
            log_status_change,
            unknown: r.finish(),
        }
    }
}

/// A JSON number without a fraction (KrakenD truncates `1.5` to 1 and ignores strings;
/// Krustd reports both). The sign is `check`'s business.
pub(crate) fn whole_number(
    d: &mut Diagnostics,
    r: &mut NsReader<'_>,
    key: &str,
) -> Option<At<i64>> {
    let (v, pointer) = r.get(key)?;
    let n = match v {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    match n {
        Some(value) => Some(At { value, pointer }),
        None => {
            d.error(
                &pointer,
                format!("`{key}` must be a whole number"),
                Some(format!("write `{key}` as a JSON integer, e.g. 5")),
            );
            None
        }
    }
}
