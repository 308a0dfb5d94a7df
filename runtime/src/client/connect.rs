//! The connector of the backend client: plain TCP for http, rustls for https. When the TLS
//! configuration could not be built, http backends still work and an https call fails with
//! the set-up error (logged once at start-up) instead of a panic or a silently weaker client.

use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A backend connection.
pub type Stream = MaybeHttpsStream<TokioIo<TcpStream>>;

/// TCP (+ TLS) connections to backends.
#[derive(Clone)]
pub enum Connector {
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
        match tls {
            Ok(config) => Connector::Tls(
                hyper_rustls::HttpsConnectorBuilder::new()
                    .with_tls_config((**config).clone())
                    .https_or_http()
                    .enable_http1()
                    .wrap_connector(http),
            ),
            Err(e) => Connector::PlainOnly(http, Arc::from(e.as_str())),
        }
    }
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Connector::Tls(_) => f.write_str("Connector::Tls"),
            Connector::PlainOnly(_, e) => write!(f, "Connector::PlainOnly({e:?})"),
        }
    }
}

impl tower::Service<http::Uri> for Connector {
    type Response = Stream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Connector::Tls(c) => c.poll_ready(cx),
            Connector::PlainOnly(c, _) => c.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        match self {
            Connector::Tls(c) => c.call(dst),
            Connector::PlainOnly(c, why) => {
                if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
                    let why = why.clone();
                    return Box::pin(async move { Err(why.to_string().into()) });
                }
                let fut = c.call(dst);
                Box::pin(async move { fut.await.map(MaybeHttpsStream::Http).map_err(Into::into) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::Service;

    #[tokio::test]
    async fn without_tls_an_https_call_fails_with_the_set_up_error() {
        let mut c = Connector::PlainOnly(HttpConnector::new(), Arc::from("no roots here"));
        let uri: http::Uri = "https://127.0.0.1:1/".parse().expect("uri");
        match c.call(uri).await {
            Err(e) => assert_eq!(e.to_string(), "no roots here"),
            Ok(_) => panic!("an https connection without TLS"),
        }
    }
}
