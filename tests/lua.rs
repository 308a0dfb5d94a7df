//! `modifier/lua-endpoint`, `modifier/lua-proxy` and `modifier/lua-backend` through real HTTP
//! (spec: security-and-traffic.md §12), with krakend-ce's lua_1 and lua_2 replayed on an
//! equivalent contract (`contracts/features/lua.json`, scripts in `contracts/features/lua/`).

mod common;
use axum::extract::Path;
use axum::routing::get as get_route;
use common::*;
use std::time::{Duration, Instant};

/// A collection backend: three items carrying the path they were asked for.
fn items() -> axum::Router {
    axum::Router::new().route(
        "/items/{id}",
        get_route(|Path(id): Path<String>| async move {
            let items: Vec<_> = (0..3)
                .map(|n| serde_json::json!({"path": format!("/items/{id}"), "n": n}))
                .collect();
            (
                [("content-type", "application/json")],
                serde_json::Value::Array(items).to_string(),
            )
        }),
    )
}

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let items_url = start(items()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://items", items_url.as_str())
        ])
    );
    start(gw).await
}

/// A JWT whose payload is `{"sub": "krustd", "id": 7}` (not signed: only the script reads it).
const TOKEN: &str = "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiAia3J1c3RkIiwgImlkIjogN30.c2ln";

#[tokio::test]
async fn lua_1_backend_pre_and_proxy_post() {
    let gw = gateway().await;
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/lua/collection"))
            .header("Authorization", TOKEN),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body, r#"{"paths":{"1":"/items/7","2":"/items/7","3":"/items/7"},"total":3}"#,
        "the URL got the claim; the collection became a count and a keyed table"
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    // Without the claim the script's custom_error answers.
    let (status, _, body) = get(&format!("{gw}/lua/collection")).await;
    assert_eq!((status.as_u16(), body.as_str()), (401, "no id claim"));
}

#[tokio::test]
async fn lua_2_custom_error_status_body_and_content_type() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/lua/teapot")).await;
    assert_eq!(status, 418);
    assert_eq!(json(&body)["msg"], "no coffee here, I am a teapot");
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
}

#[tokio::test]
async fn proxy_pre_changes_headers_query_body_and_params() {
    let gw = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/lua/modify/42?a=9&b=9"))
            .header("X-Keep", "k")
            .header("X-Drop", "d")
            .body(r#"{"n":1}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["path"], "/echo/seven", "a parameter set by the script");
    assert_eq!(v["query"], "a=1&b=POST");
    assert_eq!(v["body"], r#"{"was":{"n":1}}"#);
    assert_eq!(v["headers"]["x-added"][0], "by-lua 42");
    assert_eq!(v["headers"]["x-keep"][0], "k");
    assert!(v["headers"].get("x-drop").is_none(), "{v}");
}

#[tokio::test]
async fn backend_pre_and_post() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/lua/backend/5")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(
        v["method"], "PUT",
        "the script's method reaches the backend"
    );
    assert_eq!(v["from_lua"], true);
    assert_eq!(v["path_len"], 7);
    assert_eq!(v["list"], serde_json::json!(["x", null, 1.5]));
    assert!(
        v["headers"].get("x-param").is_none(),
        "post removed what pre added: {v}"
    );
}

#[tokio::test]
async fn router_pre_runs_before_the_handler() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/lua/router/3")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["headers"]["x-router"][0], "GET 3");
    assert_eq!(v["query"], "added=yes");
    assert_eq!(v["path"], "/echo/renamed");
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/lua/router/3"))
            .header("X-Block", "1"),
    )
    .await;
    assert_eq!((status.as_u16(), body.as_str()), (403, ""));
    assert_eq!(header(&headers, "x-krakend"), None);
}

