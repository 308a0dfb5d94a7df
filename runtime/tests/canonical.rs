//! Differential tests of `render::canonical` (the client body written straight from an unshaped
//! JSON backend answer) against the generic path it replaces: `decode::decode` into a `Value`,
//! then the Go-style render. Both must give the same bytes and the same completeness, or the
//! same error text, for every body.
//!
//! Documents are random JSON written with random spacing and escaping, unsorted and repeated
//! keys, numbers in every spelling serde_json normalises, inputs serde_json treats specially,
//! mutations that make them invalid, trailing bytes, and nesting around serde_json's depth
//! limit. Valid documents without those special inputs must be taken by the fast reader (so
//! the test cannot pass by always declining).

#![allow(clippy::unwrap_used)]

use krustd_runtime::render::canonical::{fast, reference, render};
use krustd_runtime::spec::Decode;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum J {
    Null,
    Bool(bool),
    Num(&'static str),
    Str(String, bool),
    Arr(Vec<J>),
    Obj(Vec<((String, bool), J)>),
    Odd(&'static [u8]),
}

const KEYS: &[&str] = &[
    "a", "b", "c", "B", "ab", "a b", "", "é", "Ａ", "😀", "<k>", "z\"", "~", "1",
];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "7",
    "-12",
    "1.50",
    "1e3",
    "1E-2",
    "2.5e+10",
    "0.0E0",
    "-0.000001",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "12345678901234567890123.5e-400",
];
const CHARS: &[char] = &[
    'a', 'Z', ' ', '"', '\\', '/', '\n', '\r', '\t', '\u{8}', '\u{c}', '\u{1}', '\u{1f}', '<', '>',
    '&', 'é', '\u{2028}', '\u{2029}', '\u{2027}', '€', '日', '😀', '\u{7f}', '\u{ffff}',
];
/// Text serde_json rejects, or treats specially, although it may look fine.
const ODD: &[&[u8]] = &[
    br#""\ud800""#,
    br#""\udc00x""#,
    br#""\ud800\u0041""#,
    br#""\ud800\\""#,
    br#""\ud83d\ude00""#,
    br#""\uD83D\uDE00\u00E9""#,
    br#""\u00""#,
    br#""\x""#,
    b"\"\xff\"",
    b"\"\xc3\"",
    b"\"\xc3\\u00a9\"",
    b"\"\xed\xa0\x80\"",
    b"\"\x01\"",
    b"\"\x7f\"",
    br#"{"$serde_json::private::Number":"1"}"#,
    br#"{"$serde_json::private::Number":"x"}"#,
    br#"{"$serde_json::private::Number":"2","b":1}"#,
    br#"{"\u0024serde_json::private::Number":"3"}"#,
    br#"{"a":1,"$serde_json::private::Number":"4"}"#,
    br#"{"$serde_json::private::RawValue":"[1]"}"#,
    b"01",
    b"1.",
    b"-",
    b"-a",
    b"1e",
    b"1e+",
    b".5",
    b"+1",
    b"tru",
    b"nul",
    b"True",
    b"[1,]",
    br#"{"a":1,}"#,
    br#"{"a" 1}"#,
    br#"{a:1}"#,
    b"[1 2]",
    b"\x0c1",
];

fn text() -> impl Strategy<Value = (String, bool)> {
    (
        prop::collection::vec(prop::sample::select(CHARS), 0..6),
        prop::bool::weighted(0.3),
    )
        .prop_map(|(chars, escape_all)| (chars.into_iter().collect(), escape_all))
}

fn key() -> impl Strategy<Value = (String, bool)> {
    (prop::sample::select(KEYS), prop::bool::weighted(0.15))
        .prop_map(|(k, escape_all)| (k.to_owned(), escape_all))
}

fn value(odd: bool) -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        2 => Just(J::Null),
        2 => any::<bool>().prop_map(J::Bool),
        4 => prop::sample::select(NUMBERS).prop_map(J::Num),
        4 => text().prop_map(|(s, e)| J::Str(s, e)),
        u32::from(odd) => prop::sample::select(ODD).prop_map(J::Odd),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            1 => prop::collection::vec(inner.clone(), 0..5).prop_map(J::Arr),
            3 => prop::collection::vec((key(), inner), 0..8).prop_map(J::Obj),
        ]
    })
}

