//! The metrics registry: requests by endpoint, method and status, request-duration histograms,
//! in-flight requests and dropped log lines, labelled with the build identity.
//!
//! Recording takes no lock: the registry is built once (one slot per route and method) and
//! every slot is a set of atomics, sharded by worker thread so two cores do not write the same
//! cache line. Reading (a scrape) sums the shards.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Shards of every counter (worker threads pick one round-robin).
pub const SHARDS: usize = 8;

/// Upper bounds (seconds) of the duration histogram buckets (OpenTelemetry's defaults).
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The status codes counted one by one; others are counted by class (`2xx` … `5xx`).
pub const STATUSES: [u16; 28] = [
    200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 408, 409, 413,
    415, 422, 429, 431, 500, 501, 502, 503, 504,
];
const CLASSES: usize = 5;
const STATUS_SLOTS: usize = STATUSES.len() + CLASSES;

/// The label of a status slot.
pub fn status_label(i: usize) -> String {
    match STATUSES.get(i) {
        Some(s) => s.to_string(),
        None => format!("{}xx", i - STATUSES.len() + 1),
    }
}

fn status_slot(status: u16) -> usize {
    match STATUSES.binary_search(&status) {
        Ok(i) => i,
        Err(_) => STATUSES.len() + usize::from(status / 100).clamp(1, CLASSES) - 1,
    }
}

/// One shard of an endpoint's counters, on its own cache lines.
#[repr(align(64))]
#[derive(Debug)]
struct Shard {
    by_status: [AtomicU64; STATUS_SLOTS],
    buckets: [AtomicU64; BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
    count: AtomicU64,
}

impl Shard {
    fn new() -> Self {
        Shard {
            by_status: std::array::from_fn(|_| AtomicU64::new(0)),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }
}

/// The counters of one route and method.
#[derive(Debug)]
pub struct Slot {
    pub route: &'static str,
    pub method: &'static str,
    shards: Box<[Shard; SHARDS]>,
}

/// A sum over the shards of a slot.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    /// `(status label, requests)` for every status seen.
    pub by_status: Vec<(String, u64)>,
    /// Cumulative counts per bucket of [`BUCKETS`] and then `+Inf`.
    pub buckets: Vec<u64>,
    pub sum_seconds: f64,
    pub count: u64,
}

impl Slot {
    pub fn new(route: &'static str, method: &'static str) -> Self {
        Slot {
            route,
            method,
            shards: Box::new(std::array::from_fn(|_| Shard::new())),
        }
    }

    /// Records one request: no lock, three relaxed atomic adds on this thread's shard.
    #[inline]
    pub fn record(&self, status: u16, elapsed: Duration) {
        let s = &self.shards[shard()];
        s.by_status[status_slot(status)].fetch_add(1, Ordering::Relaxed);
        let secs = elapsed.as_secs_f64();
        let b = BUCKETS.partition_point(|&le| le < secs);
        s.buckets[b].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        s.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        s.count.fetch_add(1, Ordering::Relaxed);
    }

    /// The sum of the shards.
    pub fn snapshot(&self) -> Snapshot {
        let mut by_status = [0u64; STATUS_SLOTS];
        let mut buckets = [0u64; BUCKETS.len() + 1];
        let (mut sum, mut count) = (0u64, 0u64);
        for s in self.shards.iter() {
            for (t, a) in by_status.iter_mut().zip(&s.by_status) {
                *t += a.load(Ordering::Relaxed);
            }
            for (t, a) in buckets.iter_mut().zip(&s.buckets) {
                *t += a.load(Ordering::Relaxed);
            }
            sum = sum.saturating_add(s.sum_nanos.load(Ordering::Relaxed));
            count += s.count.load(Ordering::Relaxed);
        }
        let mut acc = 0;
        let cumulative = buckets
            .iter()
            .map(|b| {
                acc += b;
                acc
            })
            .collect();
        Snapshot {
            by_status: by_status
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, n)| (status_label(i), *n))
                .collect(),
            buckets: cumulative,
            sum_seconds: sum as f64 / 1e9,
            count,
        }
    }
}

/// This thread's shard.
#[inline]
pub(crate) fn shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

/// Every slot of a gateway, fixed at start-up; also the requests without a route (404).
#[derive(Debug)]
pub struct Registry {
    pub identity: &'static crate::ctx::BuildIdentity,
    slots: Vec<Slot>,
    index: std::collections::HashMap<(&'static str, &'static str), usize>,
    /// Requests that matched no route.
    pub unmatched: Slot,
    in_flight: AtomicU64,
}

impl Registry {
    /// A slot for every route and method of `routes`.
    pub fn new(
        identity: &'static crate::ctx::BuildIdentity,
        routes: &'static crate::router::RouteTable,
    ) -> Self {
        let slots: Vec<Slot> = routes
            .routes
            .iter()
            .flat_map(|r| r.methods.iter().map(move |m| Slot::new(r.pattern, m)))
            .collect();
        let index = slots
            .iter()
            .enumerate()
            .map(|(i, s)| ((s.route, s.method), i))
            .collect();
        Registry {
            identity,
            slots,
            index,
            unmatched: Slot::new("", ""),
            in_flight: AtomicU64::new(0),
        }
    }

    /// The slot of a route and method (`unmatched` when there is none).
    pub fn slot(&self, route: Option<&str>, method: &str) -> &Slot {
        route
            .and_then(|r| self.index.get(&(r, method)))
            .and_then(|i| self.slots.get(*i))
            .unwrap_or(&self.unmatched)
    }

    /// Every slot with its route and method.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// Requests being served now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Counts a request in flight until the guard is dropped (also when the client goes away).
    pub fn enter(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(&self.in_flight)
    }
}

/// A request in flight (see [`Registry::enter`]).
#[derive(Debug)]
pub struct InFlight<'a>(&'a AtomicU64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_sum_and_statuses_fall_back_to_classes() {
        let s = Slot::new("/a", "GET");
        std::thread::scope(|sc| {
            for _ in 0..4 {
                sc.spawn(|| {
                    for i in 0..1000u32 {
                        s.record(
                            if i % 2 == 0 { 200 } else { 418 },
                            Duration::from_millis(20),
                        );
                    }
                });
            }
        });
        let snap = s.snapshot();
        assert_eq!(snap.count, 4000);
        assert_eq!(
            snap.by_status,
            vec![("200".to_owned(), 2000), ("4xx".to_owned(), 2000)]
        );
        // 20 ms falls in the 0.025 bucket (index 2).
        assert_eq!(snap.buckets[1], 0);
        assert_eq!(snap.buckets[2], 4000);
        assert_eq!(*snap.buckets.last().unwrap_or(&0), 4000);
        assert!((snap.sum_seconds - 80.0).abs() < 1e-6);
    }
}
