//! The process around the gateway: command line, listen address, graceful shutdown.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_krustd");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Polls `/__health` until it answers (bounded: 100 tries, 50 ms apart).
async fn wait_healthy(port: u16) -> bool {
    for _ in 0..100 {
        if let Ok(r) = client()
            .get(format!("http://127.0.0.1:{port}/__health"))
            .send()
            .await
        {
            if r.status() == 200 {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn version_prints_the_build_identity() {
    let out = Command::new(BIN)
        .arg("--version")
        .output()
        .expect("run krustd");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("contract: Krustd demo"), "{text}");
    assert!(
        text.contains(concat!("krustd ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    let sha = text
        .lines()
        .find_map(|l| l.strip_prefix("contract sha256: "))
        .expect("sha line");
    assert_eq!(sha.len(), 64);
    assert!(
        text.lines()
            .any(|l| l.starts_with("release: ") && l.len() > 9),
        "{text}"
    );
}

#[test]
fn help_lists_the_flags() {
    let out = Command::new(BIN)
        .arg("--help")
        .output()
        .expect("run krustd");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--debug",
        "--port",
        "--log-level",
        "--version",
        "--health-check",
    ] {
        assert!(text.contains(flag), "{flag} missing in {text}");
    }
    // `-c` is KrakenD's: accepted only when it names the contract compiled in.
    let bad = Command::new(BIN)
        .args(["run", "--config", "x.json"])
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(2), "a missing -c file is refused");
    let other = Command::new(BIN)
        .args(["run", "-c", "contracts/features/krakend_specs.json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run");
    assert_eq!(other.status.code(), Some(2), "another contract is refused");
    assert!(String::from_utf8_lossy(&other.stderr).contains("is not the contract compiled in"));
}

/// `krakend run -d -c <contract>` (krakend-ce's runner) starts the gateway when the file is the
/// contract compiled in.
#[tokio::test]
async fn krakend_run_command_line_serves() {
    let port = free_port();
    let child = Command::new(BIN)
        .args(["run", "-d", "-c", "contracts/krakend.json", "-l", "ERROR"])
        .args(["-p", &port.to_string()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let _running = Running(child);
    assert!(wait_healthy(port).await, "krustd run -d -c did not start");
}

#[tokio::test]
async fn port_flag_and_env_and_sigterm() {
    // -p wins over KRAKEND_PORT, which wins over the contract.
    let port = free_port();
    let child = Command::new(BIN)
        .args(["-p", &port.to_string(), "-l", "ERROR"])
        .env("KRAKEND_PORT", "1")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut running = Running(child);
    assert!(
        wait_healthy(port).await,
        "gateway did not start on -p {port}"
    );
    let pid = running.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut status = None;
    for _ in 0..100 {
        if let Some(s) = running.0.try_wait().expect("wait") {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        status.is_some_and(|s| s.success()),
        "SIGTERM must end the process with 0: {status:?}"
    );

    let port = free_port();
    let child = Command::new(BIN)
        .env("KRAKEND_PORT", port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let _running = Running(child);
    assert!(
        wait_healthy(port).await,
        "gateway did not start on KRAKEND_PORT={port}"
    );
}

#[tokio::test]
async fn health_check_flag_probes_the_running_gateway() {
    let port = free_port().to_string();
    let probe = || {
        Command::new(BIN)
            .args(["--health-check", "-p", &port])
            .output()
            .expect("run krustd --health-check")
    };
    let down = probe();
    assert_eq!(down.status.code(), Some(1), "nothing listens yet");
    assert!(String::from_utf8_lossy(&down.stderr).contains("unhealthy: cannot connect"));
    let child = Command::new(BIN)
        .args(["-p", &port, "-l", "ERROR"])
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let _running = Running(child);
    assert!(wait_healthy(port.parse().expect("port")).await);
    let up = probe();
    assert_eq!(up.status.code(), Some(0), "{up:?}");
    // KRAKEND_PORT is honoured by the probe as by the server.
    let env = Command::new(BIN)
        .arg("--health-check")
        .env("KRAKEND_PORT", &port)
        .status()
        .expect("run");
    assert!(env.success());
}

#[tokio::test]
async fn krakend_env_overrides_listen_keys_only() {
    // A behaviour key is refused at start, by name.
    let out = Command::new(BIN)
        .args(["-p", &free_port().to_string()])
        .env("KRAKEND_TIMEOUT", "1ms")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("KRAKEND_TIMEOUT cannot override a compiled contract"),
        "{err}"
    );
    // KRAKEND_LISTEN_IP is honoured: an address that is not local cannot be bound.
    let out = Command::new(BIN)
        .args(["-p", &free_port().to_string()])
        .env("KRAKEND_LISTEN_IP", "192.0.2.1")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot listen on 192.0.2.1"), "{err}");
    let port = free_port();
    let child = Command::new(BIN)
        .args(["-p", &port.to_string(), "-l", "ERROR"])
        .env("KRAKEND_LISTEN_IP", "127.0.0.1")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn");
    let _running = Running(child);
    assert!(wait_healthy(port).await);
}

static SERVICE: krustd_runtime::spec::ServiceSpec = krustd_runtime::spec::ServiceSpec {
    port: 0,
    listen_ip: "127.0.0.1",
    read_timeout: None,
    write_timeout: None,
    idle_timeout: None,
    read_header_timeout: None,
    max_header_bytes: 1 << 20,
    max_shutdown_wait: Some(Duration::from_secs(5)),
    debug_endpoint: false,
    echo_endpoint: false,
    health_path: Some("/__health"),
    return_error_msg: false,
    version_header: "Version test",
    log_level: None,
    disable_path_decoding: false,
    client_ip: &krustd_runtime::forward::DEFAULT_CLIENT_IP,
    access_log: None,
};

/// The responses contract's gateway on 127.0.0.1 through the gateway's own server speaking
/// `transport`, until the returned sender stops it.
async fn draining_gateway(
    transport: krustd_runtime::transport::Listener,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let mock_url = start(mock()).await;
    let app = krustd_macros::gateway!(
        "contracts/features/responses.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let limits = krustd_runtime::limits::ServerLimits::default();
        krustd_runtime::server::serve_router_on(
            listener,
            app,
            &SERVICE,
            &limits,
            &transport,
            async {
                let _ = stopped.await;
            },
        )
        .await;
    });
    (addr, stop, server)
}

/// Stops the server while `in_flight` (a request to `/partial-timeout`, which takes ~425 ms,
/// 85 % of its 500 ms timeout, then answers 200) runs: it must complete, and the server end.
async fn stop_while_in_flight(
    in_flight: tokio::task::JoinHandle<Result<http::StatusCode, String>>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
) {
    tokio::time::sleep(Duration::from_millis(150)).await;
    let _ = stop.send(());
    let status = in_flight
        .await
        .expect("join")
        .expect("the in-flight request completes");
    assert_eq!(status, 200);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops once drained")
        .expect("join");
}

#[tokio::test]
async fn shutdown_drains_in_flight_requests() {
    let (addr, stop, server) = draining_gateway(krustd_runtime::transport::Listener::plain()).await;
    let in_flight = tokio::spawn(async move {
        client()
            .get(format!("http://{addr}/partial-timeout"))
            .send()
            .await
            .map(|r| r.status())
            .map_err(|e| e.to_string())
    });
    stop_while_in_flight(in_flight, stop, server).await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}

#[tokio::test]
async fn debug_option_enables_the_debug_endpoint() {
    let mock_url = start(mock()).await;
    let without = start(krustd_macros::gateway!(
        "contracts/features/responses.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    let (status, _, _) = get(&format!("{without}/__debug/x")).await;
    assert_eq!(status, 404);
    let with = start(krustd_macros::gateway!(
        "contracts/features/responses.json",
        Options {
            debug: true,
            ..hosts(&[("http://mock", mock_url.as_str())])
        }
    ))
    .await;
    let (status, _, body) = get(&format!("{with}/__debug/x")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"message":"pong"}"#);
}

/// Serves the responses contract on 127.0.0.1 under `limits` (no contract timeouts).
async fn serve_limited(limits: krustd_runtime::limits::ServerLimits) -> std::net::SocketAddr {
    let mock_url = start(mock()).await;
    let app = krustd_macros::gateway!(
        "contracts/features/responses.json",
        hosts(&[("http://mock", mock_url.as_str())])
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        krustd_runtime::server::serve_router_with(
            listener,
            app,
            &SERVICE,
            &limits,
            std::future::pending(),
        )
        .await;
    });
    addr
}

/// Reads from `s` for at most `wait`: `Some(bytes)` (empty when the server closed), `None` when
/// nothing came.
async fn read_some(s: &mut tokio::net::TcpStream, wait: Duration) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => Some(buf[..n].to_vec()),
        Ok(Err(_)) => Some(Vec::new()),
        Err(_) => None,
    }
}

const HEALTH: &[u8] = b"GET /__health HTTP/1.1\r\nHost: gw\r\n\r\n";

#[tokio::test]
async fn a_stalled_request_head_is_dropped_without_contract_timeouts() {
    use tokio::io::AsyncWriteExt;
    let limits = krustd_runtime::limits::ServerLimits::new(Duration::from_millis(300), 100);
    let addr = serve_limited(limits).await;
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(b"GET /__health HTTP/1.1\r\nHost: gw\r\n")
        .await
        .expect("write");
    let started = std::time::Instant::now();
    let got = read_some(&mut s, Duration::from_secs(3)).await;
    assert!(
        got.as_ref()
            .is_some_and(|b| b.is_empty() || b.starts_with(b"HTTP/1.1 408")),
        "the server gives up on the head: {got:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        krustd_runtime::limits::DEFAULT_HEADER_READ_TIMEOUT,
        Duration::from_secs(30),
        "the default without contract timeouts"
    );
}

#[tokio::test]
async fn the_connection_cap_pauses_accepting_instead_of_failing() {
    use tokio::io::AsyncWriteExt;
    let limits = krustd_runtime::limits::ServerLimits::new(Duration::from_secs(10), 2);
    let addr = serve_limited(limits).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(HEALTH).await.expect("write");
        let got = read_some(&mut s, Duration::from_secs(3)).await;
        assert!(
            got.as_ref().is_some_and(|b| b.starts_with(b"HTTP/1.1 200")),
            "{got:?}"
        );
        open.push(s);
    }
    // The third connection waits in the backlog: no answer, but no refusal either.
    let mut third = tokio::net::TcpStream::connect(addr)
        .await
        .expect("the kernel still accepts the TCP connection");
    third.write_all(HEALTH).await.expect("write");
    assert_eq!(
        read_some(&mut third, Duration::from_millis(300)).await,
        None,
        "not served while two connections are open"
    );
    drop(open.pop());
    let got = read_some(&mut third, Duration::from_secs(3)).await;
    assert!(
        got.as_ref().is_some_and(|b| b.starts_with(b"HTTP/1.1 200")),
        "served once a connection closed: {got:?}"
    );
}

/// The drain holds for HTTP/2 too: an h2c request in flight when the server stops completes
/// (the connection gets GOAWAY, not a reset), and the server then ends.
#[tokio::test]
async fn shutdown_drains_in_flight_http2_requests() {
    static H2C: krustd_runtime::transport::TransportSpec =
        krustd_runtime::transport::TransportSpec {
            h2c: true,
            ..krustd_runtime::transport::TransportSpec::NONE
        };
    let transport = krustd_runtime::transport::Listener::of(&H2C).expect("h2c listener");
    let (addr, stop, server) = draining_gateway(transport).await;
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .expect("h2c handshake");
    tokio::spawn(connection);
    let req = http::Request::get(format!("http://{addr}/partial-timeout"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .expect("request");
    let in_flight = tokio::spawn(async move {
        sender
            .send_request(req)
            .await
            .map(|r| r.status())
            .map_err(|e| e.to_string())
    });
    stop_while_in_flight(in_flight, stop, server).await;
}

/// The access log (on by default, as in KrakenD): gin's line for every answered request,
/// written by the gateway's own server through its layer, router answers included.
#[tokio::test]
async fn requests_are_access_logged() {
    let port = free_port();
    let child = Command::new(BIN)
        .args(["-p", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut running = Running(child);
    assert!(wait_healthy(port).await, "gateway did not start");
    let base = format!("http://127.0.0.1:{port}");
    let (status, _, _) = get(&format!("{base}/__echo/logged?a=1")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&format!("{base}/nowhere")).await;
    assert_eq!(status, 404);
    // The writer thread writes soon after; then SIGTERM ends the process and its output.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = running.0.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let mut out = String::new();
    if let Some(mut stdout) = running.0.stdout.take() {
        use std::io::Read;
        // Ends when the process does (bounded: SIGTERM was sent).
        let _ = stdout.read_to_string(&mut out);
    }
    let line = |needle: &str| {
        out.lines()
            .find(|l| l.starts_with("[GIN] ") && l.contains(needle))
            .unwrap_or_else(|| panic!("no access-log line with {needle} in:\n{out}"))
            .to_owned()
    };
    let echo = line("\"/__echo/logged?a=1\"");
    assert!(
        echo.contains("| 200 |") && echo.contains("| GET "),
        "{echo}"
    );
    assert!(echo.contains("127.0.0.1"), "the client IP: {echo}");
    let missing = line("\"/nowhere\"");
    assert!(missing.contains("| 404 |"), "{missing}");
}
