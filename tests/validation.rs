//! `validation/json-schema` and `validation/cel` through real HTTP (spec:
//! security-and-traffic.md §10), including krakend-ce's jsonschema_1 and cel-1…cel-5 replayed
//! on an equivalent contract (cel-6/7 need `auth/validator`).

mod common;
use common::*;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/validation.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn plain_gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/validation_plain.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn post(url: &str, body: &'static str) -> (http::StatusCode, http::HeaderMap, String) {
    send(client().post(url).body(body)).await
}

#[tokio::test]
async fn schema_replays_jsonschema_1_and_forwards_the_body_unchanged() {
    let gw = gateway().await;
    let (status, headers, body) = post(&format!("{gw}/schema/number"), r#"{"foo": 42}"#).await;
    assert_eq!(status, 400);
    assert_eq!(body, r#"- (root): {"foo":42} is not of type "number""#);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));

    let (status, _, body) = post(&format!("{gw}/schema/number"), " 4.5e1 ").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body)["body"],
        " 4.5e1 ",
        "the body reaches the backend as sent"
    );
}

#[tokio::test]
async fn schema_empty_and_malformed_bodies() {
    let gw = gateway().await;
    let (status, _, body) = post(&format!("{gw}/schema/number"), "").await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (400, "could not validate an empty body")
    );
    let (status, _, body) = post(&format!("{gw}/schema/number"), "{nope").await;
    assert_eq!(status, 400);
    assert!(body.contains("key must be a string"), "{body}");
    let (status, _, body) = get(&format!("{gw}/schema/get")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (400, "could not validate an empty body"),
        "a GET endpoint with a schema always fails"
    );
}

