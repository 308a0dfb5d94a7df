//! `auth/validator` through real HTTP: a JWK server on 127.0.0.1, every algorithm, the claim
//! checks and their status codes, token sources, claim propagation, JWK caching, cooldown,
//! rotation and an unreachable JWK server (contracts/features/jwt.json).

mod common;
mod jwt_keys;

use axum::extract::{Path, State};
use axum::response::IntoResponse;
use axum::routing::get as route_get;
use common::*;
use jwt_keys::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The JWK server: downloads counted per set; `rsa` sets serve the RSA key under `kids`.
#[derive(Default)]
struct Jwks {
    hits: Mutex<Vec<(String, usize)>>,
    kids: Mutex<Vec<String>>,
}

impl Jwks {
    fn hits(&self, set: &str) -> usize {
        let h = self.hits.lock().expect("hits");
        h.iter().find(|(n, _)| n == set).map_or(0, |(_, c)| *c)
    }
    fn add_kid(&self, kid: &str) {
        self.kids.lock().expect("kids").push(kid.to_owned());
    }
}

async fn serve_set(
    State(s): State<Arc<Jwks>>,
    Path(set): Path<String>,
) -> axum::response::Response {
    {
        let mut h = s.hits.lock().expect("hits");
        match h.iter_mut().find(|(n, _)| *n == set) {
            Some((_, c)) => *c += 1,
            None => h.push((set.clone(), 1)),
        }
    }
    let doc = match set.as_str() {
        "sym" | "nocache" => sym_set(),
        "all" => all_set(),
        "rsa" | "rsa-cooldown" => {
            let kids = s.kids.lock().expect("kids").clone();
            json!({"keys": kids.iter().map(|k| rsa_jwk(k)).collect::<Vec<_>>()})
        }
        _ => return axum::http::StatusCode::NOT_FOUND.into_response(),
    };
    ([("content-type", "application/json")], doc.to_string()).into_response()
}

struct Env {
    gw: String,
    jwks: Arc<Jwks>,
}

async fn env() -> Env {
    let jwks = Arc::new(Jwks::default());
    jwks.add_kid("k1");
    let jwk_url = start(
        axum::Router::new()
            .route("/{set}", route_get(serve_set))
            .with_state(jwks.clone()),
    )
    .await;
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/jwt.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://jwk-down", "http://127.0.0.1:1"),
            ("http://jwk", jwk_url.as_str()),
        ])
    );
    Env {
        gw: start(gw).await,
        jwks,
    }
}

fn claims() -> Value {
    json!({
        "iss": "https://issuer.test",
        "aud": ["aud-one", "aud-two", "other"],
        "sub": "user-1",
        "roles": ["role_b", "role_c"],
        "exp": now() + 3600,
        "realm": {"level": 3, "roles": ["admin"]},
        "groups": ["g1", "g2"],
        "scope": "read write"
    })
}

fn hs(claims: &Value) -> String {
    token_with("HS256", "HS256", "sym1", SECRET, claims)
}

fn with(mut c: Value, key: &str, v: Value) -> Value {
    c[key] = v;
    c
}

fn without(mut c: Value, key: &str) -> Value {
    if let Some(m) = c.as_object_mut() {
        m.remove(key);
    }
    c
}

async fn call(url: &str, auth: Option<&str>) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = client().get(url);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let (s, h, b) = send(req).await;
    (s.as_u16(), h, b)
}

/// A rejection: the status, no body, no Content-Type, no X-Krakend*.
async fn rejected(url: &str, auth: Option<&str>, status: u16) {
    let (s, h, b) = call(url, auth).await;
    assert_eq!(s, status, "{url} {auth:?}: {b}");
    assert_eq!(b, "", "{url}");
    assert!(h.get("content-type").is_none(), "{h:?}");
    assert!(
        h.keys().all(|k| !k.as_str().starts_with("x-krakend")),
        "{h:?}"
    );
}

