//! `output_encoding: "yaml"` (and the YAML branch of `negotiate`): gin's `c.YAML(status, data)`.
//!
//! KrakenD CE 2.13 builds with gin ≥ 1.11, whose YAML render is `github.com/goccy/go-yaml`'s
//! `Marshal` (gin ≤ 1.10 used gopkg.in/yaml.v3, whose output differs: indented sequences, numbers
//! unquoted). No Rust crate reproduces goccy's printer, so this is a hand-written emitter of the
//! subset a `map[string]interface{}` of decoded JSON needs:
//!
//! - Block style, keys sorted (byte order), 2-space indentation for nested mappings; sequences are
//!   *not* indented under their key (`a:\n- 1`); a mapping inside a sequence starts on the dash
//!   line (`- k: v\n  k2: v2`); empty mapping/sequence are `{}` / `[]`; the document ends with
//!   `\n`, so an empty map is `{}\n`.
//! - `null`, `true`, `false` for null and booleans.
//! - Numbers: the backend's numbers are Go `json.Number`s, i.e. strings, so they follow the string
//!   rules and are usually double-quoted (`a: "1"`; `1e5` is not quoted since goccy does not see a
//!   number in it). Numbers that KrakenD takes from the contract (Go `float64`, printed `1.0`) are
//!   not distinguishable here and are rendered like backend numbers.
//! - Strings: double-quoted with Go's `strconv.Quote` when goccy's `token.IsNeedQuoted` says so
//!   (empty, YAML 1.1/1.2 null/bool words, number-looking, `-`, a leading indicator or space, a
//!   trailing `:` or space, timestamp-looking, containing `#`, `\`, `: ` or `- `); otherwise plain;
//!   a plain string with a line break is a literal block (`|-`, `|`, `|+`) indented 2 more than
//!   its key, exactly as goccy lays it out (including its quirks inside sequences).

use crate::go::quote as go_quote;
use serde_json::{Map, Value};

/// `Content-Type` of the YAML render (gin ≥ 1.10).
pub const CONTENT_TYPE: &str = "application/yaml; charset=utf-8";

/// goccy's indentation.
const INDENT: usize = 2;

/// Nesting deeper than this is not rendered (empty body), keeping the recursion bounded.
const MAX_DEPTH: usize = 512;

/// Renders `data` as YAML (a mapping at the top level, trailing newline included).
pub fn render(data: &Map<String, Value>) -> Vec<u8> {
    match mapping(data, 1, 0) {
        Ok(mut s) => {
            s.push('\n');
            s.into_bytes()
        }
        Err(TooDeep) => Vec::new(),
    }
}

struct TooDeep;

/// `MappingNode.String()` of a mapping whose keys sit at 1-based column `col`.
fn mapping(map: &Map<String, Value>, col: usize, depth: usize) -> Result<String, TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    if map.is_empty() {
        return Ok("{}".to_owned());
    }
    let space = " ".repeat(col - 1);
    let mut out = String::new();
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&space);
        out.push_str(&string_node(k, col));
        out.push(':');
        match v {
            Value::Object(m) if m.is_empty() => out.push_str(" {}"),
            Value::Array(a) if a.is_empty() => out.push_str(" []"),
            Value::Object(m) => {
                out.push('\n');
                out.push_str(&mapping(m, col + INDENT, depth + 1)?);
            }
            Value::Array(a) => {
                out.push('\n');
                out.push_str(&sequence(a, col, depth + 1)?);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_node(scalar, col));
            }
        }
    }
    Ok(out)
}

