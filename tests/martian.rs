//! `modifier/martian` through real HTTP: each modifier's effect on the request the backend
//! receives (the mock echoes method, path, query, headers and body) or on the answer the
//! gateway gets, filters with and without `else`, fifo and priority order, aggregated errors,
//! both scopes, and the static files read at build time.

mod common;
use common::*;
use serde_json::Value;

async fn gateway() -> (String, String) {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/martian.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    (start(gw).await, mock_url)
}

fn seen<'a>(echo: &'a Value, name: &str) -> Vec<&'a str> {
    echo["headers"][name]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_spec_example_sets_a_header_and_branches_on_another() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/m/spec"))
            .header("X-Tenant", "legacy"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(seen(&echo, "x-api-key"), ["k-123"]);
    assert_eq!(echo["query"], "v=1");
    let (_, _, body) = send(
        client()
            .get(format!("{gw}/m/spec"))
            .header("X-Tenant", "new"),
    )
    .await;
    let echo = json(&body);
    assert_eq!(echo["query"], "v=2", "the else branch");
    assert_eq!(seen(&echo, "x-api-key"), ["k-123"]);
}

#[tokio::test]
async fn header_modifiers_change_the_backend_request() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/m/headers"))
            .header("X-Src", "copied")
            .header("X-Drop", "secret")
            .header("X-Req-Id", "mine"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(
        seen(&echo, "x-multi"),
        ["a", "b"],
        "header.Append adds values"
    );
    assert_eq!(seen(&echo, "x-dst"), ["copied"], "header.Copy");
    assert_eq!(seen(&echo, "x-src"), ["copied"]);
    assert!(seen(&echo, "x-drop").is_empty(), "header.Blacklist: {echo}");
    assert_eq!(seen(&echo, "x-req-id"), ["mine"], "header.Id keeps a value");
    let id = seen(&echo, "x-krakend-id");
    assert_eq!(id.len(), 1, "{echo}");
    assert_eq!(id[0].len(), 36, "a UUID: {id:?}");
    assert!(
        seen(&echo, "x-only-response").is_empty(),
        "response scope only"
    );
    assert!(
        seen(&echo, "x-no-scope").is_empty(),
        "an empty scope does nothing"
    );
}

#[tokio::test]
async fn querystring_modifier_reencodes_the_query_as_go() {
    let (gw, _) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/m/query?z=1&b=2&dropped=3")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["query"], "added=a+b&b=2&z=1");
}

#[tokio::test]
async fn url_modifier_replaces_path_and_query_but_not_the_host_header() {
    let (gw, mock) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/m/url")).await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["path"], "/echo/re%20written");
    assert_eq!(echo["query"], "x=1");
    assert_eq!(seen(&echo, "host"), [mock.trim_start_matches("http://")]);
}

#[tokio::test]
async fn body_modifier_replaces_the_request_body() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/m/body"))
            .header("Content-Type", "text/plain")
            .body("original"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["body"], r#"{"msg":"you rock!"}"#);
    assert_eq!(seen(&echo, "content-type"), ["application/json"]);
    assert_eq!(seen(&echo, "content-length"), ["19"]);
}

#[tokio::test]
async fn body_modifier_on_both_sides_replaces_what_the_gateway_decodes() {
    let (gw, _) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/m/body-both")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body), serde_json::json!({"msg": "you rock!"}));
}

