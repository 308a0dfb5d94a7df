//! `backend/graphql` through real HTTP: the mock echoes the request the backend receives.

mod common;
use common::*;
use serde_json::{json, Value};

async fn gateway() -> String {
    let mock_url = start(mock()).await;
    let gw = krustd_macros::gateway!(
        "contracts/features/graphql.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    start(gw).await
}

#[tokio::test]
async fn a_query_posts_json_with_params_as_variables() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/gql/user/42")).await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["headers"]["content-type"][0], "application/json");
    let sent = echo["body"].as_str().expect("body");
    // Field order as lura's struct; variables sorted; Go's HTML escaping.
    assert_eq!(
        sent,
        r#"{"query":"query GetUser($id: ID!) { user(id: $id) { name } }","operationName":"GetUser","variables":{"fixed":"\u003cx\u003e","id":"42","limit":2,"other":""}}"#
    );
}

#[tokio::test]
async fn a_get_query_goes_in_the_query_string() {
    let gw = gateway().await;
    let (status, _, body) = get(&format!("{gw}/gql/get/7?keep=1&drop=2")).await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["body"], "");
    assert_eq!(
        echo["query"],
        "keep=1&query=%7B+user%28id%3A+%24id%29+%7B+name+%7D+%7D&variables=%7B%22id%22%3A%227%22%7D"
    );
}

#[tokio::test]
async fn a_mutation_takes_the_client_body_as_variables() {
    let gw = gateway().await;
    let (status, _, body) = send(
        client()
            .post(format!("{gw}/gql/users"))
            .body(r#"{"name":"ann"}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echo = json(&body);
    assert_eq!(echo["method"], "POST");
    let sent: Value = serde_json::from_str(echo["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(
        sent,
        json!({
            "query": "mutation AddUser($name: String!, $role: String) {\n  addUser(name: $name, role: $role) { id }\n}\n",
            "variables": {"name": "ann", "role": "guest"}
        }),
        "query_path read at build time; the contract's variables fill the gaps"
    );
    let (_, _, body) = send(
        client()
            .post(format!("{gw}/gql/users"))
            .body(r#"{"name":"bob","role":"admin"}"#),
    )
    .await;
    let sent: Value =
        serde_json::from_str(json(&body)["body"].as_str().expect("body")).expect("JSON");
    assert_eq!(sent["variables"], json!({"name": "bob", "role": "admin"}));
    let (status, _, _) = send(client().post(format!("{gw}/gql/users")).body("[1]")).await;
    assert_eq!(status, 500, "a body that is not an object fails the call");
}
