//! The connector of the backend client: plain TCP for http, rustls for https. When the TLS
//! configuration could not be built, http backends still work and an https call fails with
//! the set-up error (logged once at start-up) instead of a panic or a silently weaker client.

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A backend connection: TCP, or TLS over TCP.
///
/// It tells the pool what the connection is (proxied, HTTP/2 by ALPN) but carries no extra:
/// hyper-util's TCP connection would add its addresses (`HttpInfo`), which the pool copies
/// into the extensions of every answer on the connection (an allocated map per backend call
/// that nothing here reads).
pub struct Stream(MaybeHttpsStream<TokioIo<TcpStream>>);

impl Connection for Stream {
    fn connected(&self) -> Connected {
        let inner = self.0.connected();
        let connected = Connected::new().proxy(inner.is_proxied());
        if inner.is_negotiated_h2() {
            connected.negotiated_h2()
        } else {
            connected
        }
    }
}

impl Read for Stream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl Write for Stream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// TCP (+ TLS) connections to backends. One pointer: hyper-util clones the connector into
/// every request's future (whether or not the request connects), so its size and clone cost
/// are paid per backend call.
#[derive(Clone)]
pub struct Connector(Arc<Inner>);

enum Inner {
    Tls(HttpsConnector<HttpConnector>),
    /// No TLS: the reason is the error of every https connection.
    PlainOnly(HttpConnector, Arc<str>),
}

impl Connector {
    /// TCP with `TCP_NODELAY` and 30 s keep-alive probes (Go's dialer), TLS from
    /// [`super::tls::config`].
    pub fn new() -> Self {
        Connector::with_tls(super::tls::config())
    }

    /// TCP as [`Connector::new`], TLS from `tls`.
    pub fn with_tls(tls: &Result<Arc<rustls::ClientConfig>, String>) -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_keepalive(Some(std::time::Duration::from_secs(30)));
        Connector(Arc::new(match tls {
            Ok(config) => Inner::Tls(
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((**config).clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(http),
            ),
            Err(e) => Inner::PlainOnly(http, Arc::from(e.as_str())),
        }))
    }
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Inner::Tls(_) => f.write_str("Connector::Tls"),
            Inner::PlainOnly(_, e) => write!(f, "Connector::PlainOnly({e:?})"),
        }
    }
}

impl tower::Service<http::Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    /// Always ready, as hyper-util's and hyper-rustls' connectors are.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        // A connection is being made: the connector is cloned out of the shared one here only.
        match &*self.0 {
            Inner::Tls(c) => {
                let fut = c.clone().call(dst);
                Box::pin(async move { fut.await.map(Stream) })
            }
            Inner::PlainOnly(c, why) => {
                if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
                    let why = why.clone();
                    return Box::pin(async move { Err(why.to_string().into()) });
                }
                let fut = c.clone().call(dst);
                Box::pin(async move {
                    fut.await
                        .map(|s| Stream(MaybeHttpsStream::Http(s)))
                        .map_err(Into::into)
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::Service;

    #[tokio::test]
    async fn a_connection_tells_the_pool_no_extra() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let accepted = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        let uri: http::Uri = format!("http://{addr}/").parse().expect("uri");
        let stream = Connector::new().call(uri).await.expect("connect");
        accepted.await.expect("join").expect("accept");
        let connected = stream.connected();
        assert!(!connected.is_proxied() && !connected.is_negotiated_h2());
        // hyper-util's TCP connection would add its `HttpInfo` to every answer's extensions.
        let mut extensions = http::Extensions::new();
        connected.get_extras(&mut extensions);
        assert!(extensions.is_empty());
    }

    #[tokio::test]
    async fn without_tls_an_https_call_fails_with_the_set_up_error() {
        let mut c = Connector::with_tls(&Err("no roots here".to_owned()));
        let uri: http::Uri = "https://127.0.0.1:1/".parse().expect("uri");
        match c.call(uri).await {
            Err(e) => assert_eq!(e.to_string(), "no roots here"),
            Ok(_) => panic!("an https connection without TLS"),
        }
    }
}
