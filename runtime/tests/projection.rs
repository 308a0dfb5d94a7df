//! Differential tests of `projection` (response shaping compiled into the parse) against the
//! generic path (`decode::decode`, then the `shape` steps).
//!
//! Shaping specs are random `plan::ShapeStep` lists turned into projections by codegen's own
//! builder (`krustd_codegen::projection`), so its build-time decisions (KrakenD's "later allow
//! entry decides" rule, deny paths under a denied key) are under test too. Documents are random
//! JSON written with random spacing and escaping, repeated keys, odd inputs serde_json treats
//! specially, mutations that make them invalid, deep nesting around serde_json's limit, and
//! megabyte-sized bodies. Both paths must give the same data or the same error message, and the
//! same bytes once rendered.

#![allow(clippy::unwrap_used)]

use krustd_codegen::plan::{self, ShapeStep};
use krustd_codegen::projection::{self as build, Shaping};
use krustd_runtime::projection::{self, Field, Projection, Select};
use krustd_runtime::render::json;
use krustd_runtime::shape::{self, Data};
use krustd_runtime::spec::Decode;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

// ---- documents ----

/// A JSON document as written: objects may repeat keys, strings carry how they are escaped.
#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(Text),
    Arr(Vec<J>),
    Obj(Vec<(Text, J)>),
    /// Text serde_json treats specially, or rejects although it looks fine.
    Odd(&'static [u8]),
}

#[derive(Debug, Clone)]
struct Text {
    s: String,
    /// Write every character as an escape (`\u00e9`, surrogate pairs, `\/`).
    escape_all: bool,
}

const KEYS: &[&str] = &[
    "a",
    "b",
    "c",
    "d",
    "collection",
    "content",
    "a.b",
    "",
    "é",
    "<k>",
    L1,
    L2,
];
const SEGMENTS: &[&str] = &[
    L1,
    "a",
    L2,
    "b",
    "c",
    "d",
    "collection",
    "content",
    "",
    "é",
    "x",
];
/// Two keys past the 63 bytes the fast path tells apart by length, differing at the end.
const L1: &str = "long-key-long-key-long-key-long-key-long-key-long-key-long-key-long-a";
const L2: &str = "long-key-long-key-long-key-long-key-long-key-long-key-long-key-long-bb";
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "7",
    "-12",
    "1.50",
    "1e3",
    "1E-2",
    "2.5e+10",
    "12345678901234567890123",
    "-0.000001",
];
const CHARS: &[char] = &[
    'a', 'b', 'z', ' ', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', '<', '&', 'é', '\u{2028}',
    '日', '😀', '\u{7f}',
];
const ODD: &[&[u8]] = &[
    br#""\ud800""#,
    br#""\udc00x""#,
    br#""\ud800\u0041""#,
    br#""\ud800\\""#,
    br#""\ud83d\ude00""#,
    br#""\u00""#,
    br#""\x""#,
    b"\"\xff\"",
    b"\"\xc3\"",
    b"\"\x01\"",
    br#"{"$serde_json::private::Number":"1"}"#,
    br#"{"$serde_json::private::Number":"x"}"#,
    br#"{"$serde_json::private::Number":"2","b":1}"#,
    br#"{"\u0024serde_json::private::Number":"3"}"#,
    br#"{"a":1,"$serde_json::private::Number":"4"}"#,
    br#"{"$serde_json::private::RawValue":"[1]"}"#,
    b"01",
    b"1.",
    b"-",
    b"1e",
    b"tru",
    b"nul",
    b"[1,]",
    br#"{"a":1,}"#,
    br#"{"a" 1}"#,
    b"[1 2]",
];

fn text() -> impl Strategy<Value = Text> {
    (
        // Mostly short; some past the 16 bytes the fast scan reads at a time.
        prop_oneof![
            4 => prop::collection::vec(prop::sample::select(CHARS), 0..6),
            1 => prop::collection::vec(prop::sample::select(CHARS), 6..48),
        ],
        any::<bool>(),
    )
        .prop_map(|(chars, escape_all)| Text {
            s: chars.into_iter().collect(),
            escape_all,
        })
}

fn key() -> impl Strategy<Value = Text> {
    (prop::sample::select(KEYS), prop::bool::weighted(0.1)).prop_map(|(k, escape_all)| Text {
        s: k.to_owned(),
        escape_all,
    })
}

