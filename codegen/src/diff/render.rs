//! The gate's two outputs: text for people, JSON for tools.

use super::{Diff, Severity};
use serde_json::{json, Value};

/// One line per change, breaking first, then a summary line.
pub fn human(d: &Diff) -> String {
    let mut s = String::new();
    for sev in [
        Severity::Breaking,
        Severity::Versioned,
        Severity::Compatible,
    ] {
        for c in d.changes.iter().filter(|c| c.severity == sev) {
            let at = if c.endpoint.is_empty() {
                "service".to_owned()
            } else {
                c.endpoint.clone()
            };
            s.push_str(&format!(
                "{:<18} {:<24} {at}: {}\n",
                sev.as_str(),
                c.rule,
                c.message
            ));
        }
    }
    let verdict = if d.fails() {
        "FAIL: breaking changes outside a version bump"
    } else {
        "OK: no breaking change outside a version bump"
    };
    s.push_str(&format!(
        "{} breaking, {} breaking under a new version prefix, {} compatible. {verdict}\n",
        d.count(Severity::Breaking),
        d.count(Severity::Versioned),
        d.count(Severity::Compatible),
    ));
    s
}

/// `{"breaking": n, "versioned": n, "compatible": n, "fails": bool, "changes": [...]}`.
pub fn json(d: &Diff) -> Value {
    let changes: Vec<Value> = d
        .changes
        .iter()
        .map(|c| {
            json!({
                "severity": c.severity.as_str(),
                "rule": c.rule,
                "endpoint": c.endpoint,
                "message": c.message,
                "old_pointer": c.old_pointer,
                "new_pointer": c.new_pointer,
            })
        })
        .collect();
    json!({
        "breaking": d.count(Severity::Breaking),
        "versioned": d.count(Severity::Versioned),
        "compatible": d.count(Severity::Compatible),
        "fails": d.fails(),
        "changes": changes,
    })
}
