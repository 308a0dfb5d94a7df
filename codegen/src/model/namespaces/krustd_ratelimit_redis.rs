//! `krustd/ratelimit/redis` (endpoint level, a Krustd extension): the endpoint's
//! `qos/ratelimit/router` limits kept in Redis, one budget for every replica (README
//! "Cluster-wide rate limits").

use super::qos_ratelimit_router::string;
use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "krustd/ratelimit/redis";
pub const KEYS: &[&str] = &["name", "timeout"];

#[derive(Debug, Default)]
pub struct RedisRateLimitOptions {
    pub pointer: String,
    /// The budget's name in Redis (default: `METHOD /path`).
    pub name: Option<At<String>>,
    /// Longest wait for Redis (Go duration, default 20ms).
    pub timeout: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl RedisRateLimitOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        RedisRateLimitOptions {
            pointer: pointer.to_owned(),
            name: string(d, &mut r, NAME, "name"),
            timeout: string(d, &mut r, NAME, "timeout"),
            unknown: r.finish(),
        }
    }
}