/// `SequenceNode.blockStyleString()` of a non-empty sequence whose dashes sit at column `col`.
fn sequence(items: &[Value], col: usize, depth: usize) -> Result<String, TooDeep> {
    if depth > MAX_DEPTH {
        return Err(TooDeep);
    }
    let space = " ".repeat(col - 1);
    let mut lines: Vec<Vec<u8>> = Vec::with_capacity(items.len());
    for item in items {
        let (text, is_string) = match item {
            Value::Object(m) if m.is_empty() => ("{}".to_owned(), false),
            Value::Array(a) if a.is_empty() => ("[]".to_owned(), false),
            Value::Object(m) => (mapping(m, col, depth + 1)?, false),
            Value::Array(a) => (sequence(a, col, depth + 1)?, false),
            Value::String(_) | Value::Number(_) => (scalar_node(item, col), true),
            scalar => (scalar_node(scalar, col), false),
        };
        lines.push(sequence_entry(text.as_bytes(), is_string, space.as_bytes()));
    }
    let joined = lines.join(&b'\n');
    Ok(String::from_utf8(joined)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// One `- value` entry of a block sequence, re-indenting the value's lines as goccy does (byte
/// based, like Go).
fn sequence_entry(value: &[u8], is_string: bool, space: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = value.split(|&b| b == b'\n').collect();
    let first = parts.first().copied().unwrap_or_default();
    let trimmed_first = trim_left_spaces(first);
    let diff = first.len() - trimmed_first.len();
    if parts.len() > 1 && is_string {
        // Multi-line string: its lines already carry the indentation; remove it.
        let mut prefix = space.to_vec();
        prefix.extend_from_slice(b"  ");
        for part in parts.iter_mut().skip(1) {
            if let Some(rest) = part.strip_prefix(prefix.as_slice()) {
                *part = rest;
            }
        }
    }
    let mut out = Vec::with_capacity(value.len() + space.len() + 2);
    out.extend_from_slice(space);
    out.extend_from_slice(b"- ");
    out.extend_from_slice(trimmed_first);
    for part in parts.iter().skip(1) {
        out.push(b'\n');
        if part.len() <= diff {
            continue;
        }
        out.extend_from_slice(space);
        out.extend_from_slice(b"  ");
        out.extend_from_slice(part.get(diff..).unwrap_or_default());
    }
    out
}

fn trim_left_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&b| b == b' ').count();
    s.get(n..).unwrap_or_default()
}

/// A scalar (not an empty or non-empty collection) at column `col`.
fn scalar_node(v: &Value, col: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(true) => "true".to_owned(),
        Value::Bool(false) => "false".to_owned(),
        Value::Number(n) => string_node(&n.to_string(), col),
        Value::String(s) => string_node(s, col),
        // Collections never reach here; render them as goccy would an empty one.
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// goccy's `encodeString` + `StringNode.String()` for a string whose token is at column `col`.
fn string_node(s: &str, col: usize) -> String {
    if is_need_quoted(s) {
        return go_quote(s);
    }
    let lbc = detect_line_break(s);
    if !s.contains(lbc) {
        return s.to_owned();
    }
    let header = if s.ends_with(&format!("{lbc}{lbc}")) {
        "|+"
    } else if s.ends_with(lbc) {
        "|"
    } else {
        "|-"
    };
    let pad = " ".repeat(col - 1 + INDENT);
    let lines: Vec<String> = s.split(lbc).map(|line| format!("{pad}{line}")).collect();
    let joined = lines.join(lbc);
    let block = joined
        .strip_suffix(&format!("{lbc}{pad}"))
        .unwrap_or(&joined);
    let block = block.strip_suffix(pad.as_str()).unwrap_or(block);
    format!("{header}{lbc}{block}")
}

/// goccy's `token.DetectLineBreakCharacter`.
fn detect_line_break(s: &str) -> &'static str {
    let nc = s.matches('\n').count();
    let rc = s.matches('\r').count();
    let rnc = s.matches("\r\n").count();
    if nc == rnc && rc == rnc {
        "\r\n"
    } else if rc > nc {
        "\r"
    } else {
        "\n"
    }
}

/// Words goccy quotes when encoding (YAML 1.2 null/bool keywords and YAML 1.1 legacy bools).
const RESERVED: [&str; 26] = [
    "null", "Null", "NULL", "~", "true", "True", "TRUE", "false", "False", "FALSE", "y", "Y",
    "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
];

