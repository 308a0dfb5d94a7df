//! Merging, manipulation, encodings, status codes and headers through real HTTP.

mod common;
use common::*;
use serde_json::json as j;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/responses.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://refused", "http://127.0.0.1:1")
        ])
    );
    start(gw).await
}

#[tokio::test]
async fn merges_backends_with_the_later_one_winning_collisions() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/merge")).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    // The KrakenD release Krustd reproduces, as KrakenD sends its own.
    assert_eq!(header(&headers, "x-krakend"), Some("Version 2.13.8"));
    // Keys sorted, numbers verbatim, `<>&` escaped as Go does.
    assert_eq!(
        body,
        r#"{"a":1,"b":true,"html":"\u003c\u0026\u003e","n":1.50,"shared":"from b"}"#
    );
    assert!(
        header(&headers, "cache-control").is_none(),
        "no cache_ttl, no Cache-Control"
    );
}

#[tokio::test]
async fn groups_wrap_each_backend() {
    let gw = gateway().await;
    let (_, _, body) = get(&format!("{gw}/group")).await;
    assert_eq!(
        body,
        r#"{"first":{"a":1,"n":1.50,"shared":"from a"},"second":{"b":true,"html":"\u003c\u0026\u003e","shared":"from b"}}"#
    );
}

#[tokio::test]
async fn target_allow_and_mapping_shape_the_data() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/shape")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"person":{"name":"ann","tags":["x","y"]},"total":2}"#
    );
    let (_, _, body) = get(&format!("{gw}/deny")).await;
    assert_eq!(
        body,
        r#"{"big":12345678901234567890,"user":{"address":{"city":"c"},"name":"ann","tags":["x","y"]}}"#
    );
}

