#![allow(clippy::unwrap_used)]

use super::*;
use serde_json::json;

const fn leaf(key: &'static str) -> Field {
    Field { key, below: &[] }
}

fn object_projection(target: &'static [&'static str], select: Select) -> Projection {
    Projection {
        decode: Decode::JsonObject,
        target,
        select,
        mapping: &[],
        group: None,
    }
}

/// Runs the fast path and the reference; both must agree, and the fast path must not have
/// declined.
fn fast(body: &str, p: &Projection) -> Value {
    let f = project(body.as_bytes(), p).expect("fast path");
    assert_eq!(Ok(f.clone()), reference(body.as_bytes(), p), "{body}");
    Value::Object(f)
}

fn declined(body: &str, p: &Projection) {
    assert_eq!(project(body.as_bytes(), p), Err(Declined), "{body}");
}

static A_B: [Field; 1] = [Field {
    key: "a",
    below: &[leaf("b")],
}];

#[test]
fn allow_tree() {
    let p = object_projection(&[], Select::Allow(&A_B));
    assert_eq!(
        fast(r#"{"a":{"b":1,"c":2},"d":[{"b":1}],"e":3}"#, &p),
        json!({"a":{"b":1}})
    );
    assert_eq!(fast(r#"{"a":{"c":2}}"#, &p), json!({}));
    assert_eq!(fast(r#"{"a":[1]}"#, &p), json!({}));
    // Repeated keys: the last one decides, also when it leaves nothing.
    assert_eq!(fast(r#"{"a":{"b":1},"a":{"c":1}}"#, &p), json!({}));
    assert_eq!(
        fast(r#"{"a":{"b":1},"a":{"b":2}}"#, &p),
        json!({"a":{"b":2}})
    );
}

#[test]
fn escaped_keys_match_as_their_text() {
    // An unescaped key is compared as bytes, an escaped one as its decoded text.
    let p = object_projection(&["t"], Select::Allow(&A_B));
    assert_eq!(
        fast(
            r#"{"\u0074":{"\u0061":{"b":1,"\u0062":2,"c":3}},"x":1}"#,
            &p
        ),
        json!({"a":{"b":2}})
    );
    assert_eq!(fast(r#"{"t":{"a":{"b":[1]}}}"#, &p), json!({"a":{"b":[1]}}));
}

#[test]
fn target_then_deny() {
    static DENY: [Field; 2] = [
        leaf("secret"),
        Field {
            key: "user",
            below: &[leaf("pw")],
        },
    ];
    let p = object_projection(&["data"], Select::Deny(&DENY));
    assert_eq!(
        fast(
            r#"{"x":[1,{"y":"z"}],"data":{"secret":1,"user":{"pw":"p","n":"ann"},"k":[true]}}"#,
            &p
        ),
        json!({"user":{"n":"ann"},"k":[true]})
    );
    assert_eq!(fast(r#"{"data":5}"#, &p), json!({}));
    assert_eq!(fast(r#"{"data":{"user":5}}"#, &p), json!({"user":5}));
    assert_eq!(fast(r#"{"data":{"a":1},"data":[]}"#, &p), json!({}));
    assert_eq!(fast(r#"{}"#, &p), json!({}));
}

#[test]
fn collection_mapping_group() {
    let p = Projection {
        decode: Decode::JsonCollection,
        target: &[],
        select: Select::Allow(&[Field {
            key: "collection",
            below: &[],
        }]),
        mapping: &[("collection", "items")],
        group: Some("g"),
    };
    assert_eq!(
        fast(r#"[{"id":1}] x"#, &p),
        json!({"g":{"items":[{"id":1}]}})
    );
    declined(r#"{"collection":[]}"#, &p);
}

#[test]
fn declines_what_the_generic_path_rejects() {
    let p = object_projection(&[], Select::Allow(&A_B));
    for body in [
        "",
        "  ",
        "[1]",
        "{",
        r#"{"a":{"b":1}"#,
        r#"{"z":"\ud800"}"#,
        r#"{"z":"\udc00x"}"#,
        r#"{"z":"\ud800\u0041"}"#,
        r#"{"z":"\q"}"#,
        "{\"z\":\"\u{1}\"}",
        r#"{"z":01}"#,
        r#"{"z":1.}"#,
        r#"{"z":[1,]}"#,
        r#"{"z":{"k":1,}}"#,
        r#"{"z":tru}"#,
        r#"{"z":{"$serde_json::private::Number":"x"}}"#,
    ] {
        declined(body, &p);
        assert!(decode(body.as_bytes(), &p).is_err(), "{body}");
    }
    // Invalid UTF-8 in a skipped string.
    let body = b"{\"z\":\"\xff\"}";
    assert_eq!(project(body, &p), Err(Declined));
    assert!(decode(body, &p).is_err());
}

/// UTF-8 is checked in every string the reader meets, kept or skipped, before or after the
/// 16-byte scan's reach; bytes after the first value are not looked at, as serde_json's
/// first-value decode does not.
#[test]
fn utf8_is_checked_in_strings() {
    let p = object_projection(&[], Select::Allow(&A_B));
    let long = "ü".repeat(20);
    for text in ["é", "日本", "😀", "aé", long.as_str()] {
        let body = format!(r#"{{"a":{{"b":"{text}","c":"{text}"}},"{text}":"x{text}"}}"#);
        assert_eq!(fast(&body, &p), json!({"a":{"b":text}}), "{body}");
    }
    let invalid: [&[u8]; 8] = [
        b"\xff",
        b"\xc3",                         // a lead byte without its continuation
        b"\xc3\x28",                     // a lead byte and no continuation byte
        b"\xc0\xaf",                     // overlong '/'
        b"\xed\xa0\x80",                 // a surrogate
        b"\xf4\x90\x80\x80",             // above U+10FFFF
        b"\x80",                         // a lone continuation byte
        b"0123456789abcdef0123\xe6\x97", // cut short after the 16-byte scan
    ];
    for bad in invalid {
        for (before, after) in [
            (&b"{\"z\":\""[..], &b"\",\"a\":{\"b\":1}}"[..]),
            (&b"{\"a\":{\"b\":\""[..], &b"\"}}"[..]),
            (&b"{\""[..], &b"\":1,\"a\":{\"b\":1}}"[..]),
        ] {
            let body = [before, bad, after].concat();
            assert_eq!(project(&body, &p), Err(Declined), "{body:?}");
            assert!(decode(&body, &p).is_err(), "{body:?}");
            assert_eq!(render::fast(&body, &p), None, "{body:?}");
        }
    }
    // After the first value: ignored by both paths.
    let body = b"{\"a\":{\"b\":1}} \xff";
    assert_eq!(
        project(body, &p).map(Value::Object),
        Ok(json!({"a":{"b":1}}))
    );
    assert_eq!(
        decode(body, &p).map(Value::Object),
        Ok(json!({"a":{"b":1}}))
    );
}

#[test]
fn depth_limit_in_skipped_and_kept_values() {
    let p = object_projection(
        &[],
        Select::Allow(&[Field {
            key: "k",
            below: &[],
        }]),
    );
    for (key, levels) in [("z", 126), ("z", 127), ("k", 125), ("k", 126), ("k", 127)] {
        let body = format!(
            r#"{{"{key}":{}1{}}}"#,
            "[".repeat(levels),
            "]".repeat(levels)
        );
        let generic = reference(body.as_bytes(), &p);
        let both = decode(body.as_bytes(), &p);
        assert_eq!(generic, both, "{key} {levels}");
        // 126 levels plus the root object is serde_json's limit.
        assert_eq!(generic.is_ok(), levels <= 126, "{key} {levels}");
    }
}

#[test]
fn errors_are_the_generic_paths() {
    let p = object_projection(&["a"], Select::All);
    assert_eq!(decode(b"", &p), Err("EOF".to_owned()));
    assert_eq!(
        decode(b"[1]", &p),
        crate::decode::decode(Decode::JsonObject, b"[1]")
    );
    assert!(decode(b"{\"a\":", &p).is_err());
}

#[test]
fn safejson_scalar_goes_generic() {
    let p = Projection {
        decode: Decode::SafeJson,
        target: &[],
        select: Select::Deny(&[Field {
            key: "x",
            below: &[],
        }]),
        mapping: &[],
        group: None,
    };
    declined("42", &p);
    assert_eq!(
        decode(b"42", &p).map(Value::Object),
        Ok(json!({"content":42}))
    );
}

/// The 16-byte scan finds exactly the bytes a string stops at, wherever they are.
#[cfg(target_arch = "x86_64")]
#[test]
fn sixteen_byte_scan_finds_every_stop_byte() {
    for at in 0..16 {
        for byte in 0..=255u8 {
            let mut chunk = [b'a'; 17];
            chunk[at] = byte;
            let stops = byte == b'"' || byte == b'\\' || !(0x20..=0x7f).contains(&byte);
            let want = if stops { 1u32 << at } else { 0 };
            assert_eq!(super::stop_bytes_16(&chunk), want, "byte {byte:#x} at {at}");
            assert_eq!(super::stop_bytes_16(&chunk[..16]), want);
        }
    }
    assert_eq!(
        super::stop_bytes_16(b"short\""),
        0,
        "under 16 bytes: not scanned"
    );
}
