//! JSON rendering byte-compatible with Go's `encoding/json` as KrakenD uses it.
//!
//! Object keys are sorted (serde_json's `Map` is a `BTreeMap`), numbers are written verbatim
//! (the `arbitrary_precision` feature keeps their text), and strings are escaped like Go does.
//!
//! Go's `Marshal` (HTML escaping on, Go >= 1.22) escapes `"` and `\` with a backslash, writes
//! `\n` `\r` `\t` `\b` `\f` short, every other byte below 0x20 as `\u00xx` (lower-case hex),
//! `<` `>` `&` as `\u003c` `\u003e` `\u0026`, and U+2028/U+2029 as `\u2028`/`\u2029`; everything
//! else (0x7f and all other non-ASCII included) goes out as raw UTF-8. Map keys are sorted by
//! byte order, which is also the order of Rust's `String` (and thus of a `BTreeMap`).

use std::io;
use std::sync::LazyLock;

use serde_json::{Map, Value};

/// No escape needed.
const RAW: u8 = 0;
/// `\u00xx` escape.
const UNI: u8 = b'u';
/// First byte of a 3-byte UTF-8 sequence that may be U+2028 / U+2029 (`E2 80 A8` / `E2 80 A9`).
const LSEP: u8 = 1;

/// Per byte: `RAW`, `UNI`, `LSEP`, or the letter written after the backslash (`"`, `\`, `n`…).
static ESCAPE: [u8; 256] = escape_table();

const fn escape_table() -> [u8; 256] {
    let mut t = [RAW; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = UNI;
        i += 1;
    }
    t[0x08] = b'b';
    t[0x0c] = b'f';
    t[b'\n' as usize] = b'n';
    t[b'\r' as usize] = b'r';
    t[b'\t' as usize] = b't';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'<' as usize] = UNI;
    t[b'>' as usize] = UNI;
    t[b'&' as usize] = UNI;
    t[0xe2] = LSEP;
    t
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes the escaped contents of `s` (no quotes) to `w`, unescaped runs in one write each.
#[inline]
fn write_escaped<W: ?Sized + io::Write>(w: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let esc = ESCAPE[usize::from(b)];
        if esc == RAW {
            i += 1;
            continue;
        }
        if esc == LSEP {
            // Only E2 80 A8 / E2 80 A9 are escaped; other E2 sequences are left raw.
            let (Some(0x80), Some(&last @ (0xa8 | 0xa9))) = (bytes.get(i + 1), bytes.get(i + 2))
            else {
                i += 1;
                continue;
            };
            w.write_all(&bytes[start..i])?;
            w.write_all(if last == 0xa8 { b"\\u2028" } else { b"\\u2029" })?;
            i += 3;
            start = i;
            continue;
        }
        w.write_all(&bytes[start..i])?;
        if esc == UNI {
            w.write_all(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ])?;
        } else {
            w.write_all(&[b'\\', esc])?;
        }
        i += 1;
        start = i;
    }
    w.write_all(&bytes[start..])
}

/// Append `s` as a quoted JSON string, escaped like Go's encoder.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    // Most strings (member names above all) need no escape: one copy.
    if s.bytes().all(|b| ESCAPE[usize::from(b)] == RAW) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    // Writing into a `Vec<u8>` cannot fail.
    let _ = write_escaped(out, s);
    out.push(b'"');
}

/// Append the compact JSON of `value` to `out`, escaping strings like Go's encoder.
pub fn write(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // `arbitrary_precision`: the number's original literal, verbatim.
        Value::Number(n) => out.extend_from_slice(n.as_str().as_bytes()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push(b'[');
            let mut first = true;
            for item in items {
                if !first {
                    out.push(b',');
                }
                first = false;
                write(out, item);
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(out, map),
    }
}

/// Append the compact JSON object of `map` (keys sorted) to `out`.
pub fn write_map(out: &mut Vec<u8>, map: &Map<String, Value>) {
    if map_iterates_sorted() {
        write_entries(out, map.iter());
    } else {
        // Only reachable if serde_json's `preserve_order` feature got unified into the build.
        let mut entries: Vec<(&String, &Value)> = map.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        write_entries(out, entries.into_iter());
    }
}

fn write_entries<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a String, &'a Value)>) {
    out.push(b'{');
    let mut first = true;
    for (key, value) in entries {
        if !first {
            out.push(b',');
        }
        first = false;
        write_str(out, key);
        out.push(b':');
        write(out, value);
    }
    out.push(b'}');
}

