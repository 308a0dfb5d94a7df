//! `qos/ratelimit/router` and `qos/ratelimit/proxy` over real HTTP (security-and-traffic.md
//! §6–7): accuracy of the buckets in time, per endpoint and per client key (ip, header, param),
//! the 429-then-503 order, and a limited backend failing its call.
//!
//! The limiters are statics of the gateway: the tests of this file share them, so each test
//! uses endpoints of its own.

mod common;
use common::*;
use std::time::{Duration, Instant};

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/ratelimit.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

/// Rate and capacity of the accuracy endpoints, and how long they are measured.
const RATE: f64 = 20.0;
const CAPACITY: f64 = 5.0;
const WINDOW: Duration = Duration::from_secs(2);

/// Sends the requests `make(i)` in turn for `WINDOW`, each key of `keys` in rotation, and
/// checks that each key got C + R·t accepted answers (±5%), t being the time of its last
/// request since its first. Every other answer must be `rejected`.
async fn accuracy(keys: usize, rejected: u16, make: impl Fn(usize) -> reqwest::RequestBuilder) {
    let mut accepted = vec![0usize; keys];
    let mut first = vec![None::<Instant>; keys];
    let mut last = vec![Instant::now(); keys];
    let start = Instant::now();
    let mut i = 0usize;
    while start.elapsed() < WINDOW {
        let k = i % keys;
        let sent = Instant::now();
        first[k].get_or_insert(sent);
        last[k] = sent;
        let status = make(k).send().await.expect("request").status().as_u16();
        match status {
            200 => accepted[k] += 1,
            s => assert_eq!(s, rejected, "request {i}"),
        }
        i += 1;
    }
    for (k, ((got, first), last)) in accepted.iter().zip(&first).zip(&last).enumerate() {
        let t = last.duration_since(first.expect("sent")).as_secs_f64();
        let expected = CAPACITY + RATE * t;
        let got = *got as f64;
        assert!(
            (got - expected).abs() <= expected * 0.05,
            "key {k}: {got} accepted, expected {expected:.1} ±5% ({i} requests)"
        );
    }
}

#[tokio::test]
async fn endpoint_bucket_accepts_capacity_plus_rate_times_time() {
    let gw = gateway().await;
    let c = client();
    accuracy(1, 503, |_| c.get(format!("{gw}/rate/endpoint"))).await;
}

#[tokio::test]
async fn ip_buckets_are_per_client_ip() {
    let gw = gateway().await;
    let c = client();
    // The router trusts X-Forwarded-For by default: two clients behind a proxy.
    accuracy(2, 429, |k| {
        c.get(format!("{gw}/rate/ip"))
            .header("x-forwarded-for", format!("10.0.0.{k}"))
    })
    .await;
}

#[tokio::test]
async fn header_buckets_are_per_header_value_with_every() {
    let gw = gateway().await;
    let c = client();
    // 1200 per minute = 20 per second.
    accuracy(2, 429, |k| {
        c.get(format!("{gw}/rate/header"))
            .header("x-client", format!("client-{k}"))
    })
    .await;
    let (status, headers, body) = get(&format!("{gw}/rate/header")).await;
    assert_eq!(status, 429, "no key: 429");
    assert_eq!(body, "");
    assert!(headers.keys().all(|h| !h.as_str().starts_with("x-krakend")));
    assert!(headers.get("content-type").is_none());
}

#[tokio::test]
async fn param_buckets_are_per_parameter_value() {
    let gw = gateway().await;
    let c = client();
    accuracy(2, 429, |k| c.get(format!("{gw}/rate/param/user{k}"))).await;
}

#[tokio::test]
async fn ip_strategy_with_key_reads_the_header_ip() {
    let gw = gateway().await;
    let c = client();
    let req = |v: &str| {
        c.get(format!("{gw}/rate/ip-key"))
            .header("x-real-client", v)
    };
    // One request per client per hour; the port is dropped.
    assert_eq!(send(req("10.1.1.1:5555, 10.9.9.9")).await.0, 200);
    assert_eq!(send(req("10.1.1.1")).await.0, 429);
    assert_eq!(send(req("10.1.1.2")).await.0, 200);
    // Not an IP: the client IP (127.0.0.1) is the key.
    assert_eq!(send(req("nobody")).await.0, 200);
    assert_eq!(send(c.get(format!("{gw}/rate/ip-key"))).await.0, 429);
}

#[tokio::test]
async fn client_bucket_is_checked_before_the_endpoint_bucket() {
    let gw = gateway().await;
    let c = client();
    let req = |who: &str| c.get(format!("{gw}/rate/order")).header("x-client", who);
    // Client capacity 2, endpoint capacity 3, nothing refilled within the test (1 per hour).
    assert_eq!(send(req("a")).await.0, 200);
    assert_eq!(send(req("a")).await.0, 200);
    assert_eq!(send(req("a")).await.0, 429, "a's bucket is empty");
    assert_eq!(send(req("b")).await.0, 200, "the endpoint's third token");
    let (status, headers, body) = send(req("b")).await;
    assert_eq!(status, 503, "b has a token, the endpoint none");
    assert_eq!(body, "");
    assert!(headers.keys().all(|h| !h.as_str().starts_with("x-krakend")));
    assert_eq!(send(req("b")).await.0, 429, "the 503 took b's last token");
}

#[tokio::test]
async fn a_limited_backend_fails_its_call() {
    let gw = gateway().await;
    assert_eq!(get(&format!("{gw}/rate/proxy")).await.0, 200);
    assert_eq!(get(&format!("{gw}/rate/proxy")).await.0, 200);
    let (status, headers, body) = get(&format!("{gw}/rate/proxy")).await;
    assert_eq!(status, 500);
    assert_eq!(
        body, "rate limit exceded",
        "return_error_msg shows KrakenD's text"
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
}

#[tokio::test]
async fn a_limited_backend_of_two_gives_a_partial_answer() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/rate/proxy-partial")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert!(json(&body).get("limited").is_some());
    let (status, headers, body) = get(&format!("{gw}/rate/proxy-partial")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    let body = json(&body);
    assert!(body.get("limited").is_none(), "{body}");
    assert!(body.get("free").is_some(), "{body}");
}

#[tokio::test]
async fn an_unlimited_endpoint_is_not_limited() {
    let gw = gateway().await;
    let c = client();
    for _ in 0..50 {
        assert_eq!(send(c.get(format!("{gw}/rate/none"))).await.0, 200);
    }
}