#[tokio::test]
async fn an_endless_script_fails_fast_and_the_worker_keeps_serving() {
    let gw = gateway().await;
    for _ in 0..2 {
        let started = Instant::now();
        let (status, _, body) = get(&format!("{gw}/lua/loop")).await;
        assert_eq!(status, 500);
        assert!(body.contains("instruction limit"), "{body}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
    let (status, _, _) = get(&format!("{gw}/lua/backend/1")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn skip_next_and_runtime_errors() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/lua/skip")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"skipped":true}"#)
    );
    assert_eq!(count("lua-skip"), 0, "skip_next calls no backend");
    let (status, _, body) = get(&format!("{gw}/lua/runtime-error")).await;
    assert_eq!(status, 500);
    assert!(body.contains("post-script"), "{body}");
}

#[tokio::test]
async fn proxy_post_response_headers_reach_the_client_as_in_krakend() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/lua/response-headers")).await;
    // KrakenD's JSON render answers 200 whatever `statusCode` the script set.
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["method"], "GET");
    assert_eq!(
        (v["status_before"].clone(), v["status_after"].clone()),
        (serde_json::json!(0), serde_json::json!(201)),
        "a decoded response starts with status 0; the setter is read back"
    );
    assert_eq!(
        (v["body_before"].as_str(), v["body_after"].as_str()),
        (Some(""), Some("replaced")),
        "no body before; body(new) is read back and not sent"
    );
    assert_eq!(header(&headers, "x-from-lua"), Some("yes"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/vnd.krustd+json"),
        "the script's Content-Type replaces the render's"
    );
    assert_eq!(
        header(&headers, "x-krakend-completed"),
        Some("true"),
        "the router's X-Krakend-Completed wins"
    );
    let all = |name: &str| {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(all("x-krakend").len(), 2, "{:?}", all("x-krakend"));
    assert_eq!(all("x-krakend")[1], "lua", "added after the router's");
    assert_eq!(
        all("cache-control"),
        ["public, max-age=60", "no-store"],
        "added after cache_ttl's"
    );
    // Without data, KrakenD's router copies no response header.
    let (status, headers, body) = get(&format!("{gw}/lua/skip-headers")).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "{}"));
    assert_eq!(header(&headers, "x-dropped"), None);
}

#[tokio::test]
async fn globals_do_not_leak_between_requests() {
    let gw = gateway().await;
    // One client, one connection: every request lands on the same worker's state.
    let c = client();
    for _ in 0..6 {
        let (status, _, body) = send(c.get(format!("{gw}/lua/state"))).await;
        assert_eq!(status, 200, "{body}");
        let v = json(&body);
        for key in ["loaded", "seen", "via_g", "raw", "calls"] {
            assert_eq!(v[key], 1, "{key} starts afresh on every request: {v}");
        }
    }
}

/// The gateway of `contracts/features/lua_more.json`.
async fn more() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_more.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

#[tokio::test]
async fn sequential_values_reach_lua_cel_and_graphql_as_params() {
    let gw = more().await;
    let (status, _, body) = get(&format!("{gw}/seq/5")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["first"]["user"]["id"], 42, "{v}");
    // Lua (a `live: true` script, embedded): `req:params("Resp0_first.user.id")`.
    assert_eq!(v["lua"]["path"], "/echo/lua/42", "{v}");
    assert_eq!(v["lua"]["headers"]["x-name"][0], "ann 5", "{v}");
    // CEL: `req_params` holds them beside the endpoint's own parameters.
    assert_eq!(v["cel"]["path"], "/echo/cel", "{v}");
    // GraphQL variables `{resp0_…}` (`{Resp0_…}` alike).
    let gql = json(v["graphql"]["body"].as_str().unwrap_or_default());
    assert_eq!(
        gql["variables"],
        serde_json::json!({"id": "42", "name": "ann 5"}),
        "{v}"
    );
}

#[tokio::test]
async fn a_whole_answer_that_is_not_utf8_reaches_lua_unchanged() {
    let gw = more().await;
    let (status, _, body) = get(&format!("{gw}/seq-bytes")).await;
    assert_eq!(status, 200, "{body}");
    // Four bytes (0xff 0xfe "ok"), not their UTF-8 replacement.
    assert_eq!(
        json(&body),
        serde_json::json!({"headers": {"x-len": ["4"], "x-hex": ["fffe6f6b"]}})
    );
}

