//! `backend/graphql` (backend level; spec: security-and-traffic.md §13). `query_path` is read
//! here, at build time (beside the contract, else in a parent directory: `side_files`), and embedded: the gateway never reads it.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "backend/graphql";
pub const KEYS: &[&str] = &[
    "type",
    "query",
    "query_path",
    "variables",
    "operationName",
    "method",
];

#[derive(Debug, Default)]
pub struct GraphQlOptions {
    pub pointer: String,
    pub kind: Option<At<String>>,
    /// `query`, or the text of the file `query_path` (which wins, as in KrakenD).
    pub query: String,
    /// `variables`, in contract order.
    pub variables: Vec<(String, Value)>,
    pub operation_name: String,
    pub method: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl GraphQlOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let text = |d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str| r.string(d, "", key);
        let kind = text(d, &mut r, "type");
        let mut query = text(d, &mut r, "query")
            .map(|q| q.value)
            .unwrap_or_default();
        if let Some(path) = text(d, &mut r, "query_path").filter(|p| !p.value.is_empty()) {
            match d.side_files.read(&path.value) {
                Ok(bytes) => query = String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => d.error(
                    &path.pointer,
                    e,
                    Some(
                        "the query is read at build time, beside the contract (else in a parent directory)"
                            .to_owned(),
                    ),
                ),
            }
        }
        let operation_name = text(d, &mut r, "operationName")
            .map(|o| o.value)
            .unwrap_or_default();
        let method = text(d, &mut r, "method");
        let mut variables = Vec::new();
        if let Some((v, p)) = r.get("variables") {
            match v {
                Value::Object(m) => {
                    variables = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                }
                Value::Null => {}
                _ => d.error(&p, "`variables` must be an object", None),
            }
        }
        GraphQlOptions {
            pointer: pointer.to_owned(),
            kind,
            query,
            variables,
            operation_name,
            method,
            unknown: r.finish(),
        }
    }
}
