//! `modifier/martian` (backend level; spec: security-and-traffic.md §11): the martian config,
//! read into a typed tree with every type error reported. Like martian's `parse.FromJSON`, each
//! modifier object holds exactly one entry (a sibling annotation counts); keys inside an entry
//! match case-insensitively, as Go's JSON decoding does. Side files (`static.Modifier`) are read
//! here, at build time, and embedded.

use crate::diag::Diagnostics;
use crate::model::{child, At, ObjectReader};
use base64::Engine as _;
use serde_json::Value;

pub const NAME: &str = "modifier/martian";

/// Every modifier and filter name Krustd implements (KrakenD CE's set).
pub const MODIFIERS: &[&str] = &[
    "header.Modifier",
    "header.Append",
    "header.Copy",
    "header.Blacklist",
    "header.Id",
    "querystring.Modifier",
    "url.Modifier",
    "body.Modifier",
    "cookie.Modifier",
    "stash.Modifier",
    "port.Modifier",
    "status.Modifier",
    "static.Modifier",
    "fifo.Group",
    "priority.Group",
    "header.Filter",
    "header.RegexFilter",
    "querystring.Filter",
    "url.Filter",
    "url.RegexFilter",
    "cookie.Filter",
    "port.Filter",
];

#[derive(Debug)]
pub struct MartianOptions {
    pub pointer: String,
    /// The one top-level modifier (`None` after an error).
    pub root: Option<Modifier>,
}

/// One modifier or filter entry.
#[derive(Debug)]
pub struct Modifier {
    /// `header.Modifier`, …
    pub name: &'static str,
    /// Pointer of the entry's object.
    pub pointer: String,
    /// `scope`; absent: every side the modifier has.
    pub scope: Option<At<Vec<String>>>,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    HeaderSet {
        name: At<String>,
        value: At<String>,
    },
    HeaderAppend {
        name: At<String>,
        value: At<String>,
    },
    HeaderCopy {
        from: At<String>,
        to: At<String>,
    },
    HeaderBlacklist {
        names: At<Vec<String>>,
    },
    HeaderId {
        header: At<String>,
    },
    QuerySet {
        name: String,
        value: String,
    },
    Url(UrlParts),
    /// `body` decoded from base64.
    Body {
        body: Vec<u8>,
        content_type: At<String>,
    },
    Cookie(Cookie),
    Stash {
        header: At<String>,
    },
    Port {
        port: At<i64>,
        default_for_scheme: bool,
        remove: bool,
    },
    Status {
        code: At<i64>,
    },
    /// `static.Modifier`: request path → file (path relative to `rootPath`, bytes), read now.
    Static {
        files: Vec<StaticFile>,
    },
    Fifo {
        modifiers: Vec<Modifier>,
        aggregate_errors: bool,
    },
    Priority {
        modifiers: Vec<(i64, Modifier)>,
    },
    Filter {
        cond: Cond,
        then: Box<Modifier>,
        otherwise: Option<Box<Modifier>>,
    },
}

#[derive(Debug)]
pub struct UrlParts {
    pub scheme: At<String>,
    pub host: String,
    pub path: String,
    pub query: String,
}

#[derive(Debug)]
pub struct Cookie {
    pub name: At<String>,
    pub value: String,
    pub path: String,
    pub domain: String,
    pub expires: Option<At<String>>,
    pub secure: bool,
    pub http_only: bool,
    pub max_age: i64,
}

/// A file a `static.Modifier` serves: the request path it answers and its content.
#[derive(Debug)]
pub struct StaticFile {
    pub request_path: String,
    /// The file name (for its content type).
    pub file: String,
    pub bytes: Vec<u8>,
}

/// What a filter matches on.
#[derive(Debug)]
pub enum Cond {
    Header {
        name: At<String>,
        value: String,
    },
    HeaderRegex {
        header: At<String>,
        regex: At<String>,
    },
    Query {
        name: String,
        value: String,
    },
    Url(UrlParts),
    UrlRegex {
        regex: At<String>,
    },
    Cookie {
        name: String,
        value: String,
    },
    Port {
        port: At<i64>,
    },
}

