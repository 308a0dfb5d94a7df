//! Zero-trust forwarding through real HTTP: headers, query strings, bodies, methods, URL
//! substitution with hostile parameters, and host balancing.

mod common;
use common::*;
use serde_json::Value;

async fn gateway() -> (String, String) {
    let mock_url = start(mock()).await;
    let rr_a = start(named("a")).await;
    let rr_b = start(named("b")).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/forwarding.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://rr-a", rr_a.as_str()),
            ("http://rr-b", rr_b.as_str()),
        ])
    );
    (start(gw).await, mock_url)
}

fn seen_header<'a>(echo: &'a Value, name: &str) -> Option<&'a str> {
    echo["headers"][name][0].as_str()
}

#[tokio::test]
async fn without_allow_lists_only_content_type_passes() {
    let (gw, _) = gateway().await;
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/fwd/default/42?page=1&x=2"))
            .header("X-Secret", "s")
            .header("Cookie", "session=1")
            .header("Authorization", "Bearer t")
            .header("Content-Type", "application/json")
            .header("User-Agent", "tester"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    let echo = json(&body);
    assert_eq!(echo["path"], "/echo/default/42");
    assert_eq!(
        echo["query"],
        Value::Null,
        "no query string may be forwarded"
    );
    for forbidden in ["x-secret", "cookie", "authorization", "x-forwarded-via"] {
        assert!(
            echo["headers"].get(forbidden).is_none(),
            "{forbidden} arrived: {echo}"
        );
    }
    assert_eq!(seen_header(&echo, "content-type"), Some("application/json"));
    let ua = seen_header(&echo, "user-agent").expect("user-agent");
    assert!(ua.starts_with("KrakenD Version "), "{ua}");
    assert_eq!(seen_header(&echo, "x-forwarded-for"), Some("127.0.0.1"));
    let host = gw.trim_start_matches("http://");
    assert_eq!(seen_header(&echo, "x-forwarded-host"), Some(host));
}

#[tokio::test]
async fn allow_lists_pass_exactly_the_listed_names() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!(
                "{gw}/fwd/listed?page=1&other=x&Sort=asc&sort=no&page=2"
            ))
            .header("X-Allowed", "yes")
            .header("X-Other", "no")
            .header("Content-Type", "text/plain")
            .header("User-Agent", "tester"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(seen_header(&echo, "x-allowed"), Some("yes"));
    assert!(echo["headers"].get("x-other").is_none());
    assert!(
        echo["headers"].get("content-type").is_none(),
        "Content-Type is not implicit once input_headers is set"
    );
    assert_eq!(seen_header(&echo, "user-agent"), Some("tester"));
    let via = seen_header(&echo, "x-forwarded-via").expect("x-forwarded-via");
    assert!(via.starts_with("KrakenD Version "));
    // The url_pattern's own query first, then the forwarded ones, keys sorted.
    assert_eq!(echo["query"], "fixed=1&Sort=asc&page=1&page=2");
}

#[tokio::test]
async fn wildcards_forward_everything_but_the_gateway_sets_x_forwarded_for() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/fwd/all?b=2&a=1&a=0&empty="))
            .header("Cookie", "session=1")
            .header("X-Forwarded-For", "10.1.2.3, 10.0.0.1")
            .header("X-Custom", "c"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(seen_header(&echo, "cookie"), Some("session=1"));
    assert_eq!(seen_header(&echo, "x-custom"), Some("c"));
    assert_eq!(seen_header(&echo, "x-forwarded-for"), Some("10.1.2.3"));
    assert_eq!(echo["query"], "a=1&a=0&b=2&empty=");
}

#[tokio::test]
async fn backend_level_lists_filter_again() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/fwd/backend-filter?a=1&b=2&c=3"))
            .header("X-Keep", "k")
            .header("X-Drop", "d"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(seen_header(&echo, "x-keep"), Some("k"));
    for dropped in ["x-drop", "x-forwarded-for", "x-forwarded-host"] {
        assert!(echo["headers"].get(dropped).is_none(), "{dropped}: {echo}");
    }
    assert_eq!(
        seen_header(&echo, "user-agent"),
        Some("Go-http-client/1.1"),
        "the gateway UA is dropped; the HTTP client's default is sent, as by KrakenD"
    );
    assert_eq!(echo["query"], "a=1");
}

#[tokio::test]
async fn bodies_and_backend_methods_are_forwarded() {
    let (gw, _) = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/fwd/body"))
            .header("Content-Type", "application/json")
            .body(r#"{"order":1}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["body"], r#"{"order":1}"#);
    assert_eq!(seen_header(&echo, "content-type"), Some("application/json"));
}

#[tokio::test]
async fn parameters_fill_every_placeholder() {
    let (gw, _) = gateway().await;
    let (status, _, body) = get(&format!("{gw}/fwd/two-params/x/y")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["path"], "/echo/y/x/y");
}

#[tokio::test]
async fn hostile_parameters_cannot_change_the_backend_url_structure() {
    let (gw, _) = gateway().await;
    // Decoded `/` is a separator, as in KrakenD: no route matches.
    let (status, _, _) = get(&format!("{gw}/fwd/hostile/..%2F..%2Fadmin")).await;
    assert_eq!(status, 404);
    // CR/LF and spaces are escaped in the path and in the query.
    let (status, _, body) = get(&format!("{gw}/fwd/hostile/a%0D%0Ab%20c")).await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["path"], "/echo/users/a%0D%0Ab%20c/profile");
    assert_eq!(echo["query"], "x=a%0D%0Ab%20c");
    // `&`/`=` in a value cannot add query parameters; `@`/`:` cannot change the host.
    let (status, _, body) = get(&format!("{gw}/fwd/hostile/@evil.com:80&admin=1")).await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["path"], "/echo/users/@evil.com:80&admin=1/profile");
    assert_eq!(echo["query"], "x=@evil.com:80%26admin%3D1");
    // A value that still looks encoded, or is a dot segment, is rejected.
    for bad in ["x%253Fy", "a%3Fb"] {
        let (status, headers, body) = get(&format!("{gw}/fwd/hostile/{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body, "error: encoded url params");
        assert!(header(&headers, "x-krakend").is_none());
    }
    for dots in ["/fwd/hostile/%2E%2E", "/fwd/hostile/..", "/fwd/hostile/%2e"] {
        let (status, body) = raw_get(&gw, dots).await;
        assert_eq!(status, 400, "{dots}: {body}");
    }
}

#[tokio::test]
async fn several_hosts_are_balanced() {
    let (gw, _) = gateway().await;
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let (status, _, body) = get(&format!("{gw}/fwd/rr")).await;
        assert_eq!(status, 200, "{body}");
        seen.insert(json(&body)["who"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(seen.len(), 2, "both hosts must be used: {seen:?}");
}
