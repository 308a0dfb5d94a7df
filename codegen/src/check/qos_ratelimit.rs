//! Rules on `qos/ratelimit/router`, `qos/ratelimit/proxy` and `krustd/ratelimit/redis`
//! (spec: security-and-traffic.md §6–7). KrakenD silently turns a misconfigured client limit
//! off; here, whatever would leave an endpoint less limited than its contract says is an error.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::krustd_ratelimit_redis::{self as redis, RedisRateLimitOptions};
use crate::model::namespaces::qos_ratelimit_proxy::{self as proxy, ProxyRateLimitOptions};
use crate::model::namespaces::qos_ratelimit_router::{self as router, RateLimitOptions};
use crate::model::{At, Backend, Endpoint};
use crate::path::EndpointPath;
use std::time::Duration;

fn check_not_negative(d: &mut Diagnostics, ns: &str, values: &[(&str, &Option<At<f64>>)]) {
    for (key, v) in values {
        if let Some(v) = v {
            if v.value < 0.0 {
                d.error(
                    &v.pointer,
                    format!("`{ns}.{key}` must not be negative"),
                    Some("KrakenD reads a negative number as 0 or as a huge unsigned value; write 0 or a positive number".to_owned()),
                );
            }
        }
    }
}

/// `every` that KrakenD replaces by 1 s (invalid, or under 1 s for the router limiter).
fn check_every(d: &mut Diagnostics, ns: &str, every: &Option<At<String>>, min_1s: bool) {
    let Some(every) = every else { return };
    match crate::duration::parse(&every.value) {
        Ok(v) if v.is_zero() && !min_1s => d.error(
            &every.pointer,
            format!("`{ns}.every` must be longer than 0"),
            Some("KrakenD divides by it; use e.g. \"1s\"".to_owned()),
        ),
        Ok(v) if min_1s && v < Duration::from_secs(1) => d.warning(
            &every.pointer,
            format!("`{ns}.every` under 1s is taken as 1s (as KrakenD does)"),
            None,
        ),
        Ok(_) => {}
        Err(e) => d.warning(
            &every.pointer,
            format!("`{ns}.every` is not a duration ({e}); it is taken as 1s (as KrakenD does)"),
            None,
        ),
    }
}

