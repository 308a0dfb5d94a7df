//! The gateway's own routes: `/__health`, `/__debug/*`, `/__echo/*`
//! (spec: proxy-behaviours.md §6–§8).

use crate::body_budget::read as read_body;
use crate::ctx::{RawTarget, SharedState};
use crate::forward;
use crate::render::json;
use crate::router::Route;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use http::header::{HeaderValue, CONTENT_TYPE};
use serde_json::{Map, Value};

const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// gin's `Any`: the methods KrakenD registers `/__debug/*param` and `/__echo/*param` for.
const ANY: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "HEAD", "OPTIONS", "DELETE", "CONNECT", "TRACE",
];
const DEBUG: Route = Route {
    pattern: "/__debug/{*param}",
    methods: ANY,
};
const ECHO: Route = Route {
    pattern: "/__echo/{*param}",
    methods: ANY,
};

/// The catch-all routes enabled beside the contract's, for the router's cold paths (so that
/// `/__debug` is redirected to `/__debug/` as gin does).
pub fn enabled(debug: bool, echo: bool) -> &'static [Route] {
    const BOTH: &[Route] = &[DEBUG, ECHO];
    match (debug, echo) {
        (true, true) => BOTH,
        (true, false) => &[DEBUG],
        (false, true) => &[ECHO],
        (false, false) => &[],
    }
}

fn json_response(value: &Value) -> Response {
    let mut resp = Response::new(Body::from(json::to_vec(value)));
    resp.headers_mut().insert(CONTENT_TYPE, JSON_UTF8);
    resp
}

/// `GET /__health`: KrakenD's shape plus the build identity under `krustd`.
pub async fn health(State(state): State<SharedState>) -> Response {
    let id = state.identity;
    let mut build = Map::new();
    build.insert("name".into(), Value::String(id.name.into()));
    build.insert(
        "contract_sha256".into(),
        Value::String(id.contract_sha256.into()),
    );
    build.insert("version".into(), Value::String(id.version.into()));
    build.insert("release".into(), Value::String(id.release.into()));
    let mut body = Map::new();
    body.insert("agents".into(), Value::Object(Map::new()));
    body.insert(
        "now".into(),
        Value::String(httpdate::fmt_http_date(std::time::SystemTime::now())),
    );
    body.insert("status".into(), Value::String("ok".into()));
    body.insert("krustd".into(), Value::Object(build));
    json_response(&Value::Object(body))
}

/// `/__debug/*`: `{"message":"pong"}` for any method; the request is logged at debug level.
pub async fn debug(State(state): State<SharedState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = read_body(body, state.service.read_timeout).await;
    if crate::log::enabled(crate::log::Level::Debug) {
        let body_text = match &body {
            Ok(b) => String::from_utf8_lossy(b).into_owned(),
            Err(_) => String::new(),
        };
        crate::log::debug(&format!(
            "[ENDPOINT: /__debug/*] Method: {} URI: {} Headers: {:?} Body: {}",
            parts.method, parts.uri, parts.headers, body_text
        ));
    }
    let mut m = Map::new();
    m.insert("message".into(), Value::String("pong".into()));
    json_response(&Value::Object(m))
}

/// `/__echo/*`: the request as the gateway received it.
pub async fn echo(State(state): State<SharedState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match read_body(body, state.service.read_timeout).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let raw = parts
        .extensions
        .get::<RawTarget>()
        .map(|t| t.0.clone())
        .unwrap_or_else(|| parts.uri.clone());
    let mut headers = Map::new();
    for name in parts.headers.keys() {
        if name == http::header::HOST {
            continue;
        }
        let values = parts
            .headers
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        headers.insert(canonical_header_key(name.as_str()), Value::Array(values));
    }
    let pairs = forward::parse_query(raw.query().unwrap_or(""));
    let mut query = Map::new();
    for (k, v) in &pairs {
        let entry = query
            .entry(k.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = entry {
            a.push(Value::String(v.clone()));
        }
    }
    let host = parts
        .headers
        .get(http::header::HOST)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .or_else(|| raw.authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let decoded_path = percent_encoding::percent_decode_str(raw.path())
        .decode_utf8_lossy()
        .into_owned();
    let mut details = Map::new();
    details.insert("fragment".into(), Value::String(String::new()));
    details.insert("host".into(), Value::String(host));
    details.insert("path".into(), Value::String(decoded_path));
    details.insert("query".into(), Value::String(forward::encode_query(&pairs)));
    details.insert("user".into(), Value::String(String::new()));
    let mut out = Map::new();
    out.insert(
        "req_body".into(),
        Value::String(String::from_utf8_lossy(&body).into_owned()),
    );
    out.insert("req_headers".into(), Value::Object(headers));
    out.insert("req_method".into(), Value::String(parts.method.to_string()));
    out.insert("req_querystring".into(), Value::Object(query));
    out.insert(
        "req_uri".into(),
        Value::String(
            raw.path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned()),
        ),
    );
    out.insert("req_uri_details".into(), Value::Object(details));
    json_response(&Value::Object(out))
}

/// Go's `CanonicalMIMEHeaderKey`: `x-user-id` → `X-User-Id`.
pub fn canonical_header_key(name: &str) -> String {
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_keys() {
        assert_eq!(canonical_header_key("x-user-id"), "X-User-Id");
        assert_eq!(canonical_header_key("content-type"), "Content-Type");
        assert_eq!(canonical_header_key("a b"), "a b");
    }
}
