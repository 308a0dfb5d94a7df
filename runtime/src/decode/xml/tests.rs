//! Unit tests of the XML decoder.

#![allow(clippy::unwrap_used)]
use super::*;
use serde_json::json;

fn ok(xml: &str) -> Value {
    Value::Object(decode(xml.as_bytes(), false).unwrap())
}

fn err(xml: &[u8]) -> String {
    decode(xml, false).unwrap_err()
}

#[test]
fn root_is_the_key_and_leaves_are_strings() {
    assert_eq!(
        ok(r#"<?xml version="1.0"?><user><id>42</id><ok>true</ok><name>x</name></user>"#),
        json!({"user":{"id":"42","ok":"true","name":"x"}})
    );
    assert_eq!(ok("<a>1</a>"), json!({"a":"1"}));
    assert_eq!(ok("<a/>"), json!({"a":""}));
    assert_eq!(ok("<a>  \n </a>"), json!({"a":""}));
}

#[test]
fn collection_wraps_the_object() {
    let got = decode(b"<a><b>1</b></a>", true).unwrap();
    assert_eq!(Value::Object(got), json!({"collection":{"a":{"b":"1"}}}));
}

#[test]
fn attributes_and_text() {
    assert_eq!(
        ok(r#"<a id="7" x:lang='en'>hello</a>"#),
        json!({"a":{"-id":"7","-lang":"en","#text":"hello"}})
    );
    assert_eq!(ok(r#"<a id="7"/>"#), json!({"a":{"-id":"7"}}));
    assert_eq!(
        ok(r#"<a><b k="v">t</b><c/></a>"#),
        json!({"a":{"b":{"-k":"v","#text":"t"},"c":""}})
    );
}

#[test]
fn repeated_siblings_become_arrays() {
    assert_eq!(
        ok("<r><i>1</i><j>x</j><i>2</i><i><k>3</k></i></r>"),
        json!({"r":{"i":["1","2",{"k":"3"}],"j":"x"}})
    );
}

#[test]
fn mixed_content_follows_mxj() {
    // Text before the first child wins.
    assert_eq!(ok("<a>x<b>1</b>y</a>"), json!({"a":{"#text":"x","b":"1"}}));
    // Text after a child only.
    assert_eq!(ok("<a><b>1</b>y</a>"), json!({"a":{"#text":"y","b":"1"}}));
    // Comments and CDATA split text; the last piece wins.
    assert_eq!(ok("<a>x<!-- c -->y</a>"), json!({"a":"y"}));
    assert_eq!(ok("<a>x<![CDATA[<y>]]></a>"), json!({"a":"<y>"}));
    assert_eq!(ok("<a><![CDATA[ raw & ]]></a>"), json!({"a":"raw &"}));
}

#[test]
fn namespaces_use_local_names() {
    assert_eq!(
        ok(r#"<ns:a xmlns:ns="u" xmlns="d"><ns:b>1</ns:b></ns:a>"#),
        json!({"a":{"-ns":"u","-xmlns":"d","b":"1"}})
    );
}

#[test]
fn entities_and_newlines() {
    assert_eq!(
        ok("<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;\r\nz\rw</a>"),
        json!({"a":"<>&'\"AB\nz\nw"})
    );
    assert_eq!(
        ok(r#"<a v="1 &amp; 2&#10;"/>"#),
        json!({"a":{"-v":"1 & 2\n"}})
    );
}

#[test]
fn only_the_first_root_is_read() {
    assert_eq!(
        ok("junk <a>1</a><b>2</b> trailing <<< garbage"),
        json!({"a":"1"})
    );
    assert_eq!(
        ok("\u{feff}<?xml version='1.0'?><!DOCTYPE a [<!ELEMENT a ANY>]><!-- c --><a>1</a>"),
        json!({"a":"1"})
    );
}

#[test]
fn malformed_documents_fail() {
    assert_eq!(err(b""), "EOF");
    assert_eq!(err(b"   only text"), "EOF");
    assert_eq!(
        err(b"<a>\n<b></a>"),
        "xml.Decoder.Token() - XML syntax error on line 2: element <b> closed by </a>"
    );
    assert_eq!(
        err(b"<a>"),
        "xml.Decoder.Token() - XML syntax error on line 1: unexpected EOF"
    );
    assert_eq!(
        err(b"<a>&nbsp;</a>"),
        "xml.Decoder.Token() - XML syntax error on line 1: invalid character entity &nbsp;"
    );
    assert_eq!(
        err(b"<a>& b</a>"),
        "xml.Decoder.Token() - XML syntax error on line 1: invalid character entity & (no semicolon)"
    );
    assert!(err(b"</a>").contains("unexpected end element </a>"));
    assert!(err(b"<a b=1/>").contains("unquoted or missing attribute value"));
    assert!(err(b"<a b/>").contains("attribute name without = in element"));
    assert!(err(b"<a b=\"<\"/>").contains("unescaped < inside quoted string"));
    assert!(err(b"<a>]]></a>").contains("unescaped ]]> not in CDATA section"));
    assert!(err(b"<a>\x01</a>").contains("illegal character code U+0001"));
    assert!(err(b"<a>&#0;</a>").contains("illegal character code U+0000"));
    assert!(err(b"<a><!-- a -- b --></a>").contains("not allowed in comments"));
    assert!(err(b"<1a/>").contains("invalid XML name: 1a"));
    assert!(err(b"< a/>").contains("expected element name after <"));
    assert!(err(b"<a>\xff</a>").contains("invalid UTF-8"));
    assert!(err(b"<a:b:c/>").contains("expected element name after <"));
    assert!(err(b"<a><![CDATA[x</a>").contains("unexpected EOF"));
}

#[test]
fn declaration_version_and_charset() {
    assert_eq!(
        err(b"<?xml version=\"1.1\"?><a/>"),
        "xml.Decoder.Token() - xml: unsupported version \"1.1\"; only version 1.0 is supported"
    );
    assert_eq!(
        err(b"<?xml version=\"1.0\" encoding=\"bogus\"?><a/>"),
        "xml.Decoder.Token() - xml: opening charset \"bogus\": unsupported charset: \"bogus\""
    );
    // ISO-8859-1 is windows-1252 for WHATWG: 0xE9 = é, 0x80 = €.
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9 \x80</a>";
    assert_eq!(
        Value::Object(decode(latin1, false).unwrap()),
        json!({"a":"café €"})
    );
    let utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>café</a>";
    assert_eq!(ok(utf8), json!({"a":"café"}));
    let utf8_alias = "<?xml version=\"1.0\" encoding='utf8'?><a>café</a>";
    assert_eq!(ok(utf8_alias), json!({"a":"café"}));
}

#[test]
fn invalid_utf8_after_the_root_is_never_read() {
    assert_eq!(
        Value::Object(decode(b"<a>1</a>\xff", false).unwrap()),
        json!({"a":"1"})
    );
}

#[test]
fn deep_nesting_is_rejected() {
    let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
    assert!(err(deep.as_bytes()).contains("nesting deeper"));
    let fine = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
    assert!(decode(fine.as_bytes(), false).is_ok());
}

#[test]
fn never_panics_on_noise() {
    // Deterministic pseudo-random documents built from XML-ish fragments and raw bytes.
    let pieces: [&[u8]; 16] = [
        b"<a>",
        b"</a>",
        b"<b x='1'/>",
        b"&amp;",
        b"&#x",
        b";",
        b"<![CDATA[",
        b"]]>",
        b"<!--",
        b"-->",
        b"<?xml version=\"1.0\" encoding=\"latin1\"?>",
        b"\xff\xfe",
        b"\r\n",
        b"text",
        b"<",
        b">",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..2000 {
        let mut doc = Vec::new();
        for _ in 0..(seed % 12) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            doc.extend_from_slice(pieces[(seed % 16) as usize]);
        }
        let _ = decode(&doc, seed % 2 == 0);
        let _ = crate::decode::rss::decode(&doc);
    }
}

#[test]
fn never_panics_on_prefixes() {
    let doc = r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x><r a="1" b='&amp;'><![CDATA[c]]><!--d--><?pi x?><e>&#x41;&lt;</e><f/></r>"#;
    for end in 0..=doc.len() {
        let _ = decode(&doc.as_bytes()[..end], false);
        let _ = decode(&doc.as_bytes()[end..], true);
    }
}

#[test]
fn markup_errors_are_worded_like_go() {
    let cases: [(&[u8], &str); 8] = [
        (
            b"<a><!- x --></a>",
            "line 1: invalid sequence <!- not part of <!--",
        ),
        (b"<a><![X[</a>", "line 1: invalid <![ sequence"),
        (b"<a></a x>", "line 1: invalid characters between </a and >"),
        (b"<a></>", "line 1: expected element name after </"),
        (b"<a/ >", "line 1: expected /> in element"),
        (b"<? x?><a/>", "line 1: expected target name after <?"),
        (
            b"<a>&amp b</a>",
            "line 1: invalid character entity &amp (no semicolon)",
        ),
        (
            b"<a\n b=\"&bogus;\"/>",
            "line 2: invalid character entity &bogus;",
        ),
    ];
    for (xml, want) in cases {
        let got = err(xml);
        assert_eq!(
            got,
            format!("xml.Decoder.Token() - XML syntax error on {want}")
        );
    }
    assert_eq!(ok("<a><!DOCTYPE></a>"), json!({"a":""}));
    assert_eq!(ok("<a></a >"), json!({"a":""}));
    assert_eq!(ok("<a>&#xD800;--></a>"), json!({"a":"\u{fffd}-->"}));
}
