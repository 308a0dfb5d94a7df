//! `output_encoding: "xml"`: the data rendered as KrakenD's krakend-xml render does it, that is
//! `mxj.Map(data).XmlWriter(w)` (github.com/clbanning/mxj/v2, with `mxj.XMLEscapeChars(true)`).
//!
//! Rules (mxj's `Xml()` / `marshalMapToXmlIndent` without indentation):
//!
//! - One top-level key → that key is the root element, unless its value is an array holding
//!   anything but objects; otherwise (or with 0 or 2+ keys) the root is `<doc>`.
//! - Object: keys longer than one byte that start with `-` are attributes (sorted by name), the
//!   `#text` key is the element text (written right after the start tag, escaped when a string),
//!   the other keys are child elements sorted by key. An object with only attributes (or nothing)
//!   is `<x .../>`.
//! - Array: every item is rendered with the array's key (nested arrays flatten); an empty array
//!   is `<x/>`.
//! - String: escaped, `<x/>` when empty; number: its literal text; bool: `true`/`false`;
//!   null: `<x/>`.
//! - Escaping (strings only, element text and attribute values): `&` `<` `>` `"` `'` become
//!   `&amp;` `&lt;` `&gt;` `&quot;` `&apos;`; nothing else (no `\n`/`\t` escaping). Element and
//!   attribute names are written as they are.
//! - Beyond mxj (which writes any key as a name, so a backend key such as `a><b` injects
//!   markup): a key that is not an XML 1.0 `Name` is left out together with its value. For an
//!   attribute key `-name`, the attribute is left out when `name` is not a `Name`. When the
//!   single top-level key is not a `Name`, the root is `<doc>` (and that key is left out).
//! - No XML declaration, no trailing newline.
//! - An attribute whose value is null, an array or an object makes mxj fail; KrakenD then writes
//!   nothing, so [`render`] returns an empty body (the status and `Content-Type` stay).
//! - A non-string `#text` is written with Go's `%v` (`<nil>`, `[a b]`, `map[k:v]`), unescaped.

use serde_json::{Map, Value};

/// `Content-Type` of the XML render (`gin.MIMEXML`, no charset).
pub const CONTENT_TYPE: &str = "application/xml";

/// `Content-Type` KrakenD sends when there is no response at all (`c.XML(status, nil)`); the
/// body is then empty.
pub const CONTENT_TYPE_NO_RESULT: &str = "application/xml; charset=utf-8";

/// mxj's default root tag.
const ROOT: &str = "doc";

/// Nesting deeper than this is not rendered (empty body), keeping the recursion bounded.
const MAX_DEPTH: usize = 512;

/// Renders `data` as XML. Empty when mxj would fail (see the module docs).
pub fn render(data: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let ok = if data.len() == 1 {
        match data.iter().next() {
            Some((key, Value::Array(items)))
                if !is_xml_name(key) || items.iter().any(|v| !v.is_object()) =>
            {
                element_of_map(&mut out, ROOT, data, 0)
            }
            Some((key, _)) if !is_xml_name(key) => element_of_map(&mut out, ROOT, data, 0),
            Some((key, value)) => element(&mut out, key, value, 0),
            None => Ok(()),
        }
    } else {
        element_of_map(&mut out, ROOT, data, 0)
    };
    match ok {
        Ok(()) => out,
        Err(Failed) => Vec::new(),
    }
}

/// mxj returned an error: the whole render is dropped.
struct Failed;

fn element(out: &mut Vec<u8>, key: &str, value: &Value, depth: usize) -> Result<(), Failed> {
    if depth > MAX_DEPTH {
        return Err(Failed);
    }
    if !is_xml_name(key) {
        return Ok(());
    }
    match value {
        Value::Null => empty(out, key),
        Value::Bool(b) => simple(out, key, if *b { "true" } else { "false" }),
        Value::Number(n) => simple(out, key, &n.to_string()),
        Value::String(s) => {
            if s.is_empty() {
                empty(out, key);
            } else {
                start(out, key);
                out.push(b'>');
                escape_into(out, s);
                end(out, key);
            }
        }
        Value::Array(items) => {
            if items.is_empty() {
                empty(out, key);
            }
            for item in items {
                element(out, key, item, depth + 1)?;
            }
        }
        Value::Object(map) => element_of_map(out, key, map, depth)?,
    }
    Ok(())
}

fn element_of_map(
    out: &mut Vec<u8>,
    key: &str,
    map: &Map<String, Value>,
    depth: usize,
) -> Result<(), Failed> {
    start(out, key);
    let mut attrs = 0usize;
    for (k, v) in map {
        let Some(name) = attr_name(k) else { continue };
        attrs += 1;
        if !is_xml_name(name) {
            continue;
        }
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        match v {
            Value::String(s) => escape_into(out, s),
            Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Null | Value::Array(_) | Value::Object(_) => return Err(Failed),
        }
        out.push(b'"');
    }
    if attrs == map.len() {
        out.extend_from_slice(b"/>");
        return Ok(());
    }
    out.push(b'>');
    if let Some(text) = map.get("#text") {
        match text {
            Value::String(s) => escape_into(out, s),
            other => go_fmt_v(out, other, depth)?,
        }
    }
    for (k, v) in map {
        if k == "#text" || attr_name(k).is_some() {
            continue;
        }
        element(out, k, v, depth + 1)?;
    }
    end(out, key);
    Ok(())
}