#[tokio::test]
async fn a_no_op_steps_whole_answer_reaches_lua_and_cel_as_resp0() {
    let gw = more().await;
    let (status, _, body) = get(&format!("{gw}/seq-whole/6")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    // The raw body of the `no-op` step (which contributes no data of its own).
    assert_eq!(
        v,
        serde_json::json!({
            "lua": {"headers": {"x-whole": [r#"{"user":{"id":42,"name":"ann 6"}}"#]}},
            "cel": {"path": "/echo/whole-cel"}
        }),
        "{v}"
    );
    // Another id, another body: nothing is kept between requests.
    let (status, _, body) = get(&format!("{gw}/seq-whole/7")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(
        v["lua"]["headers"]["x-whole"][0],
        r#"{"user":{"id":42,"name":"ann 7"}}"#
    );
    // The CEL rule wants ann 6: the step fails, the answer is incomplete.
    assert_eq!(v.get("cel"), None, "{v}");
}

#[tokio::test]
async fn allow_open_libs_opens_io_os_and_package() {
    let gw = more().await;
    let (status, _, body) = get(&format!("{gw}/open-libs")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"method": "GET", "io": "[workspace]", "os": "number", "package": "table", "require": "function", "debug": "nil"})
    );
    let (status, _, body) = get(&format!("{gw}/closed-libs")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"method": "GET", "io": "nil", "os": "nil", "string": "nil"})
    );
}

#[tokio::test]
async fn a_pre_global_reaches_the_post_script_of_the_same_request_only() {
    let gw = more().await;
    for _ in 0..2 {
        let (status, _, body) = get(&format!("{gw}/globals/7")).await;
        assert_eq!(status, 200, "{body}");
        let v = json(&body);
        assert_eq!(v["from_pre"], "p-7", "{v}");
        // Backend level: a table of plain values, and a counter that starts afresh per call.
        assert_eq!(v["backend_calls"], 1, "{v}");
        assert_eq!(v["backend_tag"], "b-7", "{v}");
        assert_eq!(v["backend_n"], 2.5, "{v}");
        assert_eq!(v["backend_list"], "y", "{v}");
    }
    // A request whose pre script assigns nothing sees no global of an earlier one.
    let (_, _, body) = get(&format!("{gw}/globals/none")).await;
    assert_eq!(json(&body)["from_pre"], "unset", "{body}");
}

#[tokio::test]
async fn a_lone_backend_post_scripts_headers_reach_the_client() {
    let gw = more().await;
    let (status, headers, body) = get(&format!("{gw}/backend-headers")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"method":"GET"}"#)
    );
    assert_eq!(header(&headers, "x-from-backend"), Some("yes"));
    assert_eq!(header(&headers, "content-type"), Some("application/x-lua"));
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    // Two backends: lura's merge builds a new response without them.
    let (status, headers, body) = get(&format!("{gw}/backend-headers/merged")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-from-backend"), None);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[tokio::test]
async fn a_service_level_lua_endpoint_runs_on_every_request() {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_service.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let gw = start(gw).await;
    // After the router match: the route's parameters, and the handler sees what it changed.
    let (status, _, body) = get(&format!("{gw}/svc/5")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"path": "/echo/5", "headers": {"x-service-lua": ["GET 5"]}})
    );
    // Any failure is a 500 with an empty body (custom_error's status is not used there).
    let (status, _, body) = send(client().get(format!("{gw}/svc/5")).header("X-Fail", "1")).await;
    assert_eq!((status.as_u16(), body.as_str()), (500, ""));
    // The router's own 404 runs it too.
    let (status, _, _) = get(&format!("{gw}/nope")).await;
    assert_eq!(status, 404);
    let (status, _, body) = send(client().get(format!("{gw}/nope")).header("X-Fail", "1")).await;
    assert_eq!((status.as_u16(), body.as_str()), (500, ""));
    // Not on the health path's GET: krakend-ce registers it before the Lua middleware (its
    // other methods are the router's 405, which the script sees).
    let (status, _, body) =
        send(client().get(format!("{gw}/__health")).header("X-Fail", "1")).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = send(
        client()
            .post(format!("{gw}/__health"))
            .header("X-Fail", "1"),
    )
    .await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn the_service_script_runs_between_security_http_and_the_bot_detector() {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_service_guard.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let gw = start(gw).await;
    let ask = |path: &str, ua: &str, rename: Option<&str>| {
        let mut r = client().get(format!("{gw}{path}")).header("User-Agent", ua);
        if let Some(v) = rename {
            r = r.header("X-Rename", v);
        }
        send(r)
    };
    // The detector sees the User-Agent the script left: a bot renamed passes, and back.
    let (status, headers, body) = ask("/guarded", "bad-bot", Some("fine")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["headers"]["user-agent"][0], "fine");
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    let (status, headers, _) = ask("/guarded", "fine", Some("bad-bot")).await;
    assert_eq!(status, 403);
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    // The router's 404 alike.
    let (status, _, _) = ask("/nope", "bad-bot", Some("fine")).await;
    assert_eq!(status, 404);
    let (status, _, _) = ask("/nope", "fine", Some("bad-bot")).await;
    assert_eq!(status, 403);
    // A failing script answers 500 after security/http set its headers, before the detector.
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/guarded"))
            .header("User-Agent", "bad-bot")
            .header("X-Fail", "1"),
    )
    .await;
    assert_eq!((status.as_u16(), body.as_str()), (500, ""));
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
}