#[tokio::test]
async fn cookie_modifier_joins_the_cookie_header() {
    let (gw, _) = gateway().await;
    let (_, _, body) = send(
        client()
            .get(format!("{gw}/m/cookie"))
            .header("Cookie", "a=1"),
    )
    .await;
    assert_eq!(seen(&json(&body), "cookie"), [r#"a=1; added="x y""#]);
    let (_, _, body) = get(&format!("{gw}/m/cookie")).await;
    assert_eq!(seen(&json(&body), "cookie"), [r#"added="x y""#]);
}

#[tokio::test]
async fn status_modifier_runs_before_the_status_check() {
    let (gw, _) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/m/status")).await;
    assert_eq!(status, 200, "a 404 turned into a 200 is decoded: {body}");
    assert_eq!(json(&body)["content"], "status 404 body");
}

#[tokio::test]
async fn static_modifier_serves_files_read_at_build_time_without_a_round_trip() {
    let (gw, _) = gateway().await;
    // The backend host does not exist: only a skipped round trip answers.
    let (status, _, body) = get(&format!("{gw}/m/static/health")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"status": "ok", "from": "static"})
    );
    let (status, _, body) = get(&format!("{gw}/m/static/a.txt")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["content"], r#"{"doc":"a"}"#);
    let (status, _, body) = get(&format!("{gw}/m/static/page.html")).await;
    assert_eq!(json(&body)["content"], "<p>hi</p>", "{status}");
    let (status, _, body) = get(&format!("{gw}/m/static/missing.txt")).await;
    assert_eq!(
        status, 500,
        "no such file: a 404 from the static modifier: {body}"
    );
    assert!(body.contains("invalid status code 404"), "{body}");
}

#[tokio::test]
async fn filters_take_their_branch() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/m/filters?q=1"))
            .header("Cookie", "c=1; other=2")
            .header("X-Version", "v2"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(seen(&echo, "x-q"), ["yes"], "{echo}");
    assert_eq!(seen(&echo, "x-url"), ["yes"]);
    assert_eq!(seen(&echo, "x-url2"), ["no"]);
    assert_eq!(seen(&echo, "x-re"), ["yes"]);
    assert_eq!(seen(&echo, "x-c"), ["yes"]);
    assert_eq!(seen(&echo, "x-hr"), ["yes"]);
    assert!(
        seen(&echo, "x-port80").is_empty(),
        "the mock is not on port 80"
    );

    let (_, _, body) = send(
        client()
            .get(format!("{gw}/m/filters?q=2"))
            .header("Cookie", "c=2")
            .header("X-Version", "beta"),
    )
    .await;
    let echo = json(&body);
    assert_eq!(seen(&echo, "x-q"), ["no"], "{echo}");
    assert_eq!(seen(&echo, "x-url"), ["yes"]);
    assert_eq!(seen(&echo, "x-c"), ["no"]);
    assert!(seen(&echo, "x-hr").is_empty(), "no else: nothing");
    assert_eq!(seen(&echo, "x-re"), ["yes"]);
}

#[tokio::test]
async fn fifo_keeps_order_and_priority_sorts_as_martian() {
    let (gw, _) = gateway().await;
    let (_, _, body) = get(&format!("{gw}/m/order")).await;
    let echo = json(&body);
    assert_eq!(seen(&echo, "x-fifo"), ["first", "second"]);
    assert_eq!(seen(&echo, "x-prio"), ["p9", "p5-later", "p5", "p1"]);
}

#[tokio::test]
async fn modifier_errors_fail_the_call_and_aggregate_on_request() {
    let (gw, _) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/m/errors/aggregate")).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        "address a:b:c: too many colons in address\naddress a:b:c: too many colons in address"
    );
    let (status, _, body) = get(&format!("{gw}/m/errors/first")).await;
    assert_eq!(status, 500);
    assert_eq!(body, "address a:b:c: too many colons in address");
}

#[tokio::test]
async fn response_modifiers_reach_the_client_with_no_op() {
    let (gw, mock) = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/m/noop")).await;
    assert_eq!(status, 202, "status.Modifier on the answer: {body}");
    assert_eq!(body, "status 201 body");
    assert_eq!(header(&headers, "cache-control"), Some("max-age=60"));
    assert!(
        headers.get("content-type").is_none(),
        "header.Blacklist on the answer"
    );
    let cookies: Vec<&str> = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert_eq!(
        cookies,
        [
            "backend=1",
            "gw=1; Path=/; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Max-Age=60; HttpOnly"
        ]
    );
    assert_eq!(
        header(&headers, "x-stash"),
        Some(format!("{mock}/status/201").as_str()),
        "stash.Modifier copies the request URL to the answer"
    );
    assert_eq!(header(&headers, "x-backend-cookie"), Some("seen"));
}