#[tokio::test]
async fn schema_each_draft() {
    let gw = gateway().await;
    let cases: &[(&str, &'static str, u16)] = &[
        ("draft4", r#"{"n": 9}"#, 200),
        ("draft4", r#"{"n": 10}"#, 400),
        ("draft4", r#"{"n": 1.5}"#, 400),
        ("draft4", r#"{}"#, 400),
        ("draft6", r#"{"n": 9, "k": "x"}"#, 200),
        ("draft6", r#"{"n": 10}"#, 400),
        ("draft6", r#"{"k": "y"}"#, 400),
        ("draft7", r#"{"kind": "b"}"#, 200),
        ("draft7", r#"{"kind": "a", "a": 1}"#, 200),
        ("draft7", r#"{"kind": "a"}"#, 400),
        ("draft2019", r#"{"a": 1, "b": 2}"#, 200),
        ("draft2019", r#"{"a": 1}"#, 400),
        ("draft2020", r#"["x", 1]"#, 200),
        ("draft2020", r#"["x", 1, 2]"#, 400),
        ("draft2020", r#"[1]"#, 400),
    ];
    for (path, body, want) in cases {
        let (status, _, text) = post(&format!("{gw}/schema/{path}"), body).await;
        assert_eq!(status.as_u16(), *want, "{path} {body}: {text}");
        if *want == 400 {
            assert!(text.starts_with("- "), "{path} {body}: {text}");
        }
    }
    let (_, _, text) = post(&format!("{gw}/schema/draft4"), r#"{"n": 1.5}"#).await;
    assert_eq!(text, r#"- n: 1.5 is not of type "integer""#);
}

#[tokio::test]
async fn errors_without_return_error_msg_have_no_body() {
    let gw = plain_gateway().await;
    let (status, headers, body) = post(&format!("{gw}/schema"), r#"{"b": 1}"#).await;
    assert_eq!((status.as_u16(), body.as_str()), (400, ""));
    assert_eq!(header(&headers, "content-type"), None);
    let (status, _, body) = post(&format!("{gw}/schema"), "").await;
    assert_eq!((status.as_u16(), body.as_str()), (400, ""));
    let (status, _, _) = post(&format!("{gw}/schema"), r#"{"a": 1}"#).await;
    assert_eq!(status, 200);
    let (status, _, body) = get(&format!("{gw}/cel/nope")).await;
    assert_eq!((status.as_u16(), body.as_str()), (500, ""));
    let (status, _, _) = get(&format!("{gw}/cel/ok")).await;
    assert_eq!(status, 200);
}

/// krakend-ce cel-1 … cel-5.
#[tokio::test]
async fn cel_replays_krakend_specs() {
    let gw = gateway().await;
    let with_header = |id: &str| {
        client()
            .get(format!("{gw}/cel/req-resp/{id}"))
            .header("X-Header", "something")
    };
    // cel-1: the endpoint's second rule (id odd) fails.
    let (status, headers, body) = send(with_header("1")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "request aborted by evaluator #1")
    );
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(header(&headers, "cache-control"), None);
    // cel-2: no X-Header: the first rule errors (missing key).
    let (status, _, body) = get(&format!("{gw}/cel/req-resp/30")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "request aborted by evaluator #0")
    );
    // cel-3: 10 is not a multiple of 3: backend1 is dropped, a partial answer.
    let (status, headers, body) = send(with_header("10")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"backend2":{"method":"GET"}}"#);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(header(&headers, "cache-control"), None);
    // cel-4: 6 is not a multiple of 5.
    let (status, _, body) = send(with_header("6")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (200, r#"{"backend1":{"method":"GET"}}"#)
    );
    // cel-5: everything passes.
    let (status, headers, body) = send(with_header("30")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        r#"{"backend1":{"method":"GET"},"backend2":{"method":"GET"}}"#
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=3600")
    );
}

#[tokio::test]
async fn cel_endpoint_request_variables_then_schema() {
    let gw = gateway().await;
    let ok = || {
        client()
            .post(format!("{gw}/cel/vars/u1?q=a%20b&other=1"))
            .header("X-Tenant", "acme")
            .header("X-Secret", "s")
    };
    let (status, _, body) = send(ok().body(r#"{"ok": true}"#)).await;
    assert_eq!(status, 200, "{body}");
    // The CEL pre-rules pass, then the schema refuses the body.
    let (status, _, body) = send(ok().body("{}")).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("\"ok\" is a required property"), "{body}");
    // CEL runs before the schema: a failing rule wins over an invalid body.
    let cases = [
        (
            format!("{gw}/cel/vars/u2?q=a%20b"),
            "acme",
            "request aborted by evaluator #1",
        ),
        (
            format!("{gw}/cel/vars/u1?q=a%20b"),
            "other",
            "request aborted by evaluator #2",
        ),
        (
            format!("{gw}/cel/vars/u1?q=ab"),
            "acme",
            "request aborted by evaluator #3",
        ),
    ];
    for (url, tenant, want) in cases {
        let (status, _, body) = send(client().post(&url).header("X-Tenant", tenant).body("")).await;
        assert_eq!((status.as_u16(), body.as_str()), (500, want), "{url}");
    }
}

#[tokio::test]
async fn cel_endpoint_post_rules_see_the_merged_response() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/cel/post/fine")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["extra"], 1);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    let (status, headers, body) = get(&format!("{gw}/cel/post/bad")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "request aborted by evaluator #1")
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
}

#[tokio::test]
async fn cel_backend_rules_see_the_backend_request_and_shaped_data() {
    let gw = gateway().await;
    let req = |n: &str| {
        client()
            .get(format!("{gw}/cel/backend/{n}?q=1&drop=2"))
            .header("X-Tenant", "t")
            .header("X-Other", "o")
    };
    let (status, _, body) = send(req("5")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["g"]["p"], "/echo/be/5");
    // The post-rule refuses this data: the single backend fails, its error passes through.
    let (status, _, body) = send(req("7")).await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "request aborted by evaluator #0")
    );
    // Without the query parameter the third pre-rule fails.
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/cel/backend/5"))
            .header("X-Tenant", "t"),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (500, "request aborted by evaluator #2")
    );
}

#[tokio::test]
async fn cel_backend_post_failure_is_a_partial_result() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/cel/partial")).await;
    assert_eq!(status, 200);
    let v = json(&body);
    assert_eq!(v["a"]["a"], 1, "{v}");
    assert!(v.get("b").is_none(), "{v}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
}
