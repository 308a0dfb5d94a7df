//! Typed reads shared by the `security/*` namespaces: KrakenD's config getters silently drop a
//! value of the wrong type (leaving the gateway less protected than the contract says), so
//! Krustd reports every one of them at its `file:line:col`.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;

/// Reads the keys of one `security/*` namespace, reporting `` `ns.key` must be … ``.
pub(crate) struct SecReader<'a> {
    pub r: NsReader<'a>,
    ns: &'static str,
}

impl<'a> SecReader<'a> {
    pub fn new(d: &mut Diagnostics, ns: &'static str, value: &'a Value, pointer: &str) -> Self {
        SecReader {
            r: NsReader::new(d, ns, value, pointer),
            ns,
        }
    }

    fn wrong(&self, d: &mut Diagnostics, pointer: &str, key: &str, what: &str) {
        d.error(
            pointer,
            format!("`{}.{key}` must be {what}", self.ns),
            Some(format!(
                "KrakenD silently ignores a mistyped `{}` value; Krustd refuses it",
                self.ns
            )),
        );
    }

    pub fn bool(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<bool>> {
        let (v, pointer) = self.r.get(key)?;
        match v {
            Value::Bool(b) => Some(At { value: *b, pointer }),
            _ => {
                self.wrong(d, &pointer, key, "a boolean");
                None
            }
        }
    }

    pub fn string(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<String>> {
        let (v, pointer) = self.r.get(key)?;
        match v {
            Value::String(s) => Some(At {
                value: s.clone(),
                pointer,
            }),
            _ => {
                self.wrong(d, &pointer, key, "a string");
                None
            }
        }
    }

    /// An integer (a JSON number without fraction).
    pub fn int(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<i64>> {
        let (v, pointer) = self.r.get(key)?;
        match v.as_i64() {
            Some(i) => Some(At { value: i, pointer }),
            None => {
                self.wrong(d, &pointer, key, "an integer");
                None
            }
        }
    }

    /// A list of strings, each with its own pointer.
    pub fn strings(&mut self, d: &mut Diagnostics, key: &str) -> Option<At<Vec<At<String>>>> {
        let (v, pointer) = self.r.get(key)?;
        let list = v.as_array().and_then(|a| {
            a.iter()
                .enumerate()
                .map(|(i, s)| {
                    s.as_str().map(|s| At {
                        value: s.to_owned(),
                        pointer: child(&pointer, &i.to_string()),
                    })
                })
                .collect::<Option<Vec<_>>>()
        });
        match list {
            Some(value) => Some(At { value, pointer }),
            None => {
                self.wrong(d, &pointer, key, "a list of strings");
                None
            }
        }
    }

    /// An object whose values are strings, in the object's order.
    pub fn string_map(
        &mut self,
        d: &mut Diagnostics,
        key: &str,
    ) -> Option<At<Vec<(String, String)>>> {
        let (v, pointer) = self.r.get(key)?;
        let map = v.as_object().and_then(|m| {
            m.iter()
                .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect::<Option<Vec<_>>>()
        });
        match map {
            Some(value) => Some(At { value, pointer }),
            None => {
                self.wrong(d, &pointer, key, "an object of strings");
                None
            }
        }
    }

    pub fn finish(self) -> Vec<At<String>> {
        self.r.finish()
    }
}

/// The values of an optional list (empty when absent).
pub(crate) fn values(list: &Option<At<Vec<At<String>>>>) -> Vec<String> {
    list.as_ref()
        .map(|l| l.value.iter().map(|s| s.value.clone()).collect())
        .unwrap_or_default()
}
