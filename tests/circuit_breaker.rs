//! `qos/circuit-breaker` through real HTTP: a controllable backend walks each breaker through
//! its states, and an open breaker answers without a connection (backend hits counted).
//! Every test has its own endpoint: a breaker is a process-wide `static` per backend.

mod common;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::any;
use common::*;
use std::sync::Mutex;
use std::time::Duration;

/// What `/flaky/{name}` answers: status and delay, per name; and its hits.
static MODES: Mutex<Vec<(String, u16, u64)>> = Mutex::new(Vec::new());
static HITS: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());

fn set(name: &str, status: u16, delay_ms: u64) {
    let mut m = MODES.lock().expect("modes");
    m.retain(|(n, _, _)| n != name);
    m.push((name.to_owned(), status, delay_ms));
}

fn hits(name: &str) -> usize {
    let h = HITS.lock().expect("hits");
    h.iter().find(|(n, _)| n == name).map_or(0, |(_, k)| *k)
}

async fn flaky(Path(name): Path<String>) -> axum::response::Response {
    {
        let mut h = HITS.lock().expect("hits");
        match h.iter_mut().find(|(n, _)| *n == name) {
            Some((_, k)) => *k += 1,
            None => h.push((name.clone(), 1)),
        }
    }
    let (status, delay) = MODES
        .lock()
        .expect("modes")
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or((200, 0), |(_, s, d)| (*s, *d));
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if name == "decode" {
        return (status, [("content-type", "application/json")], "{broken").into_response();
    }
    let body = format!(r#"{{"from":"{name}"}}"#);
    (status, [("content-type", "application/json")], body).into_response()
}

async fn gateway() -> String {
    let backend = start(axum::Router::new().route("/flaky/{name}", any(flaky))).await;
    // A port nothing listens on: bind one, then close it.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let gw = krustd_macros::gateway!(
        "contracts/features/circuit_breaker.json",
        hosts(&[
            ("http://cb", backend.as_str()),
            ("http://down", down.as_str())
        ])
    );
    start(gw).await
}

#[tokio::test]
async fn closed_open_half_open_closed() {
    let gw = gateway().await;
    let url = format!("{gw}/cb/walk");
    set("walk", 500, 0);
    // max_errors 1: the first failure keeps it closed, the second (2 > 1) opens it.
    for _ in 0..2 {
        let (status, _, body) = get(&url).await;
        assert_eq!(status, 500);
        assert!(body.starts_with("invalid status code 500"), "{body}");
    }
    assert_eq!(hits("walk"), 2);
    // Open: fails fast, without reaching the backend.
    for _ in 0..3 {
        let (status, _, body) = get(&url).await;
        assert_eq!(
            (status.as_u16(), body.as_str()),
            (500, "circuit breaker is open")
        );
    }
    assert_eq!(hits("walk"), 2, "an open breaker makes no connection");
    // After `timeout` (1 s) it is half-open: the trial succeeds and closes it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    set("walk", 200, 0);
    let (status, _, body) = get(&url).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"from":"walk"}"#)
    );
    assert_eq!(hits("walk"), 3);
    // Closed again: failures count from zero.
    set("walk", 500, 0);
    let (_, _, body) = get(&url).await;
    assert!(body.starts_with("invalid status code"), "{body}");
    assert_eq!(hits("walk"), 4);
}

#[tokio::test]
async fn a_failed_trial_opens_it_again() {
    let gw = gateway().await;
    let url = format!("{gw}/cb/reopen");
    set("reopen", 503, 0);
    let (_, _, body) = get(&url).await;
    assert!(body.starts_with("invalid status code 503"), "{body}");
    let (_, _, body) = get(&url).await;
    assert_eq!(
        body, "circuit breaker is open",
        "max_errors 0 trips on the first failure"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, _, body) = get(&url).await;
    assert!(
        body.starts_with("invalid status code 503"),
        "the trial call: {body}"
    );
    assert_eq!(hits("reopen"), 2);
    let (_, _, body) = get(&url).await;
    assert_eq!(body, "circuit breaker is open", "half-open → open");
    assert_eq!(hits("reopen"), 2);
}

