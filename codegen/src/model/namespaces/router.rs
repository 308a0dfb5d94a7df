//! `router` (service level): gin's engine options (spec: contract.md §6 "router").

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;
use std::net::IpAddr;

pub const NAME: &str = "router";

/// Router options Krustd implements; `check` rejects the others until they land.
pub const KEYS: &[&str] = &[
    "return_error_msg",
    "hide_version_header",
    "error_body",
    "disable_health",
    "health_path",
    "disable_redirect_trailing_slash",
    "disable_redirect_fixed_path",
    "disable_handle_method_not_allowed",
    "disable_access_log",
    "logger_skip_paths",
    "max_multipart_memory",
    "remove_extra_slash",
    "auto_options",
    "disable_path_decoding",
    "forwarded_by_client_ip",
    "remote_ip_headers",
    "trusted_proxies",
    "app_engine",
    "use_h2c",
];
/// Router options that do nothing in KrakenD CE (a warning).
pub const IGNORED: &[&str] = &["max_payload", "decompress_gzip", "disable_gzip"];

/// The health path when `router.health_path` is not set.
pub const DEFAULT_HEALTH_PATH: &str = "/__health";

#[derive(Debug, Default)]
pub struct RouterOptions {
    pub pointer: String,
    pub return_error_msg: bool,
    pub hide_version_header: bool,
    /// `error_body`: status code → the JSON text of its body.
    pub error_body: Vec<(String, String)>,
    pub disable_health: bool,
    pub health_path: Option<At<String>>,
    pub disable_redirect_trailing_slash: bool,
    pub disable_redirect_fixed_path: bool,
    pub disable_handle_method_not_allowed: bool,
    pub disable_access_log: bool,
    pub logger_skip_paths: Option<Vec<String>>,
    pub remove_extra_slash: bool,
    pub auto_options: bool,
    pub disable_path_decoding: bool,
    /// `None`: not set (KrakenD's default is `true`).
    pub forwarded_by_client_ip: Option<bool>,
    pub remote_ip_headers: Option<Vec<String>>,
    pub trusted_proxies: Option<TrustedProxies>,
    pub app_engine: bool,
    /// `use_h2c`, as the root key.
    pub use_h2c: bool,
    /// Keys not in [`KEYS`], for `check`.
    pub unknown: Vec<At<String>>,
}

/// `trusted_proxies` as gin reads it.
#[derive(Debug, Default)]
pub struct TrustedProxies {
    pub pointer: String,
    /// The networks kept: like gin, entries after the first invalid one are dropped.
    pub nets: Vec<(IpAddr, u8)>,
    /// How many entries were written.
    pub written: usize,
}

fn wrong_type(d: &mut Diagnostics, pointer: &str, key: &str) {
    d.error(
        pointer,
        format!("router option `{key}` has the wrong type"),
        Some(
            "KrakenD silently drops most router options when one is mistyped; fix the value"
                .to_owned(),
        ),
    );
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_owned))
        .collect()
}

