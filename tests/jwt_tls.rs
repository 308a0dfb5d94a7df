//! The JWK client's TLS through real HTTPS on 127.0.0.1 (contracts/features/jwt_tls.json):
//! certificate pinning (`jwk_fingerprints`, also with `disable_jwk_security`), an extra CA
//! (`jwk_local_ca`), TLS 1.2 `cipher_suites`, and an encrypted `jwk_local_path` (`secret_url` +
//! `cypher_key`, decrypted at build time); the signer's download goes through the same TLS. The CA and the JWK servers' certificates are made at
//! test time (rcgen) into `target/krustd-test-jose/`; the servers' key is the fixed test key
//! tests/fixtures/jwt/jwk_tls_server_test_only.key, whose SubjectPublicKeyInfo the contract pins.

mod common;
mod jwt_keys;

use common::*;
use jwt_keys::*;
use krustd_runtime::test_support::{serve_https, serve_https_with};
use serde_json::json;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const DIR: &str = "target/krustd-test-jose";
const SERVER_KEY: &str = "tests/fixtures/jwt/jwk_tls_server_test_only.key";
/// The key of the encrypted key set (tests/fixtures/jwt/make_encrypted.py).
const ENCRYPTED_SECRET: &[u8] = b"the encrypted file's HS256 key!!";

/// `ca.pem` (a fresh CA) and `server.pem` (127.0.0.1, the fixed key, signed by the CA).
fn pki() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        std::fs::create_dir_all(DIR).expect("mkdir");
        let ca_key = KeyPair::generate().expect("key");
        let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.distinguished_name
            .push(DnType::CommonName, "Krustd JOSE test CA");
        let ca = p.self_signed(&ca_key).expect("CA");
        let issuer = Issuer::new(p, ca_key);
        let pem = std::fs::read_to_string(SERVER_KEY).expect("server key");
        let key = KeyPair::from_pem(&pem).expect("server key pem");
        let mut p = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        p.distinguished_name.push(DnType::CommonName, "jwk server");
        let cert = p.signed_by(&key, &issuer).expect("sign");
        std::fs::write(format!("{DIR}/ca.pem"), ca.pem()).expect("write");
        std::fs::write(format!("{DIR}/server.pem"), cert.pem()).expect("write");
    });
}

/// The gateway, with `https://jwk-any` (TLS 1.2 and 1.3) and `https://jwk-old` (TLS 1.2 with
/// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 only) serving the symmetric set.
async fn gateway() -> String {
    pki();
    let jwks = || {
        axum::Router::new().route(
            "/jwk",
            axum::routing::get(|| async { axum::Json(sym_set()) }),
        )
    };
    let cert = format!("{DIR}/server.pem");
    let any = serve_https(jwks(), &cert, SERVER_KEY, None)
        .await
        .expect("https JWK server");
    let tls12 = serve_https_with(jwks(), &cert, SERVER_KEY, None, true, &[0xc02b])
        .await
        .expect("TLS 1.2 JWK server");
    let mock_url = start(mock()).await;
    let (tls12, any) = (format!("https://{tls12}"), format!("https://{any}"));
    let gw = krustd_macros::gateway!(
        "contracts/features/jwt_tls.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("https://jwk-old", tls12.as_str()),
            ("https://jwk-any", any.as_str()),
        ])
    );
    start(gw).await
}

fn token(kid: &str, secret: &[u8]) -> String {
    let claims = json!({"sub": "user-1", "exp": now() + 3600});
    format!(
        "Bearer {}",
        token_with("HS256", "HS256", kid, secret, &claims)
    )
}

/// The status of `path` with `auth`, answered within 6 s (no hang on a refused handshake).
async fn status(gw: &str, path: &str, auth: &str) -> u16 {
    let started = Instant::now();
    let (s, _, body) = send(
        client()
            .get(format!("{gw}{path}"))
            .header("authorization", auth),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{path} took {:?}",
        started.elapsed()
    );
    if s.as_u16() != 200 {
        assert_eq!(body, "", "{path}: a rejection has no body");
    }
    s.as_u16()
}

#[tokio::test]
async fn pinning_local_ca_and_cipher_suites_decide_the_jwk_download() {
    let gw = gateway().await;
    let t = token("sym1", SECRET);
    // The chain is verified with the local CA and one presented key is pinned.
    assert_eq!(status(&gw, "/pinned", &t).await, 200);
    assert_eq!(status(&gw, "/wrong-pin", &t).await, 401);
    // disable_jwk_security skips the chain, not the pins.
    assert_eq!(status(&gw, "/insecure-pinned", &t).await, 200);
    assert_eq!(status(&gw, "/insecure-wrong-pin", &t).await, 401);
    // The private CA is trusted only through jwk_local_ca.
    assert_eq!(status(&gw, "/local-ca", &t).await, 200);
    assert_eq!(status(&gw, "/no-ca", &t).await, 401);
    // A TLS 1.2-only server offering one suite: listed, it works; not listed, no handshake.
    assert_eq!(status(&gw, "/suites-match", &t).await, 200);
    assert_eq!(status(&gw, "/suites-mismatch", &t).await, 401);
    // A bad signature still fails where the download works.
    assert_eq!(
        status(&gw, "/pinned", &token("sym1", b"not the secret")).await,
        401
    );
}

#[tokio::test]
async fn the_signer_downloads_its_key_through_the_same_tls() {
    let gw = gateway().await;
    let (s, _, body) = send(client().get(format!("{gw}/sign-pinned"))).await;
    assert_eq!(s.as_u16(), 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let jws = v["headers"]
        .as_str()
        .expect("the signed key is a compact JWS");
    assert_eq!(jws.split('.').count(), 3, "{jws}");
    let (s, _, body) = send(client().get(format!("{gw}/sign-wrong-pin"))).await;
    assert_eq!((s.as_u16(), body.as_str()), (401, ""));
}

#[tokio::test]
async fn an_encrypted_jwk_file_validates_tokens() {
    let gw = gateway().await;
    assert_eq!(
        status(&gw, "/encrypted", &token("enc1", ENCRYPTED_SECRET)).await,
        200
    );
    assert_eq!(status(&gw, "/encrypted", &token("enc1", SECRET)).await, 401);
    assert_eq!(
        status(&gw, "/encrypted", &token("sym1", ENCRYPTED_SECRET)).await,
        401
    );
}
