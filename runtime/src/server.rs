//! The gateway process: command line, listener, connection handling and graceful shutdown.

use crate::gateway::{service_with, Gateway, Options};
use crate::log;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;
use tower::ServiceExt;

/// Parsed command line.
#[derive(Debug, Default)]
struct Cli {
    debug: bool,
    port: Option<u16>,
    log_level: Option<log::Level>,
}

fn command() -> clap::Command {
    clap::Command::new("krustd")
        .about("A KrakenD v3 contract compiled into a dedicated gateway. The contract is in the binary: no flag loads a configuration file (-c only checks that FILE is that contract).")
        .disable_version_flag(true)
        .arg(
            clap::Arg::new("command")
                .value_parser(["run"])
                .help("`run`, as in `krakend run`: accepted for drop-in use, the gateway always runs"),
        )
        .arg(
            clap::Arg::new("config")
                .short('c')
                .long("config")
                .value_name("FILE")
                .help("KrakenD's configuration file, for drop-in use (`krakend run -c FILE`): the contract is compiled in, and FILE must be that contract (same sha256), else the gateway exits with 2"),
        )
        .arg(
            clap::Arg::new("debug")
                .short('d')
                .long("debug")
                .action(clap::ArgAction::SetTrue)
                .help("Enable the /__debug/ endpoint (as `krakend run -d`)"),
        )
        .arg(
            clap::Arg::new("port")
                .short('p')
                .long("port")
                .value_parser(clap::value_parser!(u16))
                .help("Listen on this port instead of the contract's (also KRAKEND_PORT)"),
        )
        .arg(
            clap::Arg::new("log-level")
                .short('l')
                .long("log-level")
                .value_parser(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "debug", "info", "warning", "error", "critical"])
                .help("Lowest level written to the log"),
        )
        .arg(
            clap::Arg::new("health-check")
                .long("health-check")
                .action(clap::ArgAction::SetTrue)
                .help("Probe GET /__health of a gateway running on this port and exit 0 if it answers 200, else 1 (for container HEALTHCHECKs without a shell)"),
        )
        .arg(
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue)
                .help("Print the contract name, its sha256, the crate version and the release SHA"),
        )
}

/// Why `-c FILE` is not the contract compiled in (`None` when its sha256 is `sha256`): read
/// once, before anything else, so that a gateway started with another contract never serves.
fn config_mismatch(file: &str, sha256: &str) -> Option<String> {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            return Some(format!(
                "-c {file}: {e} (the gateway serves the contract compiled in, sha256 {sha256})"
            ))
        }
    };
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    (hex != sha256).then(|| {
        format!("-c {file} (sha256 {hex}) is not the contract compiled in (sha256 {sha256}): build the gateway from {file} to serve it")
    })
}

/// The `--version` text.
pub fn version_text<G: Gateway>() -> String {
    let id = G::IDENTITY;
    format!(
        "krustd {}\ncontract: {}\ncontract sha256: {}\nrelease: {}\n",
        id.version, id.name, id.contract_sha256, id.release
    )
}

/// Runs the gateway `G` until SIGINT/SIGTERM; the whole `main` of a generated gateway.
pub fn run<G: Gateway>() -> ExitCode {
    let matches = match command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if matches.get_flag("version") {
        print!("{}", version_text::<G>());
        return ExitCode::SUCCESS;
    }
    if let Some(file) = matches.get_one::<String>("config") {
        if let Some(why) = config_mismatch(file, G::IDENTITY.contract_sha256) {
            eprintln!("error: {why}");
            return ExitCode::from(2);
        }
    }
    if matches.get_flag("health-check") {
        let port = matches.get_one::<u16>("port").copied();
        let result = match G::SERVICE.health_path {
            Some(path) => listen_addr::<G>(port)
                .and_then(|a| crate::health_probe::probe(crate::health_probe::target(a), path)),
            None => Err("the contract disables the health endpoint".to_owned()),
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("unhealthy: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let cli = Cli {
        debug: matches.get_flag("debug"),
        port: matches.get_one::<u16>("port").copied(),
        log_level: matches
            .get_one::<String>("log-level")
            .and_then(|s| log::Level::parse(s)),
    };
    let level = cli
        .log_level
        .or_else(|| G::SERVICE.log_level.and_then(log::Level::parse))
        .unwrap_or(log::Level::Info);
    log::set_level(level);
    crate::telemetry::install::<G>();
    match serve_threads::<G>(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error(&e);
            ExitCode::FAILURE
        }
    }
}

/// The listen address: contract `listen_ip`/`port`, then `KRAKEND_LISTEN_IP`/`KRAKEND_PORT`,
/// then `-p`. The other `KRAKEND_*` root keys are refused (`env_overrides`).
fn listen_addr<G: Gateway>(cli_port: Option<u16>) -> Result<SocketAddr, String> {
    crate::env_overrides::check_env()?;
    let mut port = G::SERVICE.port;
    if let Ok(v) = std::env::var("KRAKEND_PORT") {
        port = v
            .trim()
            .parse()
            .map_err(|_| format!("KRAKEND_PORT is not a valid port: {v:?}"))?;
    }
    if let Some(p) = cli_port {
        port = p;
    }
    if port == 0 {
        port = 8080;
    }
    let listen_ip = match std::env::var("KRAKEND_LISTEN_IP") {
        Ok(v) => std::borrow::Cow::Owned(v.trim().to_owned()),
        Err(_) => std::borrow::Cow::Borrowed(G::SERVICE.listen_ip),
    };
    let ip = if listen_ip.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        listen_ip
            .parse()
            .map_err(|_| format!("invalid ip address {listen_ip}"))?
    };
    Ok(SocketAddr::new(ip, port))
}

