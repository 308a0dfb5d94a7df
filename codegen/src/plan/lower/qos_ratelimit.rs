//! Lowering of `qos/ratelimit/router`, `qos/ratelimit/proxy` and `krustd/ratelimit/redis`:
//! KrakenD's `every` conversion and default capacities (krakend-ratelimit `router/router.go`,
//! `router/gin/gin.go`, `proxy/proxy.go`), resolved once, at build time.

use super::super::ir::{Bucket, ClientKey, ClientRateLimit, RateLimit, RedisRateLimit};
use crate::duration;
use crate::model::namespaces::{ProxyRateLimitOptions, RateLimitOptions, RedisRateLimitOptions};
use crate::model::At;
use crate::path::EndpointPath;
use std::time::Duration;

/// KrakenD's `DataTTL`: idle client buckets are dropped after it.
const DATA_TTL: Duration = Duration::from_secs(600);
/// KrakenD's default `num_shards`.
const DEFAULT_SHARDS: usize = 2048;
/// Shards are a fixed allocation per endpoint: more would only cost memory.
const MAX_SHARDS: usize = 1 << 16;
/// `krustd/ratelimit/redis.timeout` when not set.
const DEFAULT_REDIS_TIMEOUT: Duration = Duration::from_millis(20);

fn value(v: &Option<At<f64>>) -> f64 {
    v.as_ref().map_or(0.0, |v| v.value)
}

/// Go's `uint64(f)` for the non-negative values `check` lets through.
fn truncate(f: f64) -> u64 {
    if f.is_finite() && f > 0.0 {
        f as u64
    } else {
        0
    }
}

/// `Duration(int64(1e9 / rate))`, with the rate floored at 1e-9 (`NewTokenBucket`).
fn bucket(rate_per_s: f64, capacity: u64) -> Bucket {
    let rate = rate_per_s.max(1e-9);
    let ns = 1e9 / rate;
    Bucket {
        fill_ns: if ns < 1.0 {
            1
        } else {
            ns.min(i64::MAX as f64) as u64
        },
        capacity: capacity.max(1),
    }
}

/// The given capacity, else `rate` truncated, or 1 below 1 (`applyGlobalRateLimit`).
fn capacity(given: &Option<At<f64>>, rate: f64) -> u64 {
    match truncate(value(given)) {
        0 if rate < 1.0 => 1,
        0 => truncate(rate),
        c => c,
    }
}

/// The service-level limiter: the endpoint one without endpoint parameters (`check` refuses the
/// `param` strategy there).
pub(super) fn lower_service_rate_limit(o: &RateLimitOptions) -> Option<RateLimit> {
    let path = EndpointPath::parse("/").ok()?;
    lower_rate_limit(o, None, &path, "")
}

pub(super) fn lower_rate_limit(
    o: &RateLimitOptions,
    redis: Option<&RedisRateLimitOptions>,
    path: &EndpointPath,
    method: &str,
) -> Option<RateLimit> {
    // Invalid or under 1 s: 1 s. Rates are per `every`, converted to per second.
    let every = o
        .every
        .as_ref()
        .and_then(|e| duration::parse(&e.value).ok())
        .filter(|e| *e >= Duration::from_secs(1))
        .unwrap_or(Duration::from_secs(1));
    let factor = 1e9 / every.as_nanos() as f64;
    let max_rate = value(&o.max_rate) * factor;
    let client_rate = value(&o.client_max_rate) * factor;
    // KrakenD jitters the TTL in [1, 1.25]×every; the longest keeps a bucket the longest.
    let ttl = if every > DATA_TTL {
        every.mul_f64(1.25)
    } else {
        DATA_TTL
    };
    let endpoint = (max_rate > 0.0).then(|| bucket(max_rate, capacity(&o.capacity, max_rate)));
    let clients = (client_rate > 0.0)
        .then(|| {
            // The quirk: the default client capacity looks at `max_rate`, not the client rate.
            let cap = match truncate(value(&o.client_capacity)) {
                0 if max_rate < 1.0 => 1,
                0 => truncate(client_rate),
                c => c,
            };
            let key = o.key.as_ref().map(|k| k.value.as_str()).unwrap_or("");
            let key = match o.strategy.as_ref()?.value.to_ascii_lowercase().as_str() {
                "ip" if key.is_empty() => ClientKey::Ip,
                "ip" => ClientKey::IpHeader(key.to_ascii_lowercase()),
                "header" => ClientKey::Header(key.to_ascii_lowercase()),
                "param" => {
                    let i = path.params.iter().position(|p| p == key)?;
                    ClientKey::Param(*path.param_segments().get(i)?)
                }
                _ => return None,
            };
            let cleanup = o
                .cleanup_period
                .as_ref()
                .map(|c| duration::parse(&c.value).unwrap_or(Duration::from_secs(60)))
                .unwrap_or(Duration::from_secs(60))
                .max(Duration::from_secs(1));
            let shards = o
                .num_shards
                .as_ref()
                .map_or(DEFAULT_SHARDS, |n| truncate(n.value) as usize)
                .clamp(1, MAX_SHARDS);
            Some(ClientRateLimit {
                bucket: bucket(client_rate, cap),
                key,
                ttl_s: u32::try_from(ttl.as_secs()).unwrap_or(u32::MAX),
                cleanup_s: u32::try_from(cleanup.as_secs()).unwrap_or(u32::MAX),
                shards,
            })
        })
        .flatten();
    if endpoint.is_none() && clients.is_none() {
        return None;
    }
    let redis = redis.map(|r| RedisRateLimit {
        name: r
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_else(|| format!("{method} {}", path.raw)),
        timeout: r
            .timeout
            .as_ref()
            .and_then(|t| duration::parse(&t.value).ok())
            .unwrap_or(DEFAULT_REDIS_TIMEOUT),
    });
    Some(RateLimit {
        endpoint,
        clients,
        redis,
    })
}

