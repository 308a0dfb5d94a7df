//! The cost of `qos/circuit-breaker` on a backend call: the same immediately-ready backend
//! future polled plain and through `breaker::call` (closed breaker, a success), the fail-fast
//! answer of an open breaker, and the closed path with two threads on one breaker (the lock
//! contended). The futures are polled with a no-op waker, so only the breaker's own work is
//! measured. `cargo bench --bench breaker`.

use criterion::Criterion;
use krustd_runtime::backend::BackendResult;
use krustd_runtime::breaker::{self, BreakerSpec, CircuitBreaker};
use krustd_runtime::shape::Data;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

static CLOSED: CircuitBreaker = CircuitBreaker::new(BreakerSpec {
    name: "closed",
    interval: Duration::from_secs(60),
    timeout: Duration::from_secs(60),
    max_errors: 5,
    log_status_change: false,
});

static OPEN: CircuitBreaker = CircuitBreaker::new(BreakerSpec {
    name: "open",
    interval: Duration::ZERO,
    timeout: Duration::from_secs(3600),
    max_errors: 0,
    log_status_change: false,
});

fn ready<F: Future>(f: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    let mut f = pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

async fn backend_call() -> BackendResult {
    BackendResult::Ok(black_box(Data::new()))
}

fn bench(c: &mut Criterion) {
    // Trip OPEN once: one failure with max_errors 0.
    ready(breaker::call(&OPEN, async {
        BackendResult::Failed(krustd_runtime::backend::BackendError::plain("down"))
    }));
    let mut g = c.benchmark_group("breaker");
    g.bench_function("plain call", |b| b.iter(|| ready(backend_call())));
    g.bench_function("closed breaker call", |b| {
        b.iter(|| ready(breaker::call(&CLOSED, backend_call())))
    });
    g.bench_function("open breaker (fail fast)", |b| {
        b.iter(|| ready(breaker::call(&OPEN, backend_call())))
    });
    // Wall time per call while two threads call through the same breaker.
    g.bench_function("closed breaker call, 2 threads", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(|| {
                        for _ in 0..iters / 2 {
                            black_box(ready(breaker::call(&CLOSED, backend_call())));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    bench(&mut c);
    c.final_summary();
}