/// goccy's `token.IsNeedQuoted`.
fn is_need_quoted(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else {
        return true;
    };
    if RESERVED.contains(&s) || is_number(s) || s == "-" {
        return true;
    }
    if matches!(
        first,
        b'*' | b'&'
            | b'['
            | b'{'
            | b'}'
            | b']'
            | b','
            | b'!'
            | b'|'
            | b'>'
            | b'%'
            | b'\''
            | b'"'
            | b'@'
            | b' '
            | b'`'
    ) {
        return true;
    }
    if matches!(last, b':' | b' ') {
        return true;
    }
    if is_timestamp(b) {
        return true;
    }
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'#' | b'\\' => return true,
            b':' | b'-' if b.get(i + 1) == Some(&b' ') => return true,
            _ => {}
        }
    }
    false
}

/// goccy's `token.isNumber`: whether `toNumber` succeeds or overflows (a syntax check).
fn is_number(value: &str) -> bool {
    if value.is_empty() || value.starts_with('_') || value.matches('.').count() > 1 {
        return false;
    }
    let dots = value.matches('.').count();
    let trimmed = value.strip_prefix('+').unwrap_or(value);
    let trimmed = trimmed.strip_prefix('-').unwrap_or(trimmed);
    let normalized: String = trimmed.chars().filter(|&c| c != '_').collect();
    let n = normalized.as_str();
    let (digits, radix) = if let Some(rest) = n.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = n.strip_prefix("0o") {
        (rest, 8)
    } else if let Some(rest) = n.strip_prefix("0b") {
        (rest, 2)
    } else if n.starts_with('0') && n.len() > 1 && dots == 0 {
        (n, 8)
    } else if dots == 1 {
        return go_float_syntax(n);
    } else {
        (n, 10)
    };
    // strconv.ParseInt / ParseUint with an explicit base: digits of that base only, no sign
    // (the sign was split off above); overflow still counts as a number.
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// Whether Go's `strconv.ParseFloat` accepts `s` syntactically (decimal form; `s` has one dot,
/// so no `inf`/`nan`/hex).
fn go_float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let mut mantissa_digits = 0;
    let mut seen_dot = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => mantissa_digits += 1,
            b'.' if !seen_dot => seen_dot = true,
            b'_' => {}
            _ => break,
        }
        i += 1;
    }
    if mantissa_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let start = i;
        while matches!(b.get(i), Some(b'0'..=b'9')) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// goccy's `token.isTimestamp`: Go's `time.Parse` succeeds with one of RFC3339Nano (`T` or `t`),
/// `time.DateTime`, `time.DateOnly` or `"15:4"`.
fn is_timestamp(b: &[u8]) -> bool {
    parse_date_time(b, Some(b'T'), true)
        || parse_date_time(b, Some(b't'), true)
        || parse_date_time(b, Some(b' '), false)
        || parse_date_time(b, None, false)
        || parse_hour_minute(b)
}

/// Go's `getnum`: one or two digits (`fixed`: exactly two).
fn getnum(b: &[u8], i: &mut usize, fixed: bool) -> Option<u32> {
    let d0 = digit(b.get(*i))?;
    match digit(b.get(*i + 1)) {
        Some(d1) => {
            *i += 2;
            Some(d0 * 10 + d1)
        }
        None if fixed => None,
        None => {
            *i += 1;
            Some(d0)
        }
    }
}

fn digit(b: Option<&u8>) -> Option<u32> {
    match b {
        Some(&c @ b'0'..=b'9') => Some(u32::from(c - b'0')),
        _ => None,
    }
}

fn lit(b: &[u8], i: &mut usize, c: u8) -> Option<()> {
    (b.get(*i) == Some(&c)).then(|| *i += 1)
}