#[tokio::test]
async fn collections_and_encodings() {
    let gw = gateway().await;
    let (_, _, body) = get(&format!("{gw}/collection")).await;
    assert_eq!(body, r#"{"items":[{"id":1},{"id":2}]}"#);
    let (_, headers, body) = get(&format!("{gw}/collection-out")).await;
    assert_eq!(body, r#"[{"id":1},{"id":2}]"#);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    let (_, _, body) = get(&format!("{gw}/safejson")).await;
    assert_eq!(body, r#"{"content":42}"#);
    let (status, headers, body) = get(&format!("{gw}/string")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "plain text body");
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    let (_, _, body) = get(&format!("{gw}/html")).await;
    assert_eq!(
        body,
        r#"{"snippet":"\u003cb\u003ea\u0026b\u003c/b\u003e","unicode":"é\u2028"}"#
    );
}

#[tokio::test]
async fn a_single_failing_backend_is_a_500_with_the_error_text() {
    let gw = gateway().await;
    for (path, needle) in [
        ("/fail/500", "invalid status code 500 [GET /status/500]"),
        ("/fail/404", "invalid status code 404"),
        ("/fail/204", "invalid status code 204"),
        ("/fail/refused", ""),
        ("/fail/invalid-json", ""),
        ("/fail/array", ""),
        ("/fail/timeout", "context deadline exceeded"),
    ] {
        let (status, headers, body) = get(&format!("{gw}{path}")).await;
        assert_eq!(status, 500, "{path}: {body}");
        assert!(body.contains(needle), "{path}: {body}");
        assert!(!body.is_empty(), "{path}: return_error_msg shows the error");
        assert_eq!(
            header(&headers, "x-krakend-completed"),
            Some("false"),
            "{path}"
        );
        assert!(header(&headers, "x-krakend").is_some(), "{path}");
        assert!(
            header(&headers, "set-cookie").is_none(),
            "backend headers never pass"
        );
        assert!(header(&headers, "cache-control").is_none());
    }
}

#[tokio::test]
async fn partial_failures_return_the_data_that_arrived() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/partial")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    let v = json(&body);
    assert_eq!(v["a"]["a"], 1);
    assert_eq!(v["b"]["b"], true);
    assert!(v.get("broken").is_none());

    let started = std::time::Instant::now();
    let (status, headers, body) = get(&format!("{gw}/partial-timeout")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(json(&body)["a"], 1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the slow backend was not awaited"
    );

    let (status, _, body) = get(&format!("{gw}/all-fail")).await;
    assert_eq!(status, 500);
    assert_eq!(body.lines().count(), 2, "both errors, one per line: {body}");
}

#[tokio::test]
async fn backend_error_codes_and_details() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/error-code")).await;
    assert_eq!(status, 418);
    assert_eq!(body, "status 418 body");
    assert_eq!(header(&headers, "content-type"), Some("text/x-teapot"));

    let (status, headers, body) = get(&format!("{gw}/error-details")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    let v = json(&body);
    assert_eq!(
        v["error_teapot"],
        j!({"http_status_code": 418, "http_body": "status 418 body", "http_body_encoding": "text/x-teapot"})
    );
    assert!(
        v.get("ignored").is_none(),
        "group is not applied to the error object"
    );
    assert_eq!(v["a"], 1);
}

#[tokio::test]
async fn cache_control_only_on_complete_non_empty_responses() {
    let gw = gateway().await;
    let (_, headers, _) = get(&format!("{gw}/cache")).await;
    assert_eq!(header(&headers, "cache-control"), Some("public, max-age=1"));
    let (status, headers, body) = get(&format!("{gw}/empty")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "{}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert!(header(&headers, "cache-control").is_none());
}

#[tokio::test]
async fn no_op_passes_status_headers_and_body() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/noop")).await;
    assert_eq!(status, 201);
    assert_eq!(body, "status 201 body");
    assert_eq!(header(&headers, "set-cookie"), Some("backend=1"));
    assert_eq!(header(&headers, "content-type"), Some("text/x-teapot"));
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert!(header(&headers, "x-krakend").is_some());

    let (status, headers, body) = get(&format!("{gw}/noop-backend")).await;
    assert_eq!(status, 200);
    assert_eq!(body, "{}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
}

/// A no-op endpoint streams the client's body to the backend as it arrives: the backend sees
/// the first chunk while the client still holds back the second (a buffering gateway would
/// wait for the whole body and the exchange would time out).
#[tokio::test]
async fn no_op_streams_the_request_body_without_buffering_it() {
    use std::sync::Arc;
    use tokio::sync::{mpsc, Notify};
    let first_seen = Arc::new(Notify::new());
    let seen = first_seen.clone();
    let backend = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let seen = seen.clone();
        async move {
            use http_body_util::BodyExt;
            let mut body = req.into_body();
            let mut got = Vec::new();
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(chunk) = frame.into_data() {
                    if got.is_empty() {
                        seen.notify_one();
                    }
                    got.extend_from_slice(&chunk);
                }
            }
            format!("{} bytes: {}", got.len(), String::from_utf8_lossy(&got))
        }
    });
    let backend_url = start(backend).await;
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/responses.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://stream", backend_url.as_str())
        ])
    ))
    .await;
    let (tx, rx) = mpsc::channel::<Result<&'static str, std::io::Error>>(1);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let request = tokio::spawn(
        reqwest::Client::new()
            .post(format!("{gw}/noop-stream"))
            .body(reqwest::Body::wrap_stream(stream))
            .timeout(std::time::Duration::from_secs(10))
            .send(),
    );
    tx.send(Ok("first,")).await.expect("first chunk");
    tokio::time::timeout(std::time::Duration::from_secs(5), first_seen.notified())
        .await
        .expect("the backend got the first chunk before the body was complete");
    tx.send(Ok("second")).await.expect("second chunk");
    drop(tx);
    let resp = request.await.expect("join").expect("answer");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.expect("body"), "12 bytes: first,second");
}

#[tokio::test]
async fn without_return_error_msg_errors_have_no_body() {
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/plain_errors.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    let (status, headers, body) = get(&format!("{gw}/fail")).await;
    assert_eq!(status, 500);
    assert_eq!(body, "");
    assert!(header(&headers, "content-type").is_none());
    let (status, _, body) = get(&format!("{gw}/error-code")).await;
    assert_eq!(status, 418);
    assert_eq!(body, "");
}