/// Whether `name` is an XML 1.0 `Name` (5th edition productions). mxj writes keys as element and
/// attribute names unchecked, so a backend key such as `a><script` would inject markup; Krustd
/// leaves out every key that is not a `Name`, with its value.
fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

/// XML 1.0 `NameStartChar`.
fn is_name_start(c: char) -> bool {
    matches!(c,
        ':' | 'A'..='Z' | '_' | 'a'..='z' | '\u{c0}'..='\u{d6}' | '\u{d8}'..='\u{f6}'
        | '\u{f8}'..='\u{2ff}' | '\u{370}'..='\u{37d}' | '\u{37f}'..='\u{1fff}'
        | '\u{200c}'..='\u{200d}' | '\u{2070}'..='\u{218f}' | '\u{2c00}'..='\u{2fef}'
        | '\u{3001}'..='\u{d7ff}' | '\u{f900}'..='\u{fdcf}' | '\u{fdf0}'..='\u{fffd}'
        | '\u{10000}'..='\u{effff}')
}

/// XML 1.0 `NameChar`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{b7}' | '\u{300}'..='\u{36f}' | '\u{203f}'..='\u{2040}')
}

/// The attribute name of a `-name` key (mxj: prefix `-` and at least one more byte).
fn attr_name(key: &str) -> Option<&str> {
    key.strip_prefix('-').filter(|name| !name.is_empty())
}

fn start(out: &mut Vec<u8>, key: &str) {
    out.push(b'<');
    out.extend_from_slice(key.as_bytes());
}

fn end(out: &mut Vec<u8>, key: &str) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(key.as_bytes());
    out.push(b'>');
}

fn empty(out: &mut Vec<u8>, key: &str) {
    start(out, key);
    out.extend_from_slice(b"/>");
}

fn simple(out: &mut Vec<u8>, key: &str, text: &str) {
    start(out, key);
    out.push(b'>');
    out.extend_from_slice(text.as_bytes());
    end(out, key);
}

/// mxj's `escapeChars`.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let mut from = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            b'\'' => b"&apos;",
            _ => continue,
        };
        out.extend_from_slice(&bytes[from..i]);
        out.extend_from_slice(rep);
        from = i + 1;
    }
    out.extend_from_slice(&bytes[from..]);
}