fn header_name_ok(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

pub(super) fn check_router_rate_limit(d: &mut Diagnostics, e: &Endpoint, o: &RateLimitOptions) {
    check_unknown_keys(d, &o.unknown, router::KEYS, &[], router::NAME);
    check_not_negative(
        d,
        router::NAME,
        &[
            ("max_rate", &o.max_rate),
            ("capacity", &o.capacity),
            ("client_max_rate", &o.client_max_rate),
            ("client_capacity", &o.client_capacity),
            ("num_shards", &o.num_shards),
            ("cleanup_threads", &o.cleanup_threads),
        ],
    );
    check_every(d, router::NAME, &o.every, true);
    let on = |v: &Option<At<f64>>| v.as_ref().is_some_and(|v| v.value > 0.0);
    if !on(&o.max_rate) && !on(&o.client_max_rate) {
        d.warning(
            &o.pointer,
            format!(
                "`{}` sets neither `max_rate` nor `client_max_rate`: it limits nothing",
                router::NAME
            ),
            None,
        );
    }
    if !on(&o.client_max_rate) {
        return;
    }
    // KrakenD logs "Unknown strategy" and serves without any client limit.
    let Some(strategy) = &o.strategy else {
        d.error(
            &o.pointer,
            format!("`{}.client_max_rate` needs a `strategy`", router::NAME),
            Some("add \"strategy\": \"ip\", \"header\" or \"param\"; KrakenD silently drops the client limit without one".to_owned()),
        );
        return;
    };
    let key = o.key.as_ref();
    match strategy.value.to_ascii_lowercase().as_str() {
        "ip" => {
            if let Some(k) = key.filter(|k| !k.value.is_empty() && !header_name_ok(&k.value)) {
                d.error(&k.pointer, format!("`{}.key` `{}` is not a header name", router::NAME, k.value), None);
            }
        }
        "header" => match key {
            Some(k) if header_name_ok(&k.value) => {}
            _ => d.error(
                key.map_or(&strategy.pointer, |k| &k.pointer),
                format!("`{}` with strategy `header` needs a header name as `key`", router::NAME),
                Some("without one every request has an empty client key, which KrakenD answers with 429".to_owned()),
            ),
        },
        "param" => {
            let params = e
                .endpoint
                .as_ref()
                .and_then(|p| EndpointPath::parse(&p.value).ok())
                .map(|p| p.params)
                .unwrap_or_default();
            if !key.is_some_and(|k| params.contains(&k.value)) {
                d.error(
                    key.map_or(&strategy.pointer, |k| &k.pointer),
                    format!("`{}` with strategy `param` needs one of the endpoint's parameters as `key`", router::NAME),
                    Some(format!("the endpoint's parameters: {}; without one every request is answered with 429", params.join(", "))),
                );
            }
        }
        other => d.error(
            &strategy.pointer,
            format!("unknown rate-limit strategy `{other}`"),
            Some("use \"ip\", \"header\" or \"param\"; KrakenD silently drops the client limit on an unknown strategy".to_owned()),
        ),
    }
}

pub(super) fn check_proxy_rate_limit(
    d: &mut Diagnostics,
    no_op: bool,
    _b: &Backend,
    o: &ProxyRateLimitOptions,
) {
    check_unknown_keys(d, &o.unknown, proxy::KEYS, &[], proxy::NAME);
    check_not_negative(
        d,
        proxy::NAME,
        &[("max_rate", &o.max_rate), ("capacity", &o.capacity)],
    );
    check_every(d, proxy::NAME, &o.every, false);
    if no_op {
        d.error(
            &o.pointer,
            format!(
                "`{}` on the backend of a no-op endpoint is not supported by Krustd yet",
                proxy::NAME
            ),
            Some("limit the endpoint with qos/ratelimit/router instead".to_owned()),
        );
    }
}

/// The longest `krustd/ratelimit/redis.timeout`: a request never waits longer on Redis.
pub const MAX_REDIS_TIMEOUT: Duration = Duration::from_secs(1);

pub(super) fn check_redis_rate_limit(d: &mut Diagnostics, e: &Endpoint, o: &RedisRateLimitOptions) {
    check_unknown_keys(d, &o.unknown, redis::KEYS, &[], redis::NAME);
    let limited = e.ns.rate_limit.as_ref().is_some_and(|r| {
        [&r.max_rate, &r.client_max_rate]
            .iter()
            .any(|v| v.as_ref().is_some_and(|v| v.value > 0.0))
    });
    if !limited {
        d.error(
            &o.pointer,
            format!(
                "`{}` needs `qos/ratelimit/router` limits on the same endpoint",
                redis::NAME
            ),
            Some(
                "it keeps that namespace's `max_rate`/`client_max_rate` budgets in Redis"
                    .to_owned(),
            ),
        );
    }
    if let Some(t) = &o.timeout {
        match crate::duration::parse(&t.value) {
            Ok(v) if !v.is_zero() && v <= MAX_REDIS_TIMEOUT => {}
            _ => d.error(
                &t.pointer,
                format!("`{}.timeout` must be a duration between 1ns and 1s", redis::NAME),
                Some("e.g. \"20ms\": a request waits at most this long for Redis before the local limiter decides".to_owned()),
            ),
        }
    }
    if let Some(n) = o.name.as_ref().filter(|n| n.value.is_empty()) {
        d.error(
            &n.pointer,
            format!("`{}.name` must not be empty", redis::NAME),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn router(rl: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            &format!(r#""extra_config": {{"qos/ratelimit/router": {{{rl}}}}}"#),
            "",
        ))
    }

    #[test]
    fn router_rules() {
        assert!(router(r#""max_rate": 10, "client_max_rate": 1, "strategy": "IP""#).is_empty());
        assert_eq!(
            router(r#""max_rate": -1"#).len(),
            2,
            "negative, and limits nothing"
        );
        assert_eq!(router(r#""client_max_rate": 1"#).len(), 1);
        assert_eq!(
            router(r#""client_max_rate": 1, "strategy": "cookie""#).len(),
            1
        );
        assert_eq!(
            router(r#""client_max_rate": 1, "strategy": "header""#).len(),
            1
        );
        assert_eq!(
            router(r#""client_max_rate": 1, "strategy": "param", "key": "id""#).len(),
            1
        );
        assert!(router(r#""client_max_rate": 1, "strategy": "header", "key": "X-Key""#).is_empty());
        assert_eq!(
            router(r#""max_rate": 1, "every": "10ms""#),
            ["`qos/ratelimit/router.every` under 1s is taken as 1s (as KrakenD does) @/endpoints/0/extra_config/qos~1ratelimit~1router/every"]
        );
        assert_eq!(
            router(r#""max_rate": "10""#).len(),
            2,
            "type, and limits nothing"
        );
        assert_eq!(router(r#""max_rate": 1, "burst": 1"#).len(), 1);
    }

    #[test]
    fn proxy_and_redis_rules() {
        let proxy = |rl: &str| {
            diagnostics_of(&one_endpoint(
                "",
                "",
                &format!(r#""extra_config": {{"qos/ratelimit/proxy": {{{rl}}}}}"#),
            ))
        };
        assert!(proxy(r#""max_rate": 1, "every": "100ms""#).is_empty());
        assert_eq!(proxy(r#""max_rate": 1, "every": "0s""#).len(), 1);
        assert_eq!(proxy(r#""max_rate": 1, "every": "soon""#).len(), 1);
        let redis = |ec: &str| {
            diagnostics_of(&one_endpoint(
                "",
                &format!(r#""extra_config": {{{ec}}}"#),
                "",
            ))
        };
        assert!(redis(r#""qos/ratelimit/router": {"max_rate": 5}, "krustd/ratelimit/redis": {"timeout": "5ms"}"#).is_empty());
        assert_eq!(redis(r#""krustd/ratelimit/redis": {}"#).len(), 1);
        assert_eq!(redis(r#""qos/ratelimit/router": {"max_rate": 5}, "krustd/ratelimit/redis": {"timeout": "2s"}"#).len(), 1);
    }
}
