//! `validation/cel` (endpoint and backend levels): a list of `{"check_expr": "<CEL>"}` rules
//! (spec: security-and-traffic.md §10).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "validation/cel";
/// The keys of one rule object.
pub const KEYS: &[&str] = &["check_expr"];
/// Keys KrakenD reads but never uses (`mod_expr`: the CE proxy only evaluates `check_expr`).
pub const IGNORED: &[&str] = &["mod_expr"];

/// One rule.
#[derive(Debug, Clone)]
pub struct CelRule {
    pub pointer: String,
    /// `None` when absent (KrakenD then never evaluates the rule).
    pub check_expr: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct CelOptions {
    pub pointer: String,
    pub rules: Vec<CelRule>,
}

impl CelOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut rules = Vec::new();
        match value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let p = format!("{pointer}/{i}");
                    let mut r = NsReader::new(d, &format!("validation/cel[{i}]"), item, &p);
                    let check_expr = match r.get("check_expr") {
                        Some((Value::String(s), pointer)) => Some(At {
                            value: s.clone(),
                            pointer,
                        }),
                        Some((_, p)) => {
                            d.error(&p, "`check_expr` must be a string (a CEL expression)", None);
                            None
                        }
                        None => None,
                    };
                    rules.push(CelRule {
                        pointer: p,
                        check_expr,
                        unknown: r.finish(),
                    });
                }
            }
            _ => d.error(
                pointer,
                "`validation/cel` must be an array of rules",
                Some(r#"e.g. [{"check_expr": "req_method == 'GET'"}]"#.to_owned()),
            ),
        }
        CelOptions {
            pointer: pointer.to_owned(),
            rules,
        }
    }
}
