//! Rate limits (issue 12): what a limited endpoint costs against an unlimited one, the Redis
//! limiter's cost and p99, and the memory of 1M distinct client keys. `cargo bench --bench
//! ratelimit` (a plain binary, no criterion: it prints the table BENCHMARKS.md records).
//!
//! 1. Micro: ns per decision of the endpoint bucket and of the client buckets (one hot key;
//!    keys rotating over 1M).
//! 2. End to end, in one run: the gateway of contracts/features/ratelimit_bench.json on
//!    127.0.0.1 in front of a local backend; `/none` (no limiter), `/limited` (endpoint + client
//!    bucket by header, never empty) and `/cluster` (the same in Redis; only when
//!    `redis-server` is installed), requests interleaved in rounds, latency per request (mean,
//!    p50, p99), one connection.
//! 3. Memory: bytes live after 1M distinct client keys in one endpoint's buckets (a counting
//!    allocator), and after a flood of 4M (bounded by `DEFAULT_MAX_KEYS`).
//!
//! Settings: RL_BENCH_REQUESTS (per arm, default 20000), RL_BENCH_OPS (micro decisions per
//! case, default 5000000), RL_BENCH_FLOOD (keys of the flood, default 4000000).

use krustd_runtime::ratelimit::{ClientBuckets, TokenBucket, DEFAULT_MAX_KEYS};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static A: Counting = Counting;

fn ns_per_op(n: u64, mut f: impl FnMut(u64)) -> f64 {
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn micro() {
    let ops = setting("RL_BENCH_OPS", 5_000_000);
    println!("## micro (ns per decision, {ops} decisions)");
    let bucket = TokenBucket::new(1, u64::MAX / 2);
    let ns = ns_per_op(ops, |_| {
        black_box(bucket.allow());
    });
    println!("| endpoint bucket (`TokenBucket::allow`) | {ns:.1} |");
    let clients = ClientBuckets::new(1, 1 << 30, 600, 60, 2048, DEFAULT_MAX_KEYS);
    let ns = ns_per_op(ops, |_| {
        black_box(clients.allow_key(b"203.0.113.7"));
    });
    println!("| client bucket, one hot key | {ns:.1} |");
    let keys: Vec<[u8; 8]> = (0..1_000_000u64).map(|i| i.to_le_bytes()).collect();
    let ns = ns_per_op(ops, |i| {
        black_box(clients.allow_key(&keys[(i as usize * 7919) % keys.len()]));
    });
    println!("| client bucket, keys rotating over 1M | {ns:.1} |");
}

fn memory() {
    println!("## memory of client keys");
    let before = LIVE.load(Relaxed);
    let clients = ClientBuckets::new(1_000_000_000, 10, 600, 60, 2048, DEFAULT_MAX_KEYS);
    for i in 0..1_000_000u64 {
        clients.allow_key(format!("client-{i}").as_bytes());
    }
    let one_m = LIVE.load(Relaxed) - before;
    println!(
        "| 1M distinct keys | {} buckets | {:.1} MB | {:.0} B/key |",
        clients.len(),
        one_m as f64 / 1e6,
        one_m as f64 / 1e6 * 1e6 / 1_000_000.0
    );
    let flood = setting("RL_BENCH_FLOOD", 4_000_000).max(1_000_000);
    for i in 1_000_000..flood {
        clients.allow_key(format!("client-{i}").as_bytes());
    }
    let four_m = LIVE.load(Relaxed) - before;
    println!(
        "| {flood} distinct keys (bound {DEFAULT_MAX_KEYS}) | {} buckets | {:.1} MB |",
        clients.len(),
        four_m as f64 / 1e6
    );
}

struct Redis(Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

fn redis() -> Option<(Redis, String)> {
    let port = free_port();
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
        .spawn()
        .ok()?;
    let r = Redis(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((r, format!("redis://127.0.0.1:{port}")))
}

async fn serve(app: axum::Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(
            l,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    format!("http://{addr}")
}

fn stats(name: &str, mut v: Vec<Duration>) -> f64 {
    v.sort();
    let mean = v.iter().map(|d| d.as_secs_f64()).sum::<f64>() / v.len() as f64 * 1e6;
    let p = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1e6;
    println!("| {name} | {mean:.1} | {:.1} | {:.1} |", p(0.5), p(0.99));
    mean
}

async fn end_to_end(redis_url: Option<String>) {
    let n: usize = std::env::var("RL_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let backend = serve(axum::Router::new().route(
        "/a",
        axum::routing::get(|| async { ([("content-type", "application/json")], r#"{"a":1}"#) }),
    ))
    .await;
    let gw = serve(krustd_macros::gateway!(
        "contracts/features/ratelimit_bench.json",
        krustd_runtime::Options {
            host_map: vec![("http://mock".to_owned(), backend.clone())],
            redis_url: redis_url.clone(),
            ..krustd_runtime::Options::default()
        }
    ))
    .await;
    let client = reqwest::Client::new();
    let mut arms: Vec<(&str, String, Vec<Duration>)> = vec![
        ("unlimited `/none`", format!("{gw}/none"), Vec::new()),
        (
            "limited `/limited` (endpoint + client bucket)",
            format!("{gw}/limited"),
            Vec::new(),
        ),
    ];
    if redis_url.is_some() {
        arms.push((
            "Redis `/cluster` (endpoint + client, in Redis)",
            format!("{gw}/cluster"),
            Vec::new(),
        ));
    }
    // Warm-up (connections, the Redis connection and script).
    for (_, url, _) in &arms {
        for _ in 0..500 {
            let _ = client
                .get(url)
                .header("x-client", "bench")
                .send()
                .await
                .map(|r| r.status());
        }
    }
    let fallbacks = krustd_runtime::ratelimit::redis::fallbacks();
    for round in 0..(n / 1000).max(1) {
        for (_, url, times) in arms.iter_mut() {
            for i in 0..1000 {
                let t = Instant::now();
                let r = client
                    .get(url.as_str())
                    .header("x-client", format!("c{}", (round * 1000 + i) % 5000))
                    .send()
                    .await;
                let ok = matches!(r, Ok(ref r) if r.status() == 200);
                if let Ok(r) = r {
                    let _ = r.bytes().await;
                }
                times.push(t.elapsed());
                assert!(ok, "request failed");
            }
        }
    }
    println!("## end to end ({n} requests per arm, interleaved, µs per request)");
    println!("| arm | mean | p50 | p99 |");
    let base = arms.first().map(|a| a.2.clone()).unwrap_or_default();
    let base = stats(arms[0].0, base);
    for (name, _, times) in arms.into_iter().skip(1) {
        let mean = stats(name, times);
        println!(
            "|   vs unlimited | {:+.1} µs ({:.3}×) | | |",
            mean - base,
            mean / base
        );
    }
    println!(
        "Redis fallbacks during the measurement: {}",
        krustd_runtime::ratelimit::redis::fallbacks() - fallbacks
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too: nothing else to parse.
    micro();
    memory();
    let redis = redis();
    if redis.is_none() {
        println!("!!! redis-server not installed: the Redis arm is skipped");
    }
    let url = redis.as_ref().map(|(_, u)| u.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(end_to_end(url));
    drop(redis);
}
