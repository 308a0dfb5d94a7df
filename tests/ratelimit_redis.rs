//! `krustd/ratelimit/redis` against a real `redis-server` (Debian package `redis-server`,
//! installed by `.ci/run`): two gateway instances draw from one budget; with Redis unreachable
//! each falls back to its local limiter without waiting longer than the timeout.
//!
//! Each `gateway!` expansion has its own limiter statics, like a separate process: two
//! expansions of the same contract are two replicas.

mod common;
use common::*;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on 127.0.0.1 at a free port, killed on drop; `None` (with a loud message)
/// when the binary is missing outside CI.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match child {
            Ok(c) => c,
            Err(e) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "redis-server is required in CI (.ci/run installs it): {e}"
                );
                eprintln!("\n!!! SKIPPED: redis-server is not installed ({e}); apt-get install redis-server\n");
                return None;
            }
        };
        let server = RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn options(mock: &str, redis: &str) -> krustd_runtime::Options {
    krustd_runtime::Options {
        redis_url: Some(redis.to_owned()),
        ..hosts(&[("http://mock", mock)])
    }
}

/// The fallback counter is process-wide: the tests of this file run one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits (bounded) until `gw`'s background connection is up: decisions before it are local by
/// design. Uses `/cluster/rate`, whose budget only the accuracy test measures.
async fn until_connected(gw: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let before = krustd_runtime::ratelimit::redis::fallbacks();
        let _ = get(&format!("{gw}/cluster/rate")).await;
        if krustd_runtime::ratelimit::redis::fallbacks() == before {
            return;
        }
        assert!(Instant::now() < deadline, "no Redis connection");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn two_replicas_share_one_budget() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mock = start(mock()).await;
    let a = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &redis.url)
    ))
    .await;
    let b = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &redis.url)
    ))
    .await;
    until_connected(&a).await;
    until_connected(&b).await;
    let c = client();
    let req = |gw: &str, who: &str| c.get(format!("{gw}/cluster")).header("x-client", who);
    // Client capacity 4 across both replicas (locally it would be 4 on each).
    let mut statuses = Vec::new();
    for i in 0..6 {
        let gw = if i % 2 == 0 { &a } else { &b };
        statuses.push(send(req(gw, "ann")).await.0.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    // Endpoint capacity 10 across both: 4 taken by ann, 6 more for the others, then 503.
    let mut ok = 0;
    for i in 0..10 {
        let gw = if i % 2 == 0 { &a } else { &b };
        match send(req(gw, &format!("u{i}"))).await.0.as_u16() {
            200 => ok += 1,
            s => assert_eq!(s, 503),
        }
    }
    assert_eq!(ok, 6);
}

#[tokio::test]
async fn cluster_budget_accepts_capacity_plus_rate_times_time() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let mock = start(mock()).await;
    let a = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &redis.url)
    ))
    .await;
    let b = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &redis.url)
    ))
    .await;
    // Warm both connections on /cluster, leaving /cluster/rate's budget whole.
    for gw in [&a, &b] {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let before = krustd_runtime::ratelimit::redis::fallbacks();
            let _ = send(
                client()
                    .get(format!("{gw}/cluster"))
                    .header("x-client", "warm"),
            )
            .await;
            if krustd_runtime::ratelimit::redis::fallbacks() == before {
                break;
            }
            assert!(Instant::now() < deadline, "no Redis connection");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // 20/s, capacity 5, over 2 s, alternating replicas: 5 + 20·t for the pair.
    let c = client();
    let start_at = Instant::now();
    let (mut ok, mut n, mut last) = (0.0f64, 0usize, start_at);
    while start_at.elapsed() < Duration::from_secs(2) {
        let gw = if n % 2 == 0 { &a } else { &b };
        last = Instant::now();
        match send(c.get(format!("{gw}/cluster/rate"))).await.0.as_u16() {
            200 => ok += 1.0,
            s => assert_eq!(s, 503),
        }
        n += 1;
    }
    let expected = 5.0 + 20.0 * last.duration_since(start_at).as_secs_f64();
    assert!(
        (ok - expected).abs() <= expected * 0.05,
        "{ok} accepted by the pair, expected {expected:.1} ±5% ({n} requests)"
    );
}

#[tokio::test]
async fn unreachable_redis_falls_back_to_local_limits_quickly() {
    let _serial = SERIAL.lock().await;
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mock = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &format!("redis://127.0.0.1:{port}"))
    ))
    .await;
    let before = krustd_runtime::ratelimit::redis::fallbacks();
    let c = client();
    let mut statuses = Vec::new();
    let mut slowest = Duration::ZERO;
    for _ in 0..6 {
        let t = Instant::now();
        statuses.push(
            send(c.get(format!("{gw}/cluster")).header("x-client", "ann"))
                .await
                .0
                .as_u16(),
        );
        slowest = slowest.max(t.elapsed());
    }
    // The local limiter decides: client capacity 4.
    assert_eq!(statuses, [200, 200, 200, 200, 429, 429]);
    assert!(krustd_runtime::ratelimit::redis::fallbacks() >= before + 6);
    assert!(
        slowest < Duration::from_secs(1),
        "never blocked on Redis: {slowest:?}"
    );
}

#[tokio::test]
async fn redis_going_down_falls_back() {
    let _serial = SERIAL.lock().await;
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url.clone();
    let mock = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/ratelimit_redis.json",
        options(&mock, &url)
    ))
    .await;
    until_connected(&gw).await;
    drop(redis);
    // Redis is gone: the next decisions are local (counted), none waits on Redis.
    let before = krustd_runtime::ratelimit::redis::fallbacks();
    let c = client();
    let t = Instant::now();
    for _ in 0..3 {
        let s = send(c.get(format!("{gw}/cluster")).header("x-client", "bob"))
            .await
            .0;
        assert_eq!(s, 200);
    }
    assert!(t.elapsed() < Duration::from_secs(2));
    assert!(krustd_runtime::ratelimit::redis::fallbacks() >= before + 3);
}
