//! KrakenD's token bucket (krakend-ratelimit `tokenbucket.go`), hand-written rather than taken
//! from governor: KrakenD's bucket is not a textbook GCRA. It starts full, takes tokens without
//! refilling while any are left, and only when empty adds the whole tokens earned since the last
//! refill (capped at the capacity; when capped, the request is let through without taking one).
//! Those observable quirks are the contract's semantics, so the arithmetic below mirrors them.

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// Nanoseconds since the first call in this process (a monotonic clock).
pub fn now_ns() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// The state of one bucket: whole tokens left and the time of the last refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketState {
    pub tokens: u64,
    pub last_refill: u64,
}

impl BucketState {
    /// A full bucket created at `now`.
    pub const fn full(capacity: u64, now: u64) -> Self {
        BucketState {
            tokens: capacity,
            last_refill: now,
        }
    }

    /// Takes a token at `now` (KrakenD's `canConsume`); `false` when the request is limited.
    pub fn take(&mut self, fill_ns: u64, capacity: u64, now: u64) -> bool {
        if self.tokens > 0 {
            // The refill is delayed until the bucket is empty.
            self.tokens -= 1;
            return true;
        }
        let earned = now.saturating_sub(self.last_refill) / fill_ns.max(1);
        if earned == 0 {
            return false;
        }
        self.last_refill = self
            .last_refill
            .saturating_add(earned.saturating_mul(fill_ns));
        if earned > capacity {
            // KrakenD's quirk: a refill past the capacity fills the bucket and lets this
            // request through without taking a token.
            self.tokens = capacity;
            return true;
        }
        self.tokens = earned - 1;
        true
    }
}

/// The parameters KrakenD derives from a rate (per second) and a capacity.
pub const fn fill_interval_ns(rate_per_s: f64) -> u64 {
    let rate = if rate_per_s < 1e-9 { 1e-9 } else { rate_per_s };
    let ns = 1e9 / rate;
    if ns < 1.0 {
        1
    } else if ns >= u64::MAX as f64 {
        u64::MAX
    } else {
        ns as u64
    }
}

/// One token bucket shared by every request (the endpoint bucket of `qos/ratelimit/router`,
/// the backend bucket of `qos/ratelimit/proxy`). A `static` of the generated code; it starts
/// full at its first use.
#[derive(Debug)]
pub struct TokenBucket {
    /// One token is added every `fill_ns` nanoseconds (`every / max_rate`).
    pub fill_ns: u64,
    /// Tokens a full bucket holds (at least 1).
    pub capacity: u64,
    state: Mutex<Option<BucketState>>,
}

impl TokenBucket {
    /// A bucket adding one token every `fill_ns` ns and holding `capacity` tokens.
    pub const fn new(fill_ns: u64, capacity: u64) -> Self {
        TokenBucket {
            fill_ns: if fill_ns == 0 { 1 } else { fill_ns },
            capacity: if capacity == 0 { 1 } else { capacity },
            state: Mutex::new(None),
        }
    }

    /// Takes a token now; `false` when the bucket is empty.
    #[inline]
    pub fn allow(&self) -> bool {
        self.allow_at(now_ns())
    }

    /// Takes a token at `now` (ns, [`now_ns`]'s clock).
    pub fn allow_at(&self, now: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let s = state.get_or_insert(BucketState::full(self.capacity, now));
        s.take(self.fill_ns, self.capacity, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn starts_full_then_one_token_per_interval() {
        let b = TokenBucket::new(S / 2, 3);
        let t0 = 10 * S;
        assert!((0..3).all(|_| b.allow_at(t0)));
        assert!(!b.allow_at(t0));
        assert!(!b.allow_at(t0 + S / 2 - 1));
        assert!(b.allow_at(t0 + S / 2));
        assert!(!b.allow_at(t0 + S / 2));
        // Two intervals later: two tokens, one taken now.
        assert!(b.allow_at(t0 + 3 * S / 2));
        assert!(b.allow_at(t0 + 3 * S / 2));
        assert!(!b.allow_at(t0 + 3 * S / 2));
    }

    #[test]
    fn refill_past_capacity_fills_and_lets_one_through() {
        let b = TokenBucket::new(S, 2);
        assert!(b.allow_at(0) && b.allow_at(0));
        assert!(!b.allow_at(0));
        // 100 tokens earned: capped at 2, and this request takes none (KrakenD's quirk).
        assert!(b.allow_at(100 * S));
        assert!(b.allow_at(100 * S) && b.allow_at(100 * S));
        assert!(!b.allow_at(100 * S));
    }

    #[test]
    fn accepted_over_time_is_capacity_plus_rate_times_time() {
        // 10/s, capacity 5, a request every millisecond for 3 s: 5 + 30 accepted.
        let b = TokenBucket::new(fill_interval_ns(10.0), 5);
        let accepted = (0..3000u64).filter(|ms| b.allow_at(ms * 1_000_000)).count();
        assert_eq!(
            accepted,
            5 + 30 - 1,
            "the 30th token is earned at exactly 3 s"
        );
    }

    #[test]
    fn fill_interval_of_tiny_and_huge_rates() {
        assert_eq!(fill_interval_ns(1.0), S);
        assert_eq!(fill_interval_ns(0.0), fill_interval_ns(1e-9));
        assert_eq!(fill_interval_ns(1e12), 1);
    }
}
