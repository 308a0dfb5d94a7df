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

/// Serves the gateway `G`'s `app` on 127.0.0.1 (OS-chosen port) through the gateway's own
/// server with `G`'s transport (TLS, h2c; certificates read now), in the background.
pub async fn serve_gateway<G: crate::Gateway>(app: axum::Router) -> Result<SocketAddr, String> {
    let transport = crate::transport::Listener::of(G::TRANSPORT)?;
    serve_on(app, G::SERVICE, transport).await
}

/// Serves `app` over HTTPS (HTTP/1.1 and HTTP/2) with the PEM files `cert` and `key`: a mock
/// https backend; with `client_ca`, clients must present a certificate it signed.
pub async fn serve_https(
    app: axum::Router,
    cert: &str,
    key: &str,
    client_ca: Option<&str>,
) -> Result<SocketAddr, String> {
    const SUITES: &[u16] = &[0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8];
    serve_https_with(app, cert, key, client_ca, false, SUITES).await
}

/// [`serve_https`] with `tls12_only` (no TLS 1.3) and these TLS 1.2 `suites` (IANA ids).
pub async fn serve_https_with(
    app: axum::Router,
    cert: &str,
    key: &str,
    client_ca: Option<&str>,
    tls12_only: bool,
    suites: &'static [u16],
) -> Result<SocketAddr, String> {
    let leak = |s: &str| -> &'static str { Box::leak(s.to_owned().into_boxed_str()) };
    let ca_certs: &'static [&'static str] = match client_ca {
        Some(ca) => Box::leak(Box::new([leak(ca)])),
        None => &[],
    };
    let keys: &'static [(&'static str, &'static str)] =
        Box::leak(Box::new([(leak(cert), leak(key))]));
    let spec: &'static crate::transport::ServerTlsSpec =
        Box::leak(Box::new(crate::transport::ServerTlsSpec {
            keys,
            enable_mtls: client_ca.is_some(),
            params: crate::transport::TlsParams {
                min_version: crate::transport::TlsVersion::Tls12,
                max_version: if tls12_only {
                    crate::transport::TlsVersion::Tls12
                } else {
                    crate::transport::TlsVersion::Tls13
                },
                cipher_suites: suites,
                curves: &[29, 23, 24],
                ca_certs,
                system_ca_pool: false,
            },
        }));
    let config = crate::transport::server_config(spec)?;
    static SERVICE: crate::spec::ServiceSpec = crate::spec::ServiceSpec {
        port: 0,
        listen_ip: "127.0.0.1",
        read_timeout: None,
        write_timeout: None,
        idle_timeout: None,
        read_header_timeout: None,
        max_header_bytes: 1 << 20,
        max_shutdown_wait: None,
        debug_endpoint: false,
        echo_endpoint: false,
        health_path: None,
        return_error_msg: false,
        version_header: "",
        log_level: None,
        disable_path_decoding: false,
        client_ip: &crate::forward::DEFAULT_CLIENT_IP,
        access_log: None,
    };
    serve_on(app, &SERVICE, crate::transport::Listener::tls(config)).await
}

async fn serve_on(
    app: axum::Router,
    service: &'static crate::spec::ServiceSpec,
    transport: crate::transport::Listener,
) -> Result<SocketAddr, String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let limits = crate::limits::ServerLimits::default();
        crate::server::serve_router_on(
            listener,
            app,
            service,
            &limits,
            &transport,
            std::future::pending(),
        )
        .await;
    });
    Ok(addr)
}

/// One exchange a generated contract test plays: the client request, what each backend mock
/// expects and answers, and the gateway's expected answer. All `'static` data, so a generated
/// test is this data plus one call to [`assert_exchange`].
#[derive(Debug)]
pub struct Exchange {
    pub method: &'static str,
    /// Path and query string as sent by the client.
    pub path: &'static str,
    pub headers: &'static [(&'static str, &'static str)],
    pub body: &'static str,
    pub backends: &'static [Mock],
    /// The gateway's expected status.
    pub status: u16,
    /// Expected `X-Krakend-Completed` value, when checked.
    pub completed: Option<&'static str>,
    /// The expected body, when checked: JSON text compared as JSON values, or (with
    /// `response_is_text`) the exact text.
    pub response: Option<&'static str>,
    pub response_is_text: bool,
    /// Answer headers that must have these values (names lower-case).
    pub response_headers: &'static [(&'static str, &'static str)],
}

