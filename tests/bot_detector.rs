//! `security/bot-detector` through real HTTP. The first tests replay krakend-ce's integration
//! specs botdetector_1…botdetector_4 on our own equivalent contract
//! (contracts/features/bot_detector.json); the others cover the allow list, empty agents,
//! what the service-level detector covers (every route but the health check, not the
//! router's redirects) and the endpoint-level detector running before anything else.

mod common;
use axum::http::HeaderMap;
use common::*;
use reqwest::Method;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/bot_detector.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

async fn with_agent(method: Method, url: &str, ua: Option<&str>) -> (u16, HeaderMap, String) {
    let mut req = client().request(method, url);
    if let Some(ua) = ua {
        req = req.header("user-agent", ua);
    }
    let (status, headers, body) = send(req).await;
    (status.as_u16(), headers, body)
}

/// A bare 403: no body, no Content-Type, no X-Krakend headers.
fn assert_rejected(answer: &(u16, HeaderMap, String), what: &str) {
    let (status, headers, body) = answer;
    assert_eq!(*status, 403, "{what}: {body}");
    assert_eq!(body, "", "{what}");
    for h in ["content-type", "x-krakend", "x-krakend-completed"] {
        assert_eq!(header(headers, h), None, "{what}: {h}");
    }
}

#[tokio::test]
async fn botdetector_1_to_4_deny_list_and_patterns() {
    let gw = gateway().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar");
    for ua in [
        "a",
        "b",
        "Pingdom.com_bot_version_1.14",
        "facebookexternalhit/1.2.3",
    ] {
        assert_rejected(&with_agent(Method::GET, &url, Some(ua)).await, ua);
    }
}

#[tokio::test]
async fn allow_list_wins_and_other_agents_pass() {
    let gw = gateway().await;
    let url = format!("{gw}/param_forwarding/some/foo/bar");
    // An exact allow entry beats a matching pattern; a pattern is unanchored.
    for (ua, status) in [
        ("c", 200),
        ("Pingdom.com_bot_version_1.1", 200),
        ("Mozilla/5.0 (X11)", 200),
        ("x Pingdom.com_bot_version_2", 403),
        ("A", 200),
    ] {
        let (got, _, body) = with_agent(Method::GET, &url, Some(ua)).await;
        assert_eq!(got, status, "{ua}: {body}");
    }
    // No User-Agent: not a bot unless `empty_user_agent_is_bot`.
    let (got, _, _) = with_agent(Method::GET, &url, None).await;
    assert_eq!(got, 200);
}

#[tokio::test]
async fn the_service_detector_covers_every_route_but_health_and_redirects() {
    let gw = gateway().await;
    for (method, path) in [
        (Method::GET, "/__debug/x"),
        (Method::POST, "/__echo/x"),
        (Method::OPTIONS, "/param_forwarding/some/foo/bar"),
        (Method::GET, "/nowhere"),
        (Method::PUT, "/param_forwarding/some/foo/bar"),
        (Method::HEAD, "/__health"),
    ] {
        let answer = with_agent(method.clone(), &format!("{gw}{path}"), Some("a")).await;
        assert_rejected(&answer, &format!("{method} {path}"));
    }
    // The same routes answer a browser as usual.
    for (method, path, status) in [
        (Method::GET, "/__debug/x", 200),
        (Method::OPTIONS, "/param_forwarding/some/foo/bar", 200),
        (Method::GET, "/nowhere", 404),
        (Method::PUT, "/param_forwarding/some/foo/bar", 405),
    ] {
        let (got, _, _) = with_agent(method.clone(), &format!("{gw}{path}"), Some("Mozilla")).await;
        assert_eq!(got, status, "{method} {path}");
    }
    let (status, _, body) = with_agent(Method::GET, &format!("{gw}/__health"), Some("a")).await;
    assert_eq!(status, 200, "{body}");
    // gin redirects before any middleware runs.
    let (status, _, _) = with_agent(
        Method::GET,
        &format!("{gw}/param_forwarding/some/foo/bar/"),
        Some("a"),
    )
    .await;
    assert_eq!(status, 301);
}

#[tokio::test]
async fn the_url_param_check_comes_before_the_service_detector() {
    let gw = gateway().await;
    let (status, _, _) = with_agent(
        Method::GET,
        &format!("{gw}/param_forwarding/some/%2525/bar"),
        Some("a"),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_endpoint_detector_runs_before_anything_of_the_endpoint() {
    let gw = gateway().await;
    let url = format!("{gw}/guarded/endpoint-bots");
    let before = count("endpoint-bots");
    for ua in [Some("endpoint-bot"), Some("curl/8.5"), None, Some("a")] {
        let answer = send(
            client()
                .post(&url)
                .header("user-agent", ua.unwrap_or(""))
                .body("{\"big\": true}"),
        )
        .await;
        let answer = (answer.0.as_u16(), answer.1, answer.2);
        assert_rejected(&answer, &format!("{ua:?}"));
    }
    assert_eq!(count("endpoint-bots"), before, "no backend call for a bot");
    let (status, _, body) = with_agent(Method::POST, &url, Some("Mozilla")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(count("endpoint-bots"), before + 1);
    // Other endpoints do not have the endpoint's rules.
    let (status, _, _) = with_agent(
        Method::GET,
        &format!("{gw}/param_forwarding/some/foo/bar"),
        Some("curl/8.5"),
    )
    .await;
    assert_eq!(status, 200);
}
