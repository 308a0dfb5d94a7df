//! `security/cors`, answering exactly as krakend-cors over rs/cors v1.11 does. It wraps the
//! whole server: a preflight (`OPTIONS` with `Access-Control-Request-Method`) on any path, known
//! or not, is answered here with `options_success_status` unless `options_passthrough`; every
//! other request gets `Vary: Origin` and, when its origin and method are allowed, the
//! allow-origin, expose and credentials headers, on whatever answer follows (404 and errors
//! included).
//!
//! Hand-written rather than tower-http's `CorsLayer`, which cannot give KrakenD's answers:
//! it treats every `OPTIONS` as a preflight (auto-OPTIONS and passthrough impossible), always
//! answers preflights 200, refuses `*` with credentials (rs/cors sends `*` anyway), sends the
//! allow-methods/headers lists even when the origin is refused, has no check that requested
//! headers are sorted, unique and lower-case as rs/cors requires, and sets the preflight `Vary`
//! list on every answer. The rules here are rs/cors's, over statics compiled from the contract.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

/// One contract's CORS rules (see the plan's `Cors` for how they were normalised).
#[derive(Debug)]
pub struct CorsSpec {
    pub origins_all: bool,
    /// Lower-case.
    pub origins: &'static [&'static str],
    /// Lower-case (prefix, suffix).
    pub wildcards: &'static [(&'static str, &'static str)],
    /// Compared case-sensitively.
    pub methods: &'static [&'static str],
    pub headers_all: bool,
    /// Lower-case, sorted, unique.
    pub headers: &'static [&'static str],
    pub expose: Option<HeaderValue>,
    pub credentials: bool,
    pub private_network: bool,
    pub passthrough: bool,
    pub success_status: u16,
    pub max_age: Option<HeaderValue>,
    pub debug: bool,
}

const TRUE: HeaderValue = HeaderValue::from_static("true");
const STAR: HeaderValue = HeaderValue::from_static("*");
const VARY_ORIGIN: HeaderValue = HeaderValue::from_static("Origin");
const VARY_PREFLIGHT: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
);
const VARY_PREFLIGHT_PN: HeaderValue = HeaderValue::from_static(
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network",
);
const REQUEST_PN: HeaderName = HeaderName::from_static("access-control-request-private-network");
const ALLOW_PN: HeaderName = HeaderName::from_static("access-control-allow-private-network");

/// The CORS headers for one answer, in the order rs/cors sets them.
pub type Headers = Vec<(HeaderName, HeaderValue)>;

fn first<'a>(h: &'a HeaderMap, name: &HeaderName) -> &'a [u8] {
    h.get(name).map(|v| v.as_bytes()).unwrap_or_default()
}

impl CorsSpec {
    fn log(&self, what: &str) {
        if self.debug {
            crate::log::debug(&format!("[CORS] {what}"));
        }
    }

    /// `OPTIONS` with a non-empty `Access-Control-Request-Method`.
    pub fn is_preflight(req: &Request) -> bool {
        req.method() == Method::OPTIONS
            && !first(req.headers(), &ACCESS_CONTROL_REQUEST_METHOD).is_empty()
    }

    fn origin_allowed(&self, origin: &[u8]) -> bool {
        if self.origins_all {
            return true;
        }
        let origin = String::from_utf8_lossy(origin).to_lowercase();
        self.origins.iter().any(|o| *o == origin)
            || self.wildcards.iter().any(|(p, s)| {
                origin.len() >= p.len() + s.len() && origin.starts_with(p) && origin.ends_with(s)
            })
    }

    fn method_allowed(&self, method: &[u8]) -> bool {
        method == b"OPTIONS" || self.methods.iter().any(|m| m.as_bytes() == method)
    }

    fn allow_origin(&self, h: &HeaderMap, out: &mut Headers) {
        if self.origins_all {
            out.push((ACCESS_CONTROL_ALLOW_ORIGIN, STAR));
        } else {
            for o in h.get_all(ORIGIN) {
                out.push((ACCESS_CONTROL_ALLOW_ORIGIN, o.clone()));
            }
        }
    }