impl Kind {
    /// Which sides the modifier has in martian: (request, response).
    pub fn sides(&self) -> (bool, bool) {
        match self {
            Kind::HeaderId { .. } | Kind::QuerySet { .. } | Kind::Url(_) | Kind::Port { .. } => {
                (true, false)
            }
            Kind::Status { .. } => (false, true),
            _ => (true, true),
        }
    }
}

impl MartianOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        MartianOptions {
            pointer: pointer.to_owned(),
            root: read_entry(d, value, pointer, NAME),
        }
    }
}

/// An object holding exactly one modifier (`parse.FromJSON`).
fn read_entry(d: &mut Diagnostics, value: &Value, pointer: &str, what: &str) -> Option<Modifier> {
    let Value::Object(map) = value else {
        d.error(
            pointer,
            format!("`{what}` must be an object holding one modifier"),
            None,
        );
        return None;
    };
    if map.len() != 1 {
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        d.error(
            pointer,
            format!(
                "`{what}` must hold exactly one modifier, found {}{}{}",
                map.len(),
                if keys.is_empty() { "" } else { ": " },
                keys.join(", ")
            ),
            Some(
                "KrakenD ignores such a martian config (a sibling `@comment` counts too); to run \
                 several modifiers, put them in `{\"fifo.Group\": {\"modifiers\": [...]}}`"
                    .to_owned(),
            ),
        );
        return None;
    }
    let (key, inner) = map.iter().next()?;
    let p = child(pointer, key);
    let Some(name) = MODIFIERS.iter().copied().find(|m| m == key) else {
        d.error(
            &p,
            format!("unknown martian modifier `{key}`"),
            Some(format!("KrakenD CE registers: {}", MODIFIERS.join(", "))),
        );
        return None;
    };
    read_modifier(d, name, inner, &p)
}

fn text(r: &mut ObjectReader<'_>, d: &mut Diagnostics, key: &str) -> At<String> {
    r.string(d, key).unwrap_or_else(|| At {
        value: String::new(),
        pointer: r.pointer().to_owned(),
    })
}

fn int(r: &mut ObjectReader<'_>, d: &mut Diagnostics, key: &str) -> At<i64> {
    r.int(d, key).unwrap_or_else(|| At {
        value: 0,
        pointer: r.pointer().to_owned(),
    })
}

fn flag(r: &mut ObjectReader<'_>, d: &mut Diagnostics, key: &str) -> bool {
    r.bool(d, key).is_some_and(|b| b.value)
}

fn url_parts(r: &mut ObjectReader<'_>, d: &mut Diagnostics) -> UrlParts {
    UrlParts {
        scheme: text(r, d, "scheme"),
        host: text(r, d, "host").value,
        path: text(r, d, "path").value,
        query: text(r, d, "query").value,
    }
}

