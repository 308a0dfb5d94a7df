//! Helpers for tests of generated gateways: servers on 127.0.0.1, port 0.

use std::net::SocketAddr;

/// Serves `app` on 127.0.0.1 with an OS-chosen port, in the background; returns its address.
/// Client addresses reach handlers as `ConnectInfo<SocketAddr>`.
pub async fn serve(app: axum::Router) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Ok(addr)
}

/// A backend request a generated test expects, and what the mock answers to it.
#[derive(Debug)]
pub struct MockCall {
    pub method: &'static str,
    /// The request path as the backend receives it (escaped, no query).
    pub path: &'static str,
    /// A 200 answer with this body (`Content-Type: application/json` when it parses as JSON).
    pub body: &'static str,
}

type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// [`exercise_endpoint`] for a generated `#[test]`: panics with the reason when it fails.
#[allow(clippy::panic)]
pub fn assert_endpoint<G: crate::Gateway>(method: &str, path: &str, calls: &'static [MockCall]) {
    if let Err(e) = exercise_endpoint::<G>(method, path, calls) {
        panic!("{e}");
    }
}

/// Serves gateway `G` with every backend host replaced by a mock on 127.0.0.1, sends `method`
/// `path` to it, and checks that the answer is a 200 and that every expected backend call was
/// made. Bounded: the whole exercise gives up after 20 s.
pub fn exercise_endpoint<G: crate::Gateway>(
    method: &str,
    path: &str,
    calls: &'static [MockCall],
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            exercise::<G>(method, path, calls),
        )
        .await
        .map_err(|_| format!("{method} {path}: no answer within 20 s"))?
    })
}

async fn exercise<G: crate::Gateway>(
    method: &str,
    path: &str,
    calls: &'static [MockCall],
) -> Result<(), String> {
    let seen: Seen = Default::default();
    let recorder = seen.clone();
    let mock = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let recorder = recorder.clone();
        async move {
            let m = req.method().to_string();
            let p = req.uri().path().to_owned();
            if let Ok(mut s) = recorder.lock() {
                s.push((m.clone(), p.clone()));
            }
            match calls.iter().find(|c| c.method == m && c.path == p) {
                Some(c) => {
                    let ct = if serde_json::from_str::<serde_json::Value>(c.body).is_ok() {
                        "application/json"
                    } else {
                        "text/plain"
                    };
                    (
                        http::StatusCode::OK,
                        [(http::header::CONTENT_TYPE, ct)],
                        c.body,
                    )
                }
                None => (
                    http::StatusCode::NOT_FOUND,
                    [(http::header::CONTENT_TYPE, "text/plain")],
                    "unexpected backend call",
                ),
            }
        }
    });
    let mock_addr = serve(mock).await.map_err(|e| e.to_string())?;
    let gateway = crate::router_with::<G>(crate::Options {
        debug: false,
        host_override: Some(format!("http://{mock_addr}")),
        host_map: Vec::new(),
    });
    let gw_addr = serve(gateway).await.map_err(|e| e.to_string())?;
    let m = http::Method::from_bytes(method.as_bytes()).map_err(|e| e.to_string())?;
    let resp = reqwest::Client::new()
        .request(m, format!("http://{gw_addr}{path}"))
        .send()
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    if status != http::StatusCode::OK {
        return Err(format!(
            "{method} {path}: status {status}, body {body:?}; backend calls seen: {seen:?}"
        ));
    }
    for c in calls {
        if !seen.iter().any(|(m, p)| m == c.method && p == c.path) {
            return Err(format!(
                "{method} {path}: expected a backend call {} {}; seen: {seen:?}",
                c.method, c.path
            ));
        }
    }
    Ok(())
}