#[tokio::test]
async fn valid_token_reaches_the_backend_with_propagated_claims() {
    let e = env().await;
    let t = hs(&claims());
    let resp = client()
        .get(format!("{}/hs", e.gw))
        .header("authorization", format!("Bearer {t}"))
        .header("x-user", "forged");
    let (s, _, body) = send(resp).await;
    assert_eq!(s, 200, "{body}");
    let h = &json(&body)["headers"];
    assert_eq!(h["x-user"], json!(["user-1"]), "client value replaced");
    assert_eq!(h["x-level"], json!(["3"]));
    assert_eq!(h["x-groups"], json!(["g1,g2"]));
    assert!(h.get("x-missing").is_none(), "not in input_headers");
    assert!(h.get("authorization").is_none(), "not in input_headers");
    // The prefix is optional and case-insensitive.
    assert_eq!(call(&format!("{}/hs", e.gw), Some(&t)).await.0, 200);
    assert_eq!(
        call(&format!("{}/hs", e.gw), Some(&format!("bEaReR {t}")))
            .await
            .0,
        200
    );
    // `exp` is optional.
    let t = hs(&without(claims(), "exp"));
    assert_eq!(call(&format!("{}/hs", e.gw), Some(&t)).await.0, 200);
    // Preserve arrays: one header value per item.
    let (s, _, body) = call(&format!("{}/hs-array", e.gw), Some(&hs(&claims()))).await;
    assert_eq!(s, 200);
    assert_eq!(json(&body)["headers"]["x-groups"], json!(["g1", "g2"]));
}

#[tokio::test]
async fn negative_vectors_are_401() {
    let e = env().await;
    let url = format!("{}/hs", e.gw);
    let n = now();
    rejected(&url, None, 401).await;
    rejected(&url, Some("Bearer a.bad.token"), 401).await;
    // alg none, unsigned.
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","kid":"sym1"}"#),
        b64(claims().to_string().as_bytes())
    );
    rejected(&url, Some(&none), 401).await;
    // Expired, not yet valid, issued in the future (beyond the 1 s leeway).
    rejected(&url, Some(&hs(&with(claims(), "exp", json!(n - 30)))), 401).await;
    rejected(&url, Some(&hs(&with(claims(), "nbf", json!(n + 30)))), 401).await;
    rejected(&url, Some(&hs(&with(claims(), "iat", json!(n + 30)))), 401).await;
    // Every configured audience is required; the issuer must match.
    rejected(
        &url,
        Some(&hs(&with(claims(), "aud", json!("aud-one")))),
        401,
    )
    .await;
    rejected(
        &url,
        Some(&hs(&with(claims(), "iss", json!("https://evil")))),
        401,
    )
    .await;
    // A bad signature; a key id the set does not hold.
    let good = hs(&claims());
    let mut bad = good.clone();
    let last = bad.pop().map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    bad.push(last);
    rejected(&url, Some(&bad), 401).await;
    let other_secret = token_with("HS256", "HS256", "sym1", b"another secret", &claims());
    rejected(&url, Some(&other_secret), 401).await;
    let unknown = token_with("HS256", "HS256", "nope", SECRET, &claims());
    rejected(&url, Some(&unknown), 401).await;
    // A 100 KB token.
    let big = format!("{}.{}.{}", "a".repeat(50_000), "b".repeat(50_000), "c");
    rejected(&url, Some(&big), 401).await;
    // The valid token still passes: the failures above were not cached as such.
    assert_eq!(call(&url, Some(&good)).await.0, 200);
}

#[tokio::test]
async fn hs_rs_confusion_is_401() {
    let e = env().await;
    // An HS256 token signed with the RSA public key as the secret, to an RS256 endpoint...
    let forged = token_with("HS256", "HS256", "k1", &rsa_modulus(), &claims());
    rejected(&format!("{}/rs", e.gw), Some(&forged), 401).await;
    // ... and to an HS256 endpoint whose set holds that RSA key (`rsa1`).
    let forged = token_with("HS256", "HS256", "rsa1", &rsa_modulus(), &claims());
    rejected(&format!("{}/hs", e.gw), Some(&forged), 401).await;
    let ok = token_with("RS256", "RS256", "k1", b"", &claims());
    assert_eq!(call(&format!("{}/rs", e.gw), Some(&ok)).await.0, 200);
}

#[tokio::test]
async fn roles_and_scopes_are_403() {
    let e = env().await;
    let url = format!("{}/hs", e.gw);
    rejected(&url, Some(&hs(&without(claims(), "roles"))), 403).await;
    rejected(&url, Some(&hs(&with(claims(), "roles", json!(5)))), 403).await;
    rejected(&url, Some(&hs(&with(claims(), "roles", json!(["x"])))), 403).await;
    assert_eq!(
        call(&url, Some(&hs(&with(claims(), "roles", json!("x role_a")))))
            .await
            .0,
        200
    );

    let url = format!("{}/scopes", e.gw);
    rejected_403(&url, Some(&hs(&with(claims(), "scope", json!("read"))))).await;
    assert_eq!(call(&url, Some(&hs(&claims()))).await.0, 200);
    assert_eq!(
        call(
            &url,
            Some(&hs(&with(claims(), "scope", json!(["write", "read"]))))
        )
        .await
        .0,
        200
    );

    let url = format!("{}/nested-roles", e.gw);
    assert_eq!(call(&url, Some(&hs(&claims()))).await.0, 200);
    rejected(
        &url,
        Some(&hs(&with(claims(), "realm", json!({"roles": ["user"]})))),
        403,
    )
    .await;
}

