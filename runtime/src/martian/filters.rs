//! The conditions of martian's filters (`header.Filter`, `querystring.Filter`, …), as
//! google/martian v2.1 matches them. The emitted code is the `if`/`else` around them.

use super::go_url::{parse_query, request_cookies, response_cookies, unescape};
use super::modifiers::split_host_port;
use super::{Error, Request};
use http::uri::Scheme;
use http::{HeaderMap, HeaderName};
use std::sync::OnceLock;

/// `header.Filter`: one of the header's values equals `value`.
pub fn header_is(h: &HeaderMap, name: &HeaderName, value: &str) -> bool {
    h.get_all(name)
        .iter()
        .any(|v| v.as_bytes() == value.as_bytes())
}

/// `header.RegexFilter`: the first value of the header (of the request, on both sides) is
/// non-empty and matches.
pub fn header_matches(h: &HeaderMap, name: &HeaderName, re: &Regex) -> bool {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.is_empty() && re.is_match(v))
}

/// `querystring.Filter`: the request query has `name` (with `value` among its values, unless
/// `value` is empty).
pub fn query_has(req: &Request, name: &str, value: &str) -> bool {
    parse_query(&req.query)
        .get(name)
        .is_some_and(|vs| value.is_empty() || vs.iter().any(|v| v == value))
}

/// `url.Filter`: every non-empty part equals the request URL's (`host` may hold `*` labels;
/// `path` is compared unescaped, `query` raw).
pub fn url_is(req: &Request, scheme: &str, host: &str, path: &str, query: &str) -> bool {
    (scheme.is_empty() || scheme == req.scheme.as_str())
        && (host.is_empty() || match_host(&req.host, host))
        && (path.is_empty() || unescape(&req.path, false).is_some_and(|p| p == path))
        && (query.is_empty() || query == req.query)
}

/// `url.RegexFilter`: the request URL (as Go's `URL.String()` writes it) matches.
pub fn url_matches(req: &Request, re: &Regex) -> bool {
    re.is_match(&req.url())
}

/// `cookie.Filter` on the request: a `Cookie` named `name` (with `value`, unless empty).
pub fn cookie_in_request(h: &HeaderMap, name: &str, value: &str) -> bool {
    let lines = h
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    request_cookies(lines).any(|(n, v)| n == name && (value.is_empty() || v == value))
}

/// `cookie.Filter` on the answer: a `Set-Cookie` named `name` (with `value`, unless empty).
pub fn cookie_in_response(h: &HeaderMap, name: &str, value: &str) -> bool {
    let lines = h
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok());
    response_cookies(lines).any(|(n, v)| n == name && (value.is_empty() || v == value))
}

fn default_port(req: &Request) -> u16 {
    if req.scheme == Scheme::HTTP {
        80
    } else if req.scheme == Scheme::HTTPS {
        443
    } else {
        0
    }
}

fn url_port(req: &Request) -> Result<u16, Error> {
    let (_, p) = split_host_port(&req.host)?;
    p.parse::<u16>()
        .map_err(|_| Error(format!("strconv.Atoi: parsing {p:?}: invalid syntax")))
}

/// `port.Filter` on the request: the URL's port (or the scheme's default) is `port`.
pub fn port_in_request(req: &Request, port: u16) -> Result<bool, Error> {
    if req.host.contains(':') {
        return Ok(url_port(req)? == port);
    }
    Ok(port == default_port(req))
}

/// `port.Filter` on the answer (martian checks it in a slightly different order: a URL
/// without a port and another port than the default is an error).
pub fn port_in_response(req: &Request, port: u16) -> Result<bool, Error> {
    if !req.host.contains(':') && port == default_port(req) {
        return Ok(true);
    }
    Ok(url_port(req)? == port)
}

/// Martian's host match: exact, or `*` standing for leading labels (`*.example.com`).
fn match_host(host: &str, pattern: &str) -> bool {
    let (h, m) = (host.as_bytes(), pattern.as_bytes());
    if h.is_empty() {
        return false;
    }
    if h == m {
        return true;
    }
    let mut hi = h.len() - 1;
    for mi in (0..m.len()).rev() {
        if m[mi] == b'*' {
            while hi > 0 && h[hi] != b'.' {
                hi -= 1;
            }
            if mi == 0 && hi == 0 {
                return true;
            }
            continue;
        }
        if h[hi] != m[mi] {
            return false;
        }
        if hi == 0 {
            return mi == 0;
        }
        hi -= 1;
    }
    false
}

/// A filter's regex: checked at build time, compiled once, on first use.
#[derive(Debug)]
pub struct Regex {
    pattern: &'static str,
    compiled: OnceLock<Option<regex::Regex>>,
}

impl Regex {
    pub const fn new(pattern: &'static str) -> Self {
        Regex {
            pattern,
            compiled: OnceLock::new(),
        }
    }

    /// Whether `s` matches (never, if the pattern did not compile: codegen rejects those).
    pub fn is_match(&self, s: &str) -> bool {
        self.compiled
            .get_or_init(|| regex::Regex::new(self.pattern).ok())
            .as_ref()
            .is_some_and(|r| r.is_match(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_as_martian() {
        assert!(match_host("api.example.com", "*.example.com"));
        assert!(match_host("example.com", "example.com"));
        assert!(!match_host("example.org", "*.example.com"));
        assert!(!match_host("", "x"));
    }
}
