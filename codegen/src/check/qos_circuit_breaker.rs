//! Rules on the `qos/circuit-breaker` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::qos_circuit_breaker::{CircuitBreakerOptions, KEYS, NAME};
use crate::model::At;

/// The largest number of seconds Go's `time.Duration` holds (about 292 years).
pub(super) const MAX_SECONDS: i64 = i64::MAX / 1_000_000_000;

pub(super) fn check_circuit_breaker(d: &mut Diagnostics, o: &CircuitBreakerOptions) {
    check_unknown_keys(d, &o.unknown, KEYS, &[], NAME);
    in_range(d, o.interval.as_ref(), "interval", MAX_SECONDS, "seconds");
    in_range(d, o.timeout.as_ref(), "timeout", MAX_SECONDS, "seconds");
    in_range(
        d,
        o.max_errors.as_ref(),
        "max_errors",
        i64::from(u32::MAX),
        "errors",
    );
    let zero = |v: &Option<At<i64>>| v.as_ref().is_none_or(|v| v.value == 0);
    if zero(&o.interval)
        && zero(&o.timeout)
        && zero(&o.max_errors)
        && o.name.as_ref().is_none_or(|n| n.value.is_empty())
        && !o.log_status_change
    {
        d.warning(
            &o.pointer,
            "this `qos/circuit-breaker` has no effect: KrakenD ignores a breaker whose options are all zero or empty",
            Some("set `max_errors`, `interval` or `timeout` (or remove the namespace)".to_owned()),
        );
    }
}

/// A count from 0 to `max`.
pub(super) fn in_range(d: &mut Diagnostics, v: Option<&At<i64>>, key: &str, max: i64, unit: &str) {
    let Some(v) = v else { return };
    if v.value < 0 {
        d.error(
            &v.pointer,
            format!("`{key}` must not be negative"),
            Some(format!("write a number of {unit} from 0 up")),
        );
    } else if v.value > max {
        d.error(&v.pointer, format!("`{key}` must be at most {max}"), None);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(cb: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"qos/circuit-breaker": {{{cb}}}}}"#),
        ))
    }

    #[test]
    fn keys_types_and_ranges() {
        assert!(diags(r#""interval": 60, "timeout": 10, "max_errors": 1, "name": "cb", "log_status_change": true"#).is_empty());
        assert_eq!(diags(r#""max_errors": 1, "retries": 2"#).len(), 1);
        assert_eq!(diags(r#""interval": 1, "max_errors": "5""#).len(), 1);
        assert_eq!(diags(r#""interval": 1, "max_errors": 1.5"#).len(), 1);
        assert!(diags(r#""max_errors": 5.0"#).is_empty());
        assert_eq!(diags(r#""timeout": -1, "max_errors": 1"#).len(), 1);
        assert_eq!(diags(r#""max_errors": 4294967296"#).len(), 1);
        assert_eq!(diags(r#""name": 3, "max_errors": 1"#).len(), 1);
    }

    #[test]
    fn all_zero_is_ignored_with_a_warning() {
        let d = diags(r#""max_errors": 0"#);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("no effect"), "{d:?}");
    }
}
