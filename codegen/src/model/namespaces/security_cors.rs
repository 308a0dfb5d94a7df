//! `security/cors` (service level): CORS headers and preflight answers, as krakend-cors over
//! rs/cors v1.11 (spec: security-and-traffic.md §3).

use super::security_values::SecReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "security/cors";
pub const KEYS: &[&str] = &[
    "allow_origins",
    "allow_methods",
    "allow_headers",
    "expose_headers",
    "allow_credentials",
    "max_age",
    "allow_private_network",
    "options_passthrough",
    "options_success_status",
    "debug",
];

#[derive(Debug, Default)]
pub struct CorsOptions {
    pub pointer: String,
    pub allow_origins: Option<At<Vec<At<String>>>>,
    pub allow_methods: Option<At<Vec<At<String>>>>,
    pub allow_headers: Option<At<Vec<At<String>>>>,
    pub expose_headers: Option<At<Vec<At<String>>>>,
    pub allow_credentials: bool,
    /// A Go duration, as written.
    pub max_age: Option<At<String>>,
    pub allow_private_network: bool,
    pub options_passthrough: bool,
    pub options_success_status: Option<At<i64>>,
    pub debug: bool,
    pub unknown: Vec<At<String>>,
}

impl CorsOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = SecReader::new(d, NAME, value, pointer);
        let mut flag = |d: &mut Diagnostics, k| r.bool(d, k).is_some_and(|b| b.value);
        let allow_credentials = flag(d, "allow_credentials");
        let allow_private_network = flag(d, "allow_private_network");
        let options_passthrough = flag(d, "options_passthrough");
        let debug = flag(d, "debug");
        CorsOptions {
            pointer: pointer.to_owned(),
            allow_origins: r.strings(d, "allow_origins"),
            allow_methods: r.strings(d, "allow_methods"),
            allow_headers: r.strings(d, "allow_headers"),
            expose_headers: r.strings(d, "expose_headers"),
            allow_credentials,
            max_age: r.string(d, "max_age"),
            allow_private_network,
            options_passthrough,
            options_success_status: r.int(d, "options_success_status"),
            debug,
            unknown: r.finish(),
        }
    }
}
