//! `auth/client-credentials` through real HTTP: a mock token server on 127.0.0.1 counts the
//! token requests; the mock backend echoes the `Authorization` it gets.

mod common;
use axum::extract::{Path, Request};
use axum::routing::post;
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Token requests seen, and the last one's form and basic credentials.
#[derive(Default)]
struct Seen {
    count: AtomicUsize,
    last: std::sync::Mutex<(String, String)>,
}

async fn gateway(seen: Arc<Seen>) -> String {
    let mock_url = start(mock()).await;
    let tokens = axum::Router::new().route(
        "/token/{ttl}",
        post(move |Path(ttl): Path<u64>, req: Request| {
            let seen = seen.clone();
            async move {
                let n = seen.count.fetch_add(1, Ordering::SeqCst) + 1;
                let auth = req
                    .headers()
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let body = axum::body::to_bytes(req.into_body(), 1 << 16)
                    .await
                    .unwrap_or_default();
                if let Ok(mut last) = seen.last.lock() {
                    *last = (String::from_utf8_lossy(&body).into_owned(), auth);
                }
                axum::Json(serde_json::json!({
                    "access_token": format!("t{n}"),
                    "token_type": "bearer",
                    "expires_in": ttl
                }))
            }
        }),
    );
    let tokens_url = start(tokens).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/client_credentials.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://tokens", tokens_url.as_str())
        ])
    );
    start(gw).await
}

fn authorization(body: &str) -> String {
    json(body)["headers"]["authorization"][0]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_token_is_fetched_once_and_sent_as_bearer() {
    let seen = Arc::new(Seen::default());
    let gw = gateway(seen.clone()).await;
    for _ in 0..3 {
        let (status, _, body) = get(&format!("{gw}/cc/long")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(authorization(&body), "Bearer t1");
    }
    assert_eq!(seen.count.load(Ordering::SeqCst), 1, "cached until expiry");
    let (form, basic) = seen.last.lock().map(|l| l.clone()).unwrap_or_default();
    assert_eq!(
        form,
        "audience=api&grant_type=client_credentials&scope=read+write"
    );
    // base64("gw:s3cr3t")
    assert_eq!(basic, "Basic Z3c6czNjcjN0");
}

#[tokio::test]
async fn a_token_close_to_expiry_is_refreshed() {
    let seen = Arc::new(Seen::default());
    let gw = gateway(seen.clone()).await;
    // expires_in 5 s is within oauth2's 10 s expiry delta: every call gets a fresh token.
    let (_, _, first) = get(&format!("{gw}/cc/short")).await;
    let (_, _, second) = get(&format!("{gw}/cc/short")).await;
    assert_eq!(authorization(&first), "Bearer t1");
    assert_eq!(authorization(&second), "Bearer t2");
    assert_eq!(seen.count.load(Ordering::SeqCst), 2);
}