/// `qos/ratelimit/proxy`: `every` invalid → 1 s (no lower bound here, unlike the router's).
pub(super) fn lower_proxy_rate_limit(o: &ProxyRateLimitOptions) -> Option<Bucket> {
    let every = o
        .every
        .as_ref()
        .and_then(|e| duration::parse(&e.value).ok())
        .filter(|e| !e.is_zero())
        .unwrap_or(Duration::from_secs(1));
    let rate = value(&o.max_rate) * (1e9 / every.as_nanos() as f64);
    (rate > 0.0).then(|| bucket(rate, capacity(&o.capacity, rate)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<T>(value: T) -> Option<At<T>> {
        Some(At {
            value,
            pointer: String::new(),
        })
    }

    fn lower(o: RateLimitOptions) -> RateLimit {
        let path = EndpointPath::parse("/a/{id}").unwrap_or_else(|e| panic!("{e}"));
        lower_rate_limit(&o, None, &path, "GET").unwrap_or_else(|| panic!("no limit"))
    }

    #[test]
    fn default_capacities_and_every() {
        let r = lower(RateLimitOptions {
            max_rate: at(50.0),
            every: at("10m".to_owned()),
            ..RateLimitOptions::default()
        });
        // 50 per 10 min: one token every 12 s (less a nanosecond, as Go's float64 arithmetic
        // gives), capacity 1 (the rate per second is < 1).
        assert_eq!(
            r.endpoint,
            Some(Bucket {
                fill_ns: 11_999_999_999,
                capacity: 1
            })
        );
        let r = lower(RateLimitOptions {
            client_max_rate: at(7.5),
            strategy: at("param".to_owned()),
            key: at("id".to_owned()),
            ..RateLimitOptions::default()
        });
        let c = r.clients.unwrap_or_else(|| panic!("clients"));
        assert_eq!(
            c.bucket.capacity, 1,
            "max_rate unset: the client capacity is 1"
        );
        assert_eq!(c.key, ClientKey::Param(1));
        assert_eq!((c.ttl_s, c.shards), (600, 2048));
        let r = lower(RateLimitOptions {
            max_rate: at(100.0),
            client_max_rate: at(7.5),
            strategy: at("ip".to_owned()),
            every: at("1ms".to_owned()),
            ..RateLimitOptions::default()
        });
        let c = r.clients.unwrap_or_else(|| panic!("clients"));
        assert_eq!(c.bucket.capacity, 7);
        assert_eq!(
            r.endpoint.map(|b| b.capacity),
            Some(100),
            "every under 1s is 1s"
        );
        let r = lower(RateLimitOptions {
            client_max_rate: at(1.0),
            strategy: at("header".to_owned()),
            key: at("X-Key".to_owned()),
            every: at("1h".to_owned()),
            ..RateLimitOptions::default()
        });
        let c = r.clients.unwrap_or_else(|| panic!("clients"));
        assert_eq!(
            (c.ttl_s, c.key),
            (4500, ClientKey::Header("x-key".to_owned()))
        );
    }

    #[test]
    fn proxy_every_has_no_lower_bound() {
        let b = lower_proxy_rate_limit(&ProxyRateLimitOptions {
            max_rate: at(1.0),
            every: at("100ms".to_owned()),
            ..ProxyRateLimitOptions::default()
        });
        assert_eq!(
            b,
            Some(Bucket {
                fill_ns: 100_000_000,
                capacity: 10
            })
        );
    }
}
