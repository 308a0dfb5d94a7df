//! `security/cors` through real HTTP, as krakend-cors over rs/cors answers. The first tests
//! replay krakend-ce's integration specs cors_1…cors_5 on our own equivalent contract
//! (contracts/features/cors.json); the others cover every key, preflights on unknown paths,
//! passthrough to auto-OPTIONS, the credentials quirk, wildcard origins and `Vary`.

mod common;
use axum::http::HeaderMap;
use common::*;
use reqwest::Method;

async fn krakend_like() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/cors.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn strict() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/cors_strict.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn passthrough() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/cors_passthrough.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

fn all(h: &HeaderMap, name: &str) -> Vec<String> {
    h.get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

const PREFLIGHT_VARY: &str =
    "Origin, Access-Control-Request-Method, Access-Control-Request-Headers";
const ALLOW_ORIGIN: &str = "access-control-allow-origin";
const ALLOW_METHODS: &str = "access-control-allow-methods";
const ALLOW_HEADERS: &str = "access-control-allow-headers";
const ALLOW_CREDENTIALS: &str = "access-control-allow-credentials";
const MAX_AGE: &str = "access-control-max-age";
const EXPOSE: &str = "access-control-expose-headers";

async fn preflight(
    url: &str,
    origin: Option<&str>,
    method: &str,
    headers: Option<&str>,
) -> (u16, HeaderMap, String) {
    let mut req = client()
        .request(Method::OPTIONS, url)
        .header("user-agent", "some")
        .header("access-control-request-method", method);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    if let Some(h) = headers {
        req = req.header("access-control-request-headers", h);
    }
    let (status, headers, body) = send(req).await;
    (status.as_u16(), headers, body)
}

/// A preflight answer: status, empty body, none of the handler's headers.
fn assert_bare(status: u16, headers: &HeaderMap, body: &str, expected: u16) {
    assert_eq!(status, expected);
    assert_eq!(body, "");
    for h in [
        "content-type",
        "cache-control",
        "x-krakend-completed",
        "x-krakend",
    ] {
        assert_eq!(header(headers, h), None, "{h}");
    }
}

fn assert_no_allow(headers: &HeaderMap) {
    for h in [
        ALLOW_ORIGIN,
        ALLOW_METHODS,
        ALLOW_HEADERS,
        ALLOW_CREDENTIALS,
        MAX_AGE,
        EXPOSE,
    ] {
        assert_eq!(header(headers, h), None, "{h}");
    }
}

#[tokio::test]
async fn cors_1_an_allowed_preflight_echoes_method_and_headers() {
    let gw = krakend_like().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar?a=1&b=2");
    let (status, headers, body) = preflight(
        &url,
        Some("http://foo.example"),
        "GET",
        Some("content-type,origin"),
    )
    .await;
    assert_bare(status, &headers, &body, 204);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, ALLOW_METHODS), ["GET"]);
    assert_eq!(all(&headers, ALLOW_HEADERS), ["content-type,origin"]);
    assert_eq!(all(&headers, MAX_AGE), ["43200"]);
    assert_eq!(all(&headers, "vary"), [PREFLIGHT_VARY]);
    assert_eq!(header(&headers, ALLOW_CREDENTIALS), None);
}

#[tokio::test]
async fn cors_2_a_method_not_allowed_leaves_only_vary() {
    let gw = krakend_like().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar?a=1&b=2");
    let (status, headers, body) =
        preflight(&url, Some("http://foo.example.tld"), "PUT", None).await;
    assert_bare(status, &headers, &body, 204);
    assert_no_allow(&headers);
    assert_eq!(all(&headers, "vary"), [PREFLIGHT_VARY]);
}

#[tokio::test]
async fn cors_3_a_header_not_allowed_leaves_only_vary() {
    let gw = krakend_like().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar?a=1&b=2");
    let (status, headers, body) = preflight(
        &url,
        Some("http://foo.example"),
        "POST",
        Some("X-PINGOTHER"),
    )
    .await;
    assert_bare(status, &headers, &body, 204);
    assert_no_allow(&headers);
}