/// Whether `Map` iterates in key order (a `BTreeMap`, i.e. no `preserve_order` feature).
fn map_iterates_sorted() -> bool {
    static SORTED: LazyLock<bool> = LazyLock::new(|| {
        let mut probe = Map::new();
        probe.insert("b".to_owned(), Value::Null);
        probe.insert("a".to_owned(), Value::Null);
        probe.keys().next().map(String::as_str) == Some("a")
    });
    *SORTED
}

/// The compact JSON of `value`, as Go's encoder would write it.
pub fn to_vec(value: &Value) -> Vec<u8> {
    // One allocation for a typical 1 KB answer instead of four doublings from 128 bytes.
    let mut out = Vec::with_capacity(1024);
    write(&mut out, value);
    out
}

/// A `serde_json` formatter escaping strings like Go's encoder (compact output).
///
/// For serialising arbitrary `Serialize` types with `serde_json::Serializer::with_formatter`.
/// It does not sort keys: struct fields come out in declaration order and map keys in the map's
/// iteration order, so render `Value`s with [`write`] when key order matters.
#[derive(Clone, Copy, Debug, Default)]
pub struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    #[inline]
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        // serde_json already escaped quotes, backslashes and control bytes (the same way Go
        // does); what is left here is the HTML set and U+2028/U+2029.
        write_escaped(writer, fragment)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn render(text: &str) -> String {
        let value: Value = serde_json::from_str(text).unwrap();
        String::from_utf8(to_vec(&value)).unwrap()
    }

    fn render_str(s: &str) -> String {
        let mut out = Vec::new();
        write_str(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn scalars() {
        assert_eq!(render("null"), "null");
        assert_eq!(render("true"), "true");
        assert_eq!(render("false"), "false");
        assert_eq!(render(r#""x""#), r#""x""#);
        assert_eq!(render("[]"), "[]");
        assert_eq!(render("{}"), "{}");
    }

    #[test]
    fn numbers_verbatim() {
        assert_eq!(render("1.0"), "1.0");
        assert_eq!(render("-0"), "-0");
        assert_eq!(render("0.10"), "0.10");
        assert_eq!(
            render("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(render("-18446744073709551617"), "-18446744073709551617");
        assert_eq!(
            render("0.0123456789000000012345678900000001"),
            "0.0123456789000000012345678900000001"
        );
        assert_eq!(render(r#"{"a":[1.50,2]}"#), r#"{"a":[1.50,2]}"#);
        assert_eq!(render("1.5e-7"), "1.5e-7");
        assert_eq!(render("2e+10"), "2e+10");
    }

    #[test]
    fn exponent_spelling_is_the_parsers() {
        // The writer emits the `Number`'s text as is; serde_json's parser (not this module)
        // canonicalises `E` to `e` and adds a `+` to unsigned exponents, where Go keeps them.
        assert_eq!(render("1e3"), "1e+3");
        assert_eq!(render("1E-03"), "1e-03");
    }

    #[test]
    fn compact_and_sorted_at_every_level() {
        let input =
            r#" { "z" : 1 , "a" : { "y" : [ { "d" : 1 , "c" : 2 } ] , "b" : null } , "m" : "" } "#;
        assert_eq!(
            render(input),
            r#"{"a":{"b":null,"y":[{"c":2,"d":1}]},"m":"","z":1}"#
        );
    }

    #[test]
    fn key_order_is_byte_order() {
        // Upper case before lower case, shorter prefix first, non-ASCII after ASCII, and
        // code-point order == UTF-8 byte order (U+00E9 < U+FF21 < U+1F600).
        let value = json!({
            "b": 1, "B": 2, "a": 3, "ab": 4, "a b": 5, "_": 6, "1": 7, "é": 8, "Ａ": 9,
            "😀": 10, "": 11, "~": 12
        });
        assert_eq!(
            String::from_utf8(to_vec(&value)).unwrap(),
            r#"{"":11,"1":7,"B":2,"_":6,"a":3,"a b":5,"ab":4,"b":1,"~":12,"é":8,"Ａ":9,"😀":10}"#
        );
    }

    #[test]
    fn keys_are_escaped_too() {
        let value = json!({"<k>": "&"});
        assert_eq!(
            String::from_utf8(to_vec(&value)).unwrap(),
            r#"{"\u003ck\u003e":"\u0026"}"#
        );
    }

    #[test]
    fn escapes_quote_and_backslash() {
        assert_eq!(render_str("a\"b\\c"), r#""a\"b\\c""#);
        // Go does not escape '/'.
        assert_eq!(render_str("a/b"), r#""a/b""#);
    }

    #[test]
    fn escapes_short_control_chars() {
        assert_eq!(render_str("\n\r\t"), r#""\n\r\t""#);
        assert_eq!(render_str("\u{8}\u{c}"), r#""\b\f""#);
    }

    #[test]
    fn escapes_other_control_chars_lower_hex() {
        assert_eq!(render_str("\u{0}"), r#""\u0000""#);
        assert_eq!(render_str("\u{1}\u{1f}"), r#""\u0001\u001f""#);
        assert_eq!(render_str("\u{b}\u{e}\u{1b}"), r#""\u000b\u000e\u001b""#);
        // DEL is not escaped.
        assert_eq!(render_str("\u{7f}"), "\"\u{7f}\"");
        for b in 0u8..0x20 {
            let s = render_str(std::str::from_utf8(&[b]).unwrap());
            let expected = match b {
                b'\n' => r#""\n""#.to_owned(),
                b'\r' => r#""\r""#.to_owned(),
                b'\t' => r#""\t""#.to_owned(),
                0x08 => r#""\b""#.to_owned(),
                0x0c => r#""\f""#.to_owned(),
                _ => format!("\"\\u{b:04x}\""),
            };
            assert_eq!(s, expected, "byte {b:#x}");
        }
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            render_str("<a href=\"x\">&amp;</a>"),
            r#""\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e""#
        );
    }

    #[test]
    fn escapes_line_and_paragraph_separators() {
        assert_eq!(render_str("a\u{2028}b\u{2029}c"), r#""a\u2028b\u2029c""#);
        assert_eq!(render_str("\u{2028}"), r#""\u2028""#);
        // Other characters sharing the E2 80 / E2 lead bytes stay raw.
        assert_eq!(
            render_str("\u{2027}\u{202a}\u{2026}"),
            "\"\u{2027}\u{202a}\u{2026}\""
        );
        assert_eq!(render_str("€‰"), "\"€‰\"");
    }

    #[test]
    fn other_unicode_raw() {
        assert_eq!(render_str("héllo wörld 日本 😀"), "\"héllo wörld 日本 😀\"");
        // Escaped input decodes and re-encodes raw (except the special set).
        assert_eq!(render(r#""\u00e9\u003c\/""#), r#""é\u003c/""#);
    }

    #[test]
    fn mixed_runs() {
        assert_eq!(render_str(""), r#""""#);
        assert_eq!(render_str("<"), r#""\u003c""#);
        assert_eq!(render_str("ab<cd>ef&"), r#""ab\u003ccd\u003eef\u0026""#);
        assert_eq!(render_str("é\n\u{2029}x"), r#""é\n\u2029x""#);
    }

    #[test]
    fn write_appends() {
        let mut out = b"prefix:".to_vec();
        write(&mut out, &json!([1, "a"]));
        assert_eq!(out, b"prefix:[1,\"a\"]");
    }

    #[test]
    fn write_map_without_value() {
        let mut map = Map::new();
        map.insert("b".into(), json!([true, null]));
        map.insert("a".into(), json!({"y": 1, "x": "<"}));
        let mut out = Vec::new();
        write_map(&mut out, &map);
        assert_eq!(out, br#"{"a":{"x":"\u003c","y":1},"b":[true,null]}"#);
        let mut empty = Vec::new();
        write_map(&mut empty, &Map::new());
        assert_eq!(empty, b"{}");
    }

    #[test]
    fn sorted_fallback_path() {
        let (x, y) = (json!(1), json!(2));
        let (kb, ka) = ("b".to_owned(), "a".to_owned());
        let mut entries = [(&kb, &x), (&ka, &y)];
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::new();
        write_entries(&mut out, entries.into_iter());
        assert_eq!(out, br#"{"a":2,"b":1}"#);
        assert!(map_iterates_sorted());
    }

    #[test]
    fn deep_nesting() {
        // serde_json parses at most 128 levels; each step here is two (array + object).
        let depth = 60;
        let text = format!("{}1{}", "[{\"k\":".repeat(depth), "}]".repeat(depth));
        assert_eq!(render(&text), text);
    }

    #[test]
    fn go_formatter_matches_write() {
        use serde::Serialize;
        let value = json!({"a": "<\u{2028}\"\n\u{1}&é", "b": [1.0, 2]});
        let mut ser = serde_json::Serializer::with_formatter(Vec::new(), GoFormatter);
        value.serialize(&mut ser).unwrap();
        assert_eq!(ser.into_inner(), to_vec(&value));
    }
}