fn read_modifier(
    d: &mut Diagnostics,
    name: &'static str,
    value: &Value,
    pointer: &str,
) -> Option<Modifier> {
    let Value::Object(map) = value else {
        d.error(pointer, format!("`{name}` must be an object"), None);
        return None;
    };
    let mut r = ObjectReader::new(map, pointer.to_owned());
    let scope = r.strings(d, "scope");
    if let Some(s) = &scope {
        for (i, v) in s.value.iter().enumerate() {
            if v != "request" && v != "response" {
                d.error(
                    &format!("{}/{i}", s.pointer),
                    format!("invalid martian scope `{v}`"),
                    Some("a scope is \"request\" or \"response\"".to_owned()),
                );
            }
        }
    }
    let kind = match name {
        "header.Modifier" => Kind::HeaderSet {
            name: text(&mut r, d, "name"),
            value: text(&mut r, d, "value"),
        },
        "header.Append" => Kind::HeaderAppend {
            name: text(&mut r, d, "name"),
            value: text(&mut r, d, "value"),
        },
        "header.Copy" => Kind::HeaderCopy {
            from: text(&mut r, d, "from"),
            to: text(&mut r, d, "to"),
        },
        "header.Blacklist" => Kind::HeaderBlacklist {
            names: r.strings(d, "names").unwrap_or_else(|| At {
                value: Vec::new(),
                pointer: pointer.to_owned(),
            }),
        },
        "header.Id" => Kind::HeaderId {
            header: text(&mut r, d, "header"),
        },
        "querystring.Modifier" => Kind::QuerySet {
            name: text(&mut r, d, "name").value,
            value: text(&mut r, d, "value").value,
        },
        "url.Modifier" => Kind::Url(url_parts(&mut r, d)),
        "body.Modifier" => {
            let body = text(&mut r, d, "body");
            let decoded = match base64::engine::general_purpose::STANDARD.decode(&body.value) {
                Ok(b) => b,
                Err(e) => {
                    d.error(
                        &body.pointer,
                        format!("`body` must be base64 (standard alphabet, padded): {e}"),
                        Some(
                            "encode the body with `base64` (e.g. `echo -n '{...}' | base64`)"
                                .to_owned(),
                        ),
                    );
                    Vec::new()
                }
            };
            Kind::Body {
                body: decoded,
                content_type: text(&mut r, d, "contentType"),
            }
        }
        "cookie.Modifier" => Kind::Cookie(Cookie {
            name: text(&mut r, d, "name"),
            value: text(&mut r, d, "value").value,
            path: text(&mut r, d, "path").value,
            domain: text(&mut r, d, "domain").value,
            expires: r.string(d, "expires"),
            secure: flag(&mut r, d, "secure"),
            http_only: flag(&mut r, d, "httpOnly"),
            max_age: int(&mut r, d, "maxAge").value,
        }),
        "stash.Modifier" => Kind::Stash {
            header: text(&mut r, d, "headerName"),
        },
        "port.Modifier" => Kind::Port {
            port: int(&mut r, d, "port"),
            default_for_scheme: flag(&mut r, d, "defaultForScheme"),
            remove: flag(&mut r, d, "remove"),
        },
        "status.Modifier" => Kind::Status {
            code: int(&mut r, d, "statusCode"),
        },
        "static.Modifier" => read_static(d, &mut r),
        "fifo.Group" => {
            let mut modifiers = Vec::new();
            if let Some((v, p)) = r.raw("modifiers") {
                match v {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let ip = format!("{p}/{i}");
                            modifiers.extend(read_entry(d, item, &ip, "modifiers[]"));
                        }
                    }
                    _ => d.error(&p, "`modifiers` must be a list of modifiers", None),
                }
            }
            Kind::Fifo {
                modifiers,
                aggregate_errors: flag(&mut r, d, "aggregateErrors"),
            }
        }
        "priority.Group" => {
            let mut modifiers = Vec::new();
            if let Some((v, p)) = r.raw("modifiers") {
                match v {
                    Value::Array(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let ip = format!("{p}/{i}");
                            let Value::Object(m) = item else {
                                d.error(&ip, "a priority entry must be an object with `priority` and `modifier`", None);
                                continue;
                            };
                            let mut er = ObjectReader::new(m, ip.clone());
                            let prio = int(&mut er, d, "priority").value;
                            let inner = nested(d, &mut er, "modifier", name, &ip);
                            er.warn_unknown(d, "a `priority.Group` entry");
                            modifiers.extend(inner.map(|m| (prio, m)));
                        }
                    }
                    _ => d.error(&p, "`modifiers` must be a list", None),
                }
            }
            Kind::Priority { modifiers }
        }
        _ => {
            let (cond, has_else) = match name {
                "header.Filter" => (
                    Cond::Header {
                        name: text(&mut r, d, "name"),
                        value: text(&mut r, d, "value").value,
                    },
                    true,
                ),
                "header.RegexFilter" => (
                    Cond::HeaderRegex {
                        header: text(&mut r, d, "header"),
                        regex: text(&mut r, d, "regex"),
                    },
                    false,
                ),
                "querystring.Filter" => (
                    Cond::Query {
                        name: text(&mut r, d, "name").value,
                        value: text(&mut r, d, "value").value,
                    },
                    true,
                ),
                "url.Filter" => (Cond::Url(url_parts(&mut r, d)), true),
                "url.RegexFilter" => (
                    Cond::UrlRegex {
                        regex: text(&mut r, d, "regex"),
                    },
                    true,
                ),
                "cookie.Filter" => (
                    Cond::Cookie {
                        name: text(&mut r, d, "name").value,
                        value: text(&mut r, d, "value").value,
                    },
                    true,
                ),
                _ => (
                    Cond::Port {
                        port: int(&mut r, d, "port"),
                    },
                    false,
                ),
            };
            let then = nested(d, &mut r, "modifier", name, pointer);
            // `header.RegexFilter` and `port.Filter` have no `else` in martian: the key stays
            // unknown (warned about, as KrakenD ignores it).
            let otherwise = if has_else {
                r.raw("else")
                    .and_then(|(v, p)| read_entry(d, v, &p, "else"))
                    .map(Box::new)
            } else {
                None
            };
            let then = then?;
            Kind::Filter {
                cond,
                then: Box::new(then),
                otherwise,
            }
        }
    };
    r.warn_unknown(d, &format!("`{name}`"));
    Some(Modifier {
        name,
        pointer: pointer.to_owned(),
        scope,
        kind,
    })
}

