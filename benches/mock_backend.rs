//! The mock backend of the end-to-end load benchmark (`scripts/bench-load.sh`).
//!
//! `mock_backend serve [--port 9100] [--threads 2]` serves fixed JSON bodies on 127.0.0.1:
//!
//! | path     | body                                  |
//! |----------|---------------------------------------|
//! | `/1kb`   | a catalogue page of exactly 1024 B    |
//! | `/100kb` | a catalogue page of exactly 102400 B  |
//! | `/1mb`   | a catalogue page of exactly 1048576 B |
//! | `/a`     | a user profile (1024 B)               |
//! | `/b`     | a customer's orders (1024 B)          |
//! | `/c`     | user preferences (1024 B)             |
//!
//! It has to cost as little CPU per request as possible, because every benchmark figure is a
//! ratio to hitting it directly: bodies are built once at start-up and shared (`Bytes`), and
//! each worker thread runs its own current-thread runtime (thread-per-core, no cross-thread
//! wake-ups per request). One acceptor thread hands connections to the workers in turn, so
//! the load generator's connections are always spread evenly (`SO_REUSEPORT` hashing is not:
//! an unlucky split makes one worker the bottleneck and the reference moves between runs).
//!
//! Any other invocation (`cargo bench` runs every bench with `--bench`) prints the usage and
//! exits successfully, so `cargo bench` never starts a server that does not stop.

#[path = "support/bodies.rs"]
mod bodies;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::mpsc;

const USAGE: &str = "usage: mock_backend serve [--port 9100] [--threads 2]\n\
                     (the mock backend of scripts/bench-load.sh; see BENCHMARKS.md)";

/// The fixed answers, by path.
struct Routes {
    kb: Bytes,
    kb_100: Bytes,
    mb: Bytes,
    a: Bytes,
    b: Bytes,
    c: Bytes,
}

impl Routes {
    fn new() -> Self {
        Routes {
            kb: bodies::catalogue(bodies::KB).into(),
            kb_100: bodies::catalogue(bodies::KB_100).into(),
            mb: bodies::catalogue(bodies::MB).into(),
            a: bodies::profile().into(),
            b: bodies::orders().into(),
            c: bodies::preferences().into(),
        }
    }

    fn body(&self, path: &str) -> Option<&Bytes> {
        Some(match path {
            "/1kb" => &self.kb,
            "/100kb" => &self.kb_100,
            "/1mb" => &self.mb,
            "/a" => &self.a,
            "/b" => &self.b,
            "/c" => &self.c,
            _ => return None,
        })
    }

    fn respond(&self, path: &str) -> Response<Full<Bytes>> {
        let (status, body) = match self.body(path) {
            Some(b) => (StatusCode::OK, b.clone()),
            None => (StatusCode::NOT_FOUND, Bytes::from_static(b"{}")),
        };
        let mut resp = Response::new(Full::new(body));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        resp
    }
}

struct Args {
    port: u16,
    threads: usize,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("serve") {
        return Ok(None);
    }
    let mut parsed = Args {
        port: 9100,
        threads: 2,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => parsed.port = value.parse().map_err(|_| format!("bad port {value}"))?,
            "--threads" => {
                parsed.threads = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("bad thread count {value}"))?;
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Some(parsed))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("mock_backend: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let routes: &'static Routes = Box::leak(Box::new(Routes::new()));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock_backend: cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut workers = Vec::with_capacity(args.threads);
    for _ in 0..args.threads {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<std::net::TcpStream>();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || worker(rx, routes, ready_tx));
        match ready_rx.recv() {
            Ok(Ok(())) => workers.push(tx),
            Ok(Err(e)) => {
                eprintln!("mock_backend: cannot start a worker: {e}");
                return ExitCode::FAILURE;
            }
            Err(_) => return ExitCode::FAILURE,
        }
    }
    println!(
        "mock backend listening on {addr} ({} threads); bodies: /1kb {} B, /100kb {} B, /1mb {} B, /a {} B, /b {} B, /c {} B",
        args.threads,
        routes.kb.len(),
        routes.kb_100.len(),
        routes.mb.len(),
        routes.a.len(),
        routes.b.len(),
        routes.c.len()
    );
    // Blocking accepts on this thread; connection i goes to worker i mod threads.
    for (stream, worker) in listener.incoming().zip(workers.iter().cycle()) {
        let Ok(stream) = stream else { continue };
        if worker.send(stream).is_err() {
            eprintln!("mock_backend: a worker stopped");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// One thread: a current-thread runtime serving the connections the acceptor hands it.
fn worker(
    mut connections: tokio::sync::mpsc::UnboundedReceiver<std::net::TcpStream>,
    routes: &'static Routes,
    ready: mpsc::Sender<std::io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ready.send(Ok(()));
    runtime.block_on(async move {
        while let Some(stream) = connections.recv().await {
            let _ = stream.set_nodelay(true);
            if stream.set_nonblocking(true).is_err() {
                continue;
            }
            let Ok(stream) = tokio::net::TcpStream::from_std(stream) else {
                continue;
            };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let resp = routes.respond(req.uri().path());
                    async move {
                        // Read the request body as a real backend does: hyper closes a
                        // connection whose request body was left unread, and a benchmark of
                        // POSTs would then measure reconnections.
                        let _ = req.into_body().collect().await;
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