/// `2006-01-02`, then (with `sep`) `15:04:05`, optional fraction, and (with `zone`) `Z07:00`.
fn parse_date_time(b: &[u8], sep: Option<u8>, zone: bool) -> bool {
    (|| {
        let mut i = 0;
        let mut year = 0u32;
        for _ in 0..4 {
            year = year * 10 + digit(b.get(i))?;
            i += 1;
        }
        lit(b, &mut i, b'-')?;
        let month = getnum(b, &mut i, true)?;
        lit(b, &mut i, b'-')?;
        let day = getnum(b, &mut i, true)?;
        if !(1..=12).contains(&month) {
            return None;
        }
        if let Some(sep) = sep {
            lit(b, &mut i, sep)?;
            let hour = getnum(b, &mut i, false)?;
            lit(b, &mut i, b':')?;
            let min = getnum(b, &mut i, true)?;
            lit(b, &mut i, b':')?;
            let sec = getnum(b, &mut i, true)?;
            if hour >= 24 || min >= 60 || sec >= 60 {
                return None;
            }
            if matches!(b.get(i), Some(b'.' | b',')) && digit(b.get(i + 1)).is_some() {
                i += 1;
                while digit(b.get(i)).is_some() {
                    i += 1;
                }
            }
            if zone {
                if b.get(i) == Some(&b'Z') {
                    i += 1;
                } else {
                    let sign = *b.get(i)?;
                    if b.len() < i + 6 || b.get(i + 3) != Some(&b':') {
                        return None;
                    }
                    let mut j = i + 1;
                    let hh = getnum(b, &mut j, true)?;
                    let mut j = i + 4;
                    let mm = getnum(b, &mut j, true)?;
                    if !matches!(sign, b'+' | b'-') || hh > 24 || mm > 60 {
                        return None;
                    }
                    i += 6;
                }
            }
        }
        (i == b.len() && day >= 1 && day <= days_in(month, year)).then_some(())
    })()
    .is_some()
}