/// Mostly an object at the root, sometimes an array or a scalar.
fn document(odd: bool) -> impl Strategy<Value = J> {
    prop_oneof![
        6 => prop::collection::vec((key(), value(odd)), 0..9).prop_map(J::Obj),
        1 => prop::collection::vec(value(odd), 0..4).prop_map(J::Arr),
        1 => value(odd),
    ]
}

fn write_text(s: &str, escape_all: bool, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' if escape_all => out.extend_from_slice(b"\\/"),
            '\n' if escape_all => out.extend_from_slice(b"\\n"),
            c if escape_all || (c as u32) < 0x20 => {
                let mut units = [0u16; 2];
                for &mut u in c.encode_utf16(&mut units) {
                    // Upper- and lower-case hex digits are both accepted.
                    let hex = if u % 2 == 0 {
                        format!("\\u{u:04x}")
                    } else {
                        format!("\\u{u:04X}")
                    };
                    out.extend_from_slice(hex.as_bytes());
                }
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0u8; 4]).as_bytes()),
        }
    }
    out.push(b'"');
}

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
        J::Str(s, e) => write_text(s, *e, out),
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
        J::Obj(members) => {
            out.push(b'{');
            for (i, ((k, e), v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                ws(out);
                write_text(k, *e, out);
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

/// Bytes after the first value: ignored by both paths (after a scalar, only a delimiter).
const TRAILING: &[&[u8]] = &[
    b"",
    b"",
    b" ",
    b"\n{\"x\":1}",
    b"garbage",
    b"]",
    b"\xff",
    b",",
];

/// Trailing bytes that keep any document valid.
const VALID_TRAILING: &[&[u8]] = &[b"", b" ", b"\n[1]", b"{"];

const NASTY: &[u8] = b"{}[],:\"\\ a1-.eE+\x01\xff\xc3\x80";

#[derive(Debug, Clone)]
enum Mutation {
    None,
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, u8),
    Replace(prop::sample::Index, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::None),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        1 => (any::<prop::sample::Index>(), prop::sample::select(NASTY))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => (any::<prop::sample::Index>(), prop::sample::select(NASTY))
            .prop_map(|(i, b)| Mutation::Replace(i, b)),
    ]
}

fn mutate(mut body: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let len = body.len();
    match m {
        Mutation::None => {}
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

const ENCODINGS: [Decode; 3] = [Decode::JsonObject, Decode::JsonCollection, Decode::SafeJson];

/// The fast path's answer is the generic path's, for every JSON encoding; returns whether the
/// fast reader took the body under each encoding the generic path accepted it with.
fn same(body: &[u8]) -> Result<bool, TestCaseError> {
    let mut taken = true;
    for how in ENCODINGS {
        let expected = reference(how, body);
        prop_assert_eq!(&render(how, body), &expected, "{:?} {:?}", how, body);
        if let Some(f) = fast(how, body) {
            prop_assert_eq!(Ok(f), expected, "{:?} {:?}", how, body);
        } else if expected.is_ok() {
            taken = false;
        }
    }
    Ok(taken)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    /// Valid documents: the same answer, and the fast reader takes every one.
    #[test]
    fn valid_documents_are_taken_and_rendered_alike(
        j in document(false),
        spaced in any::<bool>(),
        trailing in prop::sample::select(VALID_TRAILING),
    ) {
        let mut body = if spaced { b" \r\n".to_vec() } else { Vec::new() };
        write(&j, spaced, &mut body);
        body.extend_from_slice(trailing);
        prop_assert!(same(&body)?, "declined a valid document: {:?}", String::from_utf8_lossy(&body));
    }

    /// Odd inputs, mutations and trailing bytes: the same answer or the same error.
    #[test]
    fn any_body_gets_the_same_answer(
        j in document(true),
        spaced in any::<bool>(),
        m in mutation(),
        trailing in prop::sample::select(TRAILING),
    ) {
        let mut body = Vec::new();
        write(&j, spaced, &mut body);
        body.extend_from_slice(trailing);
        same(&mutate(body, &m))?;
    }
}

#[test]
fn edge_cases() {
    let cases: &[&[u8]] = &[
        b"",
        b" \n\t\r",
        b"{}",
        b"[]",
        b"{} trailing",
        b"[1]x",
        b"1",
        b"1x",
        b"1 x",
        b"1,",
        b"1]",
        b"null",
        b"nullx",
        b"\"s\"x",
        b"-0",
        b"-0.0e-0",
        b"1E400",
        b"{\"a\":1,\"a\":2,\"b\":3,\"a\":4}",
        b"{\"b\":{\"d\":1,\"c\":2},\"a\":[{\"z\":0,\"y\":1}]}",
        b"{\"\\u0061\":1,\"a\":2}",
        b"{\"a\":1,\"\\u0061\":2}",
        b"{\"\\u00e9\":1,\"\xc3\xa9\":2,\"\\u00E9\":3}",
        b"{\"k\\n\":\"\\u2028\\u2029\\u003c\",\"k\":\"\xe2\x80\xa8\"}",
        b"{\"\":0,\" \":1}",
        b"\xef\xbb\xbf{}",
        b"{\"a\":\"\\ud83d\\ude00\\ud83d\"}",
        b"{\"a\":\"\\ud83d\\ude00\",\"b\":\"\\uDBFF\\uDFFF\"}",
        b"[\"\\u0000\\u001f\\u007f\\b\\f\"]",
        b"{\"a\" : 1 , \"b\" : [ ] , \"c\" : { } }",
        b"{\"$serde_json::private::Number\":\"1.5\"}",
        b"{\"x\":{\"$serde_json::private::Number\":\"7\"}}",
    ];
    for body in cases {
        same(body).unwrap();
    }
    // Valid ones are taken.
    for body in [
        &b"{\"b\":1,\"a\":2,\"b\":3}"[..],
        b"[1E3]",
        b"\"\\ud83d\\ude00\"",
    ] {
        assert!(
            ENCODINGS
                .iter()
                .any(|&how| fast(how, body).is_some() && reference(how, body).is_ok()),
            "{body:?}"
        );
    }
}

#[test]
fn nesting_around_the_depth_limit() {
    for depth in [1usize, 63, 126, 127, 128, 129, 300] {
        let arrays = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let objects = format!("{}1{}", "{\"k\":".repeat(depth), "}".repeat(depth));
        let mixed = format!(
            "{}1{}",
            "[{\"k\":".repeat(depth / 2 + 1),
            "}]".repeat(depth / 2 + 1)
        );
        for body in [arrays, objects, mixed] {
            assert!(
                same(body.as_bytes()).unwrap() || depth >= 127,
                "depth {depth}"
            );
        }
    }
    // The deepest accepted nesting is taken by the fast reader.
    let deepest = format!("{}{}", "[".repeat(127), "]".repeat(127));
    assert!(fast(Decode::JsonCollection, deepest.as_bytes()).is_some());
}

#[test]
fn the_bench_body_is_taken() {
    // A typical backend answer: what `benches/mock_backend.rs` serves on `/1kb` looks like this.
    let mut body = String::from("{\"count\":3,\"id\":42,\"items\":[");
    for i in 0..3 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"available\":true,\"id\":{i},\"sku\":\"SKU-{i:07}\",\"tags\":[\"bench\",\"office\"],\"dimensions\":{{\"w\":1,\"h\":2,\"d\":3}}}}"
        ));
    }
    body.push_str("],\"name\":\"Krustd <bench>\",\"page\":1}");
    assert!(same(body.as_bytes()).unwrap());
}
