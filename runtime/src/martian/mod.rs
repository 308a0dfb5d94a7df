//! `modifier/martian` (backend level; spec: security-and-traffic.md §11): the small mechanisms
//! that a backend's martian config is compiled into. The config itself is a tree known at build
//! time, so codegen emits it as straight-line code: one `fn` over the final backend request and
//! one over the raw backend answer, per backend, calling the primitives of [`modifiers`] and the
//! conditions of [`filters`] in the contract's order. Nothing here walks a config.
//!
//! Where it runs ([`exchange`], called from `backend::send`): request modifiers see the request
//! after all forwarding filters (so what they add always reaches the backend); response
//! modifiers see the answer before the status check and decoding (so a `status.Modifier` can
//! turn a 404 into a 200).
//!
//! With `qos/http-cache`: the cache sits around [`exchange`] as a whole, so it stores what the
//! response modifiers made (a martian `Cache-Control` makes an answer cacheable: the training
//! deck's pattern). KrakenD CE (krakend-ce `backend_factory.go`) wraps the cached client with
//! martian instead, so its cache sees only the backend's own headers; README (qos/http-cache)
//! states the difference.

pub mod filters;
pub(crate) mod go_url;
pub mod modifiers;

use crate::backend::BackendError;
use crate::client::{self, Answer, Client};
use bytes::Bytes;
use http::uri::Scheme;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};

pub use filters::*;
pub use modifiers::*;

/// The martian config of one backend, compiled: its request side and its response side (each
/// absent when no entry has that scope).
#[derive(Debug)]
pub struct Martian {
    pub request: Option<RequestSide>,
    pub response: Option<ResponseSide>,
}

/// The generated request side of a backend's config.
pub type RequestSide = fn(&mut Request) -> Result<(), Error>;
/// The generated response side of a backend's config.
pub type ResponseSide = fn(&mut Response<'_>) -> Result<(), Error>;

/// A modifier's failure: it fails the backend call with this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

/// The errors a `fifo.Group` with `aggregateErrors` collects while it keeps going; they are
/// reported together, one per line (martian's `MultiError`).
#[derive(Debug, Default)]
pub struct Errors(Vec<String>);

impl Errors {
    pub fn new() -> Self {
        Errors(Vec::new())
    }

    /// Keeps the error of one step, if any.
    pub fn push(&mut self, r: Result<(), Error>) {
        if let Err(e) = r {
            self.0.push(e.0);
        }
    }

    /// `Ok` when no step failed, else every message joined by newlines.
    pub fn finish(self) -> Result<(), Error> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Error(self.0.join("\n")))
        }
    }
}

/// The backend request as the martian request modifiers see and change it.
#[derive(Debug)]
pub struct Request {
    pub scheme: Scheme,
    /// The URL's `host[:port]` (where the request goes; the `Host` header keeps the original).
    pub host: String,
    /// The URL path, escaped as it goes on the wire.
    pub path: String,
    /// The raw query, without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// A `body.Modifier` set the body: it goes with a `Content-Length`.
    pub(crate) body_set: bool,
    /// A `static.Modifier` answers this request: no round trip.
    pub(crate) skip_round_trip: bool,
}

impl Request {
    fn new(uri: &Uri, headers: HeaderMap, body: Bytes) -> Self {
        Request {
            scheme: uri.scheme().cloned().unwrap_or(Scheme::HTTP),
            host: uri
                .authority()
                .map(|a| a.as_str().to_owned())
                .unwrap_or_default(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or_default().to_owned(),
            headers,
            body,
            body_set: false,
            skip_round_trip: false,
        }
    }

    /// The URL as Go's `URL.String()` writes it.
    pub fn url(&self) -> String {
        let mut s = format!("{}://{}", self.scheme.as_str(), self.host);
        if !self.path.is_empty() && !self.path.starts_with('/') {
            s.push('/');
        }
        s.push_str(&self.path);
        if !self.query.is_empty() {
            s.push('?');
            s.push_str(&self.query);
        }
        s
    }
}

/// The raw backend answer as the response modifiers see and change it, with the request that
/// got it (some filters and modifiers look at the request).
#[derive(Debug)]
pub struct Response<'a> {
    pub answer: &'a mut Answer,
    pub request: &'a Request,
}

/// Runs the request modifiers on the final backend request, sends it (unless a
/// `static.Modifier` answers it), and runs the response modifiers on the raw answer. A
/// modifier's error fails the call.
pub async fn exchange(
    client: &Client,
    martian: &'static Martian,
    out: client::Request<'_>,
) -> Result<Answer, BackendError> {
    let original_host = out.uri.authority().map(|a| a.as_str().to_owned());
    // A backend with martian gets the buffered body (codegen streams no body to it).
    let body = match out.body {
        client::ReqBody::Buffered(b) => b,
        client::ReqBody::Streamed { .. } => {
            return Err(BackendError::plain(
                "modifier/martian needs a buffered request body",
            ))
        }
    };
    let mut req = Request::new(&out.uri, out.headers.clone(), body);
    if let Some(modify) = martian.request {
        modify(&mut req).map_err(|e| BackendError::plain(e.0))?;
    }
    let uri = rebuild_uri(&req)?;
    let mut answer = if req.skip_round_trip {
        Answer::buffered(StatusCode::OK, HeaderMap::new(), uri, Bytes::new())
    } else {
        let mut headers = req.headers.clone();
        // Go keeps `req.Host`: a modifier that moves the URL elsewhere keeps the Host header.
        if let Some(h) = original_host.filter(|h| *h != req.host) {
            if !headers.contains_key(http::header::HOST) {
                if let Ok(v) = HeaderValue::from_str(&h) {
                    headers.insert(http::header::HOST, v);
                }
            }
        }
        client
            .send(client::Request {
                method: out.method,
                uri,
                headers: &headers,
                overrides: &[],
                body: client::ReqBody::Buffered(req.body.clone()),
                known_length: out.known_length || req.body_set,
                replayable: out.replayable || req.body_set,
            })
            .await
            .map_err(|e| BackendError::plain(e.message))?
    };
    if let Some(modify) = martian.response {
        modify(&mut Response {
            answer: &mut answer,
            request: &req,
        })
        .map_err(|e| BackendError::plain(e.0))?;
    }
    Ok(answer)
}

fn rebuild_uri(req: &Request) -> Result<Uri, BackendError> {
    let scheme = req.scheme.as_str();
    if scheme != "http" && scheme != "https" {
        return Err(BackendError::plain(format!(
            "unsupported protocol scheme {scheme:?}"
        )));
    }
    req.url()
        .parse::<Uri>()
        .map_err(|e| BackendError::plain(format!("invalid backend URL: {e}")))
}