/// Layout `"15:4"`.
fn parse_hour_minute(b: &[u8]) -> bool {
    (|| {
        let mut i = 0;
        let hour = getnum(b, &mut i, false)?;
        lit(b, &mut i, b':')?;
        let min = getnum(b, &mut i, false)?;
        (i == b.len() && hour < 24 && min < 60).then_some(())
    })()
    .is_some()
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn yaml(v: Value) -> String {
        let Value::Object(map) = v else {
            panic!("not an object")
        };
        String::from_utf8(render(&map)).unwrap()
    }

    fn parsed(s: &str) -> String {
        let map: Map<String, Value> = serde_json::from_str(s).unwrap();
        String::from_utf8(render(&map)).unwrap()
    }

    #[test]
    fn empty_map() {
        assert_eq!(yaml(json!({})), "{}\n");
    }

    #[test]
    fn scalars() {
        assert_eq!(
            parsed(r#"{"b":true,"a":1,"c":"x","d":null,"e":1.50,"f":false,"g":"hello world"}"#),
            "a: \"1\"\nb: true\nc: x\nd: null\ne: \"1.50\"\nf: false\ng: hello world\n"
        );
    }

    #[test]
    fn nested_maps_and_sequences() {
        let got = yaml(json!({
            "a": {"b": {"c": "d"}, "e": ["x", "z"]},
            "f": [{"g": "h", "i": "j"}, {"k": {"l": "m"}}],
            "n": [["o", "p"], ["q"]],
            "r": {}, "s": [], "t": [{}, []]
        }));
        let want = "\
a:
  b:
    c: d
  e:
  - x
  - z
f:
- g: h
  i: j
- k:
    l: m
\"n\":
- - o
  - p
- - q
r: {}
s: []
t:
- {}
- []
";
        assert_eq!(got, want);
    }

    #[test]
    fn sequence_of_maps_deeper() {
        let got = yaml(json!({"o": {"a": [{"x": {"y": "1z"}, "w": "v"}]}}));
        // "y" is a YAML 1.1 boolean: quoted.
        let want = "o:\n  a:\n  - w: v\n    x:\n      \"y\": 1z\n";
        assert_eq!(got, want);
    }

    #[test]
    fn quoting_rules() {
        let cases = [
            ("", "\"\""),
            ("plain", "plain"),
            ("null", "\"null\""),
            ("~", "\"~\""),
            ("yes", "\"yes\""),
            ("Off", "\"Off\""),
            ("123", "\"123\""),
            ("-12", "\"-12\""),
            ("1.5", "\"1.5\""),
            (".5", "\".5\""),
            ("1e5", "1e5"),
            ("0x1F", "\"0x1F\""),
            ("0o17", "\"0o17\""),
            ("08", "08"),
            ("0777", "\"0777\""),
            ("1_000", "\"1_000\""),
            ("99999999999999999999999", "\"99999999999999999999999\""),
            ("1.2.3", "1.2.3"),
            ("-", "\"-\""),
            ("-a", "-a"),
            ("- a", "\"- a\""),
            ("a: b", "\"a: b\""),
            ("a:b", "a:b"),
            ("http://x.y/z", "http://x.y/z"),
            ("key:", "\"key:\""),
            ("trailing ", "\"trailing \""),
            (" leading", "\" leading\""),
            ("a # b", "\"a # b\""),
            ("a#b", "\"a#b\""),
            ("back\\slash", "\"back\\\\slash\""),
            ("*star", "\"*star\""),
            ("@at", "\"@at\""),
            ("[x]", "\"[x]\""),
            ("{x}", "\"{x}\""),
            ("'q'", "\"'q'\""),
            ("\"q\"", "\"\\\"q\\\"\""),
            ("2024-01-31", "\"2024-01-31\""),
            ("2024-02-30", "2024-02-30"),
            ("2024-01-31T10:00:00Z", "\"2024-01-31T10:00:00Z\""),
            (
                "2024-01-31t10:00:00.123+02:00",
                "\"2024-01-31t10:00:00.123+02:00\"",
            ),
            ("2024-01-31 10:00:00", "\"2024-01-31 10:00:00\""),
            ("2024-01-31 10:00", "2024-01-31 10:00"),
            ("12:30", "\"12:30\""),
            ("9:5", "\"9:5\""),
            ("24:00", "24:00"),
            ("héllo", "héllo"),
            ("tab\there", "tab\there"),
        ];
        for (input, want) in cases {
            assert_eq!(string_node(input, 1), want, "input {input:?}");
        }
    }

    #[test]
    fn go_quote_escapes() {
        assert_eq!(
            go_quote("a\u{7f}\u{1}\u{a0}é\u{10ffff}#"),
            "\"a\\x7f\\x01\\u00a0é\\U0010ffff#\""
        );
        assert_eq!(go_quote("\u{2028}\u{feff}"), "\"\\u2028\\ufeff\"");
    }

    #[test]
    fn multiline_strings_are_literal_blocks() {
        assert_eq!(yaml(json!({"a": "x\ny"})), "a: |-\n  x\n  y\n");
        assert_eq!(yaml(json!({"a": "x\ny\n"})), "a: |\n  x\n  y\n");
        assert_eq!(yaml(json!({"a": "x\n\n"})), "a: |+\n  x\n\n");
        assert_eq!(
            yaml(json!({"m": {"a": "x\n\ny"}})),
            "m:\n  a: |-\n    x\n    \n    y\n"
        );
        assert_eq!(yaml(json!({"s": ["x\n\ny"]})), "s:\n- |-\n  x\n\n  y\n");
        // Quoting wins over literal style.
        assert_eq!(yaml(json!({"a": "x: y\nz"})), "a: \"x: y\\nz\"\n");
    }

    #[test]
    fn keys_follow_string_rules() {
        assert_eq!(
            yaml(json!({"1": "a", "": "b", "k k": "c"})),
            "\"\": b\n\"1\": a\nk k: c\n"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut v = json!("x");
        for _ in 0..(MAX_DEPTH + 10) {
            v = json!({ "a": v });
        }
        assert!(yaml(v).is_empty());
    }
}
