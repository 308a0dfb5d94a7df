//! `proxy` (endpoint and backend level): the sequential proxy, static data and
//! `flatmap_filter` (spec: response-manipulation.md).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::{Map, Value};

pub const NAME: &str = "proxy";

/// Where a `proxy` block sits: the keys Krustd implements differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Endpoint,
    Backend,
}

/// Keys implemented at endpoint level.
pub const ENDPOINT_KEYS: &[&str] = &[
    "sequential",
    "sequential_propagated_params",
    "static",
    "flatmap_filter",
    "force_sandboxed_request",
];
/// Keys implemented at backend level.
pub const BACKEND_KEYS: &[&str] = &["flatmap_filter"];

#[derive(Debug, Default)]
pub struct ProxyOptions {
    pub pointer: String,
    pub sequential: bool,
    pub flatmap_filter: Option<At<Vec<FlatmapEntry>>>,
    pub static_data: Option<StaticOptions>,
    /// `sequential_propagated_params`: each entry, `None` when it is not a string.
    pub propagated_params: Option<At<Vec<At<Option<String>>>>>,
    /// Keys not implemented at this level, for `check`.
    pub unknown: Vec<At<String>>,
}

/// One `flatmap_filter` operation as written.
#[derive(Debug, Clone)]
pub struct FlatmapEntry {
    pub pointer: String,
    /// `type`, when it is a string.
    pub kind: Option<String>,
    /// `args`, when it is a list of strings.
    pub args: Option<Vec<String>>,
}

/// `proxy.static`.
#[derive(Debug, Default)]
pub struct StaticOptions {
    pub pointer: String,
    /// `data`, when it is an object: the payload the gateway answers with.
    pub data: Option<Map<String, Value>>,
    /// `strategy` (a value that is not a string is kept as its JSON text).
    pub strategy: Option<At<String>>,
}

impl ProxyOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str, level: Level) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let mut o = ProxyOptions {
            pointer: pointer.to_owned(),
            ..ProxyOptions::default()
        };
        if let Some((v, p)) = r.get("flatmap_filter") {
            o.flatmap_filter = read_flatmap(d, v, p);
        }
        if level == Level::Endpoint {
            let boolean = |k: &str| (format!("`proxy.{k}` must be a boolean"), None);
            o.sequential = r.bool(d, "sequential", boolean).is_some_and(|b| b.value);
            r.bool(d, "force_sandboxed_request", boolean);
            if let Some((v, p)) = r.get("static") {
                o.static_data = Some(read_static(v, p));
            }
            if let Some((v, p)) = r.get("sequential_propagated_params") {
                match v.as_array() {
                    Some(list) => {
                        let items = list
                            .iter()
                            .enumerate()
                            .map(|(i, item)| At {
                                value: item.as_str().map(str::to_owned),
                                pointer: child(&p, &i.to_string()),
                            })
                            .collect();
                        o.propagated_params = Some(At {
                            value: items,
                            pointer: p,
                        });
                    }
                    None => d.error(&p, "`sequential_propagated_params` must be a list", None),
                }
            }
        }
        o.unknown = r.finish();
        o
    }

    /// The keys implemented at `level`.
    pub fn keys(level: Level) -> &'static [&'static str] {
        match level {
            Level::Endpoint => ENDPOINT_KEYS,
            Level::Backend => BACKEND_KEYS,
        }
    }
}

fn read_flatmap(d: &mut Diagnostics, v: &Value, pointer: String) -> Option<At<Vec<FlatmapEntry>>> {
    let Some(list) = v.as_array() else {
        d.error(
            &pointer,
            "`flatmap_filter` must be a list of operations",
            None,
        );
        return None;
    };
    let entries = list
        .iter()
        .enumerate()
        .map(|(i, entry)| FlatmapEntry {
            pointer: child(&pointer, &i.to_string()),
            kind: entry.get("type").and_then(Value::as_str).map(str::to_owned),
            args: entry
                .get("args")
                .and_then(Value::as_array)
                .and_then(|a| a.iter().map(|s| s.as_str().map(str::to_owned)).collect()),
        })
        .collect();
    Some(At {
        value: entries,
        pointer,
    })
}

fn read_static(v: &Value, pointer: String) -> StaticOptions {
    let strategy = v.get("strategy").map(|s| At {
        value: match s {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        pointer: child(&pointer, "strategy"),
    });
    StaticOptions {
        data: v.get("data").and_then(Value::as_object).cloned(),
        strategy,
        pointer,
    }
}