async fn rejected_403(url: &str, auth: Option<&str>) {
    rejected(url, auth, 403).await;
}

#[tokio::test]
async fn token_from_header_name_or_cookie() {
    let e = env().await;
    let url = format!("{}/cookie", e.gw);
    let t = hs(&claims());
    let cookie = |v: String| client().get(&url).header("cookie", v);
    let (s, _, _) = send(cookie(format!("a=b; tok={t}"))).await;
    assert_eq!(s, 200);
    let (s, _, _) = send(client().get(&url).header("x-token", format!("Bearer {t}"))).await;
    assert_eq!(s, 200);
    // A malformed header token does not fall back to the cookie.
    let (s, _, _) = send(cookie(format!("tok={t}")).header("x-token", "garbage")).await;
    assert_eq!(s, 401);
    // The default header is not read by this endpoint.
    rejected(&url, Some(&t), 401).await;
}

#[tokio::test]
async fn every_algorithm_verifies() {
    let e = env().await;
    let cases = [
        ("hs512", "HS512", "hs"),
        ("rs384", "RS384", "rsa"),
        ("rs512", "RS512", "rsa"),
        ("ps256", "PS256", "rsa"),
        ("ps384", "PS384", "rsa"),
        ("ps512", "PS512", "rsa"),
        ("es256", "ES256", "es256"),
        ("es384", "ES384", "es384"),
        ("es512", "ES512", "es512"),
        ("eddsa", "EdDSA", "ed"),
    ];
    for (path, alg, kid) in cases {
        let url = format!("{}/alg/{path}", e.gw);
        let t = token_with(alg, alg, kid, SECRET, &claims());
        let (s, _, b) = call(&url, Some(&t)).await;
        assert_eq!(s, 200, "{alg}: {b}");
        // The header alg must be the configured one, even with a valid signature.
        let other = if alg == "HS512" { "HS256" } else { "HS512" };
        let t = token_with(other, other, "hs", SECRET, &claims());
        rejected(&url, Some(&t), 401).await;
    }
    // Local keys embedded at build time.
    let t = token_with("EdDSA", "EdDSA-local", "local-ed", b"", &claims());
    assert_eq!(call(&format!("{}/local-ed", e.gw), Some(&t)).await.0, 200);
    let t = token_with("EdDSA", "EdDSA", "local-ed", b"", &claims());
    rejected(&format!("{}/local-ed", e.gw), Some(&t), 401).await;
    let t = token_with("HS384", "HS384", "local-hs", LOCAL_SECRET, &claims());
    assert_eq!(call(&format!("{}/local-hs", e.gw), Some(&t)).await.0, 200);
}

#[tokio::test]
async fn insecure_source_answers_401_always() {
    let e = env().await;
    rejected(&format!("{}/insecure", e.gw), Some(&hs(&claims())), 401).await;
    assert_eq!(e.jwks.hits("sym"), 0);
}

#[tokio::test]
async fn keys_are_cached_unless_cache_is_off() {
    let e = env().await;
    let t = token_with("RS256", "RS256", "k1", b"", &claims());
    for _ in 0..3 {
        assert_eq!(call(&format!("{}/rs", e.gw), Some(&t)).await.0, 200);
    }
    assert_eq!(e.jwks.hits("rsa"), 1, "one download for three requests");
    let t = hs(&claims());
    for _ in 0..3 {
        assert_eq!(call(&format!("{}/nocache", e.gw), Some(&t)).await.0, 200);
    }
    assert_eq!(
        e.jwks.hits("nocache"),
        3,
        "cache off: a download per validation"
    );
}

#[tokio::test]
async fn unknown_kid_downloads_again_and_finds_rotated_keys() {
    let e = env().await;
    let url = format!("{}/rs", e.gw);
    let k1 = token_with("RS256", "RS256", "k1", b"", &claims());
    assert_eq!(call(&url, Some(&k1)).await.0, 200);
    let k2 = token_with("RS256", "RS256", "k2", b"", &claims());
    rejected(&url, Some(&k2), 401).await;
    assert_eq!(e.jwks.hits("rsa"), 2, "an unknown kid downloads again");
    e.jwks.add_kid("k2");
    assert_eq!(call(&url, Some(&k2)).await.0, 200, "the new kid is found");
    assert_eq!(e.jwks.hits("rsa"), 3);
    assert_eq!(call(&url, Some(&k1)).await.0, 200);
    assert_eq!(call(&url, Some(&k2)).await.0, 200);
    assert_eq!(e.jwks.hits("rsa"), 3, "both cached now");
}

