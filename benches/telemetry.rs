//! The cost of recording one request in the metrics registry (`krustd_runtime::telemetry`):
//! a route/method lookup plus sharded relaxed atomic adds, no lock. Measured on one thread and
//! with two threads recording into the same slot at once (the cross-core case), next to a
//! `Mutex`-guarded counter set as the locking baseline; and what the `/__stats` pipe layer adds
//! per request (`PipeMetrics`: reading the answer's outcome, two relaxed adds).
//! `cargo bench --bench telemetry`.

use criterion::Criterion;
use krustd_runtime::telemetry::metrics::Slot;
use krustd_runtime::telemetry::PipeMetrics;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Duration;

/// What a lock-based registry would do per request: lock, bump, unlock.
#[derive(Default)]
struct Locked {
    by_status: [u64; 32],
    buckets: [u64; 15],
    sum: u64,
    count: u64,
}

fn bench(c: &mut Criterion) {
    let slot = Slot::new("/users/{id}", "GET");
    let locked = Mutex::new(Locked::default());
    let d = Duration::from_micros(1234);
    let mut g = c.benchmark_group("metrics_record");
    g.bench_function("atomic_1_thread", |b| {
        b.iter(|| slot.record(black_box(200), black_box(d)))
    });
    g.bench_function("mutex_1_thread", |b| {
        b.iter(|| {
            if let Ok(mut l) = locked.lock() {
                l.by_status[black_box(0)] += 1;
                l.buckets[black_box(5)] += 1;
                l.sum += black_box(1234);
                l.count += 1;
            }
        })
    });
    // Two threads: a second thread records into the same slot the whole time.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                slot.record(200, d);
                if let Ok(mut l) = locked.lock() {
                    l.count += 1;
                }
            }
        });
        g.bench_function("atomic_2_threads", |b| {
            b.iter(|| slot.record(black_box(200), black_box(d)))
        });
        g.bench_function("mutex_2_threads", |b| {
            b.iter(|| {
                if let Ok(mut l) = locked.lock() {
                    l.by_status[black_box(0)] += 1;
                    l.buckets[black_box(5)] += 1;
                    l.sum += black_box(1234);
                    l.count += 1;
                }
            })
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
    g.finish();

    // The pipe layer: what `pipe_metrics::pipe` does after the pipe's future: the outcome from
    // the answer's headers, then the record.
    static PIPE: PipeMetrics = PipeMetrics::new("/users/{id}", false);
    let mut answer = http::Response::new(());
    answer.headers_mut().insert(
        "x-krakend-completed",
        http::HeaderValue::from_static("true"),
    );
    let answer = answer.map(|()| axum::body::Body::empty());
    let mut g = c.benchmark_group("pipe_record");
    g.bench_function("record_1_thread", |b| {
        b.iter(|| PIPE.record(black_box(d), black_box(true)))
    });
    g.bench_function("outcome_and_record_1_thread", |b| {
        b.iter(|| PIPE.record(black_box(d), PIPE.complete(black_box(&answer))))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
}