/// A backend answering 418 with a header and a plain body.
fn teapot() -> axum::Router {
    axum::Router::new().route(
        "/teapot",
        get_route(|| async {
            (
                axum::http::StatusCode::IM_A_TEAPOT,
                [("x-up", "1"), ("content-type", "text/plain")],
                "short and stout",
            )
        }),
    )
}

#[tokio::test]
async fn on_a_no_op_endpoint_the_scripts_make_the_answer() {
    let mock_url = start(mock()).await;
    let tea_url = start(teapot()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_no_op.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://tea", tea_url.as_str())
        ])
    );
    let gw = start(gw).await;
    // Proxy level: the backend's 418, its header and body reach the post script, whose
    // status, headers and body are sent.
    let (status, headers, body) = get(&format!("{gw}/noop/proxy")).await;
    assert_eq!((status.as_u16(), body.as_str()), (202, "SHORT AND STOUT"));
    assert_eq!(header(&headers, "x-seen"), Some("418 1 from-pre"));
    assert_eq!(header(&headers, "x-up"), Some("1"));
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    // Backend level: pre changed the request, post the answer.
    let (status, headers, body) =
        send(client().post(format!("{gw}/noop/backend")).body("hello")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), Some("text/plain"));
    let echoed = body.strip_prefix("backend said 200: ").unwrap_or_default();
    let v = json(echoed);
    assert_eq!(v["body"], "hello+pre", "{body}");
    assert_eq!(v["headers"]["x-pre"][0], "yes", "{body}");
    // A pre script alone: the request changed, the answer as the backend sent it.
    let (status, _, body) = send(client().post(format!("{gw}/noop/pre-only")).body("hi")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(
        (v["body"].as_str(), v["headers"]["x-pre"][0].as_str()),
        (Some("hi+pre"), Some("only"))
    );
    // skip_next: the backend is not called; the post script's answer.
    let (status, headers, body) = get(&format!("{gw}/noop/skip")).await;
    assert_eq!((status.as_u16(), body.as_str()), (203, "made by lua"));
    assert_eq!(header(&headers, "x-skipped"), Some("yes"));
    assert_eq!(count("noop-skip"), 0);
    // Router level.
    let (status, _, body) = get(&format!("{gw}/noop/router")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["headers"]["x-router"][0], "set", "{body}");
}