fn header_name_ok(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl RouterOptions {
    /// One wrongly typed router value makes KrakenD ignore most of the block: every one is an
    /// error.
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let mut o = RouterOptions {
            pointer: pointer.to_owned(),
            ..RouterOptions::default()
        };
        let flag = |r: &mut NsReader<'_>, d: &mut Diagnostics, key: &str| {
            r.bool(d, key, |k| {
                (
                    format!("router option `{k}` has the wrong type"),
                    Some("KrakenD silently drops most router options when one is mistyped; fix the value".to_owned()),
                )
            })
            .map(|b| b.value)
        };
        o.return_error_msg = flag(&mut r, d, "return_error_msg").unwrap_or(false);
        o.hide_version_header = flag(&mut r, d, "hide_version_header").unwrap_or(false);
        o.disable_health = flag(&mut r, d, "disable_health").unwrap_or(false);
        o.disable_redirect_trailing_slash =
            flag(&mut r, d, "disable_redirect_trailing_slash").unwrap_or(false);
        o.disable_redirect_fixed_path =
            flag(&mut r, d, "disable_redirect_fixed_path").unwrap_or(false);
        o.disable_handle_method_not_allowed =
            flag(&mut r, d, "disable_handle_method_not_allowed").unwrap_or(false);
        o.disable_access_log = flag(&mut r, d, "disable_access_log").unwrap_or(false);
        o.remove_extra_slash = flag(&mut r, d, "remove_extra_slash").unwrap_or(false);
        o.auto_options = flag(&mut r, d, "auto_options").unwrap_or(false);
        o.disable_path_decoding = flag(&mut r, d, "disable_path_decoding").unwrap_or(false);
        o.forwarded_by_client_ip = flag(&mut r, d, "forwarded_by_client_ip");
        o.app_engine = flag(&mut r, d, "app_engine").unwrap_or(false);
        o.use_h2c = flag(&mut r, d, "use_h2c").unwrap_or(false);
        if let Some((v, p)) = r.get("error_body") {
            match v {
                Value::Object(m) => {
                    o.error_body = m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect()
                }
                _ => wrong_type(d, &p, "error_body"),
            }
        }
        if let Some((v, p)) = r.get("health_path") {
            match v.as_str() {
                Some(s) if s.starts_with('/') => {
                    o.health_path = Some(At {
                        value: s.to_owned(),
                        pointer: p,
                    })
                }
                _ => wrong_type(d, &p, "health_path"),
            }
        }
        if let Some((v, p)) = r.get("logger_skip_paths") {
            match strings(v) {
                Some(list) => o.logger_skip_paths = Some(list),
                None => wrong_type(d, &p, "logger_skip_paths"),
            }
        }
        if let Some((v, p)) = r.get("remote_ip_headers") {
            match strings(v).filter(|l| l.iter().all(|h| header_name_ok(h))) {
                Some(list) => o.remote_ip_headers = Some(list),
                None => wrong_type(d, &p, "remote_ip_headers"),
            }
        }
        if let Some((v, p)) = r.get("trusted_proxies") {
            match v.as_array() {
                Some(a) => {
                    o.trusted_proxies = Some(TrustedProxies {
                        nets: trusted_proxies(a),
                        written: a.len(),
                        pointer: p,
                    })
                }
                None => wrong_type(d, &p, "trusted_proxies"),
            }
        }
        // Read without effect: gin's multipart limit does not apply to a proxy.
        r.get("max_multipart_memory");
        o.unknown = r.finish();
        o
    }

    /// The health path (`None` when `disable_health`).
    pub fn health_path(router: Option<&RouterOptions>) -> Option<String> {
        match router {
            Some(r) if r.disable_health => None,
            Some(r) => Some(
                r.health_path
                    .as_ref()
                    .map_or(DEFAULT_HEALTH_PATH, |h| h.value.as_str())
                    .to_owned(),
            ),
            None => Some(DEFAULT_HEALTH_PATH.to_owned()),
        }
    }
}

impl TrustedProxies {
    /// The pointer of the first entry gin drops, if any.
    pub fn first_dropped(&self) -> Option<String> {
        (self.nets.len() < self.written).then(|| child(&self.pointer, &self.nets.len().to_string()))
    }
}

/// `trusted_proxies`: IPs and CIDRs; like gin, entries after the first invalid one are dropped.
pub fn trusted_proxies(list: &[Value]) -> Vec<(IpAddr, u8)> {
    let mut out = Vec::new();
    for item in list {
        let Some(text) = item.as_str() else { break };
        let (ip, bits) = match text.split_once('/') {
            Some((ip, bits)) => (ip, bits.parse::<u8>().ok()),
            None => (text, None),
        };
        let Ok(ip) = ip.parse::<IpAddr>() else {
            break;
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match bits {
            Some(b) if b <= max => out.push((ip, b)),
            None if !text.contains('/') => out.push((ip, max)),
            _ => break,
        }
    }
    out
}
