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
            Inner::Tls(c) => c.clone().call(dst),
            Inner::PlainOnly(c, why) => {
                if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
                    let why = why.clone();
                    return Box::pin(async move { Err(why.to_string().into()) });
                }
                let fut = c.clone().call(dst);
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
        let mut c = Connector::with_tls(&Err("no roots here".to_owned()));
        let uri: http::Uri = "https://127.0.0.1:1/".parse().expect("uri");
        match c.call(uri).await {
            Err(e) => assert_eq!(e.to_string(), "no roots here"),
            Ok(_) => panic!("an https connection without TLS"),
        }
    }
}