/// Thread per core: one current-thread runtime per core, each with its own `SO_REUSEPORT`
/// listener, router and backend connection pool, so a request never crosses threads (measured
/// faster than one multi-thread runtime on this kind of machine: see docs/design.md, "What
/// specialisation buys"). The main thread waits for SIGINT/SIGTERM and tells every worker to
/// drain.
fn serve_threads<G: Gateway>(cli: Cli) -> Result<(), String> {
    let addr = listen_addr::<G>(cli.port)?;
    let limits = crate::limits::ServerLimits::from_env()?;
    crate::body_budget::check_env()?;
    // transport: certificates and keys are read now (they rotate: never compiled in); a
    // missing or invalid file stops the gateway before it listens.
    let transport = crate::transport::Listener::of(G::TRANSPORT)?;
    if let Some(c) = G::TRANSPORT.client_tls {
        crate::transport::client_config(c).clone()?;
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let listeners = (0..threads)
        .map(|_| reuse_port_listener(addr))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    log::info(&format!(
        "Krustd gateway for contract {:?} (sha256 {}) listening on {} ({}, {} threads, at most {} connections)",
        G::IDENTITY.name,
        G::IDENTITY.contract_sha256,
        addr,
        transport.describe(),
        threads,
        limits.connections.available_permits()
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (exits, exited) = tokio::sync::mpsc::unbounded_channel();
    let mut workers = Vec::with_capacity(threads);
    for (i, listener) in listeners.into_iter().enumerate() {
        let mut stopped = stopped.clone();
        let debug = cli.debug;
        let limits = limits.clone();
        let transport = transport.clone();
        let worker = spawn_worker(i, exits.clone(), move || -> Result<(), String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the async runtime: {e}"))?;
            rt.block_on(async move {
                tokio::spawn(heartbeat());
                let listener = tokio::net::TcpListener::from_std(listener)
                    .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
                let app = service_with::<G>(Options {
                    debug,
                    host_override: None,
                    host_map: Vec::new(),
                    redis_url: std::env::var("KRUSTD_REDIS_URL")
                        .ok()
                        .filter(|u| !u.is_empty()),
                });
                let shutdown = async move {
                    let _ = stopped.changed().await;
                };
                serve_router_on(listener, app, G::SERVICE, &limits, &transport, shutdown).await;
                Ok(())
            })
        })?;
        workers.push(worker);
    }
    drop(stopped);
    drop(exits);
    let result = supervise(workers, exited, stop, shutdown_signal());
    log::info("gateway stopped");
    result
}

/// How often a worker's [`heartbeat`] ticks.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// A timer that fires every [`HEARTBEAT`] for as long as the worker runs, so that the worker's
/// timer driver always has a wake-up at most that far ahead. Tokio signals its driver (an
/// `eventfd` write, then one more event for `epoll_wait`) whenever a new timer is due before
/// the driver's next planned wake-up, even on the driver's own thread; without the heartbeat
/// every backend call's deadline (`backend::call`) did that, one system call per backend call
/// on an otherwise idle keep-alive connection. Deadlines of at least `HEARTBEAT` now never move
/// the wake-up earlier; shorter ones still signal, which is only slower. Idle cost: four wake-ups
/// a second per worker.
async fn heartbeat() {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
    }
}

/// How a worker thread ended: its index and its outcome (a panic is an `Err` with its message).
type WorkerExit = (usize, Result<(), String>);

/// Starts worker `i` (thread `krustd-<i>`) running `body`; however it ends (return, error or
/// panic), its outcome is sent on `exits`.
fn spawn_worker(
    i: usize,
    exits: tokio::sync::mpsc::UnboundedSender<WorkerExit>,
    body: impl FnOnce() -> Result<(), String> + Send + 'static,
) -> Result<std::thread::JoinHandle<()>, String> {
    std::thread::Builder::new()
        .name(format!("krustd-{i}"))
        .spawn(move || {
            let outcome = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
                Ok(r) => r,
                Err(panic) => Err(format!("panicked: {}", panic_text(panic.as_ref()))),
            };
            let _ = exits.send((i, outcome));
        })
        .map_err(|e| format!("cannot start a worker thread: {e}"))
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// Waits for `signal` or for a worker to end, whichever comes first, then stops every worker
/// and joins them. A worker that ends before the signal (panic, runtime that cannot start,
/// listener error, or a server that returned) is fatal: the gateway never keeps serving on
/// fewer cores. The error names the worker and its reason.
fn supervise(
    workers: Vec<std::thread::JoinHandle<()>>,
    mut exited: tokio::sync::mpsc::UnboundedReceiver<WorkerExit>,
    stop: tokio::sync::watch::Sender<bool>,
    signal: impl std::future::Future<Output = ()>,
) -> Result<(), String> {
    let early = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(async {
            tokio::select! {
                () = signal => None,
                exit = exited.recv() => exit,
            }
        }),
        Err(e) => Some((
            usize::MAX,
            Err(format!("cannot start the async runtime: {e}")),
        )),
    };
    let mut result = Ok(());
    if let Some((i, outcome)) = early {
        let reason = match outcome {
            Ok(()) => "stopped serving".to_owned(),
            Err(e) => e,
        };
        let who = if i == usize::MAX {
            "the signal handler".to_owned()
        } else {
            format!("worker krustd-{i}")
        };
        let message = format!("{who} died ({reason}): stopping the gateway");
        log::error(&message);
        result = Err(message);
    }
    let _ = stop.send(true);
    for w in workers {
        let _ = w.join();
    }
    // Failures while draining are reported too (the first one wins).
    while let Ok((i, outcome)) = exited.try_recv() {
        if let (Err(e), Ok(())) = (outcome, &result) {
            result = Err(format!("worker krustd-{i} failed: {e}"));
        }
    }
    result
}

