//! The breaking-change gate: `krustd-contract diff OLD NEW` compares two contracts' models and
//! classifies every change a client can observe as breaking or compatible.
//!
//! Endpoints are matched by method and path (`GET` when no method is written); backends of a
//! matched endpoint by position (their order decides the merge). An endpoint removed while the
//! new contract has the same method and path under a higher version segment (`/v1/…` →
//! `/v2/…`) is still reported as breaking, but as *versioned*: the seed's recommendation
//! ("never break an existing endpoint: publish a new version") was followed, so it does not fail
//! the gate. The namespaces without a typed model struct yet (`auth/validator`,
//! `qos/ratelimit/*`) are read from the contract's JSON in one place: `policy.rs`.

mod policy;
mod render;

use crate::diag::{Diagnostics, Report, Source};
use crate::model::{self, Backend, Endpoint, Service};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

pub use render::{human, json};

/// What a change does to existing clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// A client that worked against OLD may fail, or get less, against NEW.
    Breaking,
    /// Breaking, but the endpoint moved to a bumped version prefix (`/v1/` → `/v2/`).
    Versioned,
    /// Every client of OLD keeps working.
    Compatible,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Breaking => "breaking",
            Severity::Versioned => "breaking-versioned",
            Severity::Compatible => "compatible",
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub severity: Severity,
    /// A stable identifier of the rule (`allow-narrowed`, `endpoint-removed`, …).
    pub rule: &'static str,
    /// `METHOD /path` of the endpoint in OLD (NEW for additions); empty for service-level.
    pub endpoint: String,
    /// What changed, in words.
    pub message: String,
    /// JSON pointer in OLD, when the change has one.
    pub old_pointer: Option<String>,
    /// JSON pointer in NEW, when the change has one.
    pub new_pointer: Option<String>,
}

/// Every change between two contracts, in OLD's endpoint order then NEW's additions.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub changes: Vec<Change>,
}

impl Diff {
    pub fn count(&self, s: Severity) -> usize {
        self.changes.iter().filter(|c| c.severity == s).count()
    }

    /// True when the gate fails: a breaking change outside a version bump.
    pub fn fails(&self) -> bool {
        self.count(Severity::Breaking) > 0
    }
}

/// A contract parsed and checked, with its JSON kept for the namespaces `policy` reads.
pub struct Contract {
    pub name: String,
    pub service: Service,
    pub root: Value,
}

impl Contract {
    /// Parses `text` into the model; JSON and type errors are errors. The build's validity
    /// rules (`check`) are not run: whether a contract compiles is `krustd-contract check`'s
    /// and the build's job, and the gate must also compare contracts using namespaces this
    /// build of Krustd does not implement yet.
    pub fn parse(name: &str, text: &str) -> Result<Contract, Report> {
        let source = Arc::new(Source {
            name: name.to_owned(),
            text: text.to_owned(),
        });
        let mut d = Diagnostics::new(source.clone());
        let root = match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => {
                d.error_at(e.line(), e.column(), format!("invalid JSON: {e}"), None);
                return Err(d.finish().err().unwrap_or_default());
            }
        };
        let service = model::read(&mut d, &root);
        let report = d.finish()?;
        match service {
            Some(service) => Ok(Contract {
                name: name.to_owned(),
                service,
                root,
            }),
            None => Err(report),
        }
    }
}

/// Compares OLD and NEW.
pub fn diff(old: &Contract, new: &Contract) -> Diff {
    let mut out = Vec::new();
    policy::service(old, new, &mut out);
    let new_keys: Vec<(String, String)> = new.service.endpoints.iter().map(key).collect();
    for eo in &old.service.endpoints {
        let k = key(eo);
        match new.service.endpoints.iter().find(|en| key(en) == k) {
            Some(en) => endpoint(old, new, eo, en, &mut out),
            None => out.push(removed(eo, &k, &new_keys)),
        }
    }
    let old_keys: Vec<(String, String)> = old.service.endpoints.iter().map(key).collect();
    for en in &new.service.endpoints {
        let k = key(en);
        if !old_keys.contains(&k) {
            out.push(Change {
                severity: Severity::Compatible,
                rule: "endpoint-added",
                endpoint: label(&k),
                message: "new endpoint".to_owned(),
                old_pointer: None,
                new_pointer: Some(en.pointer.clone()),
            });
        }
    }
    Diff { changes: out }
}

