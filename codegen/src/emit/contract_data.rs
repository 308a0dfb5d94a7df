//! The data of a generated contract test, computed from the plan alone: the mock bodies each
//! backend answers (in its encoding, with the fields the contract names plus noise), and the
//! gateway's expected answer, computed here by an independent model of KrakenD's shaping
//! (manipulation.md) over `serde_json::Value` — never by the runtime code under test.

use crate::plan::{
    AllowList, Backend, Decode, Endpoint, Output, ShapeStep, StaticStrategy, StaticValue, UrlPiece,
};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One exchange, as the runtime's `test_support::Exchange` holds it.
#[derive(Debug, Clone, Default)]
pub struct Case {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub mocks: Vec<MockData>,
    pub status: u16,
    pub completed: Option<String>,
    pub response: Option<String>,
    pub response_is_text: bool,
    pub response_headers: Vec<(String, String)>,
    /// Why the body is not checked, when it is not (said in the test's doc comment).
    pub unchecked: Option<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct MockData {
    pub method: String,
    pub path: String,
    pub query: Option<Vec<(String, String)>>,
    pub headers: Vec<(String, String)>,
    pub absent: Vec<String>,
    pub only_these_headers: bool,
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// Headers the test never sends as "allowed" probes: the gateway sets or drops them itself.
const NOT_PROBED: &[&str] = &[
    "host",
    "connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-via",
    "x-real-ip",
    "accept-encoding",
];

/// A header and a query parameter no contract allows by name.
pub const DENIED_HEADER: &str = "x-krustd-denied";
pub const DENIED_QUERY: &str = "krustd_denied";

/// The sample value used for endpoint parameter `i`.
pub fn sample(i: usize) -> String {
    format!("krustd{i}")
}

/// The test of one endpoint: every allowed header and query parameter sent, plus ones the
/// contract does not allow; mocks answering in each backend's encoding.
pub fn endpoint_case(e: &Endpoint) -> Case {
    if e.auth_validator.is_some() {
        // auth/validator: a request without a token is refused (401, empty body) before any
        // backend is called.
        return Case {
            method: e.method.clone(),
            path: e
                .path
                .split('/')
                .enumerate()
                .map(|(i, seg)| {
                    if seg.starts_with('{') {
                        sample(i)
                    } else {
                        seg.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/"),
            status: 401,
            response: Some(String::new()),
            response_is_text: true,
            ..Case::default()
        };
    }
    let mut i = 0;
    let path: String = e
        .path
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                i += 1;
                sample(i - 1)
            } else {
                seg.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let query = probes(e.input_query.as_ref(), &[], "q", "krustd_any", DENIED_QUERY);
    let headers = probes(
        e.input_headers.as_ref(),
        NOT_PROBED,
        "h",
        "x-krustd-any",
        DENIED_HEADER,
    );
    let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let path = format!("{path}?{}", qs.join("&"));

    // Values the sequential steps read from earlier answers: (step, path in its shaped data).
    let mut needs: BTreeMap<usize, Vec<(Vec<String>, String)>> = BTreeMap::new();
    for b in &e.backends {
        for (s, p) in &b.seq_refs {
            let v = format!("seq{s}x{}", needs.get(s).map_or(0, Vec::len));
            needs.entry(*s).or_default().push((p.clone(), v));
        }
    }
    // Each backend's own mock data, and what its shaping leaves of it (which the URLs of
    // later sequential steps read).
    let mut shaped: Vec<Option<Value>> = Vec::new();
    let mut raws: Vec<Map<String, Value>> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    for b in &e.backends {
        paths.push(backend_path(&b.path, &params_samples(e), b, &shaped));
        let raw = mock_raw(b, needs.get(&b.index).map_or(&[][..], Vec::as_slice));
        let (body, _) = encode(&raw, b);
        shaped.push(decoded(&body, b.decode).and_then(|d| shape(d, &b.steps)));
        raws.push(raw);
    }
    // The mock cannot tell two calls to one path apart: they share one answer holding what
    // each of them needs.
    let leader = |i: usize| {
        let b = &e.backends[i];
        (0..=i)
            .find(|&j| {
                let o = &e.backends[j];
                o.method == b.method && paths[j] == paths[i] && o.decode == b.decode
            })
            .unwrap_or(i)
    };
    for i in 0..raws.len() {
        let j = leader(i);
        if j != i {
            let extra = raws[i].clone();
            deep_merge(&mut raws[j], extra);
        }
    }
    let mut mocks: Vec<MockData> = Vec::new();
    let mut contributions: Vec<Option<Value>> = Vec::new();
    for (i, b) in e.backends.iter().enumerate() {
        let j = leader(i);
        let (body, content_type) = encode(&raws[j], &e.backends[j]);
        let out = decoded(&body, b.decode).and_then(|d| shape(d, &b.steps));
        contributions.push(if b.decode == Decode::Discard {
            Some(Value::Object(Map::new()))
        } else {
            out
        });
        let bpath = paths[i].clone();
        let bquery = b
            .query
            .as_ref()
            .map(|q| backend_path(q, &params_samples(e), b, &shaped));
        let mut want_query = pattern_pairs(bquery.as_deref().unwrap_or(""));
        want_query.extend(
            query
                .iter()
                .filter(|(k, _)| passes(e.input_query.as_ref(), b.input_query.as_ref(), k))
                .cloned(),
        );
        let (fwd, absent): (Vec<_>, Vec<_>) = headers
            .iter()
            .cloned()
            .partition(|(k, _)| passes(e.input_headers.as_ref(), b.input_headers.as_ref(), k));
        mocks.push(MockData {
            method: b.method.clone(),
            path: bpath,
            query: Some(want_query),
            headers: fwd,
            absent: absent.into_iter().map(|(k, _)| k).collect(),
            only_these_headers: true,
            status: 200,
            content_type,
            body,
        });
    }

    let mut case = Case {
        method: e.method.clone(),
        path,
        headers,
        status: 200,
        ..Case::default()
    };
    if e.output == Output::NoOp {
        // The backend's answer is streamed as it is.
        case.completed = Some("false".to_owned());
        case.response = mocks.first().map(|m| m.body.clone());
        case.mocks = mocks;
        return case;
    }
    let merged = merge(&contributions)
        .map(|m| with_static(m, e))
        .filter(|_| e.flatmap.is_none());
    let json_out = matches!(e.output, Output::Json | Output::Negotiate);
    case.unchecked = if e.flatmap.is_some() {
        Some("the endpoint's flatmap_filter is not modelled at build time")
    } else if merged.is_none() {
        Some("a backend's encoding or shaping (flatmap, rss, an ambiguous merge) is not modelled at build time")
    } else if !json_out {
        Some("the output encoding is not JSON")
    } else {
        None
    };
    // Unmodelled answers still hold the mock's noise, so they are non-empty.
    case.completed = Some(merged.as_ref().is_none_or(|m| !m.is_empty()).to_string());
    if json_out {
        case.response = merged.map(|m| Value::Object(m).to_string());
    }
    case.mocks = mocks;
    case
}

/// The sample values of the endpoint's parameters, in order.
fn params_samples(e: &Endpoint) -> Vec<String> {
    (0..e.params.len()).map(sample).collect()
}

/// The probes sent for one allow-list: each listed name (lower-case for headers), one name for
/// `*`, and one the list does not name.
fn probes(
    list: Option<&AllowList>,
    skip: &[&str],
    prefix: &str,
    any: &str,
    denied: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(l) = list {
        for (j, n) in l.names.iter().enumerate() {
            if !skip.contains(&n.as_str()) && n != denied && !out.iter().any(|(k, _)| k == n) {
                out.push((n.clone(), format!("{prefix}{j}")));
            }
        }
        if l.all {
            out.push((any.to_owned(), "1".to_owned()));
        }
    }
    out.push((denied.to_owned(), "1".to_owned()));
    out
}

/// Whether a client header/query `name` reaches the backend: the endpoint list lets it in, and
/// the backend list (where present) names it (`*` matches nothing there).
fn passes(endpoint: Option<&AllowList>, backend: Option<&AllowList>, name: &str) -> bool {
    let ep = endpoint.is_some_and(|l| l.all || l.names.iter().any(|n| n == name));
    ep && backend.is_none_or(|l| l.names.iter().any(|n| n == name))
}

/// The URL text a backend receives for `pieces`, with samples for parameters and the values
/// earlier steps' answers hold for sequential references.
pub(super) fn backend_path(
    pieces: &[UrlPiece],
    params: &[String],
    b: &Backend,
    shaped: &[Option<Value>],
) -> String {
    pieces
        .iter()
        .map(|p| match p {
            UrlPiece::Lit(s) => s.clone(),
            UrlPiece::Param(i) => params.get(*i).cloned().unwrap_or_default(),
            UrlPiece::Seq { index, missing } => b
                .seq_refs
                .get(*index)
                .and_then(|(s, path)| lookup(shaped.get(*s)?.as_ref()?, path))
                .unwrap_or_else(|| missing.clone()),
        })
        .collect()
}

/// A scalar at a dot path, as text (the sequential URL value).
fn lookup(v: &Value, path: &[String]) -> Option<String> {
    let mut cur = v;
    for seg in path {
        cur = cur.as_object()?.get(seg)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `a=b&c=d` into pairs (the literal query of a url_pattern, already substituted).
fn pattern_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect()
}

/// Sets `value` at a dot path, creating (or replacing non-object) intermediate objects.
fn set_path(obj: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = obj;
    for seg in parents {
        let slot = cur
            .entry(seg.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else { return };
        cur = next;
    }
    match cur.get(last) {
        Some(Value::Object(_)) if !value.is_object() => {}
        _ => {
            cur.insert(last.clone(), value);
        }
    }
}

fn leaf(path: &[String]) -> Value {
    Value::String(format!("v:{}", path.join(".")))
}

/// The data (in the backend's shaped space, before `target`) the mock answer must hold: every
/// path the steps name, a noise key beside each, and the sequential values later steps read.
fn mock_data(b: &Backend, needs: &[(Vec<String>, String)]) -> (Map<String, Value>, Vec<String>) {
    let noise = format!("krustd_b{}", b.index);
    let mut inner = Map::new();
    inner.insert(noise.clone(), Value::String(format!("noise b{}", b.index)));
    let mut target = Vec::new();
    for step in &b.steps {
        match step {
            ShapeStep::Target(t) => target = t.clone(),
            ShapeStep::Allow(paths) | ShapeStep::Deny(paths) => {
                for p in paths {
                    set_path(&mut inner, p, leaf(p));
                    if p.len() > 1 {
                        let mut sib = p[..p.len() - 1].to_vec();
                        sib.push(noise.clone());
                        set_path(&mut inner, &sib, Value::String("noise".to_owned()));
                    }
                }
            }
            ShapeStep::Mapping(pairs) => {
                for (old, _) in pairs {
                    inner.insert(old.clone(), leaf(std::slice::from_ref(old)));
                }
            }
            ShapeStep::Flatmap(_) | ShapeStep::Group(_) => {}
        }
    }
    for (path, value) in needs {
        if let Some(raw) = unshape_path(path, &b.steps) {
            set_path(&mut inner, &raw, Value::String(value.clone()));
        }
    }
    (inner, target)
}

/// A path of the shaped data back to the path of the data before `target` (inverse of group
/// and mapping); `None` when no answer can hold it.
fn unshape_path(path: &[String], steps: &[ShapeStep]) -> Option<Vec<String>> {
    let mut p = path.to_vec();
    for step in steps.iter().rev() {
        match step {
            ShapeStep::Group(g) => {
                if p.first() != Some(g) {
                    return None;
                }
                p.remove(0);
            }
            ShapeStep::Mapping(pairs) => {
                let first = p.first()?.clone();
                if let Some((old, _)) = pairs
                    .iter()
                    .find(|(_, new)| new.split('.').next() == Some(first.as_str()))
                {
                    p[0] = old.clone();
                }
            }
            ShapeStep::Flatmap(_) => return None,
            ShapeStep::Target(_) | ShapeStep::Allow(_) | ShapeStep::Deny(_) => {}
        }
    }
    (!p.is_empty()).then_some(p)
}

/// The mock answer of a backend (body, content type) and the data KrakenD decodes from it.
/// Merges `extra` into `into`; objects win over leaves, the first leaf wins over a later one.
fn deep_merge(into: &mut Map<String, Value>, extra: Map<String, Value>) {
    for (k, v) in extra {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => deep_merge(a, b),
            (Some(slot), Value::Object(b)) => *slot = Value::Object(b),
            (Some(_), _) => {}
            (None, v) => {
                into.insert(k, v);
            }
        }
    }
}

/// The data a backend's mock answer is written from (before encoding).
fn mock_raw(b: &Backend, needs: &[(Vec<String>, String)]) -> Map<String, Value> {
    let (inner, target) = mock_data(b, needs);
    let mut raw = inner;
    if !target.is_empty() {
        let mut outer = Map::new();
        outer.insert(
            format!("krustd_outer_b{}", b.index),
            Value::String("noise".to_owned()),
        );
        set_path(&mut outer, &target, Value::Object(raw));
        raw = outer;
    }
    raw
}

/// The mock answer written from `raw` in the backend's encoding, and its content type.
fn encode(raw: &Map<String, Value>, b: &Backend) -> (String, String) {
    let raw = raw.clone();
    let (body, ct) = match b.decode {
        Decode::JsonCollection => (
            Value::Array(vec![Value::Object(raw)]).to_string(),
            "application/json",
        ),
        Decode::String => (format!("krustd text b{}", b.index), "text/plain"),
        Decode::Xml { .. } => (xml_doc(&raw), "application/xml"),
        Decode::Rss => (rss_doc(b.index), "application/rss+xml"),
        _ => (Value::Object(raw).to_string(), "application/json"),
    };
    (body, ct.to_owned())
}

/// What KrakenD's decoder makes of a mock body (responses.md §5); `None` when not modelled.
pub(super) fn decoded(body: &str, decode: Decode) -> Option<Value> {
    match decode {
        Decode::JsonObject | Decode::SafeJson | Decode::Stream => {
            serde_json::from_str::<Value>(body)
                .ok()
                .filter(Value::is_object)
        }
        Decode::JsonCollection => {
            let v = serde_json::from_str::<Value>(body).ok()?;
            Some(serde_json::json!({ "collection": v }))
        }
        Decode::String => Some(serde_json::json!({ "content": body })),
        Decode::Xml { collection } => {
            // The mock's XML is `<doc>` around the data: the root element is the one key.
            let v = serde_json::json!({ "doc": xml_data(body)? });
            Some(if collection {
                serde_json::json!({ "collection": v })
            } else {
                v
            })
        }
        Decode::Rss => None,
        Decode::Discard => Some(Value::Object(Map::new())),
    }
}

/// `<doc>` with one element per key (all values are strings or objects in mock data).
fn xml_doc(data: &Map<String, Value>) -> String {
    fn write(out: &mut String, m: &Map<String, Value>) {
        for (k, v) in m {
            out.push_str(&format!("<{k}>"));
            match v {
                Value::Object(o) => write(out, o),
                Value::String(s) => out.push_str(s),
                other => out.push_str(&other.to_string()),
            }
            out.push_str(&format!("</{k}>"));
        }
    }
    let mut out = String::from("<doc>");
    write(&mut out, data);
    out.push_str("</doc>");
    out
}

/// The data the mock XML was written from, when it can be written as XML element names.
fn xml_data(body: &str) -> Option<Value> {
    // Mock XML is built only from `xml_doc`; rebuild its data by parsing our own simple form.
    fn parse(s: &mut &str) -> Option<Map<String, Value>> {
        let mut m = Map::new();
        while let Some(rest) = s.strip_prefix('<') {
            if rest.starts_with('/') {
                break;
            }
            let end = rest.find('>')?;
            let name = rest[..end].to_owned();
            *s = &rest[end + 1..];
            let close = format!("</{name}>");
            let value = if s.starts_with('<') && !s.starts_with("</") {
                Value::Object(parse(s)?)
            } else {
                let at = s.find("</")?;
                let text = s[..at].to_owned();
                *s = &s[at..];
                Value::String(text)
            };
            *s = s.strip_prefix(close.as_str())?;
            m.insert(name, value);
        }
        Some(m)
    }
    let mut s = body.strip_prefix("<doc>")?;
    let m = parse(&mut s)?;
    (s == "</doc>").then_some(Value::Object(m))
}

fn rss_doc(index: usize) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>krustd b{index}</title>\
         <link>http://127.0.0.1/</link><description>mock feed</description>\
         <item><title>item b{index}</title><link>http://127.0.0.1/item</link></item>\
         </channel></rss>"
    )
}

/// KrakenD's per-backend shaping (manipulation.md §1–§2); `None` for what is not modelled.
pub fn shape(data: Value, steps: &[ShapeStep]) -> Option<Value> {
    let Value::Object(mut m) = data else {
        return None;
    };
    for step in steps {
        match step {
            ShapeStep::Target(t) => {
                let mut cur = Some(&Value::Object(m.clone()));
                let mut found = None;
                for seg in t {
                    cur = cur.and_then(|v| v.as_object()).and_then(|o| o.get(seg));
                }
                if let Some(Value::Object(o)) = cur {
                    found = Some(o.clone());
                }
                m = found.unwrap_or_default();
            }
            ShapeStep::Allow(paths) => {
                let mut tree = AllowTree::default();
                for p in paths {
                    tree.insert(p);
                }
                m = tree.keep(&m);
            }
            ShapeStep::Deny(paths) => {
                for p in paths {
                    deny(&mut m, p);
                }
            }
            ShapeStep::Mapping(pairs) => {
                let moved: Vec<(String, Value)> = pairs
                    .iter()
                    .filter_map(|(old, new)| {
                        let v = m.remove(old)?;
                        Some((new.split('.').next().unwrap_or(new).to_owned(), v))
                    })
                    .collect();
                for (k, v) in moved {
                    m.insert(k, v);
                }
            }
            ShapeStep::Group(g) => {
                let mut outer = Map::new();
                outer.insert(g.clone(), Value::Object(m));
                m = outer;
            }
            ShapeStep::Flatmap(_) => return None,
        }
    }
    Some(Value::Object(m))
}

/// `allow` paths as a tree where the entry listed later decides between a prefix and a longer
/// path.
#[derive(Default)]
struct AllowTree(BTreeMap<String, Option<AllowTree>>);

impl AllowTree {
    fn insert(&mut self, path: &[String]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.0.insert(first.clone(), None);
            return;
        }
        let slot = self.0.entry(first.clone()).or_insert(None);
        slot.get_or_insert_with(AllowTree::default).insert(rest);
    }

    fn keep(&self, m: &Map<String, Value>) -> Map<String, Value> {
        let mut out = Map::new();
        for (k, sub) in &self.0 {
            let Some(v) = m.get(k) else { continue };
            match (sub, v) {
                (None, _) => {
                    out.insert(k.clone(), v.clone());
                }
                (Some(t), Value::Object(o)) => {
                    let kept = t.keep(o);
                    if !kept.is_empty() {
                        out.insert(k.clone(), Value::Object(kept));
                    }
                }
                (Some(_), _) => {}
            }
        }
        out
    }
}

fn deny(m: &mut Map<String, Value>, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = m;
    for seg in parents {
        match cur.get_mut(seg) {
            Some(Value::Object(o)) => cur = o,
            _ => return,
        }
    }
    cur.remove(last);
}

/// The endpoint merge: top-level keys of every answer; `None` when two answers disagree on a
/// key (the last to answer would win: not deterministic) or an answer is not modelled.
fn merge(parts: &[Option<Value>]) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    for p in parts {
        let Value::Object(m) = p.as_ref()? else {
            return None;
        };
        for (k, v) in m {
            if out.get(k).is_some_and(|old| old != v) {
                return None;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    Some(out)
}

/// `proxy.static` on an answer where every backend succeeded (proxy-behaviours.md).
fn with_static(mut m: Map<String, Value>, e: &Endpoint) -> Map<String, Value> {
    if let Some((strategy, members)) = &e.static_data {
        if matches!(
            strategy,
            StaticStrategy::Always | StaticStrategy::Success | StaticStrategy::Complete
        ) {
            for (k, v) in members {
                m.insert(k.clone(), static_value(v));
            }
        }
    }
    m
}

fn static_value(v: &StaticValue) -> Value {
    match v {
        StaticValue::Null => Value::Null,
        StaticValue::Bool(b) => Value::Bool(*b),
        StaticValue::Number(n) => serde_json::from_str(n).unwrap_or(Value::Null),
        StaticValue::String(s) => Value::String(s.clone()),
        StaticValue::Array(a) => Value::Array(a.iter().map(static_value).collect()),
        StaticValue::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), static_value(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> Vec<String> {
        s.split('.').map(str::to_owned).collect()
    }

    fn run(data: Value, steps: &[ShapeStep]) -> Value {
        shape(data, steps).expect("modelled")
    }

    // The examples of manipulation.md §2.
    #[test]
    fn allow_keeps_listed_paths_and_never_looks_into_arrays() {
        let data = json!({"a":{"b":1,"c":2},"d":[{"b":1}],"e":3});
        let allow = ShapeStep::Allow(vec![p("a.b"), p("d.b")]);
        assert_eq!(run(data, &[allow]), json!({"a":{"b":1}}));
    }

    #[test]
    fn the_later_of_a_prefix_and_a_longer_allow_path_decides() {
        let data = json!({"a":{"b":1,"c":2}});
        let longer_last = ShapeStep::Allow(vec![p("a"), p("a.b")]);
        assert_eq!(run(data.clone(), &[longer_last]), json!({"a":{"b":1}}));
        let prefix_last = ShapeStep::Allow(vec![p("a.b"), p("a")]);
        assert_eq!(run(data, &[prefix_last]), json!({"a":{"b":1,"c":2}}));
    }

    #[test]
    fn deny_removes_paths_and_keeps_parents() {
        let data = json!({"a":{"b":1,"c":2},"d":[{"b":1}],"e":3});
        let deny = ShapeStep::Deny(vec![p("a.b"), p("d.b"), p("x.y")]);
        assert_eq!(run(data, &[deny]), json!({"a":{"c":2},"d":[{"b":1}],"e":3}));
    }

    #[test]
    fn target_mapping_group_in_order() {
        let data = json!({"user":{"name":"Ada","email":"e"},"x":1});
        let steps = [
            ShapeStep::Target(p("user")),
            ShapeStep::Mapping(vec![("name".into(), "full.name".into())]),
            ShapeStep::Group("g".into()),
        ];
        assert_eq!(run(data, &steps), json!({"g":{"full":"Ada","email":"e"}}));
        let missing = [ShapeStep::Target(p("nope.x")), ShapeStep::Group("g".into())];
        assert_eq!(run(json!({"a":1}), &missing), json!({"g":{}}));
    }

    #[test]
    fn a_merge_that_depends_on_answer_order_is_not_modelled() {
        let a = Some(json!({"k":1,"same":true}));
        let b = Some(json!({"k":2}));
        assert!(merge(&[a.clone(), b]).is_none());
        let c = Some(json!({"same":true,"other":0}));
        assert_eq!(
            merge(&[a, c]).map(Value::Object),
            Some(json!({"k":1,"same":true,"other":0}))
        );
    }

    #[test]
    fn mock_xml_decodes_to_its_root_element() {
        let mut m = Map::new();
        set_path(&mut m, &p("a.b"), json!("x"));
        set_path(&mut m, &p("c"), json!("y"));
        let xml = xml_doc(&m);
        assert_eq!(xml, "<doc><a><b>x</b></a><c>y</c></doc>");
        assert_eq!(
            decoded(&xml, Decode::Xml { collection: false }),
            Some(json!({"doc":{"a":{"b":"x"},"c":"y"}}))
        );
    }
}
