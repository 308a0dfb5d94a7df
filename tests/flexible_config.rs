//! Flexible configuration through real HTTP: examples/flexible-config (settings, a partial, a
//! sub-template with a `range` over the endpoints, `marshal`, `include`) rendered at build time
//! by `gateway!(…, flexible_config = …)`, served, and identified by the sha256 of the flattened
//! contract (examples/flexible-config/flattened.json, which codegen's CLI test keeps equal to
//! the rendering).

mod common;
use axum::routing::{get, post};
use common::*;
use serde_json::{json, Value};

fn catalog() -> axum::Router {
    axum::Router::new()
        .route(
            "/users/{id}",
            get(
                |axum::extract::Path(id): axum::extract::Path<u32>| async move {
                    axum::Json(json!({"id": id, "name": "ann", "password_hash": "x"}))
                },
            ),
        )
        .route(
            "/orders",
            post(|| async { axum::Json(json!({"order": 1})) }),
        )
        .route("/status", get(|| async { axum::Json(json!({"up": true})) }))
}

async fn gateway() -> String {
    let backend = start(catalog()).await;
    let gw = krustd_macros::gateway!(
        "examples/flexible-config/krakend.json",
        hosts(&[("http://catalog", backend.as_str())]),
        flexible_config = "examples/flexible-config"
    );
    start(gw).await
}

#[tokio::test]
async fn templated_endpoints_are_served() {
    let gw = gateway().await;
    let c = client();
    // From the sub-template, with the `allow` list `marshal`led from the settings.
    let (status, _, body) = send(c.get(format!("{gw}/v1/users/7"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"id": 7, "name": "ann"})
    );
    // `method` from the settings (POST), `default "GET"` elsewhere.
    let (status, _, body) = send(c.post(format!("{gw}/v1/orders"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, r#"{"order":1}"#));
    let (status, _, _) = send(c.get(format!("{gw}/v1/orders"))).await;
    assert_eq!(status, 405);
    let (status, _, body) = send(c.get(format!("{gw}/v1/status"))).await;
    assert_eq!((status.as_u16(), body.as_str()), (200, r#"{"up":true}"#));
    // Only the templated endpoints exist.
    let (status, _, _) = send(c.get(format!("{gw}/users/7"))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_contract_sha256_is_the_flattened_contracts() {
    let gw = gateway().await;
    let (status, _, body) = send(client().get(format!("{gw}/__health"))).await;
    assert_eq!(status, 200, "{body}");
    let health: Value = serde_json::from_str(&body).unwrap();
    let flattened = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/flexible-config/flattened.json"
    ))
    .unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, &flattened);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(health["krustd"]["contract_sha256"], json!(hex));
    assert_eq!(health["krustd"]["name"], json!("catalog gateway"));
}