/// `(METHOD, path)`: the method upper-cased, `GET` when absent (as KrakenD's default).
fn key(e: &Endpoint) -> (String, String) {
    let method = e
        .method
        .as_ref()
        .map_or_else(|| "GET".to_owned(), |m| m.value.to_ascii_uppercase());
    let path = e
        .endpoint
        .as_ref()
        .map_or_else(String::new, |p| p.value.clone());
    (method, path)
}

fn label(k: &(String, String)) -> String {
    format!("{} {}", k.0, k.1)
}

/// The first path segment `v<N>` and the path with that segment replaced by `{v}`.
fn version_split(path: &str) -> Option<(u64, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    for (i, s) in segments.iter().enumerate() {
        let n = s
            .strip_prefix('v')
            .or_else(|| s.strip_prefix('V'))
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok());
        if let Some(n) = n {
            let mut rest = segments.clone();
            rest[i] = "{v}";
            return Some((n, rest.join("/")));
        }
    }
    None
}

fn removed(eo: &Endpoint, k: &(String, String), new_keys: &[(String, String)]) -> Change {
    let bumped = version_split(&k.1).and_then(|(v, shape)| {
        new_keys.iter().find(|(m, p)| {
            m == &k.0 && version_split(p).is_some_and(|(nv, ns)| nv > v && ns == shape)
        })
    });
    if let Some(successor) = bumped {
        return Change {
            severity: Severity::Versioned,
            rule: "endpoint-removed",
            endpoint: label(k),
            message: format!("endpoint removed; its successor is {}", label(successor)),
            old_pointer: Some(eo.pointer.clone()),
            new_pointer: None,
        };
    }
    let other_methods: Vec<&str> = new_keys
        .iter()
        .filter(|(_, p)| p == &k.1)
        .map(|(m, _)| m.as_str())
        .collect();
    let (rule, message) = if other_methods.is_empty() {
        ("endpoint-removed", "endpoint removed".to_owned())
    } else {
        (
            "method-removed",
            format!(
                "method {} removed (the path still answers {})",
                k.0,
                other_methods.join(", ")
            ),
        )
    };
    Change {
        severity: Severity::Breaking,
        rule,
        endpoint: label(k),
        message,
        old_pointer: Some(eo.pointer.clone()),
        new_pointer: None,
    }
}

/// Pushes one change for the endpoint `at` with `severity`.
struct Sink<'a> {
    out: &'a mut Vec<Change>,
    endpoint: String,
}

impl Sink<'_> {
    fn push(
        &mut self,
        severity: Severity,
        rule: &'static str,
        message: String,
        old_pointer: Option<&str>,
        new_pointer: Option<&str>,
    ) {
        self.out.push(Change {
            severity,
            rule,
            endpoint: self.endpoint.clone(),
            message,
            old_pointer: old_pointer.map(str::to_owned),
            new_pointer: new_pointer.map(str::to_owned),
        });
    }
}

fn endpoint(old: &Contract, new: &Contract, eo: &Endpoint, en: &Endpoint, out: &mut Vec<Change>) {
    let mut sink = Sink {
        out,
        endpoint: label(&key(eo)),
    };
    let enc_old = output_encoding(&old.service, eo);
    let enc_new = output_encoding(&new.service, en);
    if enc_old != enc_new {
        sink.push(
            Severity::Breaking,
            "output-encoding-changed",
            format!("output_encoding changed from `{enc_old}` to `{enc_new}`"),
            eo.output_encoding.as_ref().map(|a| a.pointer.as_str()),
            en.output_encoding.as_ref().map(|a| a.pointer.as_str()),
        );
    }
    forwarded(
        &mut sink,
        "header",
        "",
        &eo.input_headers,
        &en.input_headers,
    );
    forwarded(
        &mut sink,
        "query",
        "",
        &eo.input_query_strings,
        &en.input_query_strings,
    );
    policy::endpoint(old, new, eo, en, &mut sink);
    for (i, bo) in eo.backend.iter().enumerate() {
        match en.backend.get(i) {
            Some(bn) => backend(&mut sink, i, bo, bn),
            None => sink.push(
                Severity::Breaking,
                "backend-removed",
                format!(
                    "backend {i} ({}) removed: the fields it produced are no longer produced",
                    url(bo)
                ),
                Some(&bo.pointer),
                None,
            ),
        }
    }
    for (i, bn) in en.backend.iter().enumerate().skip(eo.backend.len()) {
        sink.push(
            Severity::Compatible,
            "backend-added",
            format!("backend {i} ({}) added: new fields", url(bn)),
            None,
            Some(&bn.pointer),
        );
    }
}

