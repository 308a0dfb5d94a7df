//! What a backend receives on the wire, header by header: the full set for a GET, a POST with
//! a body and a followed redirect, as KrakenD's Go client sends them (routing-and-forwarding.md
//! §3, §8); Go's transparent gzip; the deadline over a streamed no-op body.
//!
//! The mock is a raw TCP server, so the test sees header names as written (`X-Forwarded-For`)
//! and the framing headers (`Content-Length`, `Transfer-Encoding`) that HTTP libraries hide.

mod common;
use common::*;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `hello, gzip` compressed with gzip.
const GZIPPED: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xd7,
    0x51, 0x48, 0xaf, 0xca, 0x2c, 0x00, 0x00, 0x4a, 0x9b, 0xb1, 0x5c, 0x0b, 0x00, 0x00, 0x00,
];

/// One request as the mock read it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

/// Reads one request head and body (Content-Length or chunked) from `s`, bounded in size.
async fn read_request(s: &mut tokio::net::TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 || buf.len() > 64 * 1024 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut rest = buf[head_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let (method, target) = (first.next()?.to_owned(), first.next()?.to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = find("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while rest.len() < len {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest[..len].to_vec()
    } else if find("transfer-encoding").is_some() {
        while !rest.ends_with(b"0\r\n\r\n") {
            let n = s.read(&mut chunk).await.ok()?;
            if n == 0 || rest.len() > 64 * 1024 {
                return None;
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        dechunk(&rest)
    } else {
        Vec::new()
    };
    Some(Seen {
        method,
        target,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..i]).unwrap_or("0"), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[i + 2..i + 2 + size]);
        raw = &raw[i + 4 + size..];
    }
    out
}

async fn answer(s: &mut tokio::net::TcpStream, target: &str) {
    let head = |status: &str, extra: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\n{extra}Content-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    let path = target.split('?').next().unwrap_or_default();
    let _ = match path {
        "/see-other" => {
            s.write_all(head("303 See Other", "Location: /plain\r\n", 0).as_bytes())
                .await
        }
        "/loop" => {
            s.write_all(head("302 Found", "Location: /loop\r\n", 0).as_bytes())
                .await
        }
        "/gzip" => {
            let h = head(
                "200 OK",
                "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n",
                GZIPPED.len(),
            );
            let _ = s.write_all(h.as_bytes()).await;
            s.write_all(GZIPPED).await
        }
        "/stall" => {
            let h = head("200 OK", "Content-Type: text/plain\r\n", 100);
            let _ = s.write_all(h.as_bytes()).await;
            let _ = s.write_all(b"start").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(())
        }
        _ => {
            let body = br#"{"ok":true}"#;
            let h = head("200 OK", "Content-Type: application/json\r\n", body.len());
            let _ = s.write_all(h.as_bytes()).await;
            s.write_all(body).await
        }
    };
}

/// The raw mock: records every request, answers by path, closes each connection.
async fn wire_mock() -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let log: Log = Arc::default();
    let seen = log.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                if let Some(req) = read_request(&mut s).await {
                    let target = req.target.clone();
                    if let Ok(mut l) = seen.lock() {
                        l.push(req);
                    }
                    answer(&mut s, &target).await;
                }
            });
        }
    });
    (format!("http://{addr}"), log)
}

async fn gateway() -> (String, String, Log) {
    let (mock, log) = wire_mock().await;
    let gw = krustd_macros::gateway!(
        "contracts/features/backend_headers.json",
        hosts(&[("http://wire", mock.as_str())])
    );
    (start(gw).await, mock, log)
}

fn ua() -> String {
    "KrakenD Version 2.13.8".to_owned()
}

/// The headers of request `i`, sorted by name, names as written on the wire.
fn headers_of(log: &Log, i: usize) -> Seen {
    let l = log.lock().expect("log");
    let mut s = l
        .get(i)
        .cloned()
        .unwrap_or_else(|| panic!("no request {i}: {l:?}"));
    s.headers.sort();
    s
}

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect();
    v.sort();
    v
}

fn authority(url: &str) -> &str {
    url.trim_start_matches("http://")
}

#[tokio::test]
async fn a_get_carries_exactly_krakends_headers() {
    let (gw, mock, log) = gateway().await;
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/wire/get?q=1"))
            .header("Accept", "text/html")
            .header("X-Secret", "s")
            .header("Cookie", "c=1")
            .header("User-Agent", "tester"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = headers_of(&log, 0);
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "/plain")
    );
    assert_eq!(
        seen.headers,
        expect(&[
            ("Accept-Encoding", "gzip"),
            ("Host", authority(&mock)),
            ("User-Agent", &ua()),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Host", authority(&gw)),
        ])
    );
}

