//! The `pipe` layer of `/__stats` (krakend-metrics' proxy middleware around an endpoint's
//! proxy pipe): how long the pipe took and whether its answer was complete. One `static` per
//! endpoint is emitted only when the contract has `telemetry/metrics` without
//! `proxy_disabled`, so recording needs no lookup and no lock: relaxed atomic adds on the
//! calling thread's shard.
//!
//! KrakenD labels every call `complete.<bool>.error.<bool>`. The pipe's outcome is read from
//! the answer it built: `X-Krakend-Completed: true` is a complete answer without error; any
//! other answer is an error (a failed or partial merge, a rejection by a pipe stage: CEL,
//! JSON schema, Lua). A `no-op` answer is complete unless its call failed
//! ([`crate::respond::PipeFailed`]): KrakenD passes a no-op backend's answer on whatever its
//! status.

use super::metrics::{shard, BUCKETS, SHARDS};
use std::sync::atomic::{AtomicU64, Ordering};

/// One outcome's histogram on one shard.
#[derive(Debug)]
struct Hist {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Hist {
    const fn new() -> Self {
        Hist {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// The complete and the failed calls of one shard, on their own cache lines.
#[repr(align(64))]
#[derive(Debug)]
struct Shard {
    complete: Hist,
    failed: Hist,
}

/// The pipe metrics of one endpoint.
#[derive(Debug)]
pub struct PipeMetrics {
    /// The endpoint's route (`/users/{id}`), KrakenD's metric `name`.
    pub endpoint: &'static str,
    /// A `no-op` endpoint (see the module documentation).
    no_op: bool,
    shards: [Shard; SHARDS],
}

/// One outcome summed over the shards.
#[derive(Debug, Clone, Default)]
pub struct OutcomeSnapshot {
    /// Cumulative counts per bucket of [`BUCKETS`], then `+Inf` (the last one is the count).
    pub buckets: Vec<u64>,
    pub sum_seconds: f64,
}

impl OutcomeSnapshot {
    pub fn count(&self) -> u64 {
        self.buckets.last().copied().unwrap_or(0)
    }
}

impl PipeMetrics {
    pub const fn new(endpoint: &'static str, no_op: bool) -> Self {
        PipeMetrics {
            endpoint,
            no_op,
            shards: [const {
                Shard {
                    complete: Hist::new(),
                    failed: Hist::new(),
                }
            }; SHARDS],
        }
    }

    /// Records one pipe call: two relaxed atomic adds on this thread's shard.
    #[inline]
    pub fn record(&self, elapsed: std::time::Duration, complete: bool) {
        let s = &self.shards[shard()];
        let h = if complete { &s.complete } else { &s.failed };
        let b = BUCKETS.partition_point(|&le| le < elapsed.as_secs_f64());
        h.buckets[b].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        h.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// `(complete, failed)` summed over the shards.
    pub fn snapshot(&self) -> (OutcomeSnapshot, OutcomeSnapshot) {
        let sum = |pick: fn(&Shard) -> &Hist| {
            let mut buckets = [0u64; BUCKETS.len() + 1];
            let mut nanos = 0u64;
            for s in &self.shards {
                let h = pick(s);
                for (t, a) in buckets.iter_mut().zip(&h.buckets) {
                    *t += a.load(Ordering::Relaxed);
                }
                nanos = nanos.saturating_add(h.sum_nanos.load(Ordering::Relaxed));
            }
            let mut acc = 0;
            OutcomeSnapshot {
                buckets: buckets
                    .iter()
                    .map(|b| {
                        acc += b;
                        acc
                    })
                    .collect(),
                sum_seconds: nanos as f64 / 1e9,
            }
        };
        (sum(|s| &s.complete), sum(|s| &s.failed))
    }

    /// Whether the pipe's answer is complete (see the module documentation).
    pub fn complete(&self, resp: &axum::response::Response) -> bool {
        match resp.headers().get(crate::respond::X_KRAKEND_COMPLETED) {
            Some(v) if v.as_bytes() == b"true" => true,
            Some(v) if self.no_op && v.as_bytes() == b"false" => resp
                .extensions()
                .get::<crate::respond::PipeFailed>()
                .is_none(),
            _ => false,
        }
    }
}

/// Runs an endpoint's pipe and records it in `m`.
///
/// Not an `async fn`: one would hold `pipe` twice (as its argument and as the awaited value),
/// doubling the size of the handler's future, which axum moves into a box per request.
pub fn pipe<F>(m: &'static PipeMetrics, pipe: F) -> Piped<F>
where
    F: std::future::Future<Output = axum::response::Response>,
{
    Piped {
        pipe,
        m,
        started: None,
    }
}

pin_project_lite::pin_project! {
    /// [`pipe`]'s future: the pipe, timed from its first poll.
    pub struct Piped<F> {
        #[pin]
        pipe: F,
        m: &'static PipeMetrics,
        started: Option<std::time::Instant>,
    }
}

impl<F> std::future::Future for Piped<F>
where
    F: std::future::Future<Output = axum::response::Response>,
{
    type Output = axum::response::Response;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.project();
        let started = *this.started.get_or_insert_with(std::time::Instant::now);
        let resp = std::task::ready!(this.pipe.poll(cx));
        this.m.record(started.elapsed(), this.m.complete(&resp));
        std::task::Poll::Ready(resp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn outcomes_are_kept_apart() {
        static M: PipeMetrics = PipeMetrics::new("/a", false);
        std::thread::scope(|sc| {
            for _ in 0..3 {
                sc.spawn(|| {
                    for i in 0..100u32 {
                        M.record(Duration::from_millis(7), i % 4 != 0);
                    }
                });
            }
        });
        let (ok, failed) = M.snapshot();
        assert_eq!((ok.count(), failed.count()), (225, 75));
        // 7 ms falls in the 0.01 bucket (index 1).
        assert_eq!((ok.buckets[0], ok.buckets[1]), (0, 225));
        assert!((failed.sum_seconds - 0.525).abs() < 1e-6);
    }

    #[test]
    fn the_answer_tells_the_outcome() {
        static PLAIN: PipeMetrics = PipeMetrics::new("/a", false);
        static NO_OP: PipeMetrics = PipeMetrics::new("/b", true);
        let answer = |completed: Option<&'static str>, failed: bool| {
            let mut r = axum::response::Response::new(axum::body::Body::empty());
            if let Some(c) = completed {
                r.headers_mut().insert(
                    crate::respond::X_KRAKEND_COMPLETED,
                    http::HeaderValue::from_static(c),
                );
            }
            if failed {
                r.extensions_mut().insert(crate::respond::PipeFailed);
            }
            r
        };
        assert!(PLAIN.complete(&answer(Some("true"), false)));
        assert!(!PLAIN.complete(&answer(Some("false"), false)));
        assert!(!PLAIN.complete(&answer(None, false)));
        assert!(NO_OP.complete(&answer(Some("false"), false)));
        assert!(!NO_OP.complete(&answer(Some("false"), true)));
        assert!(!NO_OP.complete(&answer(None, false)));
    }
}
