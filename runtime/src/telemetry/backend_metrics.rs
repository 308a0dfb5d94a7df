//! Per-backend metrics: call latency histogram and failures by kind. One `static` per backend
//! is emitted (only when the contract has metrics), so recording needs no lookup and no lock:
//! relaxed atomic adds on the calling thread's shard.

use super::metrics::{shard, BUCKETS, SHARDS};
use super::CallOutcome;
use crate::backend::{BackendError, BackendResult};
use std::sync::atomic::{AtomicU64, Ordering};

/// The kinds of failed backend calls, as exported (`error_type` label).
pub const ERROR_KINDS: [&str; 5] = ["status", "timeout", "connection", "body", "other"];

#[repr(align(64))]
#[derive(Debug)]
struct Shard {
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
    errors: [AtomicU64; ERROR_KINDS.len()],
    /// The failed calls' own histogram (`/__stats` splits latencies by outcome).
    failed_buckets: [AtomicU64; BUCKETS.len() + 1],
    failed_sum_nanos: AtomicU64,
}

impl Shard {
    const fn new() -> Self {
        Shard {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
            errors: [const { AtomicU64::new(0) }; ERROR_KINDS.len()],
            failed_buckets: [const { AtomicU64::new(0) }; BUCKETS.len() + 1],
            failed_sum_nanos: AtomicU64::new(0),
        }
    }
}

/// The metrics of one backend of one endpoint.
#[derive(Debug)]
pub struct BackendMetrics {
    /// The endpoint's route (`/users/{id}`).
    pub route: &'static str,
    pub method: &'static str,
    /// The backend's `url_pattern`.
    pub backend: &'static str,
    shards: [Shard; SHARDS],
}

/// A sum over the shards.
#[derive(Debug, Clone, Default)]
pub struct BackendSnapshot {
    /// Cumulative counts per bucket, then `+Inf`.
    pub buckets: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
    /// Failures per [`ERROR_KINDS`].
    pub errors: Vec<u64>,
    /// Cumulative counts per bucket of the failed calls only, then `+Inf`.
    pub failed_buckets: Vec<u64>,
    pub failed_sum_seconds: f64,
}

impl BackendMetrics {
    pub const fn new(route: &'static str, method: &'static str, backend: &'static str) -> Self {
        BackendMetrics {
            route,
            method,
            backend,
            shards: [const { Shard::new() }; SHARDS],
        }
    }

    /// Records one call.
    #[inline]
    pub fn record(&self, elapsed: std::time::Duration, result: &BackendResult) {
        self.record_outcome(elapsed, Some(result));
    }

    /// Records one call from its outcome ([`CallOutcome::result`]: `None` is a success).
    #[inline]
    pub fn record_outcome(&self, elapsed: std::time::Duration, result: Option<&BackendResult>) {
        let s = &self.shards[shard()];
        let b = BUCKETS.partition_point(|&le| le < elapsed.as_secs_f64());
        s.buckets[b].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        s.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        s.count.fetch_add(1, Ordering::Relaxed);
        let kind = match result {
            None | Some(BackendResult::Ok(_)) => return,
            Some(BackendResult::Details(_)) => 0,
            Some(BackendResult::Failed(e)) => error_kind(e),
        };
        s.errors[kind].fetch_add(1, Ordering::Relaxed);
        s.failed_buckets[b].fetch_add(1, Ordering::Relaxed);
        s.failed_sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> BackendSnapshot {
        let mut buckets = [0u64; BUCKETS.len() + 1];
        let mut errors = [0u64; ERROR_KINDS.len()];
        let mut failed = [0u64; BUCKETS.len() + 1];
        let (mut sum, mut count, mut failed_sum) = (0u64, 0u64, 0u64);
        for s in &self.shards {
            for (t, a) in failed.iter_mut().zip(&s.failed_buckets) {
                *t += a.load(Ordering::Relaxed);
            }
            failed_sum = failed_sum.saturating_add(s.failed_sum_nanos.load(Ordering::Relaxed));
            for (t, a) in buckets.iter_mut().zip(&s.buckets) {
                *t += a.load(Ordering::Relaxed);
            }
            for (t, a) in errors.iter_mut().zip(&s.errors) {
                *t += a.load(Ordering::Relaxed);
            }
            sum = sum.saturating_add(s.sum_nanos.load(Ordering::Relaxed));
            count += s.count.load(Ordering::Relaxed);
        }
        BackendSnapshot {
            buckets: cumulative(&buckets),
            sum_seconds: sum as f64 / 1e9,
            count,
            errors: errors.to_vec(),
            failed_buckets: cumulative(&failed),
            failed_sum_seconds: failed_sum as f64 / 1e9,
        }
    }
}

fn cumulative(counts: &[u64]) -> Vec<u64> {
    let mut acc = 0;
    counts
        .iter()
        .map(|b| {
            acc += b;
            acc
        })
        .collect()
}

/// The index in [`ERROR_KINDS`] of a failure (from the error texts the runtime writes).
pub fn error_kind(e: &BackendError) -> usize {
    let m = e.message.as_str();
    if e.status.is_some() || m.starts_with("invalid status code") {
        0
    } else if m.contains("deadline exceeded") || m.contains("timeout") {
        1
    } else if m.contains("dial")
        || m.contains("connect")
        || m.contains("no hosts available")
        || m.contains("invalid backend host")
    {
        2
    } else if m.contains("body") {
        3
    } else {
        4
    }
}

/// Runs one backend call (either path's, [`CallOutcome`]) and records it in `m`.
///
/// Not an `async fn`: one would hold `call` twice (as its argument and as the awaited value),
/// doubling the size of the backend call's future (and the handler's, which axum moves into a
/// box per request).
pub fn measured<F, R>(m: &'static BackendMetrics, call: F) -> Measured<F>
where
    F: std::future::Future<Output = R>,
    R: CallOutcome,
{
    Measured {
        call,
        m,
        started: None,
    }
}

pin_project_lite::pin_project! {
    /// [`measured`]'s future: the call, timed from its first poll.
    pub struct Measured<F> {
        #[pin]
        call: F,
        m: &'static BackendMetrics,
        started: Option<std::time::Instant>,
    }
}

impl<F, R> std::future::Future for Measured<F>
where
    F: std::future::Future<Output = R>,
    R: CallOutcome,
{
    type Output = R;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<R> {
        let this = self.project();
        let started = *this.started.get_or_insert_with(std::time::Instant::now);
        let r = std::task::ready!(this.call.poll(cx));
        this.m.record_outcome(started.elapsed(), r.result());
        std::task::Poll::Ready(r)
    }
}
