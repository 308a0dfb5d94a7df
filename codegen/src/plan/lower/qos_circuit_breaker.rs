//! Lowering `qos/circuit-breaker`.

use super::super::ir::Breaker;
use crate::model::namespaces::CircuitBreakerOptions;

/// gobreaker's default open period, used for `timeout: 0`.
const DEFAULT_TIMEOUT: u64 = 60;

/// The breaker, or `None` when every option is zero or empty (KrakenD then installs none).
pub(super) fn lower_breaker(o: &CircuitBreakerOptions) -> Option<Breaker> {
    let n = |v: &Option<crate::model::At<i64>>| {
        v.as_ref()
            .and_then(|v| u64::try_from(v.value).ok())
            .unwrap_or(0)
    };
    let name = o.name.as_ref().map(|n| n.value.clone()).unwrap_or_default();
    let (interval, timeout, max_errors) = (n(&o.interval), n(&o.timeout), n(&o.max_errors));
    if interval == 0 && timeout == 0 && max_errors == 0 && name.is_empty() && !o.log_status_change {
        return None;
    }
    Some(Breaker {
        name,
        interval,
        timeout: if timeout == 0 {
            DEFAULT_TIMEOUT
        } else {
            timeout
        },
        max_errors: u32::try_from(max_errors).unwrap_or(u32::MAX),
        log_status_change: o.log_status_change,
    })
}
