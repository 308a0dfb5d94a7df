//! krakend-lua's `http_response` through real HTTP: a script's own requests from every Lua
//! stage (router, proxy and backend level, a `no-op` endpoint, the service level), offloaded
//! from the runtime workers (`contracts/features/lua_http.json`). The scripts read the mock's
//! address from `X-Target`.

mod common;
use common::*;
use std::time::{Duration, Instant};

async fn gateway() -> (String, String) {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_http.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    (start(gw).await, mock_url)
}

#[tokio::test]
async fn a_proxy_pre_script_gets_status_headers_and_body() {
    let (gw, mock) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/http/proxy"))
            .header("X-Target", &mock),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let h = &json(&body)["headers"];
    assert_eq!(h["x-status"][0], "200");
    assert_eq!(h["x-type"][0], "application/json");
    assert_eq!(h["x-types"][0], "1");
    assert_eq!(
        json(h["x-body"][0].as_str().unwrap_or_default()),
        serde_json::json!({"user": {"id": 42, "name": "ann 7"}})
    );
    // Any status is an answer; after close() the object is gone.
    assert_eq!(h["x-miss"][0], "404");
    assert_eq!(h["x-closed"][0], "false");
}

#[tokio::test]
async fn a_router_script_posts_a_body_with_headers() {
    let (gw, mock) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/http/router"))
            .header("X-Target", &mock),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let side = json(
        json(&body)["headers"]["x-side"][0]
            .as_str()
            .unwrap_or_default(),
    );
    assert_eq!(side["method"], "POST");
    assert_eq!(side["path"], "/echo/side");
    assert_eq!(side["body"], "payload");
    assert_eq!(side["headers"]["x-one"], serde_json::json!(["a"]));
    assert_eq!(side["headers"]["x-many"], serde_json::json!(["b", "c"]));
    assert_eq!(side["headers"]["x-skipped"], serde_json::Value::Null);
    assert_eq!(side["headers"]["content-length"], serde_json::json!(["7"]));
    assert_eq!(
        side["headers"]["user-agent"],
        serde_json::json!(["KrakenD Version 2.13.8"])
    );
}

#[tokio::test]
async fn a_backend_post_script_adds_another_answer_to_the_data() {
    let (gw, mock) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/http/backend"))
            .header("X-Target", &mock),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["user"]["name"], "ann 1");
    assert_eq!(v["side_status"], 200);
    assert_eq!(
        json(v["side"].as_str().unwrap_or_default())["user"]["name"],
        "ann 9"
    );
}

#[tokio::test]
async fn a_no_op_post_script_answers_with_another_answer() {
    let (gw, mock) = gateway().await;
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/http/no-op"))
            .header("X-Target", &mock),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(json(&body)["user"]["name"], "ann 3");
    assert_eq!(header(&headers, "x-side-type"), Some("application/json"));
}

#[tokio::test]
async fn transport_errors_arguments_and_the_deadline_fail_the_script() {
    let (gw, mock) = gateway().await;
    // Nothing listens there: Go's url.Error text, the stage's usual 500.
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/http/errors"))
            .header("X-Target", "http://127.0.0.1:9/x"),
    )
    .await;
    assert_eq!(status, 500);
    assert!(
        body.starts_with(r#"Get "http://127.0.0.1:9/x": "#) && body.contains("refused"),
        "{body}"
    );
    let (status, _, body) = get(&format!("{gw}/http/errors")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "need 1, 3 or 4 arguments")
    );
    // The endpoint's 300 ms bound the call (the mock answers /slow after 3 s).
    let started = Instant::now();
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/http/errors"))
            .header("X-Target", format!("{mock}/slow")),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(2), "{body}");
    assert_eq!(status, 500);
    assert!(body.ends_with("context deadline exceeded"), "{body}");
}

#[tokio::test]
async fn concurrent_calls_each_get_their_own_answer() {
    let (gw, mock) = gateway().await;
    let calls = (0..12).map(|_| {
        let (gw, mock) = (gw.clone(), mock.clone());
        async move {
            send(
                client()
                    .get(format!("{gw}/http/backend"))
                    .header("X-Target", &mock),
            )
            .await
        }
    });
    for (status, _, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
        assert_eq!(json(&body)["side_status"], 200);
    }
}

#[tokio::test]
async fn a_service_script_calls_out_but_not_on_the_health_path() {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/lua_http_service.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let gw = start(gw).await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/svc"))
            .header("X-Target", &mock_url),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"headers": {"x-svc": ["200"]}})
    );
    // A failing call is the service level's bare 500, on the router's 404 too.
    let refused = "http://127.0.0.1:9";
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/svc"))
            .header("X-Target", refused),
    )
    .await;
    assert_eq!((status.as_u16(), body.as_str()), (500, ""));
    let (status, _, _) = send(
        client()
            .get(format!("{gw}/nope"))
            .header("X-Target", refused),
    )
    .await;
    assert_eq!(status, 500);
    // krakend-ce registers the health endpoint before the Lua middleware.
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/__health"))
            .header("X-Target", refused),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
