//! How accepted connections are served when the contract asks for more than HTTP/1.1 in clear:
//! TLS (HTTP/2 or HTTP/1.1 by ALPN) or h2c (HTTP/2 with prior knowledge beside HTTP/1.1).

use super::TransportSpec;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use std::sync::Arc;
use std::time::Duration;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the listener speaks.
#[derive(Clone)]
pub struct Listener {
    tls: Option<tokio_rustls::TlsAcceptor>,
    h2c: bool,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("tls", &self.tls.is_some())
            .field("h2c", &self.h2c)
            .finish()
    }
}

impl Listener {
    /// HTTP/1.1 in clear.
    pub fn plain() -> Self {
        Listener {
            tls: None,
            h2c: false,
        }
    }

    /// The listener of `spec`, its certificates and keys read now.
    pub fn of(spec: &TransportSpec) -> Result<Self, String> {
        let tls = match spec.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(super::server_config(t)?)),
            None => None,
        };
        Ok(Listener { tls, h2c: spec.h2c })
    }

    /// A listener for `config` (tests serving mock https backends).
    pub fn tls(config: Arc<rustls::ServerConfig>) -> Self {
        Listener {
            tls: Some(tokio_rustls::TlsAcceptor::from(config)),
            h2c: false,
        }
    }

    /// Plain HTTP/1.1, served by the server's own HTTP/1 path.
    pub fn is_plain_http1(&self) -> bool {
        self.tls.is_none() && !self.h2c
    }

    /// What the start-up log line says about the listener.
    pub fn describe(&self) -> &'static str {
        match (self.tls.is_some(), self.h2c) {
            (true, _) => "HTTPS (HTTP/2 and HTTP/1.1 by ALPN)",
            (false, true) => "HTTP/1.1 and h2c",
            (false, false) => "HTTP/1.1",
        }
    }

    /// Serves `stream` with `svc` in a task: the TLS handshake (bounded by `handshake`), then
    /// HTTP/1.1 or HTTP/2. `watcher` drains it on shutdown; `guard` is dropped when it ends.
    pub fn spawn<S, G>(
        &self,
        stream: tokio::net::TcpStream,
        svc: S,
        http: &HttpSettings,
        watcher: Watcher,
        guard: G,
    ) where
        S: hyper::service::Service<
                http::Request<Incoming>,
                Response = axum::response::Response,
                Error = BoxError,
            > + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        G: Send + 'static,
    {
        let builder = http.builder();
        let tls = self.tls.clone();
        let handshake = http.header_timeout;
        tokio::spawn(async move {
            match tls {
                None => {
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
                Some(acceptor) => {
                    let tls = match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        // A failed handshake (no client certificate, no common version) is the
                        // client's problem: closed without a log line, as Go's server does.
                        _ => return,
                    };
                    let conn = builder.serve_connection(TokioIo::new(tls), svc);
                    let _ = watcher.watch(conn.into_owned()).await;
                }
            }
            drop(guard);
        });
    }
}

/// The HTTP settings of both protocols.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub header_timeout: Duration,
    pub max_header_bytes: usize,
}

impl HttpSettings {
    fn builder(&self) -> auto::Builder<TokioExecutor> {
        let mut b = auto::Builder::new(TokioExecutor::new());
        b.http1()
            .timer(TokioTimer::new())
            .header_read_timeout(Some(self.header_timeout))
            .max_buf_size(self.max_header_bytes.max(8192));
        b.http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(self.max_header_bytes).unwrap_or(u32::MAX));
        b
    }
}
