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
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            log::error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve::<G>(cli)) {
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

async fn serve<G: Gateway>(cli: Cli) -> Result<(), String> {
    let addr = listen_addr::<G>(cli.port)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    log::info(&format!(
        "Krustd gateway for contract {:?} (sha256 {}) listening on {}",
        G::IDENTITY.name,
        G::IDENTITY.contract_sha256,
        addr
    ));
    let app = router_with::<G>(Options {
        debug: cli.debug,
        host_override: None,
        host_map: Vec::new(),
    });
    serve_router(listener, app, G::SERVICE, shutdown_signal()).await;
    log::info("gateway stopped");
    Ok(())
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
