//! The value of a `{param}` segment: decoded once, then KrakenD's checks (400 when it still looks
//! encoded, or would become a dot segment of the backend URL).

use super::escape::percent_decode_lenient;
use crate::go;
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::StatusCode;

const TEXT_PLAIN_UTF8: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Decodes one path segment captured for a `{param}` and applies KrakenD's check: a value that
/// would decode again, or holds `?`/`#`, or a bad `%` escape, is answered with 400.
// The signature is fixed by generated code; this is the cold path, so the large `Err` is fine.
#[allow(clippy::result_large_err)]
pub fn decode_param(raw_segment: &str) -> Result<String, Response> {
    let raw = raw_segment.as_bytes();
    if !raw.iter().any(|&b| matches!(b, b'%' | b'?' | b'#')) {
        return dot_segment_check(raw_segment.to_owned());
    }
    // The value gin hands to KrakenD (decoded once) ...
    let value = percent_decode_lenient(raw);
    // ... then lura's paramChecker: `url.PathUnescape` (its error first: it validates every
    // escape before decoding), then "would decode again", then `?`/`#`.
    let mut i = 0;
    let mut has_escape = false;
    while let Some(&b) = value.get(i) {
        if b == b'%' {
            let valid = matches!(
                (value.get(i + 1), value.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            );
            if !valid {
                let end = (i + 3).min(value.len());
                let fragment = value.get(i..end).unwrap_or_default();
                return Err(bad_request(format!(
                    "error: invalid URL escape {}",
                    go::quote_bytes(fragment)
                )));
            }
            has_escape = true;
            i += 3;
        } else {
            i += 1;
        }
    }
    if has_escape || value.iter().any(|&b| b == b'?' || b == b'#') {
        return Err(bad_request("error: encoded url params".to_owned()));
    }
    dot_segment_check(String::from_utf8_lossy(&value).into_owned())
}

/// `decode_param` without KrakenD's encoded-parameter check (router `disable_path_decoding`);
/// dot segments are still rejected.
pub fn decode_param_unchecked(raw_segment: &str) -> Result<String, Response> {
    let value = percent_decode_lenient(raw_segment.as_bytes());
    dot_segment_check(String::from_utf8_lossy(&value).into_owned())
}

/// A parameter that is exactly `.` or `..` would become a dot segment of the backend URL, and
/// URL parsers resolve those (even escaped as `%2E`), letting a client climb out of the
/// url_pattern's path. Krustd rejects it (KrakenD passes it on to the backend).
fn dot_segment_check(value: String) -> Result<String, Response> {
    if value == "." || value == ".." {
        return Err(bad_request("error: encoded url params".to_owned()));
    }
    Ok(value)
}

fn bad_request(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut().insert(CONTENT_TYPE, TEXT_PLAIN_UTF8);
    resp
}