fn url(b: &Backend) -> String {
    b.url_pattern
        .as_ref()
        .map_or_else(String::new, |u| u.value.clone())
}

/// The effective output encoding: the endpoint's, else the service's, else `json`.
fn output_encoding(s: &Service, e: &Endpoint) -> String {
    e.output_encoding
        .as_ref()
        .or(s.output_encoding.as_ref())
        .map_or_else(|| "json".to_owned(), |a| a.value.clone())
}

fn pointer<T>(a: &Option<model::At<T>>) -> Option<&str> {
    a.as_ref().map(|a| a.pointer.as_str())
}

/// `input_headers` / `input_query_strings`: absent forwards nothing, `*` forwards everything.
/// `what` is `header` or `query`; `level` is empty at the endpoint, else `backend <i>: `.
fn forwarded(
    sink: &mut Sink<'_>,
    what: &'static str,
    level: &str,
    old: &Option<model::At<Vec<String>>>,
    new: &Option<model::At<Vec<String>>>,
) {
    let set = |a: &Option<model::At<Vec<String>>>| -> BTreeSet<String> {
        a.as_ref().map_or_else(BTreeSet::new, |a| {
            a.value
                .iter()
                .map(|s| {
                    if what == "header" {
                        s.to_ascii_lowercase()
                    } else {
                        s.clone()
                    }
                })
                .collect()
        })
    };
    let (o, n) = (set(old), set(new));
    let (o_all, n_all) = (o.contains("*"), n.contains("*"));
    let (rule_lost, rule_won) = match what {
        "header" => ("header-not-forwarded", "header-forwarded"),
        _ => ("query-not-forwarded", "query-forwarded"),
    };
    let noun = if what == "header" {
        "headers"
    } else {
        "query strings"
    };
    let lost: Vec<&String> = if n_all || o_all {
        Vec::new()
    } else {
        o.difference(&n).collect()
    };
    if o_all && !n_all {
        sink.push(
            Severity::Breaking,
            rule_lost,
            format!("{level}{noun}: `*` (all) narrowed to {}", list(&n)),
            pointer(old),
            pointer(new),
        );
    } else if !lost.is_empty() {
        sink.push(
            Severity::Breaking,
            rule_lost,
            format!(
                "{level}{noun} no longer forwarded: {}",
                list(lost.iter().copied())
            ),
            pointer(old),
            pointer(new),
        );
    }
    let won: Vec<&String> = if o_all || n_all {
        Vec::new()
    } else {
        n.difference(&o).collect()
    };
    if n_all && !o_all {
        sink.push(
            Severity::Compatible,
            rule_won,
            format!("{level}{noun}: every one now forwarded (`*`)"),
            pointer(old),
            pointer(new),
        );
    } else if !won.is_empty() {
        sink.push(
            Severity::Compatible,
            rule_won,
            format!("{level}{noun} now forwarded: {}", list(won.iter().copied())),
            pointer(old),
            pointer(new),
        );
    }
}

fn list<'a>(items: impl IntoIterator<Item = &'a String>) -> String {
    let v: Vec<String> = items.into_iter().map(|s| format!("`{s}`")).collect();
    if v.is_empty() {
        "none".to_owned()
    } else {
        v.join(", ")
    }
}

fn backend(sink: &mut Sink<'_>, i: usize, bo: &Backend, bn: &Backend) {
    let level = format!("backend {i}: ");
    forwarded(sink, "header", &level, &bo.input_headers, &bn.input_headers);
    forwarded(
        sink,
        "query",
        &level,
        &bo.input_query_strings,
        &bn.input_query_strings,
    );
    shaping(sink, &level, bo, bn);
}

fn strings(a: &Option<model::At<Vec<String>>>) -> Option<BTreeSet<String>> {
    a.as_ref().map(|a| a.value.iter().cloned().collect())
}