/// One backend request the gateway must make, and the mock's answer to it.
#[derive(Debug)]
pub struct Mock {
    pub method: &'static str,
    /// The request path as the backend receives it (escaped, no query).
    pub path: &'static str,
    /// The exact query pairs the backend must receive (any order), when checked.
    pub query: Option<&'static [(&'static str, &'static str)]>,
    /// Headers that must arrive with these values (names lower-case).
    pub headers: &'static [(&'static str, &'static str)],
    /// Headers that must not arrive (names lower-case).
    pub absent: &'static [&'static str],
    /// Whether headers other than `headers` and [`GATEWAY_HEADERS`] are refused.
    pub only_these_headers: bool,
    pub status: u16,
    pub content_type: &'static str,
    pub body: &'static str,
}

impl Exchange {
    /// `GET /`, no header, no body, no backend; expects a 200 and checks nothing else.
    /// Generated tests spell only the fields that differ (`..Exchange::DEFAULT`).
    pub const DEFAULT: Exchange = Exchange {
        method: "GET",
        path: "/",
        headers: &[],
        body: "",
        backends: &[],
        status: 200,
        completed: None,
        response: None,
        response_is_text: false,
        response_headers: &[],
    };
}

impl Mock {
    /// `GET /` answered `200 {}` (JSON), nothing checked about the request but its method
    /// and path.
    pub const DEFAULT: Mock = Mock {
        method: "GET",
        path: "/",
        query: None,
        headers: &[],
        absent: &[],
        only_these_headers: false,
        status: 200,
        content_type: "application/json",
        body: "{}",
    };
}

/// Headers the gateway or its HTTP client set on backend requests by themselves, and `accept`:
/// the test's own client (reqwest) always sends `Accept: */*`, which a `"*"` allow-list forwards.
/// (That the gateway itself adds no `Accept`, as KrakenD's Go client, is pinned by
/// tests/backend_headers.rs, which checks the whole header set.)
pub const GATEWAY_HEADERS: &[&str] = &[
    "host",
    "accept",
    "user-agent",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-via",
    "accept-encoding",
    "content-length",
    "transfer-encoding",
    // The trace context written by a traced contract (telemetry/opentelemetry, opencensus).
    "traceparent",
    "tracestate",
    "baggage",
];

/// What the mock saw of one backend request.
#[derive(Debug, Clone)]
struct SeenCall {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
}

/// [`exchange`] for a generated `#[test]`: panics with the reason when it fails.
#[allow(clippy::panic)]
pub fn assert_exchange<G: crate::Gateway>(name: &str, x: &'static Exchange) {
    if let Err(e) = exchange::<G>(x) {
        panic!("{name}: {e}");
    }
}

/// Serves gateway `G` with every backend host replaced by a mock on 127.0.0.1 that answers as
/// `x.backends` say, sends the request of `x`, and checks the answer and every backend request
/// (method, path, query, forwarded headers; no unexpected call). Gives up after 20 s.
pub fn exchange<G: crate::Gateway>(x: &'static Exchange) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(20), play::<G>(x))
            .await
            .map_err(|_| format!("{} {}: no answer within 20 s", x.method, x.path))?
    })
}

