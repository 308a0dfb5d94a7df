//! The answer when no handler matched: gin's trailing-slash and fixed-path redirects, KrakenD's
//! 405 with `Allow`, and 404.

use super::clean::{go_path_clean, toggle_trailing_slash};
use super::escape::{go_escape_path, hex_escape_non_ascii, html_escape, percent_decode_lenient};
use super::pattern::{
    allowed_methods, exact_match_any, find_fixed_path, parse_pattern, SegPattern,
};
use super::{Route, RouteTable};
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Method, StatusCode};

const X_KRAKEND: HeaderName = HeaderName::from_static("x-krakend");
const X_KRAKEND_COMPLETED: HeaderName = HeaderName::from_static("x-krakend-completed");
const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");
const FALSE_VALUE: HeaderValue = HeaderValue::from_static("false");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");
const TEXT_HTML_UTF8: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// The answer when no handler matched `method` + `path` (a canonical path): a 301/307 redirect
/// (trailing slash, then fixed path), else 405 with `Allow`, else 404. `builtin` are the
/// gateway's own routes registered beside the contract's (see `builtin_routes::enabled`).
pub fn not_matched(
    table: &RouteTable,
    builtin: &[Route],
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    // Go matches on `URL.Path`, the decoded path; decoding the canonical path once gives it back.
    let decoded = percent_decode_lenient(path.as_bytes());
    let method_str = method.as_str();
    let parsed: Vec<(&Route, Vec<SegPattern>)> = table
        .routes
        .iter()
        .chain(builtin)
        .map(|r| (r, parse_pattern(r.pattern)))
        .collect();

    // a) Redirects, searching only the request method's routes (gin: that method's tree).
    if *method != Method::CONNECT && decoded.as_slice() != b"/" {
        let own: Vec<&[SegPattern]> = parsed
            .iter()
            .filter(|(r, _)| r.methods.contains(&method_str))
            .map(|(_, p)| p.as_slice())
            .collect();
        if !own.is_empty() {
            if !table.disable_redirect_trailing_slash
                && exact_match_any(&own, &toggle_trailing_slash(&decoded))
            {
                return trailing_slash_redirect(method, &decoded, query, headers);
            }
            if !table.disable_redirect_fixed_path {
                if let Some(fixed) = find_fixed_path(&own, &decoded) {
                    // Never redirect to the very path that just failed (would loop).
                    if fixed != decoded {
                        return redirect_response(method, &fixed, query);
                    }
                }
            }
        }
    }

    // b) 405 when the exact path exists for other methods.
    if !table.disable_handle_method_not_allowed {
        let allowed = allowed_methods(table, &parsed, method_str, &decoded);
        if !allowed.is_empty() {
            let mut resp = krakend_error(
                table,
                StatusCode::METHOD_NOT_ALLOWED,
                "405 method not allowed",
                table.error_body_405,
            );
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                resp.headers_mut().insert(ALLOW, v);
            }
            return resp;
        }
    }

    // c) 404.
    krakend_error(
        table,
        StatusCode::NOT_FOUND,
        "404 page not found",
        table.error_body_404,
    )
}

/// Cleaned `X-Forwarded-Prefix` as gin uses it (`path.Clean`, then only `[a-zA-Z0-9/-]`, then
/// repeated `/` collapsed); `None` when absent/empty.
fn forwarded_prefix(headers: &HeaderMap) -> Option<Vec<u8>> {
    let raw = headers
        .get(X_FORWARDED_PREFIX)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let cleaned = go_path_clean(raw);
    if cleaned.as_slice() == b"." {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(cleaned.len());
    for b in cleaned {
        if b.is_ascii_alphanumeric() || b == b'-' || (b == b'/' && out.last() != Some(&b'/')) {
            out.push(b);
        }
    }
    Some(out)
}

/// gin's `redirectTrailingSlash`.
fn trailing_slash_redirect(
    method: &Method,
    decoded: &[u8],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let p = match forwarded_prefix(headers) {
        Some(mut prefix) => {
            prefix.push(b'/');
            prefix.extend_from_slice(decoded);
            prefix
        }
        None => decoded.to_vec(),
    };
    redirect_response(method, &toggle_trailing_slash(&p), query)
}

/// gin's `redirectRequest` + net/http's `Redirect` for a relative URL: `Location` is the escaped
/// path (+ query) cleaned with `path.Clean`, trailing slash preserved.
fn redirect_response(method: &Method, new_path: &[u8], query: Option<&str>) -> Response {
    let mut url = go_escape_path(new_path);
    if !url.starts_with('/') {
        // Relative (only reachable through an odd X-Forwarded-Prefix): resolved against the
        // directory of the request path, as net/http does.
        let current = String::from_utf8_lossy(new_path);
        let dir_end = current.rfind('/').map_or(0, |i| i + 1);
        url = format!("{}{}", current.get(..dir_end).unwrap_or_default(), url);
    }
    let trailing = url.ends_with('/');
    let mut cleaned = go_path_clean(url.as_bytes());
    if trailing && !cleaned.ends_with(b"/") {
        cleaned.push(b'/');
    }
    let mut url = String::from_utf8_lossy(&cleaned).into_owned();
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }

    let is_get = *method == Method::GET;
    let body = if is_get {
        Body::from(format!(
            "<a href=\"{}\">Moved Permanently</a>.\n\n",
            html_escape(&url)
        ))
    } else {
        Body::empty()
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = if is_get {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::TEMPORARY_REDIRECT
    };
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&hex_escape_non_ascii(&url)) {
        headers.insert(LOCATION, v);
    }
    if is_get || *method == Method::HEAD {
        headers.insert(CONTENT_TYPE, TEXT_HTML_UTF8);
    }
    resp
}

/// 404 / 405 as KrakenD's NoRoute / NoMethod handlers leave them.
fn krakend_error(
    table: &RouteTable,
    status: StatusCode,
    default_body: &'static str,
    custom: Option<&'static str>,
) -> Response {
    let (body, content_type) = match custom {
        Some(json) => (json, JSON_UTF8),
        None => (default_body, TEXT_PLAIN),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    if let Ok(v) = HeaderValue::from_str(table.version_header) {
        headers.insert(X_KRAKEND, v);
    }
    headers.insert(X_KRAKEND_COMPLETED, FALSE_VALUE);
    resp
}
