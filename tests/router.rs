//! KrakenD's router behaviour around matches: 404, 405, HEAD, redirects, reserved routes.

mod common;
use common::*;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/router.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

#[tokio::test]
async fn static_segments_win_over_parameters() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/users/new")).await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["b"], true);
    let (status, _, body) = get(&format!("{gw}/users/7")).await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["path"], "/echo/user/7");
}

#[tokio::test]
async fn unknown_paths_are_404_with_krakend_body() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/nowhere")).await;
    assert_eq!(status, 404);
    assert_eq!(body, "404 page not found");
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert!(header(&headers, "x-krakend").is_some());
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let gw = gateway().await;
    let (status, headers, body) = send(client().put(format!("{gw}/users"))).await;
    assert_eq!(status, 405);
    assert_eq!(body, "405 method not allowed");
    assert_eq!(header(&headers, "allow"), Some("GET, POST"));
    let (status, headers, _) = send(client().head(format!("{gw}/users/new"))).await;
    assert_eq!(status, 405, "HEAD is never routed to GET endpoints");
    // gin checks every other method's tree: DELETE /users/{id} matches /users/new too.
    assert_eq!(header(&headers, "allow"), Some("GET, DELETE"));
    let (status, headers, _) = send(client().post(format!("{gw}/users/9"))).await;
    assert_eq!(status, 405);
    assert_eq!(header(&headers, "allow"), Some("GET, DELETE"));
}

#[tokio::test]
async fn trailing_slash_and_case_redirects() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/users/?a=1")).await;
    assert_eq!(status, 301);
    assert_eq!(header(&headers, "location"), Some("/users?a=1"));
    assert_eq!(body, "<a href=\"/users?a=1\">Moved Permanently</a>.\n\n");
    let (status, headers, _) = send(client().post(format!("{gw}/users/"))).await;
    assert_eq!(status, 307);
    assert_eq!(header(&headers, "location"), Some("/users"));
    let (status, headers, _) = get(&format!("{gw}/slash")).await;
    assert_eq!(status, 301);
    assert_eq!(header(&headers, "location"), Some("/slash/"));
    let (status, headers, _) = get(&format!("{gw}/mixed/case")).await;
    assert_eq!(status, 301);
    assert_eq!(header(&headers, "location"), Some("/Mixed/Case"));
    let (status, headers, _) = get(&format!("{gw}/USERS/Abc")).await;
    assert_eq!(status, 301);
    assert_eq!(header(&headers, "location"), Some("/users/Abc"));
    assert!(header(&headers, "x-krakend").is_none());
}

#[tokio::test]
async fn health_debug_and_echo() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/__health")).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "x-krakend").is_none());
    let v = json(&body);
    assert_eq!(v["status"], "ok");
    assert!(v["agents"].is_object());
    assert!(v["now"].is_string());
    assert_eq!(v["krustd"]["name"], "router features");
    assert_eq!(
        v["krustd"]["contract_sha256"].as_str().map(str::len),
        Some(64)
    );

    let (status, headers, body) =
        send(client().delete(format!("{gw}/__debug/x/y")).body("ignored")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"pong"}"#);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );

    let (status, _, body) = send(
        client()
            .post(format!("{gw}/__echo/a/b?b=&a=1&a=2"))
            .header("X-Test", "t")
            .body("hello"),
    )
    .await;
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["req_body"], "hello");
    assert_eq!(v["req_method"], "POST");
    assert_eq!(v["req_uri"], "/__echo/a/b?b=&a=1&a=2");
    assert_eq!(v["req_headers"]["X-Test"][0], "t");
    assert!(v["req_headers"].get("Host").is_none());
    assert_eq!(v["req_querystring"]["a"], serde_json::json!(["1", "2"]));
    assert_eq!(v["req_uri_details"]["query"], "a=1&a=2&b=");
    assert_eq!(v["req_uri_details"]["path"], "/__echo/a/b");
}

#[tokio::test]
async fn router_options_change_the_cold_paths() {
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/router_options.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    let (status, headers, body) =
        send(client().request(method("OPTIONS"), format!("{gw}/users"))).await;
    assert_eq!(status, 200);
    assert_eq!(body, "");
    assert_eq!(header(&headers, "allow"), Some("GET, POST"));
    assert_eq!(header(&headers, "x-krakend"), Some("Version undefined"));

    let (status, body) = raw_get(&gw, "//users").await;
    assert_eq!(
        status, 200,
        "remove_extra_slash cleans instead of redirecting: {body}"
    );

    let (status, _, body) = get(&format!("{gw}/users/%2541")).await;
    assert_eq!(status, 200, "disable_path_decoding: no 400");
    assert_eq!(json(&body)["path"], "/echo/user/%2541");

    let (status, _, body) = send(
        client()
            .get(format!("{gw}/users"))
            .header("X-Forwarded-For", "10.9.8.7"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        json(&body)["headers"]["x-forwarded-for"][0],
        "127.0.0.1",
        "forwarded_by_client_ip: false"
    );

    let (status, headers, body) = get(&format!("{gw}/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body, r#"{"error":"nothing here"}"#);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    let (status, _, body) = send(client().delete(format!("{gw}/users"))).await;
    assert_eq!(status, 405);
    assert_eq!(body, r#"{"error":"wrong method"}"#);

    let (status, _, _) = get(&format!("{gw}/status")).await;
    assert_eq!(status, 200, "health_path moves the health endpoint");
    let (status, _, _) = get(&format!("{gw}/__health")).await;
    assert_eq!(status, 404);
}

/// gin answers a path that only misses the trailing slash of a catch-all route (`/__debug/*param`,
/// `/__echo/*param`) with a redirect to it, so a backend `url_pattern: "/__debug"` works.
#[tokio::test]
async fn catch_all_routes_redirect_the_path_without_slash() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/__debug?a=1")).await;
    assert_eq!(status, 301, "{body}");
    assert_eq!(header(&headers, "location"), Some("/__debug/?a=1"));
    assert_eq!(body, "<a href=\"/__debug/?a=1\">Moved Permanently</a>.\n\n");
    let (status, headers, _) = send(client().post(format!("{gw}/__echo"))).await;
    assert_eq!(status, 307);
    assert_eq!(header(&headers, "location"), Some("/__echo/"));
    let (status, _, body) = get(&format!("{gw}/__debug/")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"pong"}"#);

    // Not enabled in router_options.json: nothing to redirect to.
    let mock_url = start(mock()).await;
    let plain = start(krustd_macros::gateway!(
        "contracts/features/router_options.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    let (status, _, _) = get(&format!("{plain}/__debug")).await;
    assert_eq!(status, 404);
}
