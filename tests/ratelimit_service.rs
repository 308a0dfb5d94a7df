//! `qos/ratelimit/router` at service level (root `extra_config`) over real HTTP: one budget
//! for every endpoint (503 when empty, ±5% of C + R·t), its client key (429 without the
//! header), and its place before the endpoint's own limits
//! (contracts/features/ratelimit_service.json).
//!
//! The service limiters are statics shared by every endpoint: one test walks through it all.

mod common;
use common::*;
use std::time::{Duration, Instant};

const RATE: f64 = 20.0;
const CAPACITY: f64 = 5.0;
const WINDOW: Duration = Duration::from_secs(2);

#[tokio::test]
async fn one_budget_for_every_endpoint_before_their_own_limits() {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/ratelimit_service.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let gw = start(gw).await;
    let c = client();
    let req = |path: &str| c.get(format!("{gw}{path}")).header("x-client", "c1");

    // The service's client key is a header: without it, 429 (empty key), body-less.
    let (status, headers, body) = send(c.get(format!("{gw}/a"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (429, ""));
    assert!(headers.get("content-type").is_none());

    // Accuracy: /a and /b in turn share one bucket.
    let (mut accepted, mut i) = (0usize, 0usize);
    let start = Instant::now();
    let mut last = start;
    while start.elapsed() < WINDOW {
        last = Instant::now();
        let status = send(req(if i % 2 == 0 { "/a" } else { "/b" })).await.0;
        match status.as_u16() {
            200 => accepted += 1,
            s => assert_eq!(s, 503, "request {i}"),
        }
        i += 1;
    }
    let expected = CAPACITY + RATE * last.duration_since(start).as_secs_f64();
    let got = accepted as f64;
    assert!(
        (got - expected).abs() <= expected * 0.05,
        "{got} accepted, expected {expected:.1} ±5% ({i} requests)"
    );

    // Drained: the service answers 503 before /own's client bucket (1 per hour) is consulted,
    // so that bucket still has its token afterwards. A service token arrives every 50 ms: on a
    // slow machine one may land between the drain and /own, which then answers 200 at once.
    while send(req("/b")).await.0 == 200 {}
    let own = send(req("/own")).await.0.as_u16();
    if own == 503 {
        // Two service tokens later: /own's client bucket takes its one request.
        tokio::time::sleep(Duration::from_millis(120)).await;
        assert_eq!(send(req("/own")).await.0, 200);
    } else {
        assert_eq!(own, 200, "/own right after the drain");
    }
    // /own's token is spent: with service tokens back, its own client bucket answers 429.
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(send(req("/own")).await.0, 429);
}