    /// The headers of a preflight answer.
    pub fn preflight(&self, req: &Request) -> Headers {
        let h = req.headers();
        let mut out = Headers::with_capacity(7);
        let vary = if self.private_network {
            VARY_PREFLIGHT_PN
        } else {
            VARY_PREFLIGHT
        };
        out.push((VARY, vary));
        let origin = first(h, &ORIGIN);
        if origin.is_empty() {
            self.log("Preflight aborted: empty origin");
            return out;
        }
        if !self.origin_allowed(origin) {
            self.log("Preflight aborted: origin not allowed");
            return out;
        }
        if !self.method_allowed(first(h, &ACCESS_CONTROL_REQUEST_METHOD)) {
            self.log("Preflight aborted: method not allowed");
            return out;
        }
        let requested: Vec<&HeaderValue> =
            h.get_all(ACCESS_CONTROL_REQUEST_HEADERS).iter().collect();
        if !requested.is_empty() && !self.headers_all && !accepts(self.headers, &requested) {
            self.log("Preflight aborted: headers not allowed");
            return out;
        }
        self.allow_origin(h, &mut out);
        for m in h.get_all(ACCESS_CONTROL_REQUEST_METHOD) {
            out.push((ACCESS_CONTROL_ALLOW_METHODS, m.clone()));
        }
        if requested.first().is_some_and(|v| !v.is_empty()) {
            for v in requested {
                out.push((ACCESS_CONTROL_ALLOW_HEADERS, v.clone()));
            }
        }
        if self.credentials {
            out.push((ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE));
        }
        if self.private_network && first(h, &REQUEST_PN) == b"true" {
            out.push((ALLOW_PN, TRUE));
        }
        if let Some(m) = &self.max_age {
            out.push((ACCESS_CONTROL_MAX_AGE, m.clone()));
        }
        out
    }

    /// The headers of any other answer.
    pub fn actual(&self, req: &Request) -> Headers {
        let h = req.headers();
        let mut out = Headers::with_capacity(4);
        out.push((VARY, VARY_ORIGIN));
        let origin = first(h, &ORIGIN);
        if origin.is_empty() || !self.origin_allowed(origin) {
            self.log("Actual request no headers added: origin missing or not allowed");
            return out;
        }
        if !self.method_allowed(req.method().as_str().as_bytes()) {
            self.log("Actual request no headers added: method not allowed");
            return out;
        }
        self.allow_origin(h, &mut out);
        if let Some(e) = &self.expose {
            out.push((ACCESS_CONTROL_EXPOSE_HEADERS, e.clone()));
        }
        if self.credentials {
            out.push((ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE));
        }
        out
    }

    /// The answer to a preflight that does not pass through: the status, the headers, no body.
    pub fn preflight_answer(&self, headers: Headers) -> Response {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() =
            StatusCode::from_u16(self.success_status).unwrap_or(StatusCode::NO_CONTENT);
        add(resp.headers_mut(), headers);
        resp
    }
}

/// Puts the CORS headers before whatever the inner answer set (rs/cors writes them first).
pub fn add(target: &mut HeaderMap, headers: Headers) {
    let mut seen: Vec<HeaderName> = Vec::new();
    for (name, value) in headers {
        if seen.contains(&name) {
            target.append(name, value);
        } else {
            seen.push(name.clone());
            super::prepend(target, name, value);
        }
    }
}

/// rs/cors's `SortedSet.Accepts`: every comma-separated name (at most one byte of optional
/// whitespace on each side, up to 16 empty elements) is in `allowed` (lower-case, exact), and
/// the names are in strictly increasing order (sorted, unique).
fn accepts(allowed: &[&str], values: &[&HeaderValue]) -> bool {
    let mut last: Option<usize> = None;
    let mut empty = 0;
    for v in values {
        for name in v.as_bytes().split(|b| *b == b',') {
            let Some(name) = trim_ows(name) else {
                return false;
            };
            if name.is_empty() {
                empty += 1;
                if empty > 16 {
                    return false;
                }
                continue;
            }
            let Ok(pos) = allowed.binary_search_by(|a| a.as_bytes().cmp(name)) else {
                return false;
            };
            if last.is_some_and(|l| pos <= l) {
                return false;
            }
            last = Some(pos);
        }
    }
    true
}

/// rs/cors's `trimOWS(s, 1)`: `None` when more whitespace than tolerated sits at either end.
/// Go's loop trims one byte, then gives up at the next one unless the text ran out, so a side
/// passes with at most one OWS byte, or when the text is nothing but one or two of them.
fn trim_ows(s: &[u8]) -> Option<&[u8]> {
    let ows = |b: &&u8| **b == b' ' || **b == b'\t';
    let side_ok = |n: usize, len: usize| n <= 1 || (n == len && len <= 2);
    let trailing = s.iter().rev().take_while(ows).count();
    if !side_ok(trailing, s.len()) {
        return None;
    }
    let s = &s[..s.len() - trailing];
    let leading = s.iter().take_while(ows).count();
    if !side_ok(leading, s.len()) {
        return None;
    }
    Some(&s[leading..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(allowed: &[&str], v: &str) -> bool {
        let v = HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static(""));
        accepts(allowed, &[&v])
    }

    #[test]
    fn requested_headers_must_be_sorted_unique_lowercase() {
        let allowed = ["authorization", "content-type", "origin"];
        assert!(acc(&allowed, "content-type,origin"));
        assert!(acc(&allowed, "content-type, origin"));
        assert!(!acc(&allowed, "origin,content-type"));
        assert!(!acc(&allowed, "origin,origin"));
        assert!(!acc(&allowed, "Content-Type"));
        assert!(!acc(&allowed, "x-pingother"));
        assert!(!acc(&allowed, "content-type,  origin"));
        assert!(acc(&allowed, ""));
        assert!(acc(&allowed, "origin,,"));
    }
}