/// A non-blocking listener with `SO_REUSEPORT`, so every worker thread can bind the address
/// and the kernel spreads connections between them.
fn reuse_port_listener(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    #[cfg(unix)]
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Serves `app` on `listener` until `shutdown` completes, then drains in-flight requests (for at
/// most `max_shutdown_wait_time` when set). Default [`ServerLimits`](crate::limits::ServerLimits).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    service: &'static crate::spec::ServiceSpec,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let limits = crate::limits::ServerLimits::default();
    serve_router_with(listener, app, service, &limits, shutdown).await;
}

/// [`serve_router`] under `limits`: a header-read timeout even without contract timeouts, and
/// a connection cap shared with the other workers: at the cap, accepting pauses until a
/// connection closes (back-pressure: new connections wait in the kernel's backlog).
pub async fn serve_router_with(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    service: &'static crate::spec::ServiceSpec,
    limits: &crate::limits::ServerLimits,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let plain = crate::transport::Listener::plain();
    serve_router_on(listener, app, service, limits, &plain, shutdown).await;
}

/// [`serve_router_with`] speaking `transport` (TLS with HTTP/2 by ALPN, or h2c); plain
/// HTTP/1.1 keeps hyper's HTTP/1 connection.
pub async fn serve_router_on<S>(
    listener: tokio::net::TcpListener,
    app: S,
    service: &'static crate::spec::ServiceSpec,
    limits: &crate::limits::ServerLimits,
    transport: &crate::transport::Listener,
    shutdown: impl std::future::Future<Output = ()>,
) where
    S: tower::Service<
            http::Request<axum::body::Body>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let graceful = crate::transport::drain::Drain::new();
    let header_timeout = crate::limits::header_read_timeout(service, limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = limits.connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    log::error(&format!("accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let write_timeout = service.write_timeout;
        let svc =
            hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                handle(app.clone(), req.map(axum::body::Body::new), write_timeout)
            });
        if !transport.is_plain_http1() {
            let http = crate::transport::listener::HttpSettings {
                header_timeout,
                max_header_bytes: service.max_header_bytes,
            };
            transport.spawn(stream, svc, &http, graceful.watcher(), permit);
            continue;
        }
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new());
        builder.header_read_timeout(Some(header_timeout));
        // hyper's read buffer bounds the request head; past it hyper answers 431.
        builder.max_buf_size(service.max_header_bytes.max(8192));
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watcher().watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    match service.max_shutdown_wait {
        Some(max) => {
            if tokio::time::timeout(max, graceful.shutdown())
                .await
                .is_err()
            {
                log::info("max_shutdown_wait_time reached: closing remaining connections");
            }
        }
        None => graceful.shutdown().await,
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One request through the router; past `write_timeout` the connection is closed.
async fn handle<S>(
    app: S,
    req: http::Request<axum::body::Body>,
    write_timeout: Option<Duration>,
) -> Result<axum::response::Response, BoxError>
where
    S: tower::Service<
        http::Request<axum::body::Body>,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
    >,
{
    let fut = app.oneshot(req);
    let resp = match write_timeout {
        Some(d) => match tokio::time::timeout(d, fut).await {
            Ok(r) => r,
            Err(_) => return Err("write timeout".into()),
        },
        None => fut.await,
    };
    match resp {
        Ok(r) => Ok(r),
        Err(never) => match never {},
    }
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    log::info("shutdown signal received: draining in-flight requests");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn krakend_run_command_line_is_accepted() {
        let m = command()
            .try_get_matches_from(["krustd", "run", "-d", "-c", "fixtures/krakend.json"])
            .unwrap();
        assert!(m.get_flag("debug"));
        assert_eq!(
            m.get_one::<String>("config").unwrap(),
            "fixtures/krakend.json"
        );
        assert!(command().try_get_matches_from(["krustd", "serve"]).is_err());
    }

    #[test]
    fn config_must_be_the_compiled_contract() {
        let file = std::env::temp_dir().join(format!("krustd-cfg-{}.json", std::process::id()));
        std::fs::write(&file, "{}").unwrap();
        let path = file.to_string_lossy().into_owned();
        // sha256 of `{}`.
        let sha = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert_eq!(config_mismatch(&path, sha), None);
        let why = config_mismatch(&path, &"0".repeat(64)).unwrap();
        assert!(why.contains("is not the contract compiled in"), "{why}");
        std::fs::remove_file(&file).unwrap();
        assert!(config_mismatch(&path, sha).is_some());
    }

    /// A worker that serves until told to stop (as `serve_router` does).
    fn healthy(
        i: usize,
        exits: &tokio::sync::mpsc::UnboundedSender<WorkerExit>,
        mut stopped: tokio::sync::watch::Receiver<bool>,
    ) -> std::thread::JoinHandle<()> {
        spawn_worker(i, exits.clone(), move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            rt.block_on(async move {
                let _ = stopped.changed().await;
            });
            Ok(())
        })
        .unwrap()
    }

    /// Runs `supervise` on its own thread with a signal that never comes; its result within 10 s.
    fn supervised(
        dying: impl FnOnce() -> Result<(), String> + Send + 'static,
    ) -> Result<(), String> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (exits, exited) = tokio::sync::mpsc::unbounded_channel();
        let workers = vec![
            healthy(0, &exits, stopped.clone()),
            spawn_worker(1, exits.clone(), dying).unwrap(),
            healthy(2, &exits, stopped),
        ];
        drop(exits);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(supervise(workers, exited, stop, std::future::pending()));
        });
        rx.recv_timeout(Duration::from_secs(10))
            .expect("a dead worker stops the gateway")
    }

    #[test]
    fn a_panicking_worker_stops_the_gateway() {
        let e = supervised(|| panic!("boom at start")).unwrap_err();
        assert!(e.contains("worker krustd-1"), "{e}");
        assert!(e.contains("panicked: boom at start"), "{e}");
    }

    #[test]
    fn a_worker_without_a_runtime_stops_the_gateway() {
        let e =
            supervised(|| Err("cannot start the async runtime: no fds".to_owned())).unwrap_err();
        assert!(
            e.contains("worker krustd-1 died (cannot start the async runtime"),
            "{e}"
        );
    }

    #[test]
    fn a_worker_that_returns_early_stops_the_gateway() {
        let e = supervised(|| Ok(())).unwrap_err();
        assert!(e.contains("worker krustd-1 died (stopped serving)"), "{e}");
    }

    #[test]
    fn the_signal_stops_healthy_workers_cleanly() {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (exits, exited) = tokio::sync::mpsc::unbounded_channel();
        let workers = vec![
            healthy(0, &exits, stopped.clone()),
            healthy(1, &exits, stopped),
        ];
        drop(exits);
        assert_eq!(supervise(workers, exited, stop, async {}), Ok(()));
    }
}
