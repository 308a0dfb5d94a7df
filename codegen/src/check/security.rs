//! Rules on the `security/cors`, `security/http` and `security/bot-detector` namespaces (their
//! types are checked while reading them). Regexes are compiled here with the crate the runtime
//! uses: KrakenD silently disables a bot detector with an invalid pattern (and panics at start
//! on an invalid allowed-host regex); Krustd refuses the contract at the pattern's line.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::security_bot_detector::{self as bots, BotDetectorOptions};
use crate::model::namespaces::security_cors::{self as cors, CorsOptions};
use crate::model::namespaces::security_http::{self as secure, HttpSecureOptions};
use crate::model::At;

/// The regex syntax check shared with the runtime (same crate, same flags).
pub fn regex_error(pattern: &str) -> Option<String> {
    regex::bytes::RegexSet::new([pattern])
        .err()
        .map(|e| e.to_string())
}

pub use crate::model::namespaces::security_http::anchored_host;

fn header_name_ok(h: &str) -> bool {
    http_token(h)
}

fn http_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Visible ASCII, spaces and tabs: what a header value may hold.
fn header_value_ok(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

fn check_values(d: &mut Diagnostics, v: &Option<At<String>>, key: &str, ns: &str) {
    if let Some(v) = v.as_ref().filter(|v| !header_value_ok(&v.value)) {
        d.error(
            &v.pointer,
            format!("`{ns}.{key}` is not a valid header value"),
            Some("use visible ASCII characters only".to_owned()),
        );
    }
}

fn check_header_names(
    d: &mut Diagnostics,
    list: &Option<At<Vec<At<String>>>>,
    key: &str,
    ns: &str,
) {
    for h in list.iter().flat_map(|l| &l.value) {
        if !header_name_ok(&h.value) {
            d.error(
                &h.pointer,
                format!("`{ns}.{key}` holds an invalid header name"),
                None,
            );
        }
    }
}

pub(super) fn check_cors(d: &mut Diagnostics, c: &CorsOptions) {
    check_unknown_keys(d, &c.unknown, cors::KEYS, &[], cors::NAME);
    if let Some(m) = &c.max_age {
        match crate::duration::parse(&m.value) {
            Ok(_) => {}
            Err(e) => d.error(
                &m.pointer,
                format!("`{}.max_age` is not a valid duration: {e}", cors::NAME),
                Some("KrakenD drops an invalid max_age silently; write e.g. \"12h\"".to_owned()),
            ),
        }
    }
    if let Some(s) = &c.options_success_status {
        if !(200..=599).contains(&s.value) {
            d.error(
                &s.pointer,
                format!(
                    "`{}.options_success_status` must be an HTTP status between 200 and 599",
                    cors::NAME
                ),
                None,
            );
        }
    }
    for o in c.allow_origins.iter().flat_map(|l| &l.value) {
        if o.value != "*" && o.value.matches('*').count() > 1 {
            d.error(
                &o.pointer,
                "an allowed origin may hold one `*` wildcard only",
                Some("rs/cors treats a second `*` as a literal character".to_owned()),
            );
        }
    }
    for m in c.allow_methods.iter().flat_map(|l| &l.value) {
        if !http_token(&m.value) {
            d.error(
                &m.pointer,
                "an allowed method must be an HTTP method name",
                None,
            );
        }
    }
    check_header_names(d, &c.expose_headers, "expose_headers", cors::NAME);
}

pub(super) fn check_bot_detector(d: &mut Diagnostics, b: &BotDetectorOptions) {
    check_unknown_keys(d, &b.unknown, bots::KEYS, &[], bots::NAME);
    for p in b.patterns.iter().flat_map(|l| &l.value) {
        if let Some(e) = regex_error(&p.value) {
            d.error(
                &p.pointer,
                format!("invalid bot-detector pattern: {}", first_line(&e)),
                Some("KrakenD would silently disable the whole detector".to_owned()),
            );
        }
    }
    if let Some(c) = b.cache_size.as_ref().filter(|c| c.value < 0) {
        d.error(&c.pointer, "`cache_size` must not be negative", None);
    }
}

pub(super) fn check_http_secure(d: &mut Diagnostics, h: &HttpSecureOptions) {
    check_unknown_keys(d, &h.unknown, secure::KEYS, secure::IGNORED, secure::NAME);
    if h.allowed_hosts_are_regex {
        for host in h.allowed_hosts.iter().flat_map(|l| &l.value) {
            if let Some(e) = regex_error(&anchored_host(&host.value)) {
                d.error(
                    &host.pointer,
                    format!("invalid allowed-host regex: {}", first_line(&e)),
                    Some("KrakenD panics at start on it".to_owned()),
                );
            }
        }
    }
    check_header_names(d, &h.host_proxy_headers, "host_proxy_headers", secure::NAME);
    if let Some(m) = &h.ssl_proxy_headers {
        for (k, v) in &m.value {
            if !header_name_ok(k) || !header_value_ok(v) {
                d.error(
                    &crate::model::child(&m.pointer, k),
                    format!(
                        "`{}.ssl_proxy_headers` needs header names and header values",
                        secure::NAME
                    ),
                    None,
                );
            }
        }
    }
    check_values(d, &h.ssl_host, "ssl_host", secure::NAME);
    check_values(
        d,
        &h.custom_frame_options_value,
        "custom_frame_options_value",
        secure::NAME,
    );
    check_values(
        d,
        &h.content_security_policy,
        "content_security_policy",
        secure::NAME,
    );
    check_values(d, &h.referrer_policy, "referrer_policy", secure::NAME);
}

/// regex's messages span several lines (pattern, caret, error); the diagnostic shows the
/// contract line itself, so only the error line is kept.
fn first_line(e: &str) -> String {
    e.lines()
        .rev()
        .find(|l| l.trim_start().starts_with("error:"))
        .map(|l| {
            l.trim_start()
                .trim_start_matches("error:")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|| e.lines().next().unwrap_or_default().to_owned())
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn service(ns: &str, body: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{"{ns}": {{{body}}}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn bot_patterns_compile_at_build_time() {
        let d = service(
            "security/bot-detector",
            r#""patterns": ["ok.*", "(unclosed"]"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].starts_with("invalid bot-detector pattern"), "{d:#?}");
        assert!(
            d[0].ends_with("@/extra_config/security~1bot-detector/patterns/1"),
            "{d:#?}"
        );
        let d = diagnostics_of(&one_endpoint(
            "",
            r#""extra_config": {"security/bot-detector": {"patterns": ["a{2,1}"]}}"#,
            "",
        ));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(service(
            "security/bot-detector",
            r#""patterns": ["(Pingdom.com_bot_version_).*"], "allow": ["x"], "cache_size": 10"#
        )
        .is_empty());
    }

    #[test]
    fn allowed_host_regexes_compile_when_regex() {
        let d = service(
            "security/http",
            r#""allowed_hosts": ["[a-"], "allowed_hosts_are_regex": true"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].starts_with("invalid allowed-host regex"), "{d:#?}");
        assert!(service("security/http", r#""allowed_hosts": ["[a-"]"#).is_empty());
    }

    #[test]
    fn wrong_types_and_values() {
        let d = service("security/cors", r#""allow_origins": "*""#);
        assert_eq!(
            d,
            ["`security/cors.allow_origins` must be a list of strings @/extra_config/security~1cors/allow_origins"]
        );
        let d = service("security/cors", r#""max_age": "soon""#);
        assert_eq!(d.len(), 1, "{d:#?}");
        let d = service("security/cors", r#""max_age": 12"#);
        assert_eq!(d.len(), 1, "{d:#?}");
        let d = service("security/cors", r#""options_success_status": 42"#);
        assert_eq!(d.len(), 1, "{d:#?}");
        let d = service("security/cors", r#""allow_origins": ["https://*.*.x"]"#);
        assert_eq!(d.len(), 1, "{d:#?}");
        let d = service("security/http", r#""sts_seconds": "1""#);
        assert_eq!(d.len(), 1, "{d:#?}");
        let d = service("security/http", r#""hpkp_public_key": "x""#);
        assert_eq!(
            d,
            ["`security/http.hpkp_public_key` has no effect in KrakenD CE @/extra_config/security~1http/hpkp_public_key"]
        );
        let d = service("security/bot-detector", r#""deny": [1]"#);
        assert_eq!(d.len(), 1, "{d:#?}");
    }
}
