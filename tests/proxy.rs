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

// ---- Hardening: sequential values, concurrent_calls ---------------------------------------

/// One scripted answer: wait `delay_ms`, then answer `status` with a JSON `body`.
type Answer = (u64, u16, &'static str);

/// A mock whose `n`-th call (any path) gets `answers[n]` (the last one repeats); every path it
/// receives is logged in order.
fn scripted(
    answers: &'static [Answer],
) -> (axum::Router, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::response::IntoResponse;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let log = log.clone();
        async move {
            let n = {
                let mut l = log.lock().expect("log");
                l.push(req.uri().path().to_owned());
                l.len() - 1
            };
            let (delay, status, body) = answers[n.min(answers.len() - 1)];
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            (
                http::StatusCode::from_u16(status).expect("status"),
                [("content-type", "application/json")],
                body,
            )
                .into_response()
        }
    });
    (app, seen)
}

async fn hardening_gateway(
    answers: &'static [Answer],
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let (app, seen) = scripted(answers);
    let mock_url = start(app).await;
    let gw = krustd_macros::gateway!(
        "tests/contracts/proxy_hardening.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    (start(gw).await, seen)
}

fn seen(log: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    log.lock().expect("log").clone()
}

#[tokio::test]
async fn sequential_dot_dot_value_cannot_climb_the_backend_path() {
    let (gw, log) = hardening_gateway(&[(0, 200, r#"{"id":".."}"#)]).await;
    let (status, headers, body) = get(&format!("{gw}/seq-dots")).await;
    assert_eq!(seen(&log), ["/first"], "/posts must not be called");
    assert_eq!(status, 200, "a failed later step answers the data so far");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(json(&body), serde_json::json!({"id": ".."}));
}

#[tokio::test]
async fn sequential_dot_value_fails_the_step_and_stops_the_chain() {
    let (gw, log) = hardening_gateway(&[(0, 200, r#"{"id":"."}"#)]).await;
    let (status, headers, _) = get(&format!("{gw}/seq-dots-then-more")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(
        seen(&log),
        ["/first"],
        "neither step 1 nor step 2 is called"
    );

    // A harmless value still goes through.
    let (gw, log) = hardening_gateway(&[(0, 200, r#"{"id":"..."}"#)]).await;
    let (status, headers, _) = get(&format!("{gw}/seq-dots-then-more")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert_eq!(seen(&log), ["/first", "/users/.../posts", "/third"]);
}

#[tokio::test]
async fn concurrent_calls_fast_answer_wins_over_a_slow_first() {
    let (gw, log) = hardening_gateway(&[
        (2000, 200, r#"{"who":"slow"}"#),
        (0, 200, r#"{"who":"fast"}"#),
    ])
    .await;
    let started = std::time::Instant::now();
    let (status, headers, body) = get(&format!("{gw}/concurrent")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"who":"fast"}"#);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1500),
        "the slow call is not awaited: {:?}",
        started.elapsed()
    );
    assert_eq!(seen(&log).len(), 2);
}

#[tokio::test]
async fn concurrent_calls_success_wins_over_an_earlier_failure() {
    let (gw, log) = hardening_gateway(&[
        (0, 500, r#"{"who":"failed"}"#),
        (150, 200, r#"{"who":"ok"}"#),
    ])
    .await;
    let (status, headers, body) = get(&format!("{gw}/concurrent")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, r#"{"who":"ok"}"#);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert_eq!(seen(&log).len(), 2);
}

#[tokio::test]
async fn concurrent_calls_all_failing_answer_the_error() {
    let (gw, log) = hardening_gateway(&[(0, 500, r#"{"who":"failed"}"#)]).await;
    let (status, headers, body) = get(&format!("{gw}/concurrent")).await;
    assert_eq!(status, 500);
    assert!(body.contains("invalid status code 500"), "{body}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(seen(&log).len(), 2);
}

/// A mock answering `/zeros` with 16 MiB of `[0,0,…]` (8 M values, ~400 MiB once decoded) and
/// `/strings` with 16 MiB in two long strings.
fn adversarial() -> axum::Router {
    use axum::response::IntoResponse;
    axum::Router::new()
        .route(
            "/zeros",
            axum::routing::get(|| async {
                let mut body = Vec::with_capacity(16 << 20);
                body.push(b'[');
                while body.len() < (16 << 20) - 2 {
                    body.extend_from_slice(b"0,");
                }
                body.extend_from_slice(b"0]");
                ([("content-type", "application/json")], body).into_response()
            }),
        )
        .route(
            "/strings",
            axum::routing::get(|| async {
                let s = "x".repeat(8 << 20);
                let body = format!(r#"["{s}","{s}"]"#);
                ([("content-type", "application/json")], body).into_response()
            }),
        )
}

#[tokio::test]
async fn adversarial_bodies_are_bounded_by_decoded_size() {
    let mock_url = start(adversarial()).await;
    let gw = start(krustd_macros::gateway!(
        "tests/contracts/proxy_hardening.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    let (status, _, body) = get(&format!("{gw}/adversarial")).await;
    assert_eq!(status, 500, "refused, not decoded into ~400 MiB of values");
    assert!(body.contains("too large to decode"), "{body}");

    // The same byte count in few values decodes (on the blocking pool: it is large).
    let (status, _, body) = get(&format!("{gw}/large-strings")).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), (16 << 20) + r#"{"collection":["",""]}"#.len());
}
