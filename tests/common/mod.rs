//! Mock backends on 127.0.0.1 (port 0) and helpers shared by the integration tests.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};
use std::net::SocketAddr;
use std::time::Duration;

pub use krustd_runtime::Options;

/// Starts `app` on 127.0.0.1:0 and returns `http://addr`.
pub async fn start(app: Router) -> String {
    let addr: SocketAddr = krustd_runtime::test_support::serve(app)
        .await
        .expect("bind 127.0.0.1:0");
    format!("http://{addr}")
}

/// Options pointing the contract hosts at mock servers.
pub fn hosts(map: &[(&str, &str)]) -> Options {
    Options {
        host_map: map
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect(),
        ..Options::default()
    }
}

fn headers_json(h: &HeaderMap) -> Value {
    let mut m = Map::new();
    for name in h.keys() {
        let values: Vec<Value> = h
            .get_all(name)
            .iter()
            .map(|v| Value::String(String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        m.insert(name.as_str().to_owned(), Value::Array(values));
    }
    Value::Object(m)
}

async fn echo(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let v = json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": parts.uri.query(),
        "headers": headers_json(&parts.headers),
        "body": String::from_utf8_lossy(&body),
    });
    json_response(StatusCode::OK, v.to_string())
}

fn json_response_bytes(body: Vec<u8>) -> Response {
    (StatusCode::OK, [("content-type", "application/json")], body).into_response()
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

/// Calls counted per name by `/count/{name}` (for concurrency and "was not called" checks).
pub static COUNTS: std::sync::Mutex<Vec<(String, usize)>> = std::sync::Mutex::new(Vec::new());

/// How many times `/count/{name}` was called.
pub fn count(name: &str) -> usize {
    COUNTS
        .lock()
        .map(|c| c.iter().find(|(n, _)| n == name).map_or(0, |(_, k)| *k))
        .unwrap_or(0)
}

/// The mock backend every feature contract points at (`http://mock`).
pub fn mock() -> Router {
    Router::new()
        .route(
            "/users/{id}",
            any(|axum::extract::Path(id): axum::extract::Path<String>| async move {
                json_response(
                    StatusCode::OK,
                    json!({"user": {"id": 42, "name": format!("ann {id}")}}).to_string(),
                )
            }),
        )
        .route(
            "/count/{name}",
            any(|axum::extract::Path(name): axum::extract::Path<String>| async move {
                if let Ok(mut c) = COUNTS.lock() {
                    match c.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, k)) => *k += 1,
                        None => c.push((name.clone(), 1)),
                    }
                }
                json_response(StatusCode::OK, json!({ "counted": name }).to_string())
            }),
        )
        .route(
            "/xml",
            any(|| async {
                (
                    StatusCode::OK,
                    [("content-type", "application/xml")],
                    r#"<?xml version="1.0"?><user id="7"><name>ann</name><tag>a</tag><tag>b</tag></user>"#,
                )
                    .into_response()
            }),
        )
        .route(
            "/xml-bad",
            any(|| async { (StatusCode::OK, "<user><name>ann</user>").into_response() }),
        )
        .route(
            "/feed",
            any(|| async {
                (
                    StatusCode::OK,
                    [("content-type", "application/rss+xml")],
                    r#"<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>http://x</link><description>d</description><item><title>First</title><link>http://x/1</link></item></channel></rss>"#,
                )
                    .into_response()
            }),
        )
        .route(
            "/huge",
            any(|| async {
                // 65 MiB of JSON whitespace before `{}`: over the gateway's 64 MiB bound.
                let mut body = vec![b' '; 65 << 20];
                body.extend_from_slice(b"{}");
                json_response_bytes(body)
            }),
        )
        .route(
            "/collection",
            any(|| async {
                json_response(
                    StatusCode::OK,
                    r#"{"a":[{"b":1,"c":2},{"b":3}],"z":{"j":2,"k":1},"l":[9]}"#.into(),
                )
            }),
        )
        .route(
            "/redirect/loop",
            any(|| async { (StatusCode::FOUND, [("location", "/redirect/loop")]).into_response() }),
        )
        .route(
            "/redirect/{code}",
            any(|axum::extract::Path(code): axum::extract::Path<u16>| async move {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND);
                let target = if code == 301 { "/a" } else { "/echo/redirected" };
                (status, [("location", target)], "moved").into_response()
            }),
        )
        .route(
            "/bytes",
            any(|| async {
                let body: &'static [u8] = b"\xff\xfeok";
                (StatusCode::OK, [("content-type", "application/octet-stream")], body).into_response()
            }),
        )
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
        .route(
            "/a",
            any(|| async { json_response(StatusCode::OK, r#"{"a":1,"shared":"from a","n":1.50}"#.into()) }),
        )
        .route(
            "/b",
            any(|| async { json_response(StatusCode::OK, r#"{"b":true,"shared":"from b","html":"<&>"}"#.into()) }),
        )
        .route(
            "/doc",
            any(|| async {
                json_response(
                    StatusCode::OK,
                    r#"{"data":{"user":{"name":"ann","secret":"s3","tags":["x","y"],"address":{"city":"c"}},"count":2,"big":12345678901234567890}}"#.into(),
                )
            }),
        )
        .route(
            "/list",
            any(|| async { json_response(StatusCode::OK, r#"[{"id":1},{"id":2}]"#.into()) }),
        )
        .route(
            "/scalar",
            any(|| async { json_response(StatusCode::OK, "42".into()) }),
        )
        .route(
            "/text",
            any(|| async { (StatusCode::OK, [("content-type", "text/plain")], "plain text body").into_response() }),
        )
        .route(
            "/html",
            any(|| async { json_response(StatusCode::OK, r#"{"snippet":"<b>a&b</b>","unicode":"é\u2028"}"#.into()) }),
        )
        .route(
            "/invalid",
            any(|| async { json_response(StatusCode::OK, "{not json".into()) }),
        )
        .route(
            "/slow",
            any(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                json_response(StatusCode::OK, r#"{"slow":true}"#.into())
            }),
        )
        .route(
            "/status/{code}",
            any(|axum::extract::Path(code): axum::extract::Path<u16>| async move {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
                (
                    status,
                    [("content-type", "text/x-teapot"), ("set-cookie", "backend=1")],
                    format!("status {code} body"),
                )
                    .into_response()
            }),
        )
}

/// A mock that answers `/who` with its own name.
pub fn named(name: &'static str) -> Router {
    Router::new().route(
        "/who",
        any(move || async move { json_response(StatusCode::OK, format!(r#"{{"who":"{name}"}}"#)) }),
    )
}

/// A plain HTTP client (no redirects followed, so tests see them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// GET `url` and return status, headers and body text.
pub async fn get(url: &str) -> (StatusCode, HeaderMap, String) {
    send(client().get(url)).await
}

pub async fn send(req: reqwest::RequestBuilder) -> (StatusCode, HeaderMap, String) {
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.text().await.expect("body");
    (status, headers, body)
}

/// Parses a JSON body.
pub fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

pub fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

pub fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).expect("method")
}

pub fn bytes(s: &'static str) -> Bytes {
    Bytes::from_static(s.as_bytes())
}

/// Sends `GET <target>` over a raw TCP connection (URL libraries normalise dot segments and
/// escapes; this does not) and returns the status code and the body.
pub async fn raw_get(base: &str, target: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf))
        .await
        .expect("answer in time")
        .expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
