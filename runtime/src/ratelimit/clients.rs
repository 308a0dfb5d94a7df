//! The client buckets of `qos/ratelimit/router` (`client_max_rate`): one KrakenD token bucket
//! per client key, in a sharded, bounded map.
//!
//! - A key is stored as its 64-bit keyed hash (SipHash with a per-process random key), never
//!   as the client's text: an entry is 24 bytes whatever the key, and a client cannot choose
//!   keys that collide.
//! - Idle buckets are dropped after the TTL (KrakenD: 10 min, or `every`×1.25 when `every` is
//!   longer); a bucket found idle past its TTL starts full again, as KrakenD's evicted one does.
//!   Each shard sweeps its idle entries at most once per `cleanup_period`, when a new key
//!   arrives (no background thread).
//! - Bounded: each shard holds at most `max_keys / shards` buckets. A new key arriving at a
//!   full shard first sweeps idle entries, then evicts the least recently used of a few
//!   sampled entries (as Redis's approximated LRU does). A flood of distinct keys therefore
//!   costs at most `max_keys` entries; the price is that an evicted client starts again with a
//!   full bucket.

use super::bucket::{now_ns, BucketState};
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Mutex, OnceLock, PoisonError};

/// Buckets kept per client limiter when the contract says nothing (about 50 MB at most, see
/// BENCHMARKS.md).
pub const DEFAULT_MAX_KEYS: usize = 1 << 20;

/// Entries looked at to pick one to evict from a full shard.
const EVICTION_SAMPLE: usize = 8;

/// One client's bucket.
#[derive(Debug, Clone, Copy)]
struct Entry {
    last_refill: u64,
    tokens: u32,
    /// Seconds since the process clock's epoch.
    last_access: u32,
}

/// The keys are already keyed hashes: hashing them again would only cost time.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Map = HashMap<u64, Entry, BuildHasherDefault<PassThrough>>;

#[derive(Debug, Default)]
struct Shard {
    map: Map,
    next_sweep: u32,
}

#[derive(Debug)]
struct Store {
    hasher: RandomState,
    shards: Box<[Mutex<Shard>]>,
}

/// The client buckets of one endpoint: a `static` of the generated code, allocated on first use.
#[derive(Debug)]
pub struct ClientBuckets {
    pub fill_ns: u64,
    pub capacity: u64,
    /// Idle time after which a bucket is dropped, seconds.
    pub ttl_s: u32,
    /// How often a shard sweeps its idle buckets, seconds.
    pub cleanup_s: u32,
    pub shards: usize,
    pub max_keys: usize,
    store: OnceLock<Store>,
}

impl ClientBuckets {
    /// Buckets adding a token every `fill_ns` ns, holding `capacity` tokens each.
    pub const fn new(
        fill_ns: u64,
        capacity: u64,
        ttl_s: u32,
        cleanup_s: u32,
        shards: usize,
        max_keys: usize,
    ) -> Self {
        ClientBuckets {
            fill_ns: if fill_ns == 0 { 1 } else { fill_ns },
            capacity: if capacity == 0 {
                1
            } else if capacity > u32::MAX as u64 {
                u32::MAX as u64
            } else {
                capacity
            },
            ttl_s: if ttl_s == 0 { 1 } else { ttl_s },
            cleanup_s: if cleanup_s == 0 { 1 } else { cleanup_s },
            shards: if shards == 0 { 1 } else { shards },
            max_keys: if max_keys == 0 { 1 } else { max_keys },
            store: OnceLock::new(),
        }
    }

    fn store(&self) -> &Store {
        self.store.get_or_init(|| Store {
            hasher: RandomState::new(),
            shards: (0..self.shards).map(|_| Mutex::default()).collect(),
        })
    }

    /// Takes a token from `key`'s bucket now; `false` when it is empty.
    #[inline]
    pub fn allow_key(&self, key: &[u8]) -> bool {
        self.allow_key_at(key, now_ns())
    }

    /// Takes a token from `key`'s bucket at `now` (ns of [`now_ns`]'s clock).
    pub fn allow_key_at(&self, key: &[u8], now: u64) -> bool {
        let store = self.store();
        let h = store.hasher.hash_one(key);
        let n = store.shards.len();
        let Some(shard) = store.shards.get((h % n as u64) as usize) else {
            return false;
        };
        let mut shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        let now_s = u32::try_from(now / 1_000_000_000).unwrap_or(u32::MAX);
        let per_shard = (self.max_keys / n).max(1);
        let (fill, cap, ttl) = (self.fill_ns, self.capacity, self.ttl_s);
        if let Some(e) = shard.map.get_mut(&h) {
            let mut s = if now_s.saturating_sub(e.last_access) > ttl {
                BucketState::full(cap, now)
            } else {
                BucketState {
                    tokens: u64::from(e.tokens),
                    last_refill: e.last_refill,
                }
            };
            let ok = s.take(fill, cap, now);
            *e = Entry {
                last_refill: s.last_refill,
                tokens: u32::try_from(s.tokens).unwrap_or(u32::MAX),
                last_access: now_s,
            };
            return ok;
        }
        if now_s >= shard.next_sweep || shard.map.len() >= per_shard {
            shard
                .map
                .retain(|_, e| now_s.saturating_sub(e.last_access) <= ttl);
            shard.next_sweep = now_s.saturating_add(self.cleanup_s);
        }
        if shard.map.len() >= per_shard {
            let victim = shard
                .map
                .iter()
                .take(EVICTION_SAMPLE)
                .min_by_key(|(_, e)| e.last_access)
                .map(|(k, _)| *k);
            if let Some(k) = victim {
                shard.map.remove(&k);
            }
        }
        let mut s = BucketState::full(cap, now);
        let ok = s.take(fill, cap, now);
        shard.map.insert(
            h,
            Entry {
                last_refill: s.last_refill,
                tokens: u32::try_from(s.tokens).unwrap_or(u32::MAX),
                last_access: now_s,
            },
        );
        ok
    }

    /// Buckets held now (tests and the memory bench).
    pub fn len(&self) -> usize {
        self.store()
            .shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).map.len())
            .sum()
    }

    /// No bucket held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    #[test]
    fn one_bucket_per_key() {
        let c = ClientBuckets::new(S, 2, 600, 60, 4, 1000);
        assert!(c.allow_key_at(b"a", S) && c.allow_key_at(b"a", S));
        assert!(!c.allow_key_at(b"a", S));
        assert!(c.allow_key_at(b"b", S), "another key has its own bucket");
        assert!(c.allow_key_at(b"a", 2 * S), "one token a second");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn idle_buckets_start_full_again_and_are_swept() {
        let c = ClientBuckets::new(1000 * S, 1, 600, 60, 1, 1000);
        assert!(c.allow_key_at(b"a", S));
        assert!(!c.allow_key_at(b"a", 2 * S));
        // Idle for more than the TTL: a fresh bucket.
        assert!(c.allow_key_at(b"a", 700 * S));
        assert!(c.allow_key_at(b"b", 800 * S));
        // A new key after the next sweep time drops the idle ones.
        assert!(c.allow_key_at(b"c", 1500 * S));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn a_flood_of_keys_is_bounded() {
        let c = ClientBuckets::new(S, 1, 600, 60, 16, 1024);
        for i in 0..50_000u32 {
            assert!(c.allow_key_at(&i.to_le_bytes(), S));
        }
        assert!(c.len() <= 1024, "{}", c.len());
        assert!(c.len() >= 512, "shards stay filled: {}", c.len());
    }
}
