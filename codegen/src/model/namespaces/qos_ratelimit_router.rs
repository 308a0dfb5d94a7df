//! `qos/ratelimit/router` (endpoint level): the endpoint and client token buckets (spec:
//! security-and-traffic.md §6; krakend-ratelimit `router/router.go`).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "qos/ratelimit/router";
pub const KEYS: &[&str] = &[
    "max_rate",
    "capacity",
    "client_max_rate",
    "client_capacity",
    "strategy",
    "key",
    "every",
    "num_shards",
    "cleanup_period",
    "cleanup_threads",
];

#[derive(Debug, Default)]
pub struct RateLimitOptions {
    pub pointer: String,
    pub max_rate: Option<At<f64>>,
    pub capacity: Option<At<f64>>,
    pub client_max_rate: Option<At<f64>>,
    pub client_capacity: Option<At<f64>>,
    pub strategy: Option<At<String>>,
    pub key: Option<At<String>>,
    pub every: Option<At<String>>,
    pub num_shards: Option<At<f64>>,
    pub cleanup_period: Option<At<String>>,
    /// Tuning of KrakenD's cleanup goroutines: read, no effect here.
    pub cleanup_threads: Option<At<f64>>,
    pub unknown: Vec<At<String>>,
}

/// A JSON number (KrakenD reads ints and floats alike), reported when it is something else.
pub(crate) fn number(
    d: &mut Diagnostics,
    r: &mut NsReader<'_>,
    ns: &str,
    key: &str,
) -> Option<At<f64>> {
    let (v, pointer) = r.get(key)?;
    match v.as_f64() {
        Some(value) => Some(At { value, pointer }),
        None => {
            d.error(&pointer, format!("`{ns}.{key}` must be a number"), None);
            None
        }
    }
}

/// A JSON string, reported when it is something else.
pub(crate) fn string(
    d: &mut Diagnostics,
    r: &mut NsReader<'_>,
    ns: &str,
    key: &str,
) -> Option<At<String>> {
    r.string(d, ns, key)
}

impl RateLimitOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        RateLimitOptions {
            pointer: pointer.to_owned(),
            max_rate: number(d, &mut r, NAME, "max_rate"),
            capacity: number(d, &mut r, NAME, "capacity"),
            client_max_rate: number(d, &mut r, NAME, "client_max_rate"),
            client_capacity: number(d, &mut r, NAME, "client_capacity"),
            strategy: string(d, &mut r, NAME, "strategy"),
            key: string(d, &mut r, NAME, "key"),
            every: string(d, &mut r, NAME, "every"),
            num_shards: number(d, &mut r, NAME, "num_shards"),
            cleanup_period: string(d, &mut r, NAME, "cleanup_period"),
            cleanup_threads: number(d, &mut r, NAME, "cleanup_threads"),
            unknown: r.finish(),
        }
    }
}
