//! `security/http` (service level): allowed hosts, SSL redirect and secure headers, as
//! krakend-httpsecure over unrolled/secure v1.15 (spec: security-and-traffic.md §5).

use super::security_values::SecReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "security/http";
pub const KEYS: &[&str] = &[
    "allowed_hosts",
    "allowed_hosts_are_regex",
    "host_proxy_headers",
    "ssl_redirect",
    "ssl_host",
    "ssl_proxy_headers",
    "sts_seconds",
    "sts_include_subdomains",
    "force_sts_header",
    "frame_deny",
    "custom_frame_options_value",
    "content_type_nosniff",
    "browser_xss_filter",
    "content_security_policy",
    "referrer_policy",
    "is_development",
];
/// Keys KrakenD CE reads without effect (HPKP was removed from unrolled/secure).
pub const IGNORED: &[&str] = &["hpkp_public_key"];

#[derive(Debug, Default)]
pub struct HttpSecureOptions {
    pub pointer: String,
    pub allowed_hosts: Option<At<Vec<At<String>>>>,
    pub allowed_hosts_are_regex: bool,
    pub host_proxy_headers: Option<At<Vec<At<String>>>>,
    pub ssl_redirect: bool,
    pub ssl_host: Option<At<String>>,
    /// Header name → the value that marks a request as HTTPS.
    pub ssl_proxy_headers: Option<At<Vec<(String, String)>>>,
    pub sts_seconds: Option<At<i64>>,
    pub sts_include_subdomains: bool,
    pub force_sts_header: bool,
    pub frame_deny: bool,
    pub custom_frame_options_value: Option<At<String>>,
    pub content_type_nosniff: bool,
    pub browser_xss_filter: bool,
    pub content_security_policy: Option<At<String>>,
    pub referrer_policy: Option<At<String>>,
    pub is_development: bool,
    pub unknown: Vec<At<String>>,
}

impl HttpSecureOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = SecReader::new(d, NAME, value, pointer);
        let mut flag = |d: &mut Diagnostics, k| r.bool(d, k).is_some_and(|b| b.value);
        let allowed_hosts_are_regex = flag(d, "allowed_hosts_are_regex");
        let ssl_redirect = flag(d, "ssl_redirect");
        let sts_include_subdomains = flag(d, "sts_include_subdomains");
        let force_sts_header = flag(d, "force_sts_header");
        let frame_deny = flag(d, "frame_deny");
        let content_type_nosniff = flag(d, "content_type_nosniff");
        let browser_xss_filter = flag(d, "browser_xss_filter");
        let is_development = flag(d, "is_development");
        HttpSecureOptions {
            pointer: pointer.to_owned(),
            allowed_hosts: r.strings(d, "allowed_hosts"),
            allowed_hosts_are_regex,
            host_proxy_headers: r.strings(d, "host_proxy_headers"),
            ssl_redirect,
            ssl_host: r.string(d, "ssl_host"),
            ssl_proxy_headers: r.string_map(d, "ssl_proxy_headers"),
            sts_seconds: r.int(d, "sts_seconds"),
            sts_include_subdomains,
            force_sts_header,
            frame_deny,
            custom_frame_options_value: r.string(d, "custom_frame_options_value"),
            content_type_nosniff,
            browser_xss_filter,
            content_security_policy: r.string(d, "content_security_policy"),
            referrer_policy: r.string(d, "referrer_policy"),
            is_development,
            unknown: r.finish(),
        }
    }
}

/// The anchored form unrolled/secure gives an allowed-host regex (`^` + entry + `$`, no group):
/// what `check` compiles and `plan` embeds.
pub fn anchored_host(entry: &str) -> String {
    format!("^{entry}$")
}
