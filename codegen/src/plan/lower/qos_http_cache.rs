//! Lowering `qos/http-cache`.

use super::super::ir::{Endpoint, HttpCache};
use crate::model::namespaces::HttpCacheOptions;

/// Krustd's bound of a store without `max_size` (the runtime's `DEFAULT_MAX_SIZE`): 64 MiB.
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

/// The cache of a backend sending `method`, or `None` where it could never apply (only GET
/// and HEAD answers are cached).
pub(super) fn lower_http_cache(o: &HttpCacheOptions, method: &str) -> Option<HttpCache> {
    if method != "GET" && method != "HEAD" {
        return None;
    }
    let n = |v: &Option<crate::model::At<i64>>| {
        v.as_ref()
            .and_then(|v| u64::try_from(v.value).ok())
            .filter(|v| *v > 0)
    };
    Some(HttpCache {
        shared: o.shared,
        max_size: n(&o.max_size).unwrap_or(DEFAULT_MAX_SIZE),
        max_items: n(&o.max_items).unwrap_or(0),
    })
}

/// Every shared backend gets the bounds of the first shared one in contract order: there is
/// one shared store, and KrakenD sizes it by the first backend that creates it.
pub(super) fn share_bounds(endpoints: &mut [Endpoint]) {
    let caches = || {
        endpoints
            .iter()
            .flat_map(|e| e.backends.iter())
            .filter_map(|b| b.http_cache.as_ref())
            .filter(|c| c.shared)
    };
    let Some(first) = caches().next().cloned() else {
        return;
    };
    for c in endpoints
        .iter_mut()
        .flat_map(|e| e.backends.iter_mut())
        .filter_map(|b| b.http_cache.as_mut())
        .filter(|c| c.shared)
    {
        c.max_size = first.max_size;
        c.max_items = first.max_items;
    }
}