#[tokio::test]
async fn failed_kid_cooldown_prevents_downloads() {
    let e = env().await;
    let url = format!("{}/rs-cooldown", e.gw);
    let k9 = token_with("RS256", "RS256", "k9", b"", &claims());
    rejected(&url, Some(&k9), 401).await;
    assert_eq!(e.jwks.hits("rsa-cooldown"), 1);
    rejected(&url, Some(&k9), 401).await;
    e.jwks.add_kid("k9");
    rejected(&url, Some(&k9), 401).await;
    assert_eq!(
        e.jwks.hits("rsa-cooldown"),
        1,
        "no download within the cooldown"
    );
    // Known kids still validate.
    let k1 = token_with("RS256", "RS256", "k1", b"", &claims());
    assert_eq!(call(&url, Some(&k1)).await.0, 200);
}

#[tokio::test]
async fn jwk_server_down_is_401_quickly() {
    let e = env().await;
    let started = Instant::now();
    for _ in 0..3 {
        rejected(&format!("{}/down", e.gw), Some(&hs(&claims())), 401).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// krakend-ce's jwt_1, jwt_2, jwt_3 and router_401_1, with this suite's own keys and tokens.
#[tokio::test]
async fn krakend_ce_jwt_specs() {
    let e = env().await;
    let url = format!("{}/private/custom", e.gw);
    let base = with(
        with(claims(), "aud", json!("aud-one")),
        "roles",
        json!(["role_y"]),
    );
    // jwt_1: a valid token without a required role → 403, no headers of the handler.
    let (s, h, b) = call(&url, Some(&format!("bearer {}", hs(&base)))).await;
    assert_eq!((s, b.as_str()), (403, ""));
    assert!(h.get("cache-control").is_none() && h.get("x-krakend-completed").is_none());
    // jwt_2: a malformed token → 401.
    rejected(&url, Some("bearer a.bad.token"), 401).await;
    // router_401_1: no token → 401.
    let (s, h, b) = call(&url, None).await;
    assert_eq!((s, b.as_str()), (401, ""));
    assert!(h.get("cache-control").is_none() && h.get("content-type").is_none());
    // jwt_3: a role in the list → the endpoint answers as usual.
    let ok = with(base, "roles", json!(["role_a", "role_b"]));
    let (s, h, b) = call(&url, Some(&format!("bearer {}", hs(&ok)))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b, r#"{"n":1,"who":"static"}"#);
    assert_eq!(
        header(&h, "content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(header(&h, "cache-control"), Some("public, max-age=3600"));
    assert_eq!(header(&h, "x-krakend-completed"), Some("true"));
}

#[tokio::test]
async fn claims_fill_url_placeholders() {
    let e = env().await;
    let url = format!("{}/claims-in-url/7", e.gw);
    let (s, _, b) = call(&url, Some(&hs(&claims()))).await;
    assert_eq!(s, 200, "{b}");
    let v = json(&b);
    // Top-level claims only, formatted like propagated claims; a missing one stays unresolved.
    assert_eq!(
        v["path"],
        "/echo/7/user-1/%7B%22level%22:3,%22roles%22:%5B%22admin%22%5D%7D/%7B%7B.JWT.missing%7D%7D"
    );
    assert_eq!(v["query"], "lvl=g1,g2");
    // krakend-ce's jwt_5: the `sub` claim in the backend path.
    let t = hs(&with(claims(), "sub", json!("1234567890qwertyuio")));
    let (_, _, b) = call(&url, Some(&t)).await;
    assert!(
        json(&b)["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/echo/7/1234567890qwertyuio/")),
        "{b}"
    );
}

#[tokio::test]
async fn unprotected_endpoint_is_untouched() {
    let e = env().await;
    assert_eq!(call(&format!("{}/open", e.gw), None).await.0, 200);
}

/// `validation/cel` rules on `JWT` run in the validator: false → 401 (krakend-ce cel-6/cel-7).
#[tokio::test]
async fn cel_rules_on_the_claims_answer_401_when_false() {
    let e = env().await;
    let url = format!("{}/cel-jwt", e.gw);
    let (status, _, body) = call(&url, Some(&format!("Bearer {}", hs(&claims())))).await;
    assert_eq!(status, 200, "two roles and sub user-1 pass: {body}");
    let one_role = with(claims(), "roles", json!(["role_b"]));
    rejected(&url, Some(&format!("Bearer {}", hs(&one_role))), 401).await;
    let other_sub = with(claims(), "sub", json!("user-2"));
    rejected(&url, Some(&format!("Bearer {}", hs(&other_sub))), 401).await;
    rejected(&url, None, 401).await;
}
