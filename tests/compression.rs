//! `krustd/compression` through real HTTP: brotli or gzip as `Accept-Encoding` prefers
//! (q-values), identity otherwise, `Vary: Accept-Encoding`, small answers and the health
//! endpoint left alone; a gateway without the namespace never compresses.

mod common;
use common::*;
use std::io::Read;

async fn fetch(url: &str, accept: Option<&str>) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    // No transparent gzip in the client: the test looks at what was sent.
    let c = reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client");
    let mut req = c.get(url);
    if let Some(a) = accept {
        req = req.header("accept-encoding", a);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(b, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

fn h<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn answers_are_compressed_as_the_client_prefers() {
    let mock = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/compression.json",
        hosts(&[("http://mock", mock.as_str())])
    ))
    .await;
    let doc = format!("{gw}/doc");
    let (status, headers, plain) = fetch(&doc, None).await;
    assert_eq!(status, 200);
    assert_eq!(h(&headers, "content-encoding"), None);
    assert!(plain.len() >= 40, "the test needs a large answer");

    let (_, headers, body) = fetch(&doc, Some("gzip")).await;
    assert_eq!(h(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(h(&headers, "vary"), Some("accept-encoding"));
    assert_eq!(gunzip(&body), plain);

    let (_, headers, body) = fetch(&doc, Some("gzip;q=0.5, br")).await;
    assert_eq!(h(&headers, "content-encoding"), Some("br"));
    assert_eq!(unbrotli(&body), plain);

    let (_, headers, body) = fetch(&doc, Some("br;q=0.1, gzip;q=0.9")).await;
    assert_eq!(h(&headers, "content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&body), plain);

    // Nothing the gateway speaks, or identity asked for: sent as it is.
    for accept in ["deflate, zstd", "identity", "gzip;q=0"] {
        let (_, headers, body) = fetch(&doc, Some(accept)).await;
        assert_eq!(h(&headers, "content-encoding"), None, "{accept}");
        assert_eq!(body, plain, "{accept}");
    }

    // Below min_size (the user is 34 bytes): not compressed.
    let (_, headers, small) = fetch(&format!("{gw}/users/7"), Some("gzip, br")).await;
    assert_eq!(h(&headers, "content-encoding"), None);
    assert!(small.len() < 40);

    // The health endpoint is never compressed.
    let (status, headers, health) = fetch(&format!("{gw}/__health"), Some("gzip, br")).await;
    assert_eq!(status, 200);
    assert!(
        health.len() >= 40,
        "health is large enough to be compressed"
    );
    assert_eq!(h(&headers, "content-encoding"), None);
}

#[tokio::test]
async fn without_the_namespace_nothing_is_compressed() {
    let mock = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/encodings.json",
        hosts(&[("http://mock", mock.as_str())])
    ))
    .await;
    let (status, headers, body) = fetch(&format!("{gw}/out/yaml"), Some("gzip, br")).await;
    assert_eq!(status, 200);
    assert!(body.len() >= 100, "{}", body.len());
    assert_eq!(h(&headers, "content-encoding"), None);
    assert_eq!(h(&headers, "vary"), None);
}
