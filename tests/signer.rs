//! `auth/signer` through real HTTP (contracts/features/signer.json): krakend-ce's `jwt_4`
//! behaviour (a signer endpoint whose token then validates on a validator endpoint), the JSON
//! serialization (`full`), every signing algorithm with keys embedded from `jwk_local_path`,
//! and KrakenD's status codes (401 when the key cannot be had, 400 on a partial answer).

mod common;
mod jwt_keys;

use axum::response::IntoResponse;
use axum::routing::get as route_get;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::*;
use jwt_keys::{b64, now};
use serde_json::{json, Value};

/// The HMAC secret the JWK server publishes as `sim2` (test only).
const SECRET: &[u8] = b"test-only-signer-remote-secret";

fn backend() -> axum::Router {
    axum::Router::new()
        .route(
            "/claims",
            route_get(|| async {
                let body = json!({
                    "access_token": {
                        "aud": "http://api.example.com",
                        "iss": "https://krakend.io",
                        "sub": "1234567890qwertyuio",
                        "roles": ["role_y"],
                        "exp": now() + 3600,
                        "note": "<a&b>"
                    },
                    "refresh_token": {"exp": now() + 7200, "sub": "r"},
                    "plain": "not an object",
                    "other": 1
                });
                ([("content-type", "application/json")], body.to_string()).into_response()
            }),
        )
        .route(
            "/fail",
            route_get(|| async { axum::http::StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/sym",
            route_get(|| async {
                let set = json!({"keys": [{"kty": "oct", "kid": "sim2", "k": b64(SECRET), "alg": "HS256"}]});
                ([("content-type", "application/json")], set.to_string()).into_response()
            }),
        )
}

async fn gateway() -> String {
    let backend = start(backend()).await;
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/signer.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://tokens", backend.as_str()),
            ("http://jwk", backend.as_str()),
        ])
    );
    start(gw).await
}

fn part(token: &str, i: usize) -> Value {
    let p = token.split('.').nth(i).unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap_or_default()).unwrap_or_default()
}

async fn bearer(url: &str, token: &str) -> u16 {
    let req = client()
        .get(url)
        .header("authorization", format!("Bearer {token}"));
    send(req).await.0.as_u16()
}

#[tokio::test]
async fn signed_token_validates_on_a_validator_endpoint() {
    let gw = gateway().await;
    let (s, h, body) = get(&format!("{gw}/token")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(
        header(&h, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(h.get("x-krakend-completed").is_none(), "{h:?}");
    assert!(h.get("x-krakend").is_none(), "{h:?}");
    assert!(h.get("cache-control").is_none(), "{h:?}");
    let v = json(&body);
    let token = v["access_token"].as_str().unwrap_or_default().to_owned();
    // go-jose's protected header, keys sorted; the payload as Go's json.Marshal writes it.
    let header_text = URL_SAFE_NO_PAD
        .decode(token.split('.').next().unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(header_text, br#"{"alg":"HS256","kid":"sim2","typ":"JWT"}"#);
    let payload_text = URL_SAFE_NO_PAD
        .decode(token.split('.').nth(1).unwrap_or_default())
        .unwrap_or_default();
    let payload_text = String::from_utf8_lossy(&payload_text);
    assert!(
        payload_text.starts_with(r#"{"aud":"http://api.example.com","exp":"#),
        "{payload_text}"
    );
    assert!(
        payload_text.contains(r#""note":"\u003ca\u0026b\u003e""#),
        "{payload_text}"
    );
    assert_eq!(part(&token, 1)["roles"], json!(["role_y"]));
    // Every object under keys_to_sign is signed; other values and keys stay as they are.
    assert!(v["refresh_token"].as_str().is_some(), "{v}");
    assert_eq!(v["plain"], "not an object");
    assert_eq!(v["other"], 1);
    assert!(v.get("missing").is_none());
    // The token opens the validator endpoint; a tampered one does not.
    assert_eq!(bearer(&format!("{gw}/private"), &token).await, 200);
    let tampered = format!("{}x", &token[..token.len() - 1]);
    assert_eq!(bearer(&format!("{gw}/private"), &tampered).await, 401);
}

#[tokio::test]
async fn full_serialization() {
    let gw = gateway().await;
    let (s, _, body) = get(&format!("{gw}/token-full")).await;
    assert_eq!(s, 200, "{body}");
    let jws: Value = serde_json::from_str(json(&body)["access_token"].as_str().unwrap_or_default())
        .unwrap_or_default();
    let (p, pl, sig) = (
        jws["protected"].as_str().unwrap_or_default(),
        jws["payload"].as_str().unwrap_or_default(),
        jws["signature"].as_str().unwrap_or_default(),
    );
    assert!(!p.is_empty() && !pl.is_empty() && !sig.is_empty(), "{jws}");
    // The same three parts make a compact token the validator accepts.
    assert_eq!(
        bearer(&format!("{gw}/private"), &format!("{p}.{pl}.{sig}")).await,
        200
    );
}

#[tokio::test]
async fn every_algorithm_with_local_keys() {
    let gw = gateway().await;
    for alg in [
        "hs512", "rs256", "ps384", "es256", "es384", "es512", "eddsa",
    ] {
        let (s, _, body) = get(&format!("{gw}/sign/{alg}")).await;
        assert_eq!(s, 200, "{alg}: {body}");
        let token = json(&body)["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(
            part(&token, 0)["alg"].as_str().map(str::to_ascii_lowercase),
            Some(alg.to_owned())
        );
        assert_eq!(
            bearer(&format!("{gw}/check/{alg}"), &token).await,
            200,
            "{alg}"
        );
        // A token of another algorithm's key does not pass.
        let other = if alg == "rs256" { "es256" } else { "rs256" };
        assert_eq!(
            bearer(&format!("{gw}/check/{other}"), &token).await,
            401,
            "{alg}"
        );
    }
}

#[tokio::test]
async fn krakend_status_codes() {
    let gw = gateway().await;
    // The key `kid` is not in the set: the signer cannot be built, every request is 401.
    let (s, h, body) = get(&format!("{gw}/token-unknown-kid")).await;
    assert_eq!((s.as_u16(), body.as_str()), (401, ""));
    assert!(h.get("content-type").is_none());
    // Any backend error, even with partial data: 400, empty.
    let (s, _, body) = get(&format!("{gw}/token-partial")).await;
    assert_eq!((s.as_u16(), body.as_str()), (400, ""));
}
