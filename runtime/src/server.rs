//! The gateway process: command line, listener, connection handling and graceful shutdown.

use crate::gateway::{router_with, Gateway, Options};
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
        .about("A KrakenD v3 contract compiled into a dedicated gateway. The contract is in the binary: no flag reads a configuration file.")
        .disable_version_flag(true)
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
            clap::Arg::new("version")
                .short('v')
                .long("version")
                .action(clap::ArgAction::SetTrue)
                .help("Print the contract name, its sha256, the crate version and the release SHA"),
        )
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
    match serve_threads::<G>(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error(&e);
            ExitCode::FAILURE
        }
    }
}

/// The listen address: contract `listen_ip`/`port`, then `KRAKEND_PORT`, then `-p`.
fn listen_addr<G: Gateway>(cli_port: Option<u16>) -> Result<SocketAddr, String> {
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
    let ip = if G::SERVICE.listen_ip.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        G::SERVICE
            .listen_ip
            .parse()
            .map_err(|_| format!("invalid ip address {}", G::SERVICE.listen_ip))?
    };
    Ok(SocketAddr::new(ip, port))
}

/// Thread per core: one current-thread runtime per core, each with its own `SO_REUSEPORT`
/// listener, router and backend connection pool, so a request never crosses threads (measured
/// faster than one multi-thread runtime on this kind of machine: see shared/design.md). The
/// main thread waits for SIGINT/SIGTERM and tells every worker to drain.
fn serve_threads<G: Gateway>(cli: Cli) -> Result<(), String> {
    let addr = listen_addr::<G>(cli.port)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let listeners = (0..threads)
        .map(|_| reuse_port_listener(addr))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    log::info(&format!(
        "Krustd gateway for contract {:?} (sha256 {}) listening on {} ({} threads)",
        G::IDENTITY.name,
        G::IDENTITY.contract_sha256,
        addr,
        threads
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut workers = Vec::with_capacity(threads);
    for (i, listener) in listeners.into_iter().enumerate() {
        let mut stopped = stopped.clone();
        let debug = cli.debug;
        let worker = std::thread::Builder::new()
            .name(format!("krustd-{i}"))
            .spawn(move || -> Result<(), String> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| format!("cannot start the async runtime: {e}"))?;
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
                    let app = router_with::<G>(Options {
                        debug,
                        host_override: None,
                        host_map: Vec::new(),
                    });
                    let shutdown = async move {
                        let _ = stopped.changed().await;
                    };
                    serve_router(listener, app, G::SERVICE, shutdown).await;
                    Ok(())
                })
            })
            .map_err(|e| format!("cannot start a worker thread: {e}"))?;
        workers.push(worker);
    }
    drop(stopped);
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    signals.block_on(shutdown_signal());
    let _ = stop.send(true);
    let mut result = Ok(());
    for w in workers {
        match w.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(_) => result = Err("a worker thread panicked".to_owned()),
        }
    }
    log::info("gateway stopped");
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
/// most `max_shutdown_wait_time` when set).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    service: &'static crate::spec::ServiceSpec,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let header_timeout = match (
        service.read_header_timeout.or(service.read_timeout),
        service.idle_timeout,
    ) {
        // hyper's header timer also runs while a keep-alive connection waits for its next
        // request, so it bounds idle time too.
        (Some(h), Some(i)) => Some(h + i),
        (h, i) => h.or(i),
    };
    tokio::pin!(shutdown);
    loop {
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
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new());
        builder.header_read_timeout(header_timeout);
        // hyper's read buffer bounds the request head; past it hyper answers 431.
        builder.max_buf_size(service.max_header_bytes.max(8192));
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
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
async fn handle(
    app: axum::Router,
    req: http::Request<axum::body::Body>,
    write_timeout: Option<Duration>,
) -> Result<axum::response::Response, BoxError> {
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