/// The required `modifier` of a filter or priority entry.
fn nested(
    d: &mut Diagnostics,
    r: &mut ObjectReader<'_>,
    key: &str,
    owner: &str,
    pointer: &str,
) -> Option<Modifier> {
    match r.raw(key) {
        Some((v, p)) => read_entry(d, v, &p, key),
        None => {
            d.error(
                pointer,
                format!("`{owner}` needs a `{key}`"),
                Some("KrakenD rejects the whole martian config without it".to_owned()),
            );
            None
        }
    }
}

/// `static.Modifier`: every file under `rootPath` answers its own path; `explicitPaths` maps
/// request paths to other files. All are read now and embedded.
fn read_static(d: &mut Diagnostics, r: &mut ObjectReader<'_>) -> Kind {
    let root = text(r, d, "rootPath");
    let explicit = r.string_map(d, "explicitPaths");
    let mut files = Vec::new();
    if root.value.is_empty() {
        d.error(&root.pointer, "`static.Modifier` needs a `rootPath`", None);
        return Kind::Static { files };
    }
    match d.side_files.read_tree(&root.value) {
        Ok(tree) => {
            for (rel, bytes) in tree {
                files.push(StaticFile {
                    request_path: format!("/{rel}"),
                    file: rel,
                    bytes,
                });
            }
        }
        Err(e) => d.error(
            &root.pointer,
            e,
            Some(
                "the files are read at build time (beside the contract, else in a parent directory) and embedded"
                    .to_owned(),
            ),
        ),
    }
    if let Some(ex) = explicit {
        for (req_path, file) in &ex.value {
            let p = child(&ex.pointer, req_path);
            let rel = format!(
                "{}/{}",
                root.value.trim_end_matches('/'),
                file.trim_start_matches('/')
            );
            match d.side_files.read(&rel) {
                Ok(bytes) => {
                    files.retain(|f| f.request_path != *req_path);
                    files.push(StaticFile {
                        request_path: req_path.clone(),
                        file: file.clone(),
                        bytes,
                    });
                }
                Err(e) => d.error(&p, e, None),
            }
        }
    }
    Kind::Static { files }
}
