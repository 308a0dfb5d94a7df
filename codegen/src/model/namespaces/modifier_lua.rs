//! `modifier/lua-endpoint`, `modifier/lua-proxy` (endpoint level) and `modifier/lua-backend`
//! (backend level); spec: security-and-traffic.md §12. One struct for the three: they share
//! their keys. The `sources` are read here, at build time (beside the contract, else in a parent directory), and
//! embedded; the gateway never reads them. `check` verifies the `md5` sums and compiles every
//! source and snippet.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;

/// Router level: `pre` on the client request, before the endpoint handler.
pub const ENDPOINT: &str = "modifier/lua-endpoint";
/// Proxy level: `pre` on the request the backends get, `post` on the merged response.
pub const PROXY: &str = "modifier/lua-proxy";
/// Backend level: `pre` on the backend request, `post` on the backend response.
pub const BACKEND: &str = "modifier/lua-backend";
pub const KEYS: &[&str] = &[
    "sources",
    "pre",
    "post",
    "md5",
    "allow_open_libs",
    "skip_next",
    "live",
];

/// One file of `sources`, read at build time.
#[derive(Debug)]
pub struct LuaSource {
    /// The path as the contract writes it (the name KrakenD's `md5` keys use).
    pub name: String,
    pub pointer: String,
    /// `None` when it could not be read (already reported).
    pub text: Option<String>,
}

#[derive(Debug)]
pub struct LuaOptions {
    /// Which of the three namespaces.
    pub namespace: &'static str,
    pub pointer: String,
    pub sources: Vec<LuaSource>,
    pub pre: Option<At<String>>,
    pub post: Option<At<String>>,
    /// `md5`: source name (pointer of its entry) → expected hex sum.
    pub md5: Vec<(At<String>, String)>,
    pub allow_open_libs: bool,
    pub skip_next: bool,
    pub live: Option<At<bool>>,
    pub unknown: Vec<At<String>>,
}

impl LuaOptions {
    pub fn read(
        d: &mut Diagnostics,
        namespace: &'static str,
        value: &Value,
        pointer: &str,
    ) -> Self {
        let mut r = NsReader::new(d, namespace, value, pointer);
        let mut text = |d: &mut Diagnostics, key: &str| -> Option<At<String>> {
            let (v, p) = r.get(key)?;
            match v {
                Value::String(s) => Some(At {
                    value: s.clone(),
                    pointer: p,
                }),
                _ => {
                    d.error(&p, format!("`{key}` must be a string of Lua code"), None);
                    None
                }
            }
        };
        let pre = text(d, "pre").filter(|s| !s.value.trim().is_empty());
        let post = text(d, "post").filter(|s| !s.value.trim().is_empty());
        let flag = |d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str| {
            r.bool(d, key, |k| (format!("`{k}` must be a boolean"), None))
        };
        let allow_open_libs = flag(d, &mut r, "allow_open_libs").is_some_and(|b| b.value);
        let skip_next = flag(d, &mut r, "skip_next").is_some_and(|b| b.value);
        let live = flag(d, &mut r, "live");
        let mut sources = Vec::new();
        if let Some((v, p)) = r.get("sources") {
            match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let ip = child(&p, &i.to_string());
                        let Value::String(name) = item else {
                            d.error(&ip, "each of `sources` must be a file path", None);
                            continue;
                        };
                        let text = match d.side_files.read(name) {
                            Ok(bytes) => match String::from_utf8(bytes) {
                                Ok(t) => Some(t),
                                Err(_) => {
                                    d.error(&ip, format!("`{name}` is not UTF-8 text"), None);
                                    None
                                }
                            },
                            Err(e) => {
                                d.error(
                                    &ip,
                                    e,
                                    Some(
                                        "Lua sources are read at build time, beside the contract \
                                         (else in a parent directory)"
                                            .to_owned(),
                                    ),
                                );
                                None
                            }
                        };
                        sources.push(LuaSource {
                            name: name.clone(),
                            pointer: ip,
                            text,
                        });
                    }
                }
                Value::Null => {}
                _ => d.error(&p, "`sources` must be a list of file paths", None),
            }
        }
        let mut md5 = Vec::new();
        if let Some((v, p)) = r.get("md5") {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        let kp = child(&p, k);
                        match v {
                            Value::String(sum) => md5.push((
                                At {
                                    value: k.clone(),
                                    pointer: kp,
                                },
                                sum.clone(),
                            )),
                            _ => d.error(&kp, "an `md5` sum must be a string", None),
                        }
                    }
                }
                Value::Null => {}
                _ => d.error(&p, "`md5` must be an object (source → hex MD5)", None),
            }
        }
        LuaOptions {
            namespace,
            pointer: pointer.to_owned(),
            sources,
            pre,
            post,
            md5,
            allow_open_libs,
            skip_next,
            live,
            unknown: r.finish(),
        }
    }
}
