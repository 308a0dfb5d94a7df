//! `qos/http-cache` through real HTTP: a backend that says how cacheable its answers are, and
//! counts its hits. Every test has its own endpoint and backend URL: stores are process-wide
//! `static`s.

mod common;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use common::*;
use std::sync::Mutex;
use std::time::Duration;

/// Hits per path and query (`/res/hit`, `/res/miss?q=1`), and 304s answered per path.
static HITS: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());

fn bump(key: &str) {
    let mut h = HITS.lock().expect("hits");
    match h.iter_mut().find(|(n, _)| n == key) {
        Some((_, k)) => *k += 1,
        None => h.push((key.to_owned(), 1)),
    }
}

fn hits(key: &str) -> usize {
    let h = HITS.lock().expect("hits");
    h.iter().find(|(n, _)| n == key).map_or(0, |(_, k)| *k)
}

async fn resource(req: Request) -> Response {
    let uri = req.uri().clone();
    let path = uri.path().to_owned();
    bump(&uri.to_string());
    let h = req.headers();
    let json = |cc: &'static str, body: String| {
        (
            StatusCode::OK,
            [("content-type", "application/json"), ("cache-control", cc)],
            body,
        )
            .into_response()
    };
    let n = hits(&uri.to_string());
    match path.as_str() {
        "/res/expiry" => json("max-age=2", format!(r#"{{"n":{n}}}"#)),
        "/res/vary" => {
            let tenant = h
                .get("x-tenant")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("none")
                .to_owned();
            let mut r = json("max-age=60", format!(r#"{{"tenant":"{tenant}","n":{n}}}"#));
            r.headers_mut()
                .insert("vary", axum::http::HeaderValue::from_static("X-Tenant"));
            r
        }
        "/res/nostore" => json("no-store, max-age=60", format!(r#"{{"n":{n}}}"#)),
        "/res/etag" => {
            if h.get("if-none-match").and_then(|v| v.to_str().ok()) == Some("\"v1\"") {
                bump("304 /res/etag");
                return (
                    StatusCode::NOT_MODIFIED,
                    [("etag", "\"v1\""), ("cache-control", "max-age=0")],
                )
                    .into_response();
            }
            let mut r = json("max-age=0", format!(r#"{{"n":{n}}}"#));
            r.headers_mut()
                .insert("etag", axum::http::HeaderValue::from_static("\"v1\""));
            r
        }
        "/res/status" => (
            StatusCode::NOT_FOUND,
            [
                ("content-type", "application/json"),
                ("cache-control", "max-age=60"),
            ],
            format!(r#"{{"n":{n}}}"#),
        )
            .into_response(),
        "/res/uncached" => (
            StatusCode::OK,
            [("content-type", "application/json")],
            format!(r#"{{"n":{n}}}"#),
        )
            .into_response(),
        "/res/shaped" => json("max-age=60", format!(r#"{{"keep":{n},"drop":"x"}}"#)),
        _ if path.starts_with("/res/flood/") => json(
            "max-age=60",
            format!(r#"{{"pad":"{}","n":{n}}}"#, "x".repeat(1024)),
        ),
        _ => json("public, max-age=60", format!(r#"{{"n":{n}}}"#)),
    }
}

async fn gateway() -> String {
    let backend = start(axum::Router::new().route("/res/{*rest}", any(resource))).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/http_cache.json",
        hosts(&[("http://cache", backend.as_str())])
    );
    start(gw).await
}

async fn n_of(url: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = get(url).await;
    (status.as_u16(), json(&body))
}

#[tokio::test]
async fn fresh_answers_come_from_the_cache() {
    let gw = gateway().await;
    for _ in 0..5 {
        assert_eq!(
            n_of(&format!("{gw}/hc/hit")).await,
            (200, serde_json::json!({"n": 1}))
        );
    }
    assert_eq!(hits("/res/hit"), 1);
}

#[tokio::test]
async fn another_url_is_a_miss() {
    let gw = gateway().await;
    for q in ["1", "2", "1", "2", "3"] {
        n_of(&format!("{gw}/hc/miss?q={q}")).await;
    }
    assert_eq!(
        (
            hits("/res/miss?q=1"),
            hits("/res/miss?q=2"),
            hits("/res/miss?q=3")
        ),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn stale_answers_are_fetched_again() {
    let gw = gateway().await;
    let url = format!("{gw}/hc/expiry");
    assert_eq!(n_of(&url).await.1["n"], 1);
    assert_eq!(n_of(&url).await.1["n"], 1, "fresh for max-age=2");
    // `Date` has whole seconds: past 3 s the answer is stale for sure.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(n_of(&url).await.1["n"], 2);
    assert_eq!(hits("/res/expiry"), 2);
}

#[tokio::test]
async fn vary_headers_must_match() {
    let gw = gateway().await;
    let url = format!("{gw}/hc/vary");
    let with = |t: &'static str| {
        let url = url.clone();
        async move {
            let (_, _, body) = send(client().get(&url).header("X-Tenant", t)).await;
            json(&body)
        }
    };
    assert_eq!(with("a").await, serde_json::json!({"tenant": "a", "n": 1}));
    assert_eq!(with("a").await["n"], 1, "same tenant: from the cache");
    assert_eq!(with("b").await, serde_json::json!({"tenant": "b", "n": 2}));
    assert_eq!(with("b").await["n"], 2);
    // One entry per URL (as KrakenD's cache): b's answer replaced a's.
    assert_eq!(with("a").await["n"], 3);
    assert_eq!(hits("/res/vary"), 3);
}

/// The training deck's example: `qos/http-cache` plus a martian `Cache-Control` response
/// modifier on a backend that sends no caching headers. Martian's response modifiers run before
/// the cache stores the answer, so the modified header makes it cacheable.
#[tokio::test]
async fn a_martian_cache_control_makes_an_answer_cacheable() {
    let gw = gateway().await;
    for _ in 0..4 {
        assert_eq!(
            n_of(&format!("{gw}/hc/martian")).await,
            (200, serde_json::json!({"n": 1}))
        );
    }
    assert_eq!(hits("/res/uncached"), 1);
}

#[tokio::test]
async fn no_store_is_never_stored() {
    let gw = gateway().await;
    for i in 1..=3 {
        assert_eq!(n_of(&format!("{gw}/hc/nostore")).await.1["n"], i);
    }
}

#[tokio::test]
async fn stale_entries_are_revalidated() {
    let gw = gateway().await;
    let url = format!("{gw}/hc/revalidate");
    for _ in 0..3 {
        assert_eq!(n_of(&url).await, (200, serde_json::json!({"n": 1})));
    }
    assert_eq!(
        hits("/res/etag"),
        3,
        "max-age=0: every request asks the backend"
    );
    assert_eq!(
        hits("304 /res/etag"),
        2,
        "with If-None-Match, answered 304 from the second on"
    );
}

#[tokio::test]
async fn cached_answers_go_through_the_status_check_and_shaping() {
    let gw = gateway().await;
    for _ in 0..2 {
        let (status, _, body) = get(&format!("{gw}/hc/status")).await;
        assert_eq!(status, 500);
        assert!(body.starts_with("invalid status code 404"), "{body}");
    }
    assert_eq!(hits("/res/status"), 1, "the 404 was cached (max-age=60)");
    for _ in 0..2 {
        assert_eq!(
            n_of(&format!("{gw}/hc/shaped")).await,
            (200, serde_json::json!({"g": {"keep": 1}}))
        );
    }
    assert_eq!(hits("/res/shaped"), 1);
}

#[tokio::test]
async fn client_cache_control_counts_only_when_forwarded() {
    let gw = gateway().await;
    let no_cache = |url: String| async move {
        let (_, _, body) = send(client().get(&url).header("Cache-Control", "no-cache")).await;
        json(&body)["n"].clone()
    };
    // Forwarded (input_headers): no-cache goes to the backend, and the answer is stored.
    assert_eq!(no_cache(format!("{gw}/hc/client-cc")).await, 1);
    assert_eq!(no_cache(format!("{gw}/hc/client-cc")).await, 2);
    assert_eq!(n_of(&format!("{gw}/hc/client-cc")).await.1["n"], 2);
    // Not forwarded: the client's no-cache means nothing to the cache.
    assert_eq!(n_of(&format!("{gw}/hc/ignored-cc")).await.1["n"], 1);
    assert_eq!(no_cache(format!("{gw}/hc/ignored-cc")).await, 1);
    assert_eq!(hits("/res/ignored-cc"), 1);
}

#[tokio::test]
async fn shared_store_versus_one_store_per_backend() {
    let gw = gateway().await;
    assert_eq!(n_of(&format!("{gw}/hc/shared-a")).await.1["n"], 1);
    assert_eq!(
        n_of(&format!("{gw}/hc/shared-b")).await.1["n"],
        1,
        "b answered from a's entry"
    );
    assert_eq!(hits("/res/shared"), 1);
    assert_eq!(n_of(&format!("{gw}/hc/own-a")).await.1["n"], 1);
    assert_eq!(
        n_of(&format!("{gw}/hc/own-b")).await.1["n"],
        2,
        "b has a store of its own"
    );
    assert_eq!(n_of(&format!("{gw}/hc/own-a")).await.1["n"], 1);
    assert_eq!(hits("/res/own"), 2);
}

#[tokio::test]
async fn a_flood_of_urls_stays_within_max_items() {
    let gw = gateway().await;
    // 150 distinct URLs through a store of at most 10 entries.
    for i in 0..150 {
        n_of(&format!("{gw}/hc/flood/{i}")).await;
    }
    assert!((0..150).all(|i| hits(&format!("/res/flood/{i}")) == 1));
    // The latest ones are mostly still there; the first ones are gone.
    let mut again = 0;
    for i in 0..150 {
        let (_, v) = n_of(&format!("{gw}/hc/flood/{i}")).await;
        if v["n"] == 2 {
            again += 1;
        }
    }
    assert!(
        again >= 140,
        "at most 10 of 150 were still cached: {again} were fetched again"
    );
}
