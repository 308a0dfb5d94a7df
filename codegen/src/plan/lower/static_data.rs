//! Lowering `proxy.static`.

use super::super::ir::{StaticStrategy, StaticValue};
use crate::model::namespaces::proxy::StaticOptions;
use serde_json::Value;

/// The strategy and the data; `None` when `data` is not an object (`check` rejects that).
pub(super) fn lower_static(
    st: &StaticOptions,
) -> Option<(StaticStrategy, Vec<(String, StaticValue)>)> {
    let data = st.data.as_ref()?;
    let strategy = match st.strategy.as_ref().map(|s| s.value.as_str()) {
        Some("success") => StaticStrategy::Success,
        Some("complete") => StaticStrategy::Complete,
        Some("errored") => StaticStrategy::Errored,
        Some("incomplete") => StaticStrategy::Incomplete,
        _ => StaticStrategy::Always,
    };
    let members = data
        .iter()
        .map(|(k, v)| (k.clone(), static_value(v)))
        .collect();
    Some((strategy, members))
}

/// A contract value with numbers as Go re-serialises a float64 (`1.0` → `1`, `1e3` → `1000`,
/// `1e21` → `1e+21`): KrakenD decodes contract numbers into float64. Object members come in
/// key order, as KrakenD writes them.
pub fn static_value(v: &Value) -> StaticValue {
    match v {
        Value::Null => StaticValue::Null,
        Value::Bool(b) => StaticValue::Bool(*b),
        Value::Number(n) => StaticValue::Number(match n.as_f64() {
            Some(f) => go_float(f),
            None => n.to_string(),
        }),
        Value::String(s) => StaticValue::String(s.clone()),
        Value::Array(a) => StaticValue::Array(a.iter().map(static_value).collect()),
        Value::Object(m) => StaticValue::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), static_value(v)))
                .collect(),
        ),
    }
}

/// Go's `encoding/json` float64 text: shortest round-trip digits, exponent form below 1e-6
/// and from 1e21 on.
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
            // Go writes `1e-07` and then trims it to `1e-7`, as Rust prints it.
            _ => s,
        }
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(text: &str) -> String {
        match static_value(&serde_json::from_str(text).unwrap_or_default()) {
            StaticValue::Number(n) => n,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn numbers_are_written_as_go_writes_a_float64() {
        assert_eq!(number("1.0"), "1");
        assert_eq!(number("1e3"), "1000");
        assert_eq!(number("1e21"), "1e+21");
        assert_eq!(number("1e-7"), "1e-7");
        assert_eq!(number("0.000001"), "0.000001");
        assert_eq!(number("-2.50"), "-2.5");
        assert_eq!(number("12345678901234567890"), "12345678901234567000");
    }
}