#[tokio::test]
async fn cors_4_any_origin_passes_with_a_star() {
    let gw = krakend_like().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar?a=1&b=2");
    let (status, headers, body) = preflight(
        &url,
        Some("http://foo.example.tld"),
        "GET",
        Some("content-type,origin"),
    )
    .await;
    assert_bare(status, &headers, &body, 204);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, ALLOW_METHODS), ["GET"]);
    assert_eq!(all(&headers, ALLOW_HEADERS), ["content-type,origin"]);
}

#[tokio::test]
async fn cors_5_an_actual_request_gets_origin_expose_and_vary() {
    let gw = krakend_like().await;
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/param_forwarding/some/foo/bar"))
            .header("user-agent", "some")
            .header("origin", "http://foo.example.tld"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["path"], "/echo/param_forwarding/bar");
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=3600")
    );
    assert_eq!(header(&headers, "x-krakend-completed"), Some("true"));
    assert!(header(&headers, "x-krakend").is_some());
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, EXPOSE), ["Content-Length"]);
    assert_eq!(header(&headers, ALLOW_METHODS), None);
}

#[tokio::test]
async fn preflights_on_unknown_paths_are_answered_before_the_router() {
    let gw = krakend_like().await;
    let (status, headers, body) = preflight(
        &format!("{gw}/nowhere/at/all"),
        Some("http://x.test"),
        "POST",
        None,
    )
    .await;
    assert_bare(status, &headers, &body, 204);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, ALLOW_METHODS), ["POST"]);
    assert_eq!(header(&headers, ALLOW_HEADERS), None);
}