fn value(odd: bool) -> impl Strategy<Value = J> {
    let odd_weight = if odd { 1 } else { 0 };
    let leaf = prop_oneof![
        2 => Just(J::Null),
        2 => any::<bool>().prop_map(J::Bool),
        4 => prop::sample::select(NUMBERS).prop_map(J::Num),
        4 => text().prop_map(J::Str),
        odd_weight => prop::sample::select(ODD).prop_map(J::Odd),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            1 => prop::collection::vec(inner.clone(), 0..5).prop_map(J::Arr),
            3 => prop::collection::vec((key(), inner), 0..7).prop_map(J::Obj),
        ]
    })
}

/// A body: mostly an object at the root, sometimes an array or a scalar.
fn document(odd: bool) -> impl Strategy<Value = J> {
    prop_oneof![
        6 => prop::collection::vec((key(), value(odd)), 0..8).prop_map(J::Obj),
        1 => prop::collection::vec(value(odd), 0..4).prop_map(J::Arr),
        1 => value(odd),
    ]
}

fn write_text(t: &Text, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in t.s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' if t.escape_all => out.extend_from_slice(b"\\/"),
            c if t.escape_all || (c as u32) < 0x20 => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Writes `j`; `spaced` puts whitespace around every token.
fn write(j: &J, spaced: bool, out: &mut Vec<u8>) {
    let ws = |out: &mut Vec<u8>| {
        if spaced {
            out.extend_from_slice(b" \n\t\r ");
        }
    };
    match j {
        J::Null => out.extend_from_slice(b"null"),
        J::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        J::Num(n) => out.extend_from_slice(n.as_bytes()),
        J::Str(t) => write_text(t, out),
        J::Odd(raw) => out.extend_from_slice(raw),
        J::Arr(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                ws(out);
                write(item, spaced, out);
                ws(out);
            }
            out.push(b']');
        }
        J::Obj(entries) => {
            out.push(b'{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                ws(out);
                write_text(k, out);
                ws(out);
                out.push(b':');
                ws(out);
                write(v, spaced, out);
                ws(out);
            }
            out.push(b'}');
        }
    }
}

fn body_of(j: &J, spaced: bool, trailing: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if spaced {
        out.extend_from_slice(b"\n ");
    }
    write(j, spaced, &mut out);
    out.extend_from_slice(trailing);
    out
}

/// Bytes after the first value: ignored by both paths.
const TRAILING: &[&[u8]] = &[
    b"",
    b"",
    b"",
    b" ",
    b"\n{\"x\":1}",
    b"garbage",
    b"]",
    b"\xff",
];

/// A mutation that (usually) makes a body invalid.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
}

const NASTY: &[u8] = b"{}[],:\"\\ a1-.e\x01\xff\xc3\x80";

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        (any::<prop::sample::Index>(), prop::sample::select(NASTY))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<prop::sample::Index>(), prop::sample::select(NASTY))
            .prop_map(|(i, b)| Mutation::Replace(i, b)),
    ]
}

fn mutate(mut body: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = body.len();
    match m {
        Mutation::Truncate(i) => body.truncate(i.index(len + 1)),
        Mutation::Insert(i, b) => body.insert(i.index(len + 1), *b),
        Mutation::Replace(i, b) => {
            if len > 0 {
                body[i.index(len)] = *b;
            }
        }
    }
    body
}

// ---- shaping specs ----

fn path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(SEGMENTS).prop_map(str::to_owned), 1..4)
}

fn paths() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(path(), 1..5)
}

fn decode_kind() -> impl Strategy<Value = plan::Decode> {
    prop_oneof![
        6 => Just(plan::Decode::JsonObject),
        1 => Just(plan::Decode::JsonCollection),
        1 => Just(plan::Decode::SafeJson),
    ]
}

/// Steps as `plan::lower_backend` builds them: target, allow or else deny, mapping, group.
fn steps() -> impl Strategy<Value = Vec<ShapeStep>> {
    let mapping = prop::collection::vec(
        (
            prop::sample::select(KEYS).prop_map(str::to_owned),
            prop::sample::select(SEGMENTS).prop_map(str::to_owned),
        ),
        1..4,
    );
    (
        prop::option::weighted(0.4, path()),
        prop_oneof![
            1 => Just(None),
            3 => paths().prop_map(|p| Some(ShapeStep::Allow(p))),
            2 => paths().prop_map(|p| Some(ShapeStep::Deny(p))),
        ],
        prop::option::weighted(0.3, mapping),
        prop::option::weighted(0.3, prop::sample::select(SEGMENTS)),
    )
        .prop_map(|(target, select, mapping, group)| {
            let mut steps = Vec::new();
            if let Some(t) = target {
                steps.push(ShapeStep::Target(t));
            }
            steps.extend(select);
            if let Some(m) = mapping {
                steps.push(ShapeStep::Mapping(m));
            }
            if let Some(g) = group {
                steps.push(ShapeStep::Group(g.to_owned()));
            }
            steps
        })
}

