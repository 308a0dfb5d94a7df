//! The bounded in-memory store: a weighted quick_cache (sharded, S3-FIFO eviction, no
//! background thread) whose weight is the bytes an entry holds. KrakenD's store is an
//! unbounded map unless `max_items` and `max_size` are both given; Krustd's is always bounded.

use super::CacheSpec;
use crate::backend::Received;
use http::header::{HeaderName, HeaderValue};
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::SystemTime;

/// Bytes counted per entry besides its key, headers and body (the entry, the `Arc`, the
/// map slot).
const ENTRY_OVERHEAD: u64 = 256;
/// Bytes counted per header besides its name and value.
const HEADER_OVERHEAD: u64 = 48;

/// One stored answer.
#[derive(Debug)]
pub struct Entry {
    pub received: Received,
    /// When it was received (the freshness fallback when it has no `Date`).
    pub at: SystemTime,
    /// The request's value of each header the answer's `Vary` lists (`None`: absent).
    pub varied: Vec<(HeaderName, Option<HeaderValue>)>,
    /// Bytes held, computed once (quick_cache asks for it on every eviction step).
    weight: u64,
}

impl Entry {
    pub fn new(
        key: &str,
        received: Received,
        at: SystemTime,
        varied: Vec<(HeaderName, Option<HeaderValue>)>,
    ) -> Self {
        let headers: u64 = received
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().len() + v.len()) as u64 + HEADER_OVERHEAD)
            .sum();
        let varied_bytes: u64 = varied
            .iter()
            .map(|(k, v)| (k.as_str().len() + v.as_ref().map_or(0, |v| v.len())) as u64)
            .sum();
        let weight = ENTRY_OVERHEAD
            + key.len() as u64 * 2 // the key, and the URL kept for error texts
            + received.body.len() as u64
            + headers
            + varied_bytes;
        Entry {
            received,
            at,
            varied,
            weight,
        }
    }

    /// The bytes this entry is counted for.
    pub fn weight(&self) -> u64 {
        self.weight
    }
}

/// Weighs an entry by its bytes, and at least `floor` (`max_size / max_items`), so that
/// staying under `max_size` also keeps the count under `max_items`.
#[derive(Debug, Clone)]
pub struct ByteWeighter {
    floor: u64,
}

impl quick_cache::Weighter<String, Arc<Entry>> for ByteWeighter {
    fn weight(&self, _key: &String, val: &Arc<Entry>) -> u64 {
        val.weight.max(self.floor)
    }
}

/// A store of answers by cache key.
pub type Store = Cache<String, Arc<Entry>, ByteWeighter>;

/// A store within the spec's bounds.
pub fn new_store(spec: &CacheSpec) -> Store {
    let max_size = spec.max_size.max(1);
    let floor = match spec.max_items {
        0 => 0,
        n => max_size.div_ceil(n),
    };
    // An estimate for quick_cache's sizing (shards, ghost list), not a bound.
    let estimated = match spec.max_items {
        0 => (max_size / 16_384).clamp(16, 1 << 20),
        n => n.clamp(1, 1 << 20),
    } as usize;
    // Small stores get one shard: quick_cache splits the capacity between shards, and an
    // answer larger than a shard's part would never be kept.
    let shards = if max_size < 16 << 20 { 1 } else { 16 };
    let weighter = ByteWeighter { floor };
    let options = quick_cache::OptionsBuilder::new()
        .estimated_items_capacity(estimated)
        .weight_capacity(max_size)
        .shards(shards)
        .build();
    match options {
        Ok(o) => Cache::with_options(o, weighter, Default::default(), Default::default()),
        // The builder only fails without a capacity, which is always given.
        Err(_) => Cache::with_weighter(estimated, max_size, weighter),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn answer(body_len: usize) -> Received {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=60"),
        );
        Received {
            status: http::StatusCode::OK,
            headers,
            url: http::Uri::from_static("http://b/x"),
            body: Bytes::from(vec![b'x'; body_len]),
        }
    }

    /// A flood of distinct URLs never takes the store past its bound (run with
    /// `--nocapture` for the figures BENCHMARKS.md records).
    #[test]
    fn a_flood_of_distinct_keys_stays_within_max_size() {
        let spec = CacheSpec {
            shared: false,
            max_size: 4 << 20,
            max_items: 0,
        };
        let store = new_store(&spec);
        let now = SystemTime::now();
        for i in 0..100_000 {
            let key = format!("http://backend:8080/items/{i}?page=1");
            let entry = Entry::new(&key, answer(1024), now, Vec::new());
            store.insert(key, Arc::new(entry));
            assert!(store.weight() <= spec.max_size);
        }
        let used = store.memory_used();
        println!(
            "100000 x 1 KiB answers into a {} B store: {} entries, {} B weighed, {} B of map and slots",
            spec.max_size,
            store.len(),
            store.weight(),
            used.entries + used.map
        );
        assert!(store.len() > 1000 && store.len() < 4096, "{}", store.len());
    }

    #[test]
    fn max_items_caps_the_count() {
        let spec = CacheSpec {
            shared: false,
            max_size: 64 << 20,
            max_items: 100,
        };
        let store = new_store(&spec);
        let now = SystemTime::now();
        for i in 0..10_000 {
            let key = format!("k{i}");
            store.insert(
                key.clone(),
                Arc::new(Entry::new(&key, answer(10), now, Vec::new())),
            );
        }
        assert!(store.len() <= 100, "{}", store.len());
    }
}