fn find_mock(x: &'static Exchange, method: &str, path: &str) -> Option<&'static Mock> {
    x.backends
        .iter()
        .find(|m| m.method.eq_ignore_ascii_case(method) && m.path == path)
}

async fn play<G: crate::Gateway>(x: &'static Exchange) -> Result<(), String> {
    let seen: std::sync::Arc<std::sync::Mutex<Vec<SeenCall>>> = Default::default();
    let recorder = seen.clone();
    let mock = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let recorder = recorder.clone();
        async move {
            let call = SeenCall {
                method: req.method().to_string(),
                path: req.uri().path().to_owned(),
                query: req.uri().query().unwrap_or_default().to_owned(),
                headers: req
                    .headers()
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
            };
            let answer = find_mock(x, &call.method, &call.path);
            if let Ok(mut s) = recorder.lock() {
                s.push(call);
            }
            match answer {
                Some(m) => (
                    http::StatusCode::from_u16(m.status).unwrap_or(http::StatusCode::OK),
                    [(http::header::CONTENT_TYPE, m.content_type)],
                    m.body,
                ),
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
        redis_url: None,
    });
    let gw_addr = serve(gateway).await.map_err(|e| e.to_string())?;
    let m = http::Method::from_bytes(x.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?
        .request(m, format!("http://{gw_addr}{}", x.path));
    for (k, v) in x.headers {
        req = req.header(*k, *v);
    }
    if !x.body.is_empty() {
        req = req.body(x.body);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("{} {}: {e}", x.method, x.path))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.text().await.unwrap_or_default();
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    check(x, status, &headers, &body, &seen).map_err(|e| {
        format!(
            "{} {}: {e}\n  answer: {status} {body:?}\n  backend calls: {seen:#?}",
            x.method, x.path
        )
    })
}

fn check(
    x: &'static Exchange,
    status: u16,
    headers: &http::HeaderMap,
    body: &str,
    seen: &[SeenCall],
) -> Result<(), String> {
    if status != x.status {
        return Err(format!("status {status}, expected {}", x.status));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(c) = x.completed {
        if header("x-krakend-completed") != Some(c) {
            return Err(format!(
                "X-Krakend-Completed {:?}, expected {c:?}",
                header("x-krakend-completed")
            ));
        }
    }
    for (k, v) in x.response_headers {
        if header(k) != Some(*v) {
            return Err(format!(
                "answer header {k}: {:?}, expected {v:?}",
                header(k)
            ));
        }
    }
    if let (Some(expected), true) = (x.response, x.response_is_text) {
        if body != expected {
            return Err(format!("body {body:?}, expected {expected:?}"));
        }
    } else if let Some(expected) = x.response {
        let want: serde_json::Value =
            serde_json::from_str(expected).map_err(|e| format!("expected body: {e}"))?;
        let got: serde_json::Value = serde_json::from_str(body)
            .map_err(|e| format!("the answer is not JSON ({e}), expected {expected}"))?;
        if got != want {
            return Err(format!("body {got}, expected {want}"));
        }
    }
    for call in seen {
        if find_mock(x, &call.method, &call.path).is_none() {
            return Err(format!(
                "unexpected backend call {} {}",
                call.method, call.path
            ));
        }
    }
    for m in x.backends {
        let calls: Vec<&SeenCall> = seen
            .iter()
            .filter(|c| c.method.eq_ignore_ascii_case(m.method) && c.path == m.path)
            .collect();
        if calls.is_empty() {
            return Err(format!("no backend call {} {}", m.method, m.path));
        }
        for c in calls {
            check_call(m, c)?;
        }
    }
    Ok(())
}

fn check_call(m: &Mock, c: &SeenCall) -> Result<(), String> {
    let at = format!("backend {} {}", m.method, m.path);
    if let Some(q) = m.query {
        let mut want: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut got = crate::forward::parse_query(&c.query);
        want.sort();
        got.sort();
        if got != want {
            return Err(format!("{at}: query {got:?}, expected {want:?}"));
        }
    }
    let value = |name: &str| {
        c.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    for (k, v) in m.headers {
        if value(k) != Some(*v) {
            return Err(format!("{at}: header {k}: {:?}, expected {v:?}", value(k)));
        }
    }
    for k in m.absent {
        if let Some(v) = value(k) {
            return Err(format!("{at}: header {k}: {v:?} must not be forwarded"));
        }
    }
    if m.only_these_headers {
        for (k, _) in &c.headers {
            let known = GATEWAY_HEADERS.contains(&k.as_str())
                || m.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(k));
            if !known {
                return Err(format!(
                    "{at}: header {k} was forwarded, the contract does not allow it"
                ));
            }
        }
    }
    Ok(())
}
