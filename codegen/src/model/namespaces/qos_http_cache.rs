//! `qos/http-cache` (backend level): an in-memory HTTP cache on the backend's client.

use super::qos_circuit_breaker::whole_number;
use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "qos/http-cache";
pub const KEYS: &[&str] = &["shared", "max_items", "max_size"];

#[derive(Debug, Default)]
pub struct HttpCacheOptions {
    pub pointer: String,
    pub shared: bool,
    /// Entries; `check` rejects negative ones.
    pub max_items: Option<At<i64>>,
    /// Bytes; `check` rejects negative ones.
    pub max_size: Option<At<i64>>,
    pub unknown: Vec<At<String>>,
}

impl HttpCacheOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let shared = r
            .bool(d, "shared", |k| (format!("`{k}` must be a boolean"), None))
            .is_some_and(|b| b.value);
        let max_items = whole_number(d, &mut r, "max_items");
        let max_size = whole_number(d, &mut r, "max_size");
        HttpCacheOptions {
            pointer: pointer.to_owned(),
            shared,
            max_items,
            max_size,
            unknown: r.finish(),
        }
    }
}
