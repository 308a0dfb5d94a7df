//! The behaviours krakend-ce's own integration specs check for forwarding, backend redirects,
//! no-op, sequential calls, timeouts, XML output and error details, against a mock that
//! behaves like the Go backend of those specs: it answers 400 unless `X-Forwarded-For` is a
//! loopback IP, echoes the request (path, query as lists, headers as Go's server stores them:
//! canonical names, without `Host`, `Transfer-Encoding` and the checked `X-Forwarded-For`),
//! and redirects like Go's `ServeMux` (`/param_forwarding` → `/param_forwarding/`).
//!
//! Contract: contracts/features/krakend_specs.json. Tests and contract are our own; the
//! expectations follow what the specs say KrakenD answers.

mod common;
mod go_http;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::*;
use go_http::{go_headers, go_query};
use std::time::Duration;

async fn echo(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let query = go_query(parts.uri.query());
    let mut v = serde_json::Map::new();
    if query.get("dump_body").is_some_and(|d| d == &["1"]) {
        let b = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        v.insert(
            "body".into(),
            String::from_utf8_lossy(&b).into_owned().into(),
        );
    }
    v.insert("foo".into(), 42.into());
    v.insert(
        "headers".into(),
        serde_json::to_value(go_headers(&parts.headers)).unwrap_or_default(),
    );
    v.insert("path".into(), parts.uri.path().into());
    v.insert(
        "query".into(),
        serde_json::to_value(query).unwrap_or_default(),
    );
    // json.Encoder ends the document with a newline.
    let body = format!("{}\n", serde_json::Value::Object(v));
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert("content-type", "application/json".parse().expect("value"));
    h.append("set-cookie", "test1=test1".parse().expect("value"));
    h.append("set-cookie", "test2=test2".parse().expect("value"));
    resp
}

fn redirect(to: String, status: StatusCode) -> Response {
    let mut resp = (status, "moved").into_response();
    if let Ok(v) = to.parse() {
        resp.headers_mut().insert("location", v);
    }
    resp
}

async fn go_backend(req: Request) -> Response {
    let xff_ok = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let with_query = |p: &str| match &query {
        Some(q) => format!("{p}?{q}"),
        None => p.to_owned(),
    };
    let checked = path.starts_with("/param_forwarding/")
        || path.starts_with("/delayed/")
        || path.starts_with("/redirect/");
    if checked && !xff_ok {
        return (StatusCode::BAD_REQUEST, "invalid X-Forwarded-For\n").into_response();
    }
    if path == "/param_forwarding" {
        return redirect(
            with_query("/param_forwarding/"),
            StatusCode::MOVED_PERMANENTLY,
        );
    }
    if path.starts_with("/param_forwarding/") {
        return echo(req).await;
    }
    if path.starts_with("/delayed/") {
        tokio::time::sleep(Duration::from_secs(1)).await;
        return echo(req).await;
    }
    if path.starts_with("/redirect/") {
        let code = go_query(query.as_deref())
            .get("status")
            .and_then(|s| s.first())
            .and_then(|s| s.parse::<u16>().ok())
            .and_then(|c| StatusCode::from_u16(c).ok())
            .unwrap_or(StatusCode::MOVED_PERMANENTLY);
        return redirect(with_query("/param_forwarding/"), code);
    }
    (
        StatusCode::NOT_FOUND,
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ],
        "404 page not found\n",
    )
        .into_response()
}

async fn gateway() -> (String, String) {
    let mock = start(axum::Router::new().fallback(go_backend)).await;
    // `http://self` is KrakenD calling its own `/__debug` in the specs: here another instance
    // of the same gateway, which answers `/__debug` as this one would.
    let this = start(krustd_macros::gateway!(
        "contracts/features/krakend_specs.json",
        hosts(&[("http://echo", mock.as_str())])
    ))
    .await;
    let gw = krustd_macros::gateway!(
        "contracts/features/krakend_specs.json",
        hosts(&[
            ("http://echo", mock.as_str()),
            ("http://self", this.as_str())
        ])
    );
    (start(gw).await, mock)
}

/// A client that adds nothing of its own (no Accept-Encoding, no redirects followed).
fn bare() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn ua() -> String {
    "KrakenD Version 2.13.8".to_owned()
}

fn host(url: &str) -> &str {
    url.trim_start_matches("http://")
}

/// Status, then the headers the specs check: content type, cache control and completeness.
fn assert_head(headers: &HeaderMap, content_type: &str, cached: bool, completed: &str) {
    assert_eq!(header(headers, "content-type"), Some(content_type));
    let cache = header(headers, "cache-control");
    if cached {
        assert_eq!(cache, Some("public, max-age=3600"));
    } else {
        assert_eq!(cache, None);
    }
    assert_eq!(header(headers, "x-krakend-completed"), Some(completed));
}

