//! Trace and span ids: random, non-zero (W3C trace context), from a per-thread wyrand
//! generator seeded once per thread from the OS (`getrandom`). The SDK's `RandomIdGenerator`
//! draws from `rand`'s `ThreadRng` (ChaCha12) per id; ids need to be unpredictable enough not to
//! collide, not cryptographic, and this costs a few instructions.

use opentelemetry::trace::{SpanId, TraceId};
use std::cell::Cell;

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

/// The thread's seed: the OS's randomness, else a `RandomState`'s keys (themselves from the OS
/// once per process) mixed with the thread's id and the clock.
fn seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::getrandom(&mut b).is_ok() {
        return u64::from_le_bytes(b);
    }
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    h.finish()
}

/// The next value of the thread's wyrand sequence.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0xa076_1d64_78bd_642f);
        s.set(x);
        let t = u128::from(x).wrapping_mul(u128::from(x ^ 0xe703_7ed1_a0b4_28db));
        ((t >> 64) as u64) ^ (t as u64)
    })
}

/// A random, valid (non-zero) trace id.
pub(super) fn trace_id() -> TraceId {
    loop {
        let id = (u128::from(next()) << 64) | u128::from(next());
        if id != 0 {
            return TraceId::from(id);
        }
    }
}

/// A random, valid (non-zero) span id.
pub(super) fn span_id() -> SpanId {
    loop {
        let id = next();
        if id != 0 {
            return SpanId::from(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_differ() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let t = trace_id();
            assert_ne!(t, TraceId::INVALID);
            assert!(seen.insert(t.to_bytes().to_vec()));
            assert_ne!(span_id(), SpanId::INVALID);
        }
        // Another thread draws another sequence.
        let other = std::thread::spawn(trace_id)
            .join()
            .map_err(|_| "thread panicked");
        assert!(other.is_ok_and(|o| !seen.contains(o.to_bytes().as_slice())));
    }

    /// The ratio sampler reads the trace id's low half: it must be spread evenly.
    #[test]
    fn low_halves_spread_evenly() {
        let n = 20_000;
        let below = (0..n)
            .filter(|_| (trace_id().to_bytes()[8] as usize) < 128)
            .count();
        assert!((9_000..11_000).contains(&below), "{below} of {n}");
    }
}
