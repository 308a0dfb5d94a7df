//! `security/http`, as krakend-httpsecure over unrolled/secure v1.15 processes a request:
//! allowed hosts (500 `Bad Host`), then the SSL redirect (301), then the headers every covered
//! answer carries (`Strict-Transport-Security` only on HTTPS requests or with
//! `force_sts_header`). `is_development` was applied at build time (no hosts, redirect, STS).
//! The gateway serves plain HTTP, so a request is HTTPS when its target is an absolute
//! `https://` URL or one of `ssl_proxy_headers` has the configured value.

use super::bot_detector::Patterns;
use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::header::{CONTENT_TYPE, HOST, LOCATION};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

#[derive(Debug)]
pub enum AllowedHosts {
    /// Compared case-insensitively.
    Plain(&'static [&'static str]),
    /// Anchored regexes.
    Regex(Patterns),
}

#[derive(Debug)]
pub struct HttpSecureSpec {
    pub allowed_hosts: Option<AllowedHosts>,
    pub host_proxy_headers: &'static [HeaderName],
    pub ssl_redirect: bool,
    pub ssl_host: Option<&'static str>,
    pub ssl_proxy_headers: &'static [(HeaderName, &'static str)],
    pub sts: Option<HeaderValue>,
    pub force_sts: bool,
    /// Set on every covered answer.
    pub headers: &'static [(HeaderName, HeaderValue)],
}

const STS: HeaderName = HeaderName::from_static("strict-transport-security");

/// `r.Host`: the `Host` header (HTTP/1.1) or the target's authority.
fn request_host(req: &Request) -> &[u8] {
    match req.headers().get(HOST) {
        Some(h) => h.as_bytes(),
        None => req
            .uri()
            .authority()
            .map(|a| a.as_str().as_bytes())
            .unwrap_or_default(),
    }
}

fn first_value<'a>(headers: &'a HeaderMap, name: &HeaderName) -> &'a [u8] {
    headers.get(name).map(|v| v.as_bytes()).unwrap_or_default()
}

impl HttpSecureSpec {
    /// Whether `host` (first non-empty `host_proxy_headers` value, else `r.Host`) is allowed.
    fn good_host(&self, hosts: &AllowedHosts, req: &Request) -> bool {
        let host = self
            .host_proxy_headers
            .iter()
            .map(|h| first_value(req.headers(), h))
            .find(|v| !v.is_empty())
            .unwrap_or_else(|| request_host(req));
        match hosts {
            AllowedHosts::Plain(list) => {
                let host = String::from_utf8_lossy(host);
                list.iter().any(|h| eq_fold(h, &host))
            }
            AllowedHosts::Regex(p) => p.is_match(host),
        }
    }

    fn is_ssl(&self, req: &Request) -> bool {
        req.uri()
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("https"))
            || self
                .ssl_proxy_headers
                .iter()
                .any(|(name, value)| first_value(req.headers(), name) == value.as_bytes())
    }

    /// Checks the request: `Ok(sts)` (whether the STS header applies) or the answer.
    pub fn process(&self, req: &Request) -> Result<bool, Response> {
        if let Some(hosts) = &self.allowed_hosts {
            if !self.good_host(hosts, req) {
                return Err(bad_host());
            }
        }
        let ssl = self.is_ssl(req);
        if self.ssl_redirect && !ssl {
            return Err(self.redirect(req));
        }
        Ok(self.sts.is_some() && (ssl || self.force_sts))
    }

    /// Adds the headers unrolled/secure sets before the handler.
    pub fn decorate(&self, headers: &mut HeaderMap, sts: bool) {
        if let (true, Some(v)) = (sts, &self.sts) {
            super::prepend(headers, STS, v.clone());
        }
        for (name, value) in self.headers {
            super::prepend(headers, name.clone(), value.clone());
        }
    }

    /// `http.Redirect(w, r, "https://" + host + target, 301)`.
    fn redirect(&self, req: &Request) -> Response {
        let host = match self.ssl_host {
            Some(h) => h.to_owned(),
            None => String::from_utf8_lossy(request_host(req)).into_owned(),
        };
        // The target as the client wrote it (before the router canonicalised it).
        let original = req
            .extensions()
            .get::<crate::ctx::RawTarget>()
            .map(|t| &t.0);
        let uri = original.unwrap_or(req.uri());
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("https://{host}{target}");
        let is_get = req.method() == Method::GET;
        let body = if is_get {
            Body::from(format!(
                "<a href=\"{}\">Moved Permanently</a>.\n\n",
                html_escape(&url)
            ))
        } else {
            Body::empty()
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
        let headers = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&url) {
            headers.insert(LOCATION, v);
        }
        if is_get || req.method() == Method::HEAD {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
        }
        resp
    }
}

/// Go's `strings.EqualFold` for host names (simple case folding).
fn eq_fold(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || (a.chars().count() == b.chars().count()
            && a.chars()
                .flat_map(char::to_lowercase)
                .eq(b.chars().flat_map(char::to_lowercase)))
}

/// unrolled/secure's default bad-host handler: `http.Error(w, "Bad Host", 500)`.
fn bad_host() -> Response {
    let mut resp = Response::new(Body::from("Bad Host\n"));
    *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// Go's `htmlEscape` in `http.Redirect`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
