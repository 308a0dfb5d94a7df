//! Endpoints whose one unshaped JSON answer is written straight from the backend's bytes
//! (`render::canonical`, issue 9), through real HTTP: each answer (status, KrakenD's headers,
//! body) is the one a control endpoint on the generic path gives for the same backend answer.
//! The control endpoints use `output_encoding: negotiate`, which renders the same JSON when the
//! request has no `Accept` header but keeps the `Value` path.
//!
//! The same for fan-outs whose backends each put an allowed part of their answer under a group
//! of their own (`projection::render` and `canonical_json::respond_groups`): every pair of
//! bodies, with plain errors, error details and error codes on one side.

mod common;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get as route;
use axum::Router;
use common::*;

/// The backend bodies, by name.
fn body(name: &str) -> Response {
    let deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
    let text: String = match name {
        "sorted" => r#"{"a":1,"b":[true,null],"c":{"d":"e"}}"#.into(),
        "unsorted" => " { \"z\" : [1.50, -0, 2E5, 1e-3] , \"a\": {\"y\": null, \"b\": true}, \"M\": \"m\" } \n".into(),
        "repeated" => r#"{"b":1,"a":2,"b":{"y":1,"x":2},"\u0061":3}"#.into(),
        "escapes" => "{\"s\":\"<a href=\\\"x\\\">&amp;</a>\\u2028\\ud83d\\ude00\\/\\n\\u0001\u{e9}\",\"k<>\":\"\u{2029}\"}".into(),
        "numbers" => r#"{"n":[0,-0,18446744073709551616,-9223372036854775809,1.0E+2,1e-7,0.10]}"#.into(),
        "trailing" => r#"{"a":1} {"b":2} garbage"#.into(),
        "empty" => "{}".into(),
        "array" => "[3,{\"b\":1,\"a\":2},\"x\"]".into(),
        "scalar" => "\"just a string\"".into(),
        "number" => "12.50 ".into(),
        "invalid" => r#"{"a":1,}"#.into(),
        "surrogate" => r#"{"a":"\ud800"}"#.into(),
        "deep" => deep,
        "private" => r#"{"$serde_json::private::Number":"42"}"#.into(),
        "nothing" => String::new(),
        "status" => {
            return (StatusCode::NOT_FOUND, [("content-type", "text/plain")], "missing").into_response()
        }
        _ => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    ([("content-type", "application/json")], text).into_response()
}

async fn gateway() -> String {
    let backend = Router::new()
        .route(
            "/body/{name}",
            route(|Path(name): Path<String>| async move { body(&name) }),
        )
        // Past every endpoint timeout of the contract (400 ms at most).
        .route(
            "/slow",
            route(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                body("sorted")
            }),
        );
    let mock_url = start(backend).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/canonical_json.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

/// Status, the headers KrakenD's answer carries, and the body.
async fn answer(url: &str) -> (u16, Vec<(String, Option<String>)>, String) {
    let (status, headers, body) = get(url).await;
    let picked = [
        "content-type",
        "x-krakend",
        "x-krakend-completed",
        "cache-control",
    ]
    .iter()
    .map(|n| ((*n).to_owned(), header(&headers, n).map(str::to_owned)))
    .collect();
    (status.as_u16(), picked, body)
}

const BODIES: &[&str] = &[
    "sorted",
    "unsorted",
    "repeated",
    "escapes",
    "numbers",
    "trailing",
    "empty",
    "array",
    "scalar",
    "number",
    "invalid",
    "surrogate",
    "deep",
    "private",
    "nothing",
    "status",
];

#[tokio::test]
async fn fast_answers_are_the_generic_paths() {
    let gw = gateway().await;
    for kind in ["object", "safe", "collection", "details", "code"] {
        for name in BODIES {
            let fast = answer(&format!("{gw}/fast/{kind}/{name}")).await;
            let control = answer(&format!("{gw}/control/{kind}/{name}")).await;
            assert_eq!(fast, control, "{kind} {name}");
        }
    }
}

#[tokio::test]
async fn grouped_answers_are_the_generic_paths() {
    let gw = gateway().await;
    for kind in ["groups", "groups-details", "groups-code"] {
        for x in BODIES {
            for y in ["sorted", "repeated", "escapes", "invalid", "status"] {
                let fast = answer(&format!("{gw}/fast/{kind}/{x}/{y}")).await;
                let control = answer(&format!("{gw}/control/{kind}/{x}/{y}")).await;
                assert_eq!(fast, control, "{kind} {x} {y}");
            }
        }
    }
}

#[tokio::test]
async fn grouped_answers_are_go_canonical() {
    let gw = gateway().await;
    let (status, headers, body) = answer(&format!("{gw}/fast/groups/unsorted/escapes")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"first":{"k\u003c\u003e":"\u2029","s":"\u003ca href=\"x\"\u003e\u0026amp;\u003c/a\u003e\u2028😀/\n\u0001é"},"second":{"A":{"b":true,"y":null},"m2":"m","z":[1.50,-0,2e+5,1e-3]}}"#
    );
    let completed = headers.iter().find(|(n, _)| n == "x-krakend-completed");
    assert_eq!(completed.and_then(|(_, v)| v.as_deref()), Some("true"));
    // One side failed: the other's group, incomplete.
    let (status, headers, body) = answer(&format!("{gw}/fast/groups/sorted/invalid")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"second":{"A":1,"c":{"d":"e"}}}"#);
    let completed = headers.iter().find(|(n, _)| n == "x-krakend-completed");
    assert_eq!(completed.and_then(|(_, v)| v.as_deref()), Some("false"));
}