// ---- the two paths ----

fn runtime_decode(d: plan::Decode) -> Decode {
    match d {
        plan::Decode::JsonCollection => Decode::JsonCollection,
        plan::Decode::SafeJson => Decode::SafeJson,
        _ => Decode::JsonObject,
    }
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Vec::leak(v)
}

fn leak_str(s: &str) -> &'static str {
    String::leak(s.to_owned())
}

fn fields(tree: &[build::Field]) -> &'static [Field] {
    leak(
        tree.iter()
            .map(|f| Field {
                key: leak_str(&f.key),
                below: fields(&f.below),
            })
            .collect(),
    )
}

/// What the emitted `static` would hold (the emitter writes the same fields as tokens).
fn runtime_projection(p: &build::Projection) -> Projection {
    Projection {
        decode: runtime_decode(p.decode),
        target: leak(p.target.iter().map(|s| leak_str(s)).collect()),
        select: match &p.select {
            build::Select::All => Select::All,
            build::Select::Allow(t) => Select::Allow(fields(t)),
            build::Select::Deny(t) => Select::Deny(fields(t)),
        },
        mapping: leak(
            p.mapping
                .iter()
                .map(|(a, b)| (leak_str(a), leak_str(b)))
                .collect(),
        ),
        group: p.group.as_deref().map(leak_str),
    }
}

fn as_refs(paths: &[Vec<String>]) -> Vec<Vec<&str>> {
    paths
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect()
}

/// The generic steps, exactly as the generated code calls them.
fn run_steps(mut d: Data, steps: &[ShapeStep]) -> Data {
    for step in steps {
        d = match step {
            ShapeStep::Target(p) => {
                let p: Vec<&str> = p.iter().map(String::as_str).collect();
                shape::target(d, &p)
            }
            ShapeStep::Allow(paths) => {
                let owned = as_refs(paths);
                let refs: Vec<&[&str]> = owned.iter().map(Vec::as_slice).collect();
                shape::allow(d, &refs)
            }
            ShapeStep::Deny(paths) => {
                let owned = as_refs(paths);
                let refs: Vec<&[&str]> = owned.iter().map(Vec::as_slice).collect();
                shape::deny(&mut d, &refs);
                d
            }
            ShapeStep::Mapping(pairs) => {
                let refs: Vec<(&str, &str)> = pairs
                    .iter()
                    .map(|(a, b)| (a.as_str(), b.as_str()))
                    .collect();
                shape::mapping(&mut d, &refs);
                d
            }
            ShapeStep::Group(g) => shape::group(d, g),
            ShapeStep::Flatmap(_) => unreachable!("not generated"),
        };
    }
    d
}

fn generic(body: &[u8], decode: plan::Decode, steps: &[ShapeStep]) -> Result<Data, String> {
    krustd_runtime::decode::decode(runtime_decode(decode), body).map(|d| run_steps(d, steps))
}

fn render(r: &Result<Data, String>) -> Result<Vec<u8>, String> {
    r.as_ref()
        .map(|d| {
            let mut out = Vec::new();
            json::write_map(&mut out, d);
            out
        })
        .map_err(Clone::clone)
}

/// How one case went.
#[derive(Debug, PartialEq, Eq)]
enum Path {
    /// The fast reader produced the data.
    Fast,
    /// The fast reader declined; the generic path answered.
    Declined,
    /// Codegen kept the backend on the generic path.
    Generic,
}

/// Runs both paths on `body` and checks they agree; says which path the specialised side took.
fn check(body: &[u8], decode: plan::Decode, steps: &[ShapeStep]) -> Result<Path, TestCaseError> {
    let expected = generic(body, decode, steps);
    let (got, path) = match build::shaping(decode, steps) {
        Shaping::Projected {
            projection,
            covers,
            rest,
        } => {
            prop_assert_eq!(covers, steps.len());
            prop_assert_eq!(rest, None);
            let p = runtime_projection(&projection);
            let fast = projection::project(body, &p);
            let path = if fast.is_ok() {
                Path::Fast
            } else {
                Path::Declined
            };
            if let Ok(d) = &fast {
                prop_assert!(
                    expected.is_ok(),
                    "fast path accepted what the generic path rejects"
                );
                prop_assert_eq!(Some(d), expected.as_ref().ok());
            }
            check_render(body, &p, &expected)?;
            (projection::decode(body, &p), path)
        }
        Shaping::Generic(_) | Shaping::Unshaped => (generic(body, decode, steps), Path::Generic),
    };
    prop_assert_eq!(&got, &expected, "body {:?}", String::from_utf8_lossy(body));
    prop_assert_eq!(render(&got), render(&expected));
    Ok(path)
}

