//! `security/http` through real HTTP, as krakend-httpsecure over unrolled/secure answers:
//! allowed hosts (plain, through a proxy header, regex), the SSL redirect, STS, every header
//! on every covered answer, `is_development`, and its place before the service bot detector.

mod common;
use axum::http::HeaderMap;
use common::*;

async fn plain() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/http_secure.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn regex() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/http_secure_regex.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn development() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/http_secure_dev.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn call(url: &str, headers: &[(&str, &str)]) -> (u16, HeaderMap, String) {
    let mut req = client().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let (status, headers, body) = send(req).await;
    (status.as_u16(), headers, body)
}

const HTTPS: (&str, &str) = ("x-forwarded-proto", "https");

fn assert_secure_headers(h: &HeaderMap) {
    assert_eq!(
        header(h, "strict-transport-security"),
        Some("max-age=31536000; includeSubDomains")
    );
    // The custom value wins over frame_deny.
    assert_eq!(header(h, "x-frame-options"), Some("SAMEORIGIN"));
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(h, "x-xss-protection"), Some("1; mode=block"));
    assert_eq!(
        header(h, "content-security-policy"),
        Some("default-src 'self'")
    );
    assert_eq!(header(h, "referrer-policy"), Some("same-origin"));
}

#[tokio::test]
async fn an_allowed_https_request_gets_every_header() {
    let gw = plain().await;
    for host in ["api.example.com", "LOCALHOST:8080"] {
        let (status, headers, body) =
            call(&format!("{gw}/users/7"), &[("host", host), HTTPS]).await;
        assert_eq!(status, 200, "{host}: {body}");
        assert_eq!(json(&body)["user"]["id"], 42);
        assert_secure_headers(&headers);
    }
    // The router's own answers are covered too.
    let (status, headers, _) = call(
        &format!("{gw}/nowhere"),
        &[("host", "api.example.com"), HTTPS],
    )
    .await;
    assert_eq!(status, 404);
    assert_secure_headers(&headers);
}

#[tokio::test]
async fn other_hosts_get_a_plain_500() {
    let gw = plain().await;
    for host in ["evil.example", "api.example.com:443", "localhost"] {
        let (status, headers, body) =
            call(&format!("{gw}/users/7"), &[("host", host), HTTPS]).await;
        assert_eq!((status, body.as_str()), (500, "Bad Host\n"), "{host}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
        for h in [
            "x-frame-options",
            "strict-transport-security",
            "x-krakend",
            "x-krakend-completed",
        ] {
            assert_eq!(header(&headers, h), None, "{h}");
        }
    }
    // The first non-empty host proxy header is the host checked.
    let (status, _, _) = call(
        &format!("{gw}/users/7"),
        &[
            ("host", "evil.example"),
            ("x-original-host", "api.example.com"),
            HTTPS,
        ],
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &format!("{gw}/users/7"),
        &[
            ("host", "api.example.com"),
            ("x-original-host", "evil.example"),
            HTTPS,
        ],
    )
    .await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn plain_http_is_redirected_to_the_ssl_host() {
    let gw = plain().await;
    let (status, headers, body) = call(
        &format!("{gw}/users/7?x=1&y=%20"),
        &[("host", "api.example.com")],
    )
    .await;
    assert_eq!(status, 301);
    let location = "https://secure.example.com/users/7?x=1&y=%20";
    assert_eq!(header(&headers, "location"), Some(location));
    assert_eq!(
        body,
        format!(
            "<a href=\"{}\">Moved Permanently</a>.\n\n",
            location.replace('&', "&amp;")
        )
    );
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(&headers, "x-frame-options"), None);
    // Only the configured value marks a request as HTTPS.
    let (status, _, _) = call(
        &format!("{gw}/users/7"),
        &[("host", "api.example.com"), ("x-forwarded-proto", "HTTPS")],
    )
    .await;
    assert_eq!(status, 301);
    // The host check comes first.
    let (status, _, _) = call(&format!("{gw}/users/7"), &[("host", "evil.example")]).await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn regex_hosts_are_anchored_and_sts_can_be_forced() {
    let gw = regex().await;
    for (host, status) in [
        ("api.example.com", 200),
        ("api.example.org", 200),
        ("krustd.test", 200),
        ("api.example.com.evil", 500),
        ("xapi.example.com", 500),
    ] {
        let (got, headers, body) = call(&format!("{gw}/a"), &[("host", host)]).await;
        assert_eq!(got, status, "{host}: {body}");
        if status == 200 {
            assert_eq!(
                header(&headers, "strict-transport-security"),
                Some("max-age=60")
            );
            assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
            assert_eq!(header(&headers, "x-content-type-options"), None);
        }
    }
    // The client's own Host (127.0.0.1:port) matches the third entry.
    let (status, _, _) = get(&format!("{gw}/a")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn security_http_runs_before_the_service_bot_detector() {
    let gw = regex().await;
    let (status, headers, body) = call(&format!("{gw}/a"), &[("user-agent", "evil")]).await;
    assert_eq!((status, body.as_str()), (403, ""));
    // Set before the detector ran, the headers are on its 403 too.
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    assert_eq!(
        header(&headers, "strict-transport-security"),
        Some("max-age=60")
    );
    assert_eq!(header(&headers, "content-type"), None);
    let (status, _, _) = call(
        &format!("{gw}/a"),
        &[("user-agent", "evil"), ("host", "bad.host")],
    )
    .await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn development_keeps_the_headers_only() {
    let gw = development().await;
    let (status, headers, body) = call(&format!("{gw}/a"), &[("host", "anything.test")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&headers, "strict-transport-security"), None);
}
