//! Lowering `security/cors`, `security/http` and `security/bot-detector`: rs/cors's,
//! unrolled/secure's and krakend-botdetector's normalisations applied once, here.

use super::super::ir::{AllowedHosts, BotDetector, Cors, HttpSecure};
use crate::model::namespaces::security_values::values;
use crate::model::namespaces::{BotDetectorOptions, CorsOptions, HttpSecureOptions};

/// Go's `http.CanonicalHeaderKey` for a valid header name.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

pub(super) fn lower_cors(c: &CorsOptions) -> Cors {
    let mut origins_all = false;
    let mut origins = Vec::new();
    let mut wildcards = Vec::new();
    let written = values(&c.allow_origins);
    // krakend-cors: no origins means `["*"]`.
    if written.is_empty() {
        origins_all = true;
    }
    for o in written {
        let o = o.to_lowercase();
        if o == "*" {
            origins_all = true;
            origins.clear();
            wildcards.clear();
            break;
        }
        match o.split_once('*') {
            Some((prefix, suffix)) => wildcards.push((prefix.to_owned(), suffix.to_owned())),
            None => origins.push(o),
        }
    }
    let mut methods = values(&c.allow_methods);
    if methods.is_empty() {
        methods = vec!["GET".into(), "POST".into(), "HEAD".into()];
    }
    // krakend-cors: no headers means `["*"]`.
    let written = values(&c.allow_headers);
    let headers_all = written.is_empty() || written.iter().any(|h| h == "*");
    let mut headers: Vec<String> = if headers_all {
        Vec::new()
    } else {
        written.iter().map(|h| h.to_lowercase()).collect()
    };
    headers.sort();
    headers.dedup();
    let expose = values(&c.expose_headers);
    let expose = (!expose.is_empty()).then(|| {
        expose
            .iter()
            .map(|h| canonical(h))
            .collect::<Vec<_>>()
            .join(", ")
    });
    // `int(MaxAge.Seconds())`: whole seconds; 0 sends nothing (negatives are build errors).
    let max_age = c
        .max_age
        .as_ref()
        .and_then(|m| crate::duration::parse(&m.value).ok())
        .map(|d| d.as_secs())
        .filter(|s| *s > 0)
        .map(|s| s.to_string());
    Cors {
        origins_all,
        origins,
        wildcards,
        methods,
        headers_all,
        headers,
        expose,
        credentials: c.allow_credentials,
        private_network: c.allow_private_network,
        passthrough: c.options_passthrough,
        success_status: c
            .options_success_status
            .as_ref()
            .and_then(|s| u16::try_from(s.value).ok())
            .filter(|s| *s != 0)
            .unwrap_or(204),
        max_age,
        debug: c.debug,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    v
}

pub(super) fn lower_bot_detector(b: &BotDetectorOptions) -> BotDetector {
    BotDetector {
        allow: sorted(values(&b.allow)),
        deny: sorted(values(&b.deny)),
        patterns: values(&b.patterns),
        empty_is_bot: b.empty_user_agent_is_bot,
    }
}

pub(super) fn lower_http_secure(h: &HttpSecureOptions) -> HttpSecure {
    let dev = h.is_development;
    let hosts = values(&h.allowed_hosts);
    let allowed_hosts = (!dev && !hosts.is_empty()).then(|| {
        if h.allowed_hosts_are_regex {
            AllowedHosts::Regex(
                hosts
                    .iter()
                    .map(|e| crate::model::namespaces::security_http::anchored_host(e))
                    .collect(),
            )
        } else {
            AllowedHosts::Plain(hosts)
        }
    });
    let sts = h
        .sts_seconds
        .as_ref()
        .filter(|s| s.value != 0 && !dev)
        .map(|s| {
            let sub = if h.sts_include_subdomains {
                "; includeSubDomains"
            } else {
                ""
            };
            format!("max-age={}{sub}", s.value)
        });
    let mut headers = Vec::new();
    match &h.custom_frame_options_value {
        Some(v) if !v.value.is_empty() => headers.push(("x-frame-options".into(), v.value.clone())),
        _ if h.frame_deny => headers.push(("x-frame-options".into(), "DENY".into())),
        _ => {}
    }
    if h.content_type_nosniff {
        headers.push(("x-content-type-options".into(), "nosniff".into()));
    }
    if h.browser_xss_filter {
        headers.push(("x-xss-protection".into(), "1; mode=block".into()));
    }
    if let Some(v) = h
        .content_security_policy
        .as_ref()
        .filter(|v| !v.value.is_empty())
    {
        headers.push(("content-security-policy".into(), v.value.clone()));
    }
    if let Some(v) = h.referrer_policy.as_ref().filter(|v| !v.value.is_empty()) {
        headers.push(("referrer-policy".into(), v.value.clone()));
    }
    HttpSecure {
        allowed_hosts,
        host_proxy_headers: values(&h.host_proxy_headers)
            .iter()
            .map(|s| s.to_ascii_lowercase())
            .collect(),
        ssl_redirect: h.ssl_redirect && !dev,
        ssl_host: h
            .ssl_host
            .as_ref()
            .map(|s| s.value.clone())
            .filter(|s| !s.is_empty()),
        ssl_proxy_headers: h
            .ssl_proxy_headers
            .as_ref()
            .map(|m| {
                m.value
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        sts,
        force_sts: h.force_sts_header,
        headers,
    }
}