#[tokio::test]
async fn half_open_lets_one_trial_through() {
    let gw = gateway().await;
    let url = format!("{gw}/cb/trial");
    set("trial", 500, 0);
    get(&url).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    set("trial", 200, 400);
    let (a, b) = tokio::join!(get(&url), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        get(&url).await
    });
    assert_eq!((a.0.as_u16(), a.2.as_str()), (200, r#"{"from":"trial"}"#));
    assert_eq!((b.0.as_u16(), b.2.as_str()), (500, "too many requests"));
    assert_eq!(hits("trial"), 2, "one failure, then one trial");
    let (status, _, _) = get(&url).await;
    assert_eq!(status, 200, "the trial's success closed it");
}

#[tokio::test]
async fn interval_resets_the_counts() {
    let gw = gateway().await;
    let url = format!("{gw}/cb/interval");
    set("interval", 500, 0);
    for round in 0..3 {
        // One failure per interval never makes two in a row.
        let (_, _, body) = get(&url).await;
        assert!(
            body.starts_with("invalid status code"),
            "round {round}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert_eq!(hits("interval"), 3);
    // Two within one interval trip it.
    get(&url).await;
    let (_, _, body) = get(&url).await;
    assert!(body.starts_with("invalid status code"), "{body}");
    let (_, _, body) = get(&url).await;
    assert_eq!(body, "circuit breaker is open");
    assert_eq!(hits("interval"), 5);
}

#[tokio::test]
async fn partial_results_while_one_backend_is_open() {
    let gw = gateway().await;
    let url = format!("{gw}/cb/partial");
    set("partial", 500, 0);
    get(&url).await;
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(
        json(&body),
        serde_json::json!({"ok": {"from": "partial-ok"}})
    );
    assert_eq!(hits("partial"), 1, "the open backend was not called");
    assert_eq!(hits("partial-ok"), 2);
}

#[tokio::test]
async fn what_counts_as_a_failure() {
    let gw = gateway().await;
    // A return_error_details answer is not a failure.
    set("details", 500, 0);
    for _ in 0..3 {
        let (status, _, body) = get(&format!("{gw}/cb/details")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(json(&body)["error_d"]["http_status_code"], 500);
    }
    assert_eq!(hits("details"), 3);
    // A 200 that does not decode is one.
    get(&format!("{gw}/cb/decode")).await;
    let (_, _, body) = get(&format!("{gw}/cb/decode")).await;
    assert_eq!(body, "circuit breaker is open");
    assert_eq!(hits("decode"), 1);
    // A timeout is one.
    set("slow", 200, 1000);
    let (status, _, body) = get(&format!("{gw}/cb/slow")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "context deadline exceeded")
    );
    let (_, _, body) = get(&format!("{gw}/cb/slow")).await;
    assert_eq!(body, "circuit breaker is open");
    assert_eq!(hits("slow"), 1);
}

#[tokio::test]
async fn no_op_fails_only_on_transport_errors() {
    let gw = gateway().await;
    set("noop", 500, 0);
    for _ in 0..3 {
        let (status, _, body) = get(&format!("{gw}/cb/noop")).await;
        assert_eq!(
            (status.as_u16(), body.as_str()),
            (500, r#"{"from":"noop"}"#)
        );
    }
    assert_eq!(hits("noop"), 3, "a backend status is not a no-op failure");
    let (status, _, body) = get(&format!("{gw}/cb/noop-down")).await;
    assert_eq!(status, 500);
    assert_ne!(body, "circuit breaker is open", "{body}");
    let (status, _, body) = get(&format!("{gw}/cb/noop-down")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "circuit breaker is open")
    );
}
