//! Response shaping compiled into the parse, end to end over HTTP: every backend of
//! `contracts/features/shaping.json` is specialised (see `generated/features/shaping.rs`), and
//! each answer must be what the generic path (`decode::decode`, then the `shape` steps, then
//! the merge and the Go-compatible render) gives for the same body, errors included.

mod common;
use common::*;

use axum::extract::Path;
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use krustd_runtime::backend::{self, BackendResult};
use krustd_runtime::decode;
use krustd_runtime::flatmap::Op;
use krustd_runtime::render::json;
use krustd_runtime::respond;
use krustd_runtime::shape::{self, Data};
use krustd_runtime::spec::Decode;
use serde_json::Value;
use std::sync::LazyLock;

/// The bodies the mock serves under `/body/{name}`: valid, odd, invalid, big.
static BODIES: LazyLock<Vec<(&'static str, Vec<u8>)>> = LazyLock::new(|| {
    let doc = br#"{"meta":{"page":3,"per_page":50},"user":{"name":"Ada","email":"ada@example.com","secret":"s3","address":{"city":"London","zip":"SW1Y"},"roles":["admin","author"]},"items":[{"id":1,"title":"<one>"},{"id":2,"n":1.50e3}],"count":2}"#;
    let mut big = br#"{"meta":{"page":1},"user":{"name":"Big","roles":["r"]},"items":["#.to_vec();
    for i in 0..9000 {
        if i > 0 {
            big.push(b',');
        }
        big.extend_from_slice(
            format!(r#"{{"id":{i},"title":"item \"{i}\" caf\u00e9","price":{i}.5,"tags":["a","b"],"ok":true}}"#)
                .as_bytes(),
        );
    }
    big.extend_from_slice(br#"],"count":9000}"#);
    let deep = format!(
        r#"{{"user":{{"name":"n"}},"items":{}{}}}"#,
        "[".repeat(130),
        "]".repeat(130)
    );
    vec![
        ("doc", doc.to_vec()),
        ("big", big),
        (
            "dup",
            br#"{"user":{"name":"a","secret":1},"user":{"name":{"first":"b"},"email":"e"},"meta":{"page":1},"meta":5,"count":1,"count":2}"#.to_vec(),
        ),
        (
            "escaped",
            br#"{"\u0075ser":{"name":"\ud83d\ude00 \u00e9\/","address":{"city":"Z\u00fcrich"}},"items":["\ud83d\ude00","\n"]}"#.to_vec(),
        ),
        ("trailing", b"{\"user\":{\"name\":\"n\"}} trailing \xff".to_vec()),
        ("lone", br#"{"user":{"name":"n"},"items":["\ud800"]}"#.to_vec()),
        ("deep", deep.into_bytes()),
        (
            "magic",
            br#"{"user":{"name":"n"},"items":[{"$serde_json::private::Number":"x"}]}"#.to_vec(),
        ),
        ("utf8", b"{\"user\":{\"name\":\"n\"},\"items\":[\"\xff\"]}".to_vec()),
        ("truncated", doc[..doc.len() - 3].to_vec()),
        ("array", br#"[{"id":1},{"id":2}]"#.to_vec()),
        ("scalar", b"42".to_vec()),
        ("empty", Vec::new()),
        // The second step of `/sequential` asks for `/body/{resp0_first.user.name}`.
        ("Ada", br#"{"user":{"id":7,"name":"Ada","secret":"x"}}"#.to_vec()),
    ]
});

fn body(name: &str) -> &'static [u8] {
    BODIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b.as_slice())
        .unwrap_or_default()
}

async fn serve_body(Path(name): Path<String>) -> axum::response::Response {
    ([("content-type", "application/json")], body(&name).to_vec()).into_response()
}

async fn gateway() -> String {
    let mock_url = start(axum::Router::new().route("/body/{name}", route_get(serve_body))).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/shaping.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

// ---- the generic path, step by step as the contract says ----

fn object(body: &[u8]) -> Result<Data, String> {
    decode::decode(Decode::JsonObject, body)
}

fn allow(body: &[u8]) -> Result<Data, String> {
    Ok(shape::allow(
        object(body)?,
        &[
            &["user", "name", "first"],
            &["user", "name"],
            &["user", "address", "city"],
            &["meta", "page"],
        ],
    ))
}

fn target(body: &[u8]) -> Result<Data, String> {
    let mut d = shape::target(object(body)?, &["user"]);
    shape::mapping(&mut d, &[("name", "full_name"), ("email", "contact")]);
    Ok(shape::group(d, "person"))
}

fn deny(body: &[u8]) -> Result<Data, String> {
    let mut d = object(body)?;
    shape::deny(&mut d, &[&["items"], &["user", "address"]]);
    Ok(d)
}

fn collection(body: &[u8]) -> Result<Data, String> {
    let mut d = shape::allow(
        decode::decode(Decode::JsonCollection, body)?,
        &[&["collection"]],
    );
    shape::mapping(&mut d, &[("collection", "list")]);
    Ok(d)
}

fn safejson(body: &[u8]) -> Result<Data, String> {
    let mut d = decode::decode(Decode::SafeJson, body)?;
    shape::deny(&mut d, &[&["items"]]);
    Ok(d)
}

fn flatmap(body: &[u8]) -> Result<Data, String> {
    let d = shape::target(object(body)?, &["user"]);
    let d = shape::flatmap(
        d,
        &[Op::Del {
            paths: &[&["roles", "0"]],
        }],
    );
    Ok(shape::group(d, "u"))
}

fn concurrent(body: &[u8]) -> Result<Data, String> {
    Ok(shape::allow(
        object(body)?,
        &[&["user", "name"], &["count"]],
    ))
}

fn merge_backends(body: &[u8]) -> [Result<Data, String>; 3] {
    let user = object(body).map(|d| {
        let d = shape::allow(
            shape::target(d, &["user"]),
            &[&["name"], &["address", "city"]],
        );
        shape::group(d, "user")
    });
    let meta = object(body).map(|d| shape::group(shape::target(d, &["meta"]), "meta"));
    let summary = object(body).map(|mut d| {
        shape::deny(&mut d, &[&["items"], &["user"]]);
        shape::mapping(&mut d, &[("count", "total")]);
        shape::group(d, "summary")
    });
    [user, meta, summary]
}

/// Status and body the gateway gives for backend results (`respond::merge`/`finish` rules).
fn expected(results: Vec<Result<Data, String>>) -> (u16, String) {
    let n = results.len();
    let results: Vec<BackendResult> = results
        .into_iter()
        .map(|r| match r {
            Ok(d) => BackendResult::Ok(d),
            Err(msg) => BackendResult::Failed(backend::BackendError::plain(msg)),
        })
        .collect();
    let merged = match <[BackendResult; 3]>::try_from(results) {
        Ok(three) => respond::merge(three),
        Err(mut one) => {
            assert_eq!(n, 1);
            respond::merge([one.remove(0)])
        }
    };
    match merged.data {
        Some(data) => (200, String::from_utf8(json::to_vec(&data)).unwrap()),
        None => {
            let messages: Vec<&str> = merged.errors.iter().map(|e| e.message.as_str()).collect();
            (500, messages.join("\n"))
        }
    }
}

type Reference = fn(&[u8]) -> Result<Data, String>;

const SINGLE: &[(&str, Reference)] = &[
    ("allow", allow),
    ("target", target),
    ("deny", deny),
    ("collection", collection),
    ("safejson", safejson),
    ("flatmap", flatmap),
    ("concurrent", concurrent),
];

#[tokio::test]
async fn every_answer_is_the_generic_paths() {
    let gw = gateway().await;
    for (name, body) in BODIES.iter() {
        for (endpoint, reference) in SINGLE {
            let (status, _, text) = get(&format!("{gw}/{endpoint}/{name}")).await;
            let (want_status, want_body) = expected(vec![reference(body)]);
            assert_eq!(
                (status.as_u16(), text.as_str()),
                (want_status, want_body.as_str()),
                "/{endpoint}/{name}"
            );
        }
        let (status, _, text) = get(&format!("{gw}/merge/{name}")).await;
        let (want_status, want_body) = expected(merge_backends(body).into());
        assert_eq!(
            (status.as_u16(), text.as_str()),
            (want_status, want_body.as_str()),
            "/merge/{name}"
        );
    }
}

#[tokio::test]
async fn shaped_bodies_are_compact_sorted_and_escaped_like_go() {
    let gw = gateway().await;
    let cases = [
        (
            "/allow/doc",
            r#"{"meta":{"page":3},"user":{"address":{"city":"London"},"name":"Ada"}}"#,
        ),
        (
            "/target/doc",
            r#"{"person":{"address":{"city":"London","zip":"SW1Y"},"contact":"ada@example.com","full_name":"Ada","roles":["admin","author"],"secret":"s3"}}"#,
        ),
        (
            "/deny/doc",
            r#"{"count":2,"meta":{"page":3,"per_page":50},"user":{"email":"ada@example.com","name":"Ada","roles":["admin","author"],"secret":"s3"}}"#,
        ),
        (
            "/merge/doc",
            r#"{"meta":{"page":3,"per_page":50},"summary":{"meta":{"page":3,"per_page":50},"total":2},"user":{"address":{"city":"London"},"name":"Ada"}}"#,
        ),
        ("/allow/dup", r#"{"user":{"name":{"first":"b"}}}"#),
        (
            "/allow/escaped",
            "{\"user\":{\"address\":{\"city\":\"Zürich\"},\"name\":\"😀 é/\"}}",
        ),
        ("/collection/array", r#"{"list":[{"id":1},{"id":2}]}"#),
        ("/safejson/scalar", r#"{"content":42}"#),
        (
            "/flatmap/doc",
            r#"{"u":{"address":{"city":"London","zip":"SW1Y"},"email":"ada@example.com","name":"Ada","roles":["author"],"secret":"s3"}}"#,
        ),
        ("/allow/big", r#"{"meta":{"page":1},"user":{"name":"Big"}}"#),
        ("/allow/trailing", r#"{"user":{"name":"n"}}"#),
    ];
    for (path, want) in cases {
        let (status, headers, text) = get(&format!("{gw}{path}")).await;
        assert_eq!((status.as_u16(), text.as_str()), (200, want), "{path}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/json; charset=utf-8")
        );
    }
}

#[tokio::test]
async fn a_sequence_reads_the_projected_data_of_its_earlier_steps() {
    let gw = gateway().await;
    let (status, _, text) = get(&format!("{gw}/sequential")).await;
    assert_eq!(
        (status.as_u16(), text.as_str()),
        (
            200,
            r#"{"first":{"meta":{"page":3},"user":{"name":"Ada"}},"second":{"id":7}}"#
        )
    );
}

#[tokio::test]
async fn errors_are_the_generic_paths_messages() {
    let gw = gateway().await;
    for name in [
        "truncated",
        "lone",
        "deep",
        "magic",
        "utf8",
        "empty",
        "array",
    ] {
        let (status, _, text) = get(&format!("{gw}/allow/{name}")).await;
        let message = decode::decode(Decode::JsonObject, body(name)).unwrap_err();
        assert_eq!(
            (status.as_u16(), text.as_str()),
            (500, message.as_str()),
            "{name}"
        );
    }
    let (_, _, text) = get(&format!("{gw}/allow/empty")).await;
    assert_eq!(text, "EOF");
}

#[test]
fn the_contract_is_specialised() {
    let code = include_str!("../generated/features/shaping.rs");
    assert_eq!(code.matches("__rt::projection::decode(").count(), 12);
    // A sequential step with its specialised decoder, and no call on the generic decoder.
    assert!(code.contains(
        "__seq,\n            ::core::option::Option::Some(|__body| __rt::projection::decode("
    ));
    assert!(code.contains("__rt::backend::concurrent("));
    // Every backend call passes its specialised decoder (none falls back to the generic one).
    let calls = code.split("__rt::backend::call(").skip(1);
    assert!(calls
        .map(|call| call.split(')').next().unwrap_or(""))
        .all(|args| !args.contains("::core::option::Option::None")));
    assert!(code.contains("Shaping: `target` compiled into the parse"));
    // Kept in `Value` form so a reviewer can compare the expectations above with the body.
    assert!(serde_json::from_slice::<Value>(body("doc")).is_ok());
}