#[tokio::test]
async fn options_without_a_request_method_is_not_a_preflight() {
    let gw = krakend_like().await;
    let (status, headers, _) = send(
        client()
            .request(Method::OPTIONS, format!("{gw}/nowhere"))
            .header("origin", "http://x.test"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    // OPTIONS is always an allowed method for rs/cors.
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
}

#[tokio::test]
async fn router_answers_and_errors_carry_the_cors_headers() {
    let gw = krakend_like().await;
    let (status, headers, body) = send(
        client()
            .get(format!("{gw}/nowhere"))
            .header("origin", "http://x.test"),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body.as_str()),
        (404, "404 page not found")
    );
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, EXPOSE), ["Content-Length"]);
    // 405 for a method rs/cors allows: headers; for one it does not: only Vary.
    let (status, headers, _) = send(
        client()
            .get(format!("{gw}/items"))
            .header("origin", "http://x.test"),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    let (status, headers, _) = send(
        client()
            .delete(format!("{gw}/items"))
            .header("origin", "http://x.test"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_no_allow(&headers);
    // Without Origin: Vary only.
    let (status, headers, _) = get(&format!("{gw}/nowhere")).await;
    assert_eq!(status, 404);
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_no_allow(&headers);
}

#[tokio::test]
async fn requested_headers_must_be_lower_case_sorted_and_allowed() {
    let gw = krakend_like().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar");
    for (acrh, ok) in [
        ("authorization, content-type", true),
        ("content-type,authorization", false),
        ("Content-Type", false),
        ("content-type,content-type", false),
        ("origin,x-other", false),
    ] {
        let (status, headers, _) = preflight(&url, Some("http://a.test"), "GET", Some(acrh)).await;
        assert_eq!(status, 204);
        let expected: Vec<String> = if ok { vec![acrh.to_owned()] } else { vec![] };
        assert_eq!(all(&headers, ALLOW_HEADERS), expected, "{acrh}");
    }
}

#[tokio::test]
async fn listed_and_wildcard_origins_case_insensitive() {
    let gw = strict().await;
    for (origin, ok) in [
        ("https://api.example.com", true),
        ("https://a.b.example.com", true),
        ("HTTP://FOO.EXAMPLE", true),
        ("http://foo.example", true),
        ("https://example.com", false),
        ("http://api.example.com", false),
        ("https://evil.test", false),
    ] {
        let (status, headers, body) =
            preflight(&format!("{gw}/a"), Some(origin), "PUT", Some("x-anything")).await;
        assert_bare(status, &headers, &body, 200);
        assert_eq!(
            all(&headers, "vary"),
            [format!(
                "{PREFLIGHT_VARY}, Access-Control-Request-Private-Network"
            )]
        );
        if ok {
            assert_eq!(all(&headers, ALLOW_ORIGIN), [origin], "{origin}");
            assert_eq!(all(&headers, ALLOW_METHODS), ["PUT"]);
            assert_eq!(all(&headers, ALLOW_HEADERS), ["x-anything"]);
            assert_eq!(all(&headers, ALLOW_CREDENTIALS), ["true"]);
            assert_eq!(all(&headers, MAX_AGE), ["90"]);
        } else {
            assert_no_allow(&headers);
        }
    }
}

#[tokio::test]
async fn methods_are_compared_case_sensitively_and_options_always_passes() {
    let gw = strict().await;
    let (_, headers, _) =
        preflight(&format!("{gw}/a"), Some("http://foo.example"), "get", None).await;
    assert_no_allow(&headers);
    let (_, headers, _) =
        preflight(&format!("{gw}/a"), Some("http://foo.example"), "POST", None).await;
    assert_no_allow(&headers);
    let (_, headers, _) = preflight(
        &format!("{gw}/a"),
        Some("http://foo.example"),
        "OPTIONS",
        None,
    )
    .await;
    assert_eq!(all(&headers, ALLOW_METHODS), ["OPTIONS"]);
}

#[tokio::test]
async fn private_network_is_allowed_when_asked() {
    let gw = strict().await;
    let (_, headers, _) = send(
        client()
            .request(Method::OPTIONS, format!("{gw}/a"))
            .header("origin", "http://foo.example")
            .header("access-control-request-method", "GET")
            .header("access-control-request-private-network", "true"),
    )
    .await;
    assert_eq!(
        all(&headers, "access-control-allow-private-network"),
        ["true"]
    );
    let (_, headers, _) =
        preflight(&format!("{gw}/a"), Some("http://foo.example"), "GET", None).await;
    assert_eq!(
        header(&headers, "access-control-allow-private-network"),
        None
    );
}

#[tokio::test]
async fn actual_requests_with_listed_origins_and_credentials() {
    let gw = strict().await;
    let (status, headers, _) = send(
        client()
            .get(format!("{gw}/a"))
            .header("origin", "https://app.example.com"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["https://app.example.com"]);
    assert_eq!(all(&headers, ALLOW_CREDENTIALS), ["true"]);
    assert_eq!(all(&headers, EXPOSE), ["X-Request-Id, Content-Length"]);
    // POST is routed but not a CORS method here: Vary only.
    let (status, headers, _) = send(
        client()
            .post(format!("{gw}/a"))
            .header("origin", "https://app.example.com"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all(&headers, "vary"), ["Origin"]);
    assert_no_allow(&headers);
}

#[tokio::test]
async fn passthrough_hands_preflights_to_auto_options_with_a_star_and_credentials() {
    let gw = passthrough().await;
    let (status, headers, body) = preflight(
        &format!("{gw}/a"),
        Some("https://any.test"),
        "GET",
        Some(""),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        header(&headers, "allow").is_some_and(|a| a.contains("PUT")),
        "{headers:?}"
    );
    assert!(header(&headers, "x-krakend").is_some());
    // rs/cors sends `*` even with credentials.
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, ALLOW_CREDENTIALS), ["true"]);
    assert_eq!(all(&headers, ALLOW_METHODS), ["GET"]);
    // An empty request-headers value is not echoed; 500ms is 0 whole seconds: no max age.
    assert_eq!(header(&headers, ALLOW_HEADERS), None);
    assert_eq!(header(&headers, MAX_AGE), None);
    assert_eq!(all(&headers, "vary"), [PREFLIGHT_VARY]);
    // PUT is not in the default methods (GET, POST, HEAD): the router still answers.
    let (status, headers, _) =
        preflight(&format!("{gw}/a"), Some("https://any.test"), "PUT", None).await;
    assert_eq!(status, 200);
    assert_no_allow(&headers);
    // Passed through to the router: an unknown path is its 404, with the CORS headers.
    let (status, headers, _) = preflight(
        &format!("{gw}/nowhere"),
        Some("https://any.test"),
        "GET",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    let (status, headers, _) = send(
        client()
            .get(format!("{gw}/a"))
            .header("origin", "https://any.test"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(all(&headers, ALLOW_ORIGIN), ["*"]);
    assert_eq!(all(&headers, ALLOW_CREDENTIALS), ["true"]);
}