#[tokio::test]
async fn a_post_body_is_chunked_unless_its_length_is_forwarded() {
    let (gw, mock, log) = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/wire/post"))
            .header("Content-Type", "text/plain")
            .body("payload"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let seen = headers_of(&log, 0);
    assert_eq!(seen.method, "POST");
    assert_eq!(
        seen.headers,
        expect(&[
            ("Accept-Encoding", "gzip"),
            ("Content-Type", "text/plain"),
            ("Host", authority(&mock)),
            ("Transfer-Encoding", "chunked"),
            ("User-Agent", &ua()),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Host", authority(&gw)),
        ])
    );
    assert_eq!(seen.body, b"payload");

    // With the client's Content-Length forwarded, Go knows the size.
    let (status, _, _) = send(
        client()
            .post(format!("{gw}/wire/post-length"))
            .header("Content-Type", "text/plain")
            .body("payload"),
    )
    .await;
    assert_eq!(status, 200);
    let seen = headers_of(&log, 1);
    assert_eq!(
        seen.headers,
        expect(&[
            ("Accept-Encoding", "gzip"),
            ("Content-Length", "7"),
            ("Content-Type", "text/plain"),
            ("Host", authority(&mock)),
            ("User-Agent", &ua()),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Host", authority(&gw)),
        ])
    );
    assert_eq!(seen.body, b"payload");

    // A POST without body: Content-Length: 0.
    let (status, _, _) = send(client().post(format!("{gw}/wire/post-empty"))).await;
    assert_eq!(status, 200);
    let seen = headers_of(&log, 2);
    assert_eq!(
        seen.headers,
        expect(&[
            ("Accept-Encoding", "gzip"),
            ("Content-Length", "0"),
            ("Host", authority(&mock)),
            ("User-Agent", &ua()),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Host", authority(&gw)),
        ])
    );
}

#[tokio::test]
async fn a_303_is_followed_as_a_get_with_the_headers_and_a_referer() {
    let (gw, mock, log) = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/wire/redirect"))
            .header("Content-Type", "text/plain")
            .header("Authorization", "Bearer t")
            .body("payload"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["ok"], true);
    let first = headers_of(&log, 0);
    assert_eq!(
        (first.method.as_str(), first.target.as_str()),
        ("POST", "/see-other")
    );
    let seen = headers_of(&log, 1);
    assert_eq!(
        (seen.method.as_str(), seen.target.as_str()),
        ("GET", "/plain")
    );
    let referer = format!("{mock}/see-other");
    assert_eq!(
        seen.headers,
        expect(&[
            ("Accept-Encoding", "gzip"),
            ("Authorization", "Bearer t"),
            ("Content-Type", "text/plain"),
            ("Host", authority(&mock)),
            ("Referer", &referer),
            ("User-Agent", &ua()),
            ("X-Forwarded-For", "127.0.0.1"),
            ("X-Forwarded-Host", authority(&gw)),
        ])
    );
    assert!(seen.body.is_empty());
    assert_eq!(log.lock().expect("log").len(), 2);
}

/// A client that neither decodes gzip nor follows redirects.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[tokio::test]
async fn gzip_is_decoded_only_when_the_gateway_asked_for_it() {
    let (gw, _, log) = gateway().await;
    // The gateway's own Accept-Encoding: the answer is decoded before `encoding: string`.
    let (status, _, body) = send(raw_client().get(format!("{gw}/wire/gzip"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["content"], "hello, gzip");

    // no-op with the gateway's Accept-Encoding: decoded, without Content-Encoding.
    let resp = raw_client()
        .get(format!("{gw}/wire/no-op-gzip-decoded"))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("content-encoding").is_none());
    assert_eq!(resp.bytes().await.expect("body").as_ref(), b"hello, gzip");

    // no-op with the client's Accept-Encoding forwarded: bytes and header pass through.
    let resp = raw_client()
        .get(format!("{gw}/wire/no-op-gzip"))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip")
    );
    assert_eq!(resp.bytes().await.expect("body").as_ref(), GZIPPED);
    let l = log.lock().expect("log");
    let forwarded: Vec<_> = l[2]
        .headers
        .iter()
        .filter(|(n, _)| n == "Accept-Encoding")
        .collect();
    assert_eq!(forwarded.len(), 1, "{:?}", l[2]);
}

#[tokio::test]
async fn a_stalled_no_op_body_is_cut_at_the_endpoint_timeout() {
    let (gw, _, _) = gateway().await;
    let started = Instant::now();
    let resp = raw_client()
        .get(format!("{gw}/wire/no-op-stall"))
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(resp.status(), 200);
    let body = resp.bytes().await;
    let elapsed = started.elapsed();
    assert!(
        body.is_err(),
        "the body must end in an error, not complete: {body:?}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "the 300ms endpoint timeout must end the body, took {elapsed:?}"
    );
}

#[tokio::test]
async fn redirects_stop_after_ten_requests_as_in_go() {
    let (gw, mock, log) = gateway().await;
    let (status, _, body) = send(client().get(format!("{gw}/wire/loop"))).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        format!("Get \"{mock}/loop\": stopped after 10 redirects")
    );
    // Go's client sends the request and 9 follow-ups, then refuses the 10th redirect.
    assert_eq!(log.lock().expect("log").len(), 10);
}