/// `allow`, `deny`, `mapping`, `group`, `target`, `is_collection`.
fn shaping(sink: &mut Sink<'_>, level: &str, bo: &Backend, bn: &Backend) {
    // allow: absent lets every field through.
    match (strings(&bo.allow), strings(&bn.allow)) {
        (None, Some(n)) => sink.push(
            Severity::Breaking,
            "allow-narrowed",
            format!("{level}`allow` added: only {} still produced", list(&n)),
            None,
            pointer(&bn.allow),
        ),
        (Some(_), None) => sink.push(
            Severity::Compatible,
            "allow-widened",
            format!("{level}`allow` removed: every field produced"),
            pointer(&bo.allow),
            None,
        ),
        (Some(o), Some(n)) => {
            let lost: Vec<&String> = o.difference(&n).collect();
            if !lost.is_empty() {
                sink.push(
                    Severity::Breaking,
                    "allow-narrowed",
                    format!("{level}fields no longer allowed: {}", list(lost)),
                    pointer(&bo.allow),
                    pointer(&bn.allow),
                );
            }
            let won: Vec<&String> = n.difference(&o).collect();
            if !won.is_empty() {
                sink.push(
                    Severity::Compatible,
                    "allow-widened",
                    format!("{level}fields newly allowed: {}", list(won)),
                    pointer(&bo.allow),
                    pointer(&bn.allow),
                );
            }
        }
        (None, None) => {}
    }
    let (o, n) = (
        strings(&bo.deny).unwrap_or_default(),
        strings(&bn.deny).unwrap_or_default(),
    );
    let denied: Vec<&String> = n.difference(&o).collect();
    if !denied.is_empty() {
        sink.push(
            Severity::Breaking,
            "deny-widened",
            format!("{level}fields newly denied: {}", list(denied)),
            pointer(&bo.deny),
            pointer(&bn.deny),
        );
    }
    let freed: Vec<&String> = o.difference(&n).collect();
    if !freed.is_empty() {
        sink.push(
            Severity::Compatible,
            "deny-narrowed",
            format!("{level}fields no longer denied: {}", list(freed)),
            pointer(&bo.deny),
            pointer(&bn.deny),
        );
    }
    mapping(sink, level, bo, bn);
    let text = |a: &Option<model::At<String>>| a.as_ref().map(|a| a.value.clone());
    for (rule, name, o, n, po, pn) in [
        (
            "group-changed",
            "group",
            text(&bo.group),
            text(&bn.group),
            pointer(&bo.group),
            pointer(&bn.group),
        ),
        (
            "target-changed",
            "target",
            text(&bo.target),
            text(&bn.target),
            pointer(&bo.target),
            pointer(&bn.target),
        ),
    ] {
        if o != n {
            let show =
                |v: &Option<String>| v.as_ref().map_or("(none)".to_owned(), |s| format!("`{s}`"));
            sink.push(
                Severity::Breaking,
                rule,
                format!(
                    "{level}`{name}` changed from {} to {}: the response moves",
                    show(&o),
                    show(&n)
                ),
                po,
                pn,
            );
        }
    }
    let coll = |b: &Backend| b.is_collection.as_ref().is_some_and(|a| a.value);
    if coll(bo) != coll(bn) {
        sink.push(
            Severity::Breaking,
            "collection-changed",
            format!(
                "{level}`is_collection` changed from {} to {}: the response shape changes",
                coll(bo),
                coll(bn)
            ),
            pointer(&bo.is_collection),
            pointer(&bn.is_collection),
        );
    }
}

/// `mapping`: a field mapped to another name is no longer produced under its old name.
fn mapping(sink: &mut Sink<'_>, level: &str, bo: &Backend, bn: &Backend) {
    let get = |b: &Backend| -> Vec<(String, String)> {
        b.mapping
            .as_ref()
            .map_or_else(Vec::new, |m| m.value.clone())
    };
    let (o, n) = (get(bo), get(bn));
    // The name a source field is produced under.
    let produced = |m: &[(String, String)], field: &str| -> String {
        m.iter()
            .find(|(from, _)| from == field)
            .map_or_else(|| field.to_owned(), |(_, to)| to.clone())
    };
    let mut fields: BTreeSet<&String> = o.iter().map(|(f, _)| f).collect();
    fields.extend(n.iter().map(|(f, _)| f));
    for field in fields {
        let (was, now) = (produced(&o, field), produced(&n, field));
        if was != now {
            sink.push(
                Severity::Breaking,
                "mapping-changed",
                format!(
                    "{level}field `{was}` no longer produced: `{field}` is now mapped to `{now}`"
                ),
                pointer(&bo.mapping),
                pointer(&bn.mapping),
            );
        }
    }
}

/// Reads both files and compares them; `Err` is a message for the command line.
pub fn diff_files(old: &str, new: &str) -> Result<Diff, String> {
    let read = |path: &str| -> Result<Contract, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {path}: {e}"))?;
        Contract::parse(path, &text).map_err(|r| r.to_string())
    };
    let (o, n) = (read(old)?, read(new)?);
    Ok(diff(&o, &n))
}