const JSON_UTF8: &str = "application/json; charset=utf-8";

#[tokio::test]
async fn listed_headers_pass_whatever_their_case_and_the_rest_is_dropped() {
    let (gw, _) = gateway().await;
    for (auth, xyz, abc) in [
        ("Authorization", "X-Y-Z", "A-B-C"),
        ("autHoriZatiOn", "x-y-Z", "a-b-c"),
    ] {
        let (status, headers, body) = send(
            bare()
                .get(format!("{gw}/fwd/listed/foo/bar?a=1&b=2"))
                .header(auth, "bearer 123456")
                .header(xyz, "true")
                .header(abc, "ignore"),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_head(&headers, JSON_UTF8, true, "true");
        let expected = format!(
            r#"{{"foo":42,"headers":{{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"],"X-Y-Z":["true"]}},"path":"/param_forwarding/bar","query":{{"a":["foo"]}}}}"#,
            ua(),
            host(&gw)
        );
        assert_eq!(body, expected);
    }
}

#[tokio::test]
async fn every_header_passes_with_a_star_and_the_client_agent_is_kept() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(
        bare()
            .get(format!("{gw}/fwd/every/foo/bar?a=1&b=2"))
            .header("Accept", "application/json")
            .header("Accept-Encoding", "gzip")
            .header("User-Agent", "spec-client/1.0")
            .header("Authorization", "bearer 123456")
            .header("A-B-C", "ignore"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, JSON_UTF8, true, "true");
    let expected = format!(
        r#"{{"foo":42,"headers":{{"A-B-C":["ignore"],"Accept":["application/json"],"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["spec-client/1.0"],"X-Forwarded-Host":["{}"],"X-Forwarded-Via":["{}"]}},"path":"/param_forwarding/bar","query":{{"a":["foo"]}}}}"#,
        host(&gw),
        ua()
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_posted_body_reaches_the_backend_untouched() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(
        bare()
            .post(format!("{gw}/fwd/listed/foo/bar?a=1&b=2"))
            .header("authorization", "bearer 123456")
            .header("x-y-z", "true")
            .body(r#"{"foo":"bar"}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, JSON_UTF8, true, "true");
    // No Content-Length: the body went chunked, as from KrakenD.
    let expected = format!(
        r#"{{"body":"{{\"foo\":\"bar\"}}","foo":42,"headers":{{"Accept-Encoding":["gzip"],"Authorization":["bearer 123456"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"],"X-Y-Z":["true"]}},"path":"/param_forwarding/bar","query":{{"a":["foo"],"dump_body":["1"]}}}}"#,
        ua(),
        host(&gw)
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn query_strings_pass_by_allow_list_with_every_value() {
    let (gw, _) = gateway().await;
    let common_headers = format!(
        r#""headers":{{"Accept-Encoding":["gzip"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"]}}"#,
        ua(),
        host(&gw)
    );
    for (target, query) in [
        ("/qs/every/foo?x=1&y=2", r#"{"x":["1"],"y":["2"]}"#),
        ("/qs/every/foo?x=1&y=2&y=3", r#"{"x":["1"],"y":["2","3"]}"#),
        ("/qs/one/foo?x=1&y=2&y=3", r#"{"x":["1"]}"#),
    ] {
        let (status, headers, body) = send(bare().get(format!("{gw}{target}"))).await;
        assert_eq!(status, 200, "{target}: {body}");
        assert_head(&headers, JSON_UTF8, true, "true");
        assert_eq!(
            body,
            format!(
                r#"{{"foo":42,{common_headers},"path":"/param_forwarding/foo","query":{query}}}"#
            ),
            "{target}"
        );
    }
}

#[tokio::test]
async fn backend_redirects_are_followed_with_a_referer() {
    let (gw, mock) = gateway().await;
    for code in ["301", "302", "303", "307", "308"] {
        let (status, headers, body) = send(bare().get(format!("{gw}/moved/{code}"))).await;
        assert_eq!(status, 200, "{code}: {body}");
        assert_head(&headers, JSON_UTF8, true, "true");
        let expected = format!(
            r#"{{"foo":42,"headers":{{"Accept-Encoding":["gzip"],"Referer":["{mock}/redirect/?status={code}"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"]}},"path":"/param_forwarding/","query":{{"status":["{code}"]}}}}"#,
            ua(),
            host(&gw)
        );
        assert_eq!(body, expected, "{code}");
    }
}

#[tokio::test]
async fn no_op_passes_status_headers_and_body_through() {
    let (gw, _) = gateway().await;
    let resp = bare()
        .post(format!("{gw}/passthrough"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_head(&headers, "application/json", false, "false");
    let cookies: Vec<_> = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(cookies, ["test1=test1", "test2=test2"]);
    let body = resp.text().await.expect("body");
    let expected = format!(
        "{{\"foo\":42,\"headers\":{{\"Accept-Encoding\":[\"gzip\"],\"Content-Length\":[\"0\"],\"User-Agent\":[\"{}\"],\"X-Forwarded-Host\":[\"{}\"]}},\"path\":\"/param_forwarding/\",\"query\":{{}}}}\n",
        ua(),
        host(&gw)
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_sequence_feeds_the_first_answer_into_the_second_url() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(bare().get(format!("{gw}/chain/foobar"))).await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, JSON_UTF8, true, "true");
    let expected = format!(
        r#"{{"foo":42,"headers":{{"Accept-Encoding":["gzip"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"]}},"path":"/param_forwarding/42","query":{{}}}}"#,
        ua(),
        host(&gw)
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn a_backend_past_the_timeout_leaves_an_incomplete_answer() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(bare().get(format!("{gw}/slow-half"))).await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, JSON_UTF8, false, "false");
    let expected = format!(
        r#"{{"fast":{{"foo":42,"headers":{{"Accept-Encoding":["gzip"],"User-Agent":["{}"],"X-Forwarded-Host":["{}"]}},"path":"/param_forwarding/7","query":{{}}}}}}"#,
        ua(),
        host(&gw)
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn json_renders_as_xml_after_a_followed_mux_redirect() {
    let (gw, mock) = gateway().await;
    let (status, headers, body) = send(bare().get(format!("{gw}/as-xml"))).await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, "application/xml", true, "true");
    let expected = format!(
        "<doc><foo>42</foo><headers><Accept-Encoding>gzip</Accept-Encoding><Referer>{mock}/param_forwarding</Referer><User-Agent>{}</User-Agent><X-Forwarded-Host>{}</X-Forwarded-Host></headers><path>/param_forwarding/</path><query/></doc>",
        ua(),
        host(&gw)
    );
    assert_eq!(body, expected);
}

#[tokio::test]
async fn error_details_sit_beside_the_data_of_the_other_backend() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(bare().get(format!("{gw}/with-details"))).await;
    assert_eq!(status, 200, "{body}");
    assert_head(&headers, JSON_UTF8, false, "false");
    let expected = serde_json::json!({
        "error_two": {
            "http_status_code": 404,
            "http_body_encoding": "text/plain; charset=utf-8",
            "http_body": "404 page not found\n"
        },
        "foo": 42,
        "headers": {
            "Accept-Encoding": ["gzip"],
            "User-Agent": [ua()],
            "X-Forwarded-Host": [host(&gw)]
        },
        "path": "/param_forwarding/",
        "query": {}
    });
    assert_eq!(json(&body), expected);
}

/// krakend-ce's `static`, `integration_no_body`, `integration_schema` and `router_redirect`
/// specs: a backend `url_pattern: "/__debug"` (gin redirects it to `/__debug/`), its `message`
/// denied, static data always added; reached by its path and by a case-insensitive redirect.
#[tokio::test]
async fn static_data_over_the_debug_backend_by_path_and_by_redirect() {
    let (gw, _) = gateway().await;
    let following = reqwest::Client::builder()
        .no_gzip()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    for path in ["/static", "/StAtic"] {
        let (status, headers, body) = send(following.get(format!("{gw}{path}"))).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_head(&headers, JSON_UTF8, true, "true");
        assert_eq!(body, r#"{"bar":"foobar","foo":42}"#, "{path}");
        // integration_schema: foo an integer, bar a string, both present.
        let v = json(&body);
        assert!(v["foo"].is_i64() && v["bar"].is_string(), "{path}: {v}");
    }
    // router_redirect: the fixed path is a 301 to `/static` (GET).
    let (status, headers, _) = send(bare().get(format!("{gw}/StAtic"))).await;
    assert_eq!(status, 301);
    assert_eq!(header(&headers, "location"), Some("/static"));
}

/// krakend-ce's `integration_jsonschema` spec: `/__health` of the spec contract is a 200 whose
/// JSON object has `agents` (an object), `now` (a string) and `status` (the string `ok`).
#[tokio::test]
async fn the_health_endpoint_has_the_three_typed_fields() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(bare().get(format!("{gw}/__health"))).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert!(v["agents"].is_object(), "{v}");
    assert!(v["now"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
    assert_eq!(v["status"], "ok", "{v}");
}