/// `projection::render` (a grouped fan-out's value written from the body) gives the render of
/// what the generic path puts under the group (the whole data without a group), or its error.
fn check_render(
    body: &[u8],
    p: &Projection,
    expected: &Result<Data, String>,
) -> Result<(), TestCaseError> {
    let want = expected.as_ref().map_err(Clone::clone).map(|d| {
        let value = match p.group {
            Some(g) => d.get(g).cloned().unwrap_or(Value::Null),
            None => Value::Object(d.clone()),
        };
        json::to_vec(&value)
    });
    let got = projection::render::render(body, p);
    prop_assert_eq!(&got, &want, "render of {:?}", String::from_utf8_lossy(body));
    if let Some(fast) = projection::render::fast(body, p) {
        prop_assert_eq!(Ok(fast), want);
    }
    Ok(())
}

/// Whether `render::fast` must take a valid `body` of `doc` for `steps`: an object root, an
/// `allow` without `target`, a mapping that only renames, no key repeated in an object.
fn render_must_take(doc: &J, decode: plan::Decode, steps: &[ShapeStep]) -> bool {
    fn repeats(j: &J) -> bool {
        match j {
            J::Arr(items) => items.iter().any(repeats),
            J::Obj(members) => {
                let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.s.as_str()).collect();
                keys.sort_unstable();
                keys.windows(2).any(|w| w[0] == w[1]) || members.iter().any(|(_, v)| repeats(v))
            }
            _ => false,
        }
    }
    let Shaping::Projected { projection: p, .. } = build::shaping(decode, steps) else {
        return false;
    };
    let build::Select::Allow(fields) = &p.select else {
        return false;
    };
    let plain = p.mapping.iter().enumerate().all(|(i, (old, new))| {
        p.mapping
            .iter()
            .skip(i + 1)
            .all(|(o, n)| o != old && n != new)
            && (old == new || fields.iter().all(|f| &f.key != new))
    });
    matches!(doc, J::Obj(_))
        && matches!(decode, plan::Decode::JsonObject | plan::Decode::SafeJson)
        && p.target.is_empty()
        && plain
        && !repeats(doc)
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(2000))]

    /// Well-formed documents: same results, and the fast reader never declines one.
    #[test]
    fn valid_documents(
        doc in document(false),
        spaced in any::<bool>(),
        trailing in prop::sample::select(TRAILING),
        decode in decode_kind(),
        steps in steps(),
    ) {
        let body = body_of(&doc, spaced, trailing);
        let path = check(&body, decode, &steps)?;
        let root_kind_fits = matches!(
            (&doc, decode),
            (J::Obj(_), plan::Decode::JsonObject | plan::Decode::SafeJson)
                | (J::Arr(_), plan::Decode::JsonCollection | plan::Decode::SafeJson)
        );
        // Whatever follows the first value (`\xff` included) is not read.
        if root_kind_fits {
            prop_assert_ne!(path, Path::Declined, "declined a valid body");
        }
        if render_must_take(&doc, decode, &steps) {
            let Shaping::Projected { projection: p, .. } = build::shaping(decode, &steps) else {
                unreachable!("checked by render_must_take");
            };
            prop_assert!(
                projection::render::fast(&body, &runtime_projection(&p)).is_some(),
                "render declined a valid body"
            );
        }
    }

    /// Documents with inputs serde_json treats specially (lone surrogates, invalid UTF-8, its
    /// private number key, bad numbers and literals) anywhere, kept or skipped.
    #[test]
    fn odd_documents(
        doc in document(true),
        spaced in any::<bool>(),
        decode in decode_kind(),
        steps in steps(),
    ) {
        let body = body_of(&doc, spaced, b"");
        check(&body, decode, &steps)?;
    }

    /// Broken documents: both paths fail with the same message, or agree on what they read.
    #[test]
    fn mutated_documents(
        doc in document(false),
        spaced in any::<bool>(),
        mutations in prop::collection::vec(mutation(), 1..3),
        decode in decode_kind(),
        steps in steps(),
    ) {
        let mut body = body_of(&doc, spaced, b"");
        for m in &mutations {
            body = mutate(body, m);
        }
        check(&body, decode, &steps)?;
    }

    /// Nesting around serde_json's limit (127 open containers), in kept and in skipped parts.
    #[test]
    fn deep_documents(
        levels in 100usize..135,
        arrays in any::<bool>(),
        at in prop::sample::select(&["a", "b", "c"][..]),
        steps in steps(),
    ) {
        let mut inner = b"1".to_vec();
        for _ in 0..levels {
            inner = if arrays {
                [b"[".as_slice(), &inner, b"]"].concat()
            } else {
                [b"{\"a\":".as_slice(), &inner, b"}"].concat()
            };
        }
        let body = [format!(r#"{{"x":1,"{at}":"#).as_bytes(), &inner, b"}"].concat();
        check(&body, plan::Decode::JsonObject, &steps)?;
    }
}

fn projected_steps(target: Option<&str>, allow: &[&str], deny: &[&str]) -> Vec<ShapeStep> {
    let split = |p: &str| p.split('.').map(str::to_owned).collect::<Vec<_>>();
    let mut steps = Vec::new();
    if let Some(t) = target {
        steps.push(ShapeStep::Target(split(t)));
    }
    if !allow.is_empty() {
        steps.push(ShapeStep::Allow(allow.iter().map(|p| split(p)).collect()));
    } else if !deny.is_empty() {
        steps.push(ShapeStep::Deny(deny.iter().map(|p| split(p)).collect()));
    }
    steps
}

/// A ~1.5 MB document: a large array of records next to small fields.
fn huge() -> Vec<u8> {
    let mut out =
        br#"{"id":42,"name":"huge","meta":{"page":1,"tags":["a","b"]},"items":["#.to_vec();
    for i in 0..12_000 {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(
            format!(
                r#"{{"id":{i},"title":"item \"{i}\" \u00e9\ud83d\ude00","price":{}.{:02},"tags":["x","y"],"dims":{{"w":{},"h":1e3}},"ok":true,"n":null}}"#,
                i * 7 % 1000,
                i % 100,
                i % 50
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(br#"],"count":12000}"#);
    out
}

#[test]
fn huge_documents() {
    let body = huge();
    assert!(body.len() > 1_000_000);
    let cases = [
        projected_steps(None, &["id", "name", "meta.page"], &[]),
        projected_steps(None, &[], &["items"]),
        projected_steps(Some("meta"), &[], &[]),
        projected_steps(None, &["items", "count"], &[]),
        projected_steps(None, &[], &["meta.tags"]),
    ];
    for steps in &cases {
        assert_eq!(
            check(&body, plan::Decode::JsonObject, steps).unwrap(),
            Path::Fast
        );
        // Broken at the very end (inside the skipped or kept array), and at a few other places.
        for cut in [body.len() - 1, body.len() - 20, body.len() / 2, 100] {
            assert_ne!(
                check(&body[..cut], plan::Decode::JsonObject, steps).unwrap(),
                Path::Fast
            );
        }
        let mut broken = body.clone();
        let at = body.len() * 3 / 4;
        broken[at] = 0xff;
        assert_ne!(
            check(&broken, plan::Decode::JsonObject, steps).unwrap(),
            Path::Fast
        );
    }
}

#[test]
fn projections_skip_without_declining_the_common_case() {
    // Escaped keys at projected levels are decoded, not declined.
    let steps = projected_steps(None, &["a"], &[]);
    let body = br#"{"\u0061":{"k":1},"b":2}"#;
    assert_eq!(
        check(body, plan::Decode::JsonObject, &steps).unwrap(),
        Path::Fast
    );
    let p = match build::shaping(plan::Decode::JsonObject, &steps) {
        Shaping::Projected { projection, .. } => runtime_projection(&projection),
        other => panic!("not projected: {other:?}"),
    };
    assert_eq!(
        projection::project(br#"{"a":1,"a":{"x":[]}}"#, &p).map(|d| d.len()),
        Ok(1)
    );
    // Bytes after the first value are not read, by either path (UTF-8 or not).
    assert_eq!(
        projection::project(b"{\"a\":1}\xff", &p).map(|d| d.len()),
        Ok(1)
    );
    assert_eq!(
        check(b"{\"a\":1}\xff", plan::Decode::JsonObject, &steps).unwrap(),
        Path::Fast
    );
}
