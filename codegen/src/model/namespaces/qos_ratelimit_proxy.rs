//! `qos/ratelimit/proxy` (backend level): one token bucket per backend (spec:
//! security-and-traffic.md §7; krakend-ratelimit `proxy/proxy.go`).

use super::qos_ratelimit_router::{number, string};
use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "qos/ratelimit/proxy";
pub const KEYS: &[&str] = &["max_rate", "capacity", "every"];

#[derive(Debug, Default)]
pub struct ProxyRateLimitOptions {
    pub pointer: String,
    pub max_rate: Option<At<f64>>,
    pub capacity: Option<At<f64>>,
    pub every: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl ProxyRateLimitOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        ProxyRateLimitOptions {
            pointer: pointer.to_owned(),
            max_rate: number(d, &mut r, NAME, "max_rate"),
            capacity: number(d, &mut r, NAME, "capacity"),
            every: string(d, &mut r, NAME, "every"),
            unknown: r.finish(),
        }
    }
}
