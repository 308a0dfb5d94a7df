//! How accepted connections are served when the contract asks for more than HTTP/1.1 in clear:
//! TLS (HTTP/2 or HTTP/1.1 by ALPN) or h2c (HTTP/2 with prior knowledge beside HTTP/1.1).

use super::drain::Watcher;
use super::TransportSpec;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
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
    /// HTTP/2 (ALPN `h2`, or the h2c preface) or HTTP/1.1. `watcher` tells the connection when
    /// the server stops (HTTP/2: GOAWAY, then its open streams finish) and keeps the server's
    /// drain waiting for it; `guard` is dropped when it ends.
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
        let http = http.clone();
        let tls = self.tls.clone();
        let h2c = self.h2c;
        tokio::spawn(async move {
            match tls {
                None => {
                    let h2 = h2c && h2c_preface(&stream, http.header_timeout).await;
                    serve(TokioIo::new(stream), h2, svc, &http, watcher).await;
                }
                Some(acceptor) => {
                    let handshake = http.header_timeout;
                    let tls = match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(s)) => s,
                        // A failed handshake (no client certificate, no common version) is the
                        // client's problem: closed without a log line, as Go's server does.
                        _ => return,
                    };
                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                    serve(TokioIo::new(tls), h2, svc, &http, watcher).await;
                }
            }
            drop(guard);
        });
    }
}

/// One connection: HTTP/2 with hyper's HTTP/2 server, else HTTP/1.1 (the same settings as the
/// plain listener's).
async fn serve<I, S>(io: I, h2: bool, svc: S, http: &HttpSettings, watcher: Watcher)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    S: hyper::service::Service<
            http::Request<Incoming>,
            Response = axum::response::Response,
            Error = BoxError,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    if !h2 {
        let mut b = hyper::server::conn::http1::Builder::new();
        b.timer(TokioTimer::new())
            .header_read_timeout(Some(http.header_timeout))
            .max_buf_size(http.max_header_bytes.max(8192));
        let _ = watcher.watch(b.serve_connection(io, svc)).await;
        return;
    }
    let conn = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(http.max_header_bytes).unwrap_or(u32::MAX))
        .serve_connection(io, svc);
    let _ = watcher.watch(conn).await;
}

/// HTTP/2's connection preface, which an h2c client with prior knowledge sends first.
const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether `stream` starts with [`PREFACE`] (read without consuming it): as soon as the bytes
/// that arrived differ from it, or all of it arrived; `false` when nothing decides within
/// `wait` (the HTTP/1.1 server's header timeout then applies).
async fn h2c_preface(stream: &tokio::net::TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 24];
    let decide = async {
        loop {
            let n = match stream.peek(&mut buf).await {
                Ok(0) | Err(_) => return false,
                Ok(n) => n,
            };
            let (Some(seen), Some(expected)) = (buf.get(..n), PREFACE.get(..n)) else {
                return false;
            };
            if seen != expected {
                return false;
            }
            if n == PREFACE.len() {
                return true;
            }
            // Part of the preface so far: wait for more (peek would return at once).
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(wait, decide).await.unwrap_or(false)
}

/// The HTTP settings of both protocols.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub header_timeout: Duration,
    pub max_header_bytes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_h2c_preface_is_told_from_http1() {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        for (sent, h2) in [
            (&PREFACE[..], true),
            (&b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..], false),
            (&b"PRI * HTTP/1.1\r\n\r\n"[..], false),
        ] {
            let mut client = tokio::net::TcpStream::connect(addr).await.expect("connect");
            let (server, _) = listener.accept().await.expect("accept");
            // The preface in two writes, as a slow client may send it.
            let (a, b) = sent.split_at(sent.len() / 2);
            tokio::io::AsyncWriteExt::write_all(&mut client, a)
                .await
                .expect("write");
            // The server side is handed back: dropped early, it would reset the second write.
            let told = tokio::spawn(async move {
                (h2c_preface(&server, Duration::from_secs(5)).await, server)
            });
            tokio::time::sleep(Duration::from_millis(20)).await;
            tokio::io::AsyncWriteExt::write_all(&mut client, b)
                .await
                .expect("write");
            let (told, _server) = told.await.expect("join");
            assert_eq!(told, h2, "{sent:?}");
        }
    }
}
