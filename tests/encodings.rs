//! Backend decodings (xml, rss) and client renders (xml, yaml, negotiate) through real HTTP.

mod common;
use common::*;

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/encodings.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

#[tokio::test]
async fn xml_and_yaml_renders() {
    let gw = gateway().await;
    let (status, headers, body) = get(&format!("{gw}/out/xml")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/xml"));
    assert_eq!(
        body,
        "<doc><a>1</a><n>1.50</n><shared>from a</shared></doc>"
    );

    let (status, headers, body) = get(&format!("{gw}/out/yaml")).await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/yaml; charset=utf-8")
    );
    assert!(body.contains("user:\n"), "{body}");
    assert!(body.contains("  name: ann\n"), "{body}");
    assert!(
        body.find("count").unwrap_or(usize::MAX) < body.find("user").unwrap_or(0),
        "keys sorted: {body}"
    );
}

#[tokio::test]
async fn negotiate_follows_accept_order() {
    let gw = gateway().await;
    for (accept, ct) in [
        (None, "application/json; charset=utf-8"),
        (Some("application/xml"), "application/xml"),
        (Some("text/plain"), "application/yaml; charset=utf-8"),
        (Some("text/*"), "application/yaml; charset=utf-8"),
        (Some("*/*"), "application/json; charset=utf-8"),
        (Some("text/xml"), "application/json; charset=utf-8"),
        (
            Some("application/xml;q=0.1, application/json;q=0.9"),
            "application/xml",
        ),
    ] {
        let mut req = client().get(format!("{gw}/out/negotiate"));
        if let Some(a) = accept {
            req = req.header("Accept", a);
        }
        let (status, headers, _) = send(req).await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            Some(ct),
            "Accept: {accept:?}"
        );
    }
}

#[tokio::test]
async fn xml_and_rss_backends() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/in/xml")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json(&body),
        serde_json::json!({"user": {"-id": "7", "name": "ann", "tag": ["a", "b"]}})
    );
    let (status, _, _) = get(&format!("{gw}/in/xml-bad")).await;
    assert_eq!(status, 500, "malformed XML is a failed backend");

    let (status, _, body) = get(&format!("{gw}/in/rss")).await;
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert_eq!(v["title"], "News");
    assert_eq!(v["items"][0]["title"], "First");
}
