//! Reading one JSON object of the contract: lenient typed getters that report every type
//! error, remember which keys were read, and warn about the others.

use super::namespaces::NAMESPACE_ALIASES;
use super::{At, ExtraConfig, Namespace};
use crate::diag::{Diagnostics, Severity, Target};
use serde_json::{Map, Value};

/// Appends a key to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn child(pointer: &str, key: &str) -> String {
    let mut p = String::with_capacity(pointer.len() + key.len() + 1);
    p.push_str(pointer);
    p.push('/');
    for c in key.chars() {
        match c {
            '~' => p.push_str("~0"),
            '/' => p.push_str("~1"),
            c => p.push(c),
        }
    }
    p
}

/// Whether a key is an annotation (`@comment`, `$schema`, `_x`, `#x`).
pub fn is_annotation(key: &str) -> bool {
    key.starts_with(['@', '$', '_', '#'])
}

/// Reads the keys of one object, remembering which ones were consumed.
pub struct ObjectReader<'a> {
    map: &'a Map<String, Value>,
    pointer: String,
    used: Vec<&'a str>,
}

impl<'a> ObjectReader<'a> {
    pub fn new(map: &'a Map<String, Value>, pointer: String) -> Self {
        ObjectReader {
            map,
            pointer,
            used: Vec::new(),
        }
    }

    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The raw value of `key` (exact match first, then case-insensitive) and its pointer.
    pub fn raw(&mut self, key: &str) -> Option<(&'a Value, String)> {
        let (k, v) = match self.map.get_key_value(key) {
            Some(kv) => kv,
            None => self
                .map
                .iter()
                .find(|(k, _)| !is_annotation(k) && k.eq_ignore_ascii_case(key))?,
        };
        self.used.push(k.as_str());
        Some((v, child(&self.pointer, k)))
    }

    pub fn string(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Value::Number(n) => Some(At {
                value: n.to_string(),
                pointer,
            }),
            Value::Bool(b) => Some(At {
                value: b.to_string(),
                pointer,
            }),
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a string", other);
                None
            }
        }
    }

    pub fn int(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<i64>> {
        let (v, pointer) = self.raw(key)?;
        let parsed = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(value) => Some(At { value, pointer }),
            None => {
                type_error(d, &pointer, key, "an integer", v);
                None
            }
        }
    }

    pub fn bool(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<bool>> {
        let (v, pointer) = self.raw(key)?;
        let parsed = match v {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.as_str() {
                "true" | "1" => Some(true),
                "false" | "0" | "" => Some(false),
                _ => None,
            },
            Value::Number(n) => n.as_i64().map(|i| i != 0),
            Value::Null => return None,
            _ => None,
        };
        match parsed {
            Some(value) => Some(At { value, pointer }),
            None => {
                type_error(d, &pointer, key, "a boolean", v);
                None
            }
        }
    }

    /// A list of strings; a single string counts as a one-element list.
    pub fn strings(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<Vec<String>>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: vec![s.clone()],
                pointer,
            }),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Number(n) => out.push(n.to_string()),
                        other => {
                            ok = false;
                            type_error(d, &child(&pointer, &i.to_string()), key, "a string", other);
                        }
                    }
                }
                ok.then_some(At {
                    value: out,
                    pointer,
                })
            }
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a list of strings", other);
                None
            }
        }
    }

    /// An object of string values, in the contract's key order.
    pub fn string_map(
        &mut self,
        d: &mut Diagnostics,
        key: &str,
    ) -> Option<At<Vec<(String, String)>>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::Object(m) => {
                let mut out = Vec::with_capacity(m.len());
                for (k, v) in m {
                    match v {
                        Value::String(s) => out.push((k.clone(), s.clone())),
                        other => type_error(d, &child(&pointer, k), k, "a string", other),
                    }
                }
                Some(At {
                    value: out,
                    pointer,
                })
            }
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "an object of strings", other);
                None
            }
        }
    }

    /// A duration, kept as text (parsed by `check`/`plan`); numbers are nanoseconds, as in Go.
    pub fn duration(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.raw(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Value::Number(n) => match n.as_u64() {
                Some(ns) => Some(At {
                    value: format!("{ns}ns"),
                    pointer,
                }),
                None => {
                    type_error(d, &pointer, key, "a duration", v);
                    None
                }
            },
            Value::Null => None,
            other => {
                type_error(d, &pointer, key, "a duration string such as \"2s\"", other);
                None
            }
        }
    }

    /// The `extra_config` object: every namespace with its short name (legacy aliases
    /// resolved; the short name wins when both are present), still raw for
    /// `namespaces::*::read`.
    pub fn extra_config(&mut self, d: &mut Diagnostics) -> RawExtraConfig<'a> {
        let Some((v, pointer)) = self.raw("extra_config") else {
            return RawExtraConfig::default();
        };
        let Value::Object(m) = v else {
            type_error(d, &pointer, "extra_config", "an object", v);
            return RawExtraConfig::default();
        };
        let mut entries: Vec<RawNamespace<'a>> = Vec::new();
        for (k, v) in m {
            if is_annotation(k) {
                continue;
            }
            let short = NAMESPACE_ALIASES
                .iter()
                .find(|(long, _)| long == k)
                .map(|(_, short)| *short);
            let name = short.unwrap_or(k.as_str()).to_owned();
            let ns = RawNamespace {
                name: name.clone(),
                pointer: child(&pointer, k),
                value: v,
            };
            match entries.iter_mut().find(|n| n.name == name) {
                // The short name wins over its legacy alias.
                Some(existing) => {
                    if short.is_none() {
                        *existing = ns;
                    }
                }
                None => entries.push(ns),
            }
        }
        RawExtraConfig { pointer, entries }
    }

    /// Warns about every key that was not read and is not an annotation.
    pub fn warn_unknown(self, d: &mut Diagnostics, what: &str) {
        for k in self.map.keys() {
            if is_annotation(k) || self.used.contains(&k.as_str()) {
                continue;
            }
            d.report(
                Severity::Warning,
                &child(&self.pointer, k),
                Target::Key,
                format!("unknown key `{k}` in {what}; KrakenD ignores it"),
                Some(
                    "check the spelling, or prefix it with `@` to mark it as a comment".to_owned(),
                ),
            );
        }
    }
}

pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn type_error(
    d: &mut Diagnostics,
    pointer: &str,
    key: &str,
    expected: &str,
    found: &Value,
) {
    d.error(
        pointer,
        format!("`{key}` must be {expected}, found {}", kind(found)),
        None,
    );
}

/// An `extra_config` as read, before its namespaces are typed.
#[derive(Default)]
pub struct RawExtraConfig<'a> {
    pub pointer: String,
    pub entries: Vec<RawNamespace<'a>>,
}

pub struct RawNamespace<'a> {
    pub name: String,
    pub pointer: String,
    pub value: &'a Value,
}

impl<'a> RawExtraConfig<'a> {
    /// The raw value of namespace `name`, if present.
    pub fn get(&self, name: &str) -> Option<&RawNamespace<'a>> {
        self.entries.iter().find(|n| n.name == name)
    }

    /// Names and pointers only: what `check` needs to judge the namespaces present.
    pub fn names(&self) -> ExtraConfig {
        ExtraConfig {
            pointer: self.pointer.clone(),
            namespaces: self
                .entries
                .iter()
                .map(|n| Namespace {
                    name: n.name.clone(),
                    pointer: n.pointer.clone(),
                })
                .collect(),
        }
    }
}
