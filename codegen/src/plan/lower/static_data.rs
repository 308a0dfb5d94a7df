//! Lowering `proxy.static`.

use super::super::ir::StaticStrategy;
use crate::model::namespaces::proxy::StaticOptions;
use serde_json::Value;

/// The strategy and the data; `None` when `data` is not an object (`check` rejects that).
pub(super) fn lower_static(st: &StaticOptions) -> Option<(StaticStrategy, String)> {
    let data = st.data.as_ref()?;
    let strategy = match st.strategy.as_ref().map(|s| s.value.as_str()) {
        Some("success") => StaticStrategy::Success,
        Some("complete") => StaticStrategy::Complete,
        Some("errored") => StaticStrategy::Errored,
        Some("incomplete") => StaticStrategy::Incomplete,
        _ => StaticStrategy::Always,
    };
    let mut text = String::new();
    go_json(&Value::Object(data.clone()), &mut text);
    Some((strategy, text))
}

/// JSON text of a contract value with numbers as Go re-serialises a float64 (`1.0` → `1`,
/// `1e3` → `1000`, `1e21` → `1e+21`): KrakenD decodes contract numbers into float64.
pub fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Number(n) => match n.as_f64() {
            Some(f) => out.push_str(&go_float(f)),
            None => out.push_str(&n.to_string()),
        },
        Value::Array(a) => {
            out.push('[');
            for (i, item) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(item, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                go_json(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
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