/// The endpoint deadline over a grouped fan-out (one timer for all its calls): the calls that
/// answered keep their groups, the late one fails, and the answer is the generic path's.
#[tokio::test]
async fn grouped_calls_past_the_deadline_fail_alone() {
    let gw = gateway().await;
    for x in ["sorted", "unsorted", "invalid", "status"] {
        let fast = answer(&format!("{gw}/fast/groups-slow/{x}")).await;
        let control = answer(&format!("{gw}/control/groups-slow/{x}")).await;
        assert_eq!(fast, control, "{x}");
    }
    let (status, headers, body) = answer(&format!("{gw}/fast/groups-slow/sorted")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"also":{"b":[true,null]},"quick":{"a":1,"c":{"d":"e"}}}"#
    );
    let completed = headers.iter().find(|(n, _)| n == "x-krakend-completed");
    assert_eq!(completed.and_then(|(_, v)| v.as_deref()), Some("false"));
}

#[tokio::test]
async fn fast_answers_are_go_canonical() {
    let gw = gateway().await;
    let (status, headers, body) = answer(&format!("{gw}/fast/object/unsorted")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"M":"m","a":{"b":true,"y":null},"z":[1.50,-0,2e+5,1e-3]}"#
    );
    let completed = headers.iter().find(|(n, _)| n == "x-krakend-completed");
    assert_eq!(completed.and_then(|(_, v)| v.as_deref()), Some("true"));
    let (_, _, body) = answer(&format!("{gw}/fast/object/repeated")).await;
    assert_eq!(body, r#"{"a":3,"b":{"x":2,"y":1}}"#);
    let (_, _, body) = answer(&format!("{gw}/fast/safe/scalar")).await;
    assert_eq!(body, r#"{"content":"just a string"}"#);
    let (status, _, _) = answer(&format!("{gw}/fast/object/invalid")).await;
    assert_eq!(status, 500);
}

#[test]
fn the_fast_endpoints_are_generated_as_such() {
    let code = include_str!("../generated/features/canonical_json.rs");
    // Five fast endpoints: each answers with `canonical_json::respond`; the controls do not.
    assert_eq!(code.matches("__rt::canonical_json::respond(").count(), 5);
    assert_eq!(code.matches("__rt::respond::respond(").count(), 9);
    // Four grouped fan-outs, each under one deadline; their controls take the shared merge.
    assert_eq!(
        code.matches("__rt::canonical_json::respond_groups(")
            .count(),
        4
    );
    assert_eq!(
        code.matches("__rt::canonical_json::Deadline::new()")
            .count(),
        4
    );
    assert_eq!(code.matches("__rt::canonical_json::call_group(").count(), 9);
}