/// Go's `fmt.Sprintf("%v", v)` of a decoded JSON value (strings unescaped, maps sorted).
fn go_fmt_v(out: &mut Vec<u8>, v: &Value, depth: usize) -> Result<(), Failed> {
    if depth > MAX_DEPTH {
        return Err(Failed);
    }
    match v {
        Value::Null => out.extend_from_slice(b"<nil>"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                go_fmt_v(out, item, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            out.extend_from_slice(b"map[");
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(k.as_bytes());
                out.push(b':');
                go_fmt_v(out, item, depth + 1)?;
            }
            out.push(b']');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn xml(v: Value) -> String {
        let Value::Object(map) = v else {
            panic!("not an object")
        };
        String::from_utf8(render(&map)).unwrap()
    }

    #[test]
    fn keys_that_are_not_xml_names_are_left_out() {
        assert_eq!(
            xml(json!({"a":{"b><script>x</script><b":"1","ok":"2"}})),
            "<a><ok>2</ok></a>"
        );
        assert_eq!(
            xml(json!({"a":{"-x=\"1\" y":"1","-id":"7","c":"3"}})),
            r#"<a id="7"><c>3</c></a>"#
        );
        assert_eq!(xml(json!({"a":{"-bad one":"1"}})), "<a/>");
        assert_eq!(xml(json!({"x y":{"c":"3"}})), "<doc></doc>");
        assert_eq!(xml(json!({"1st":["v"]})), "<doc></doc>");
        assert_eq!(
            xml(json!({"":"e","-":"d","9":"n","a b":"s","a&b":"amp","ok":"1"})),
            "<doc><ok>1</ok></doc>"
        );
        // Names as XML 1.0 allows them: colons, dots, dashes, digits after the first, non-ASCII.
        assert_eq!(
            xml(json!({"r":{"ns:a":"1","_b.c-d9":"2","é":"3"}})),
            "<r><_b.c-d9>2</_b.c-d9><ns:a>1</ns:a><é>3</é></r>"
        );
    }

    #[test]
    fn xml_names() {
        for ok in ["a", "_", ":", "a-b.c9", "é", "\u{10000}", "a\u{b7}"] {
            assert!(is_xml_name(ok), "{ok}");
        }
        for bad in [
            "", "-a", ".a", "9a", "a b", "a<", "a>", "a&", "a\"", "a'", "a/", "a=", "\u{b7}",
        ] {
            assert!(!is_xml_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn spec_example() {
        assert_eq!(
            xml(json!({"a":1,"b":{"-id":"7","#text":"x"}})),
            r#"<doc><a>1</a><b id="7">x</b></doc>"#
        );
    }

    #[test]
    fn single_key_is_the_root() {
        assert_eq!(
            xml(json!({"user":{"id":1,"name":"x"}})),
            "<user><id>1</id><name>x</name></user>"
        );
        assert_eq!(xml(json!({"k":"v"})), "<k>v</k>");
        assert_eq!(xml(json!({"k":null})), "<k/>");
    }

    #[test]
    fn single_key_array() {
        // Array of objects: repeated root elements.
        assert_eq!(
            xml(json!({"i":[{"a":1},{"a":2}]})),
            "<i><a>1</a></i><i><a>2</a></i>"
        );
        // Array with a non-object: wrapped in <doc>.
        assert_eq!(
            xml(json!({"i":["x",{"a":1},true]})),
            "<doc><i>x</i><i><a>1</a></i><i>true</i></doc>"
        );
        assert_eq!(xml(json!({"i":[]})), "<i/>");
    }

    #[test]
    fn empty_and_many_keys() {
        assert_eq!(xml(json!({})), "<doc/>");
        assert_eq!(
            xml(json!({"b":true,"a":false,"c":null,"d":"","e":[],"f":{}})),
            "<doc><a>false</a><b>true</b><c/><d/><e/><f/></doc>"
        );
    }

    #[test]
    fn numbers_keep_their_text() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"a":1.0,"b":12345678901234567890123,"c":-0.50}"#).unwrap();
        assert_eq!(
            String::from_utf8(render(&map)).unwrap(),
            "<doc><a>1.0</a><b>12345678901234567890123</b><c>-0.50</c></doc>"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(
            xml(json!({"a":"<&>\"'\n\t", "-q":"a\"b<"})),
            "<doc q=\"a&quot;b&lt;\"><a>&lt;&amp;&gt;&quot;&apos;\n\t</a></doc>"
        );
        // Already escaped text is escaped again (mxj does no look-ahead).
        assert_eq!(xml(json!({"a":"&amp;"})), "<a>&amp;amp;</a>");
    }

    #[test]
    fn attributes() {
        assert_eq!(
            xml(json!({"e":{"-b":2,"-a":"x","-c":true}})),
            r#"<e a="x" b="2" c="true"/>"#
        );
        assert_eq!(
            xml(json!({"e":{"-a":"1","c":"z"}})),
            r#"<e a="1"><c>z</c></e>"#
        );
        // A lone "-" is not an attribute (mxj writes it as an element, `<->1</->`); it is no
        // XML name either, so it is left out.
        assert_eq!(xml(json!({"e":{"-":"1"}})), "<e></e>");
    }

    #[test]
    fn invalid_attribute_value_renders_nothing() {
        assert_eq!(xml(json!({"e":{"-a":null}})), "");
        assert_eq!(xml(json!({"a":1,"e":{"x":{"-a":[1]}}})), "");
        assert_eq!(xml(json!({"e":{"-a":{}}})), "");
    }

    #[test]
    fn text_with_attributes_and_children() {
        assert_eq!(xml(json!({"e":{"#text":"t"}})), "<e>t</e>");
        assert_eq!(xml(json!({"e":{"-a":"1","#text":""}})), r#"<e a="1"></e>"#);
        assert_eq!(
            xml(json!({"e":{"-a":"1","#text":"t","c":"x","b":["1","2"]}})),
            r#"<e a="1">t<b>1</b><b>2</b><c>x</c></e>"#
        );
        assert_eq!(xml(json!({"e":{"#text":5}})), "<e>5</e>");
        assert_eq!(xml(json!({"e":{"#text":null}})), "<e><nil></e>");
        assert_eq!(
            xml(json!({"e":{"#text":["a",1,{"k":"<v>"}]}})),
            "<e>[a 1 map[k:<v>]]</e>"
        );
    }

    #[test]
    fn arrays_repeat_and_flatten() {
        assert_eq!(
            xml(json!({"a":[1,[2,3],[],null,{"x":"y"}],"b":1})),
            "<doc><a>1</a><a>2</a><a>3</a><a/><a/><a><x>y</x></a><b>1</b></doc>"
        );
    }

    #[test]
    fn root_level_attributes_go_on_doc() {
        assert_eq!(
            xml(json!({"-id":"1","a":2})),
            r#"<doc id="1"><a>2</a></doc>"#
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut v = json!("x");
        for _ in 0..(MAX_DEPTH + 10) {
            v = json!({ "a": v });
        }
        let Value::Object(map) = v else {
            unreachable!()
        };
        assert!(render(&map).is_empty());
        // Dropping deeply nested values recurses too; keep this depth modest.
    }
}
