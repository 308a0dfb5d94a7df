//! Proxy behaviours through real HTTP: sequential chains, static data, concurrent calls,
//! flatmap_filter, redirects answered by backends.

mod common;
use common::*;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/proxy.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

#[tokio::test]
async fn sequential_steps_use_earlier_responses() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/seq/7")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    let v = json(&body);
    assert_eq!(v["profile"]["user"]["name"], "ann 7");
    assert_eq!(v["posts"]["path"], "/echo/posts/42");
    // Inside the query part the value goes in (escaped by Krustd, raw by KrakenD).
    assert_eq!(v["posts"]["query"], "name=ann%207");
}

#[tokio::test]
async fn sequential_failures() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/seq-first-fails")).await;
    assert_eq!(status, 418, "step 0's error passes through unchanged");
    assert_eq!(body, "status 418 body");

    let before = count("seq");
    let (status, headers, body) = get(&format!("{gw}/seq-later-fails")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    let v = json(&body);
    assert_eq!(v["first"]["a"], 1);
    assert!(v.get("second").is_none() && v.get("third").is_none(), "{v}");
    assert_eq!(count("seq"), before, "steps after a failure are not called");

    let (status, _, body) = get(&format!("{gw}/seq-missing")).await;
    assert_eq!(status, 200);
    assert_eq!(
        json(&body)["second"]["path"],
        "/echo/x/%7B%7B.Resp0_nothere%7D%7D"
    );
}

#[tokio::test]
async fn static_data_by_strategy() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/static/errored")).await;
    assert_eq!(status, 200, "static data replaces the failure");
    assert_eq!(
        body, r#"{"fallback":true,"n":1}"#,
        "contract numbers are re-serialised"
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));

    let (status, headers, body) = get(&format!("{gw}/static/always")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    let v = json(&body);
    assert_eq!(v["a"], "overwritten");
    assert_eq!(v["extra"], "x");
    assert_eq!(v["shared"], "from a");

    let (status, _, _) = get(&format!("{gw}/static/success-on-failure")).await;
    assert_eq!(status, 500);

    let (status, headers, body) = get(&format!("{gw}/static/incomplete")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    let v = json(&body);
    assert_eq!(v["extra"], "x");
    assert_eq!(v["a"]["a"], 1);
}

#[tokio::test]
async fn concurrent_calls_fire_n_requests_and_answer_once() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/concurrent")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"counted":"concurrent"}"#);
    // The losers are cancelled once the first complete answer arrives, but all three were sent.
    for _ in 0..50 {
        if count("concurrent") >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(count("concurrent"), 3);
}

#[tokio::test]
async fn flatmap_filters() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/flatmap/backend")).await;
    assert_eq!(status, 200);
    assert_eq!(
        json(&body),
        serde_json::json!({"l": [9, {"c": 2, "x": 1}, {"x": 3}], "z": null}),
        "move, del and append in order; allow is ignored"
    );
    let (status, _, body) = get(&format!("{gw}/flatmap/endpoint")).await;
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["moved"], 1);
    assert!(v.get("second").is_none());
    assert!(v["first"].get("a").is_none());
}

#[tokio::test]
async fn backend_redirects() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/redirect/get")).await;
    assert_eq!(status, 200, "301 is followed");
    assert_eq!(json(&body)["a"], 1);

    let (status, _, body) =
        send(client().post(format!("{gw}/redirect/post")).body("payload")).await;
    assert_eq!(
        status, 500,
        "a 307 with a body is not replayed: the 3xx is a failed answer"
    );
    assert!(body.contains("invalid status code 307"), "{body}");

    let (status, _, body) = send(
        client()
            .post(format!("{gw}/redirect/post-replayed"))
            .body("payload"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["method"], "POST");
    assert_eq!(v["body"], "payload");
    assert_eq!(v["path"], "/echo/redirected");

    let (status, _, body) = get(&format!("{gw}/redirect/loop")).await;
    assert_eq!(status, 500);
    assert!(body.contains("stopped after 10 redirects"), "{body}");
}

#[tokio::test]
async fn bodies_are_bounded() {
    let gw = gateway().await;
    let big = vec![b'x'; (32 << 20) + 1];
    let (status, headers, body) =
        send(client().post(format!("{gw}/limits/upload")).body(big)).await;
    assert_eq!(
        status, 413,
        "request bodies past 32 MiB are refused before any backend call"
    );
    assert!(body.contains("larger than"), "{body}");
    assert!(header(&headers, "x-krakend").is_none());
    let (status, _, body) = send(client().post(format!("{gw}/limits/upload")).body("small")).await;
    assert_eq!(status, 200, "{body}");

    let (status, _, body) = get(&format!("{gw}/limits/huge")).await;
    assert_eq!(status, 500, "a backend body past 64 MiB is a failed call");
    assert!(body.contains("larger than"), "{body}");
}

#[tokio::test]
async fn static_complete_needs_a_complete_result() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/static/complete")).await;
    assert_eq!(status, 200);
    assert!(
        json(&body).get("extra").is_none(),
        "partial result: no static data: {body}"
    );
}
