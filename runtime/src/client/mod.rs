//! The backend HTTP client: hyper-util's pooled client behind one small API, behaving on the
//! wire as KrakenD's Go `net/http` client (spec: routing-and-forwarding.md §3, §8).
//!
//! - Hosts are parsed once ([`Base`]); a call joins a parsed base with the path and query the
//!   URL template rendered, without parsing a whole URL.
//! - Headers are the caller's, plus what Go's transport adds: `User-Agent: Go-http-client/1.1`
//!   when none is given, `Accept-Encoding: gzip` when no `Accept-Encoding` or `Range` is given
//!   and the method is not HEAD (a gzip answer is then decoded and loses its
//!   `Content-Encoding`/`Content-Length`), `Content-Length` or chunked framing as Go writes
//!   them. Header names go out in canonical case (`X-User-Id`).
//! - Redirects are followed as Go's client does: at most 10, 301/302/303 turn other methods
//!   into a GET without body, 307/308 keep method and body (only when the body may be resent),
//!   `Referer` is added, credentials are dropped when the host changes.

mod body;
mod connect;
pub mod tls;

pub use body::{with_deadline, BoxStream, OutBody};

use bytes::Bytes;
use http::header::{
    HeaderName, HeaderValue, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH,
    COOKIE, HOST, LOCATION, RANGE, REFERER, TRANSFER_ENCODING, USER_AGENT, WWW_AUTHENTICATE,
};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Method, StatusCode, Uri};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as Pool;
use hyper_util::rt::{TokioExecutor, TokioTimer};

/// Requests sent (the first and the redirected ones) before Go's client gives up.
const MAX_REDIRECTS: usize = 10;
const GO_USER_AGENT: HeaderValue = HeaderValue::from_static("Go-http-client/1.1");
const GZIP: HeaderValue = HeaderValue::from_static("gzip");
const COOKIE2: HeaderName = HeaderName::from_static("cookie2");

/// Why a backend request failed, in Go's wording where it matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientError {
    pub message: String,
}

impl ClientError {
    pub fn new(message: impl Into<String>) -> Self {
        ClientError {
            message: message.into(),
        }
    }

    fn too_large(limit: usize) -> Self {
        ClientError::new(format!("backend response body larger than {limit} bytes"))
    }

    fn from_hyper(e: &(dyn std::error::Error + 'static)) -> Self {
        ClientError::new(error_chain(e))
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An error and its sources, `: `-joined, without hyper-util's bare wrapper texts.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        let text = err.to_string();
        if !text.starts_with("client error (") && !parts.contains(&text) {
            parts.push(text);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// A backend host (`http://users:8080`, `https://api/v1`), parsed once: scheme, authority and
/// a base path (no trailing `/`) that the url_pattern path is appended to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    pub scheme: Scheme,
    pub authority: Authority,
    pub path: String,
}

impl Base {
    /// Parses a contract host. A host without a scheme is `http://`, as KrakenD's host
    /// sanitising makes it.
    pub fn parse(host: &str) -> Result<Base, ClientError> {
        let with_scheme = if host.contains("://") {
            host.to_owned()
        } else {
            format!("http://{host}")
        };
        let uri: Uri = with_scheme
            .parse()
            .map_err(|e| ClientError::new(format!("invalid backend host {host:?}: {e}")))?;
        let parts = uri.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(ClientError::new(format!(
                "invalid backend host {host:?}: no scheme or authority"
            )));
        };
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(ClientError::new(format!(
                "unsupported protocol scheme {:?}",
                scheme.as_str()
            )));
        }
        let path = parts
            .path_and_query
            .map(|p| p.path().trim_end_matches('/').to_owned())
            .unwrap_or_default();
        Ok(Base {
            scheme,
            authority,
            path,
        })
    }

    /// This base with `path_and_query` (rendered after [`Base::path`]).
    pub fn uri(&self, path_and_query: String) -> Result<Uri, ClientError> {
        let pq = PathAndQuery::from_maybe_shared(Bytes::from(path_and_query))
            .map_err(|e| ClientError::new(format!("invalid backend URL: {e}")))?;
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(pq)
            .build()
            .map_err(|e| ClientError::new(format!("invalid backend URL: {e}")))
    }
}

/// One backend request.
#[derive(Debug)]
pub struct Request<'a> {
    pub method: Method,
    pub uri: Uri,
    /// The headers the gateway forwards (the client adds Go's transport headers).
    pub headers: &'a HeaderMap,
    /// Headers set over the forwarded ones (the trace context a traced backend call writes):
    /// each name drops the forwarded header of that name and, with a value, is sent with it.
    /// Written straight into the outgoing request's headers (no copied header map).
    pub overrides: &'a [(&'static HeaderName, Option<HeaderValue>)],
    pub body: ReqBody,
    /// The client's `Content-Length` was forwarded: the body goes with a `Content-Length`
    /// (else chunked, as Go sends a body of unknown size).
    pub known_length: bool,
    /// `send_body_on_redirect`: the body is buffered for a resend, so its length is known
    /// (Content-Length) and a 307/308 is followed with it.
    pub replayable: bool,
}

/// `headers` with `overrides` set over them ([`Request::overrides`]), for code that needs the
/// final map (a copy: not for the usual request path).
pub fn with_overrides(
    headers: &HeaderMap,
    overrides: &[(&'static HeaderName, Option<HeaderValue>)],
) -> HeaderMap {
    let mut out = headers.clone();
    for &(name, ref value) in overrides {
        match value {
            Some(v) => {
                out.insert(name, v.clone());
            }
            None => {
                out.remove(name);
            }
        }
    }
    out
}

/// The body of a backend request.
pub enum ReqBody {
    /// Buffered: sent again on a followed 307/308 when `replayable`.
    Buffered(Bytes),
    /// The client's body as it arrives (a `no-op` endpoint), sent once; `length` is the
    /// client's `Content-Length` when known. A 307/308 is not followed with it (Go's client
    /// cannot rewind such a body either), unless it is empty.
    Streamed {
        stream: BoxStream,
        length: Option<u64>,
    },
}

impl std::fmt::Debug for ReqBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReqBody::Buffered(b) => f.debug_tuple("Buffered").field(&b.len()).finish(),
            ReqBody::Streamed { length, .. } => {
                f.debug_struct("Streamed").field("length", length).finish()
            }
        }
    }
}

impl ReqBody {
    /// Known to be empty.
    fn is_empty(&self) -> bool {
        match self {
            ReqBody::Buffered(b) => b.is_empty(),
            ReqBody::Streamed { length, .. } => *length == Some(0),
        }
    }

    /// The body for this attempt; a streamed body is handed out once (then empty).
    fn take(&mut self, exact: bool) -> (OutBody, Option<u64>) {
        match self {
            ReqBody::Buffered(b) => (OutBody::new(b.clone(), exact), Some(b.len() as u64)),
            ReqBody::Streamed { length, .. } => {
                let length = *length;
                let taken = std::mem::replace(self, ReqBody::Buffered(Bytes::new()));
                match taken {
                    ReqBody::Streamed { stream, .. } => {
                        (OutBody::streamed(stream, length.filter(|_| exact)), length)
                    }
                    ReqBody::Buffered(_) => (OutBody::new(Bytes::new(), exact), Some(0)),
                }
            }
        }
    }
}

/// A backend answer whose body has not been read yet.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The URL that gave this answer (after redirects).
    pub url: Uri,
    body: AnswerBody,
    /// The client asked for gzip and got it: the body is decoded on reading.
    gzip: bool,
}

/// Where an answer's body comes from: the wire, or bytes already in memory (a body a
/// `modifier/martian` response modifier set, or an answer made without a round trip).
#[derive(Debug)]
enum AnswerBody {
    Wire(Incoming),
    Buffered(Bytes),
}

impl Answer {
    /// An answer whose body is already in memory.
    pub fn buffered(status: StatusCode, headers: HeaderMap, url: Uri, body: Bytes) -> Self {
        Answer {
            status,
            headers,
            url,
            body: AnswerBody::Buffered(body),
            gzip: false,
        }
    }

    /// Replaces the body (the one on the wire is dropped unread).
    pub fn set_body(&mut self, body: Bytes) {
        self.body = AnswerBody::Buffered(body);
        self.gzip = false;
    }

    /// The whole body, at most `limit` bytes after decoding.
    pub async fn bytes(self, limit: usize) -> Result<Bytes, ClientError> {
        self.split().3.bytes(limit).await
    }

    /// Status, headers, URL and the unread body apart: the body's reading then holds nothing
    /// else.
    pub fn split(self) -> (StatusCode, HeaderMap, Uri, UnreadBody) {
        let body = UnreadBody {
            body: self.body,
            gzip: self.gzip,
        };
        (self.status, self.headers, self.url, body)
    }

    /// Status, headers and the body as a stream that fails past `deadline`.
    pub fn into_stream(
        self,
        deadline: tokio::time::Instant,
    ) -> (
        StatusCode,
        HeaderMap,
        impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send,
    ) {
        use futures_util::StreamExt;
        let stream = match self.body {
            AnswerBody::Wire(b) => body::stream(b, self.gzip, deadline).left_stream(),
            AnswerBody::Buffered(b) => {
                futures_util::stream::once(std::future::ready(Ok(b))).right_stream()
            }
        };
        (self.status, self.headers, stream)
    }
}

/// An answer's body, not read yet ([`Answer::split`]).
#[derive(Debug)]
pub struct UnreadBody {
    body: AnswerBody,
    gzip: bool,
}

impl UnreadBody {
    /// The whole body, at most `limit` bytes after decoding.
    pub async fn bytes(self, limit: usize) -> Result<Bytes, ClientError> {
        match self.body {
            AnswerBody::Wire(b) => body::read(b, self.gzip, limit).await,
            AnswerBody::Buffered(b) if b.len() > limit => Err(ClientError::too_large(limit)),
            AnswerBody::Buffered(b) => Ok(b),
        }
    }
}

/// The pooled backend client of one core.
#[derive(Debug, Clone)]
pub struct Client {
    pool: Pool<connect::Connector, OutBody>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// Keep-alive pool (250 idle connections per host, 90 s idle, as KrakenD's transport),
    /// HTTP/1.1, canonical header case on the wire.
    pub fn new() -> Self {
        Client::with_tls(tls::config())
    }

    /// [`Client::new`] with this TLS configuration for https backends (`Err`: why https
    /// backends cannot be called).
    pub fn with_tls(tls: &Result<std::sync::Arc<rustls::ClientConfig>, String>) -> Self {
        let pool = Pool::builder(TokioExecutor::new())
            .pool_max_idle_per_host(250)
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            .http1_title_case_headers(true)
            .build(connect::Connector::with_tls(tls));
        Client { pool }
    }

    /// Sends `req`, following redirects as Go does.
    pub async fn send(&self, req: Request<'_>) -> Result<Answer, ClientError> {
        let mut method = req.method;
        // Go names the original method in every error of the call.
        let first_method = method.clone();
        let mut uri = req.uri;
        let mut body = req.body;
        let mut referer: Option<HeaderValue> = None;
        let mut strip_credentials = false;
        // Known only once a redirect is followed (a String per call otherwise).
        let mut first_host: Option<String> = None;
        let mut redirects = 0;
        loop {
            // Scoped: the header map and the request are moved into hyper-util's future, and
            // nothing of them is kept beside it (this future is part of every call's state).
            let empty = body.is_empty();
            let (sent, gzip) = {
                let (mut headers, present) =
                    outgoing(req.headers, req.overrides, strip_credentials);
                // The transport's headers, each where the request has none: found in the one pass
                // of `outgoing` over the headers, so a present one costs no lookup.
                if !present.host {
                    if let Some(host) = host_header(&uri) {
                        headers.append(HOST, host);
                    }
                }
                if !present.user_agent {
                    headers.append(USER_AGENT, GO_USER_AGENT);
                }
                if let (Some(r), false) = (&referer, present.referer) {
                    headers.append(REFERER, r.clone());
                }
                let exact = req.replayable || req.known_length;
                let (out_body, length) = body.take(exact);
                if empty {
                    if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
                    }
                } else if let (true, Some(n)) = (exact, length) {
                    headers.insert(CONTENT_LENGTH, HeaderValue::from(n));
                }
                // Go asks for gzip itself (and decodes it) unless the request has its own
                // Accept-Encoding, asks for a range, or is a HEAD.
                let gzip = method != Method::HEAD
                    && !present.range
                    && match present.accept_encoding {
                        None => {
                            headers.append(ACCEPT_ENCODING, GZIP);
                            true
                        }
                        Some(Presence::Empty) => {
                            headers.insert(ACCEPT_ENCODING, GZIP);
                            true
                        }
                        Some(Presence::Set) => false,
                    };

                let mut out = http::Request::new(out_body);
                *out.method_mut() = method.clone();
                *out.uri_mut() = uri.clone();
                *out.headers_mut() = headers;
                (self.pool.request(out), gzip)
            };
            let resp = sent
                .await
                .map_err(|e| ClientError::new(url_error(&first_method, &uri, &error_chain(&e))))?;

            let status = resp.status();
            let follow = match status.as_u16() {
                301..=303 => {
                    if method != Method::GET && method != Method::HEAD {
                        method = Method::GET;
                    }
                    body = ReqBody::Buffered(Bytes::new());
                    true
                }
                307 | 308 => empty || (req.replayable && matches!(body, ReqBody::Buffered(_))),
                _ => false,
            };
            let location = resp.headers().get(LOCATION).cloned();
            let (Some(location), true) = (location, follow) else {
                let (parts, incoming) = resp.into_parts();
                let mut headers = parts.headers;
                let decoded = gzip
                    && headers
                        .get(CONTENT_ENCODING)
                        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
                if decoded {
                    headers.remove(CONTENT_ENCODING);
                    headers.remove(CONTENT_LENGTH);
                }
                return Ok(Answer {
                    status,
                    headers,
                    url: uri,
                    body: AnswerBody::Wire(incoming),
                    gzip: decoded,
                });
            };
            let next = resolve(&uri, &location).map_err(|e| {
                ClientError::new(url_error(
                    &first_method,
                    &uri,
                    &format!(
                        "failed to parse Location header {:?}: {e}",
                        String::from_utf8_lossy(location.as_bytes())
                    ),
                ))
            })?;
            // Go checks before each follow-up request that fewer than 10 were sent.
            redirects += 1;
            if redirects >= MAX_REDIRECTS {
                return Err(ClientError::new(url_error(
                    &first_method,
                    &next,
                    "stopped after 10 redirects",
                )));
            }
            // Referer: the previous URL, unless going from https to http.
            referer =
                if uri.scheme() == Some(&Scheme::HTTPS) && next.scheme() != Some(&Scheme::HTTPS) {
                    None
                } else {
                    HeaderValue::from_str(&uri.to_string()).ok()
                };
            let next_host = next.host().map(str::to_ascii_lowercase).unwrap_or_default();
            // At the first redirect `uri` is still the first request's.
            let first_host = first_host
                .get_or_insert_with(|| uri.host().map(str::to_ascii_lowercase).unwrap_or_default());
            strip_credentials = !same_or_subdomain(&next_host, first_host);
            uri = next;
        }
    }
}

/// Go's `url.Error` text: `Get "http://host/path": <cause>`.
fn url_error(method: &Method, uri: &Uri, cause: &str) -> String {
    let m = method.as_str();
    let op = match m.split_at_checked(1) {
        Some((first, rest)) => format!("{first}{}", rest.to_ascii_lowercase()),
        None => m.to_owned(),
    };
    format!("{op} {:?}: {cause}", uri.to_string())
}

/// The forwarded headers as the request's own map: Content-Length and Transfer-Encoding left
/// out (Go writes them from the body, not the map), and the credentials after a redirect to
/// another host; then the overrides ([`Request::overrides`]) after them. Usually nothing is
/// left out, and a clone keeps the hashed table (no name hashed again). With it, which of the
/// headers the transport adds the map has already ([`Present`]).
fn outgoing(
    forwarded: &HeaderMap,
    overrides: &[(&'static HeaderName, Option<HeaderValue>)],
    strip_credentials: bool,
) -> (HeaderMap, Present) {
    let dropped = |name: &HeaderName| {
        name == CONTENT_LENGTH
            || name == TRANSFER_ENCODING
            || (strip_credentials && is_credential(name))
            || overrides.iter().any(|(n, _)| *n == name)
    };
    let mut present = Present::default();
    let mut any_dropped = false;
    // One pass over the names (a header's first value decides Accept-Encoding's emptiness,
    // as `HeaderMap::get` would).
    let mut previous: Option<&HeaderName> = None;
    for (name, value) in forwarded {
        if previous == Some(name) {
            continue;
        }
        previous = Some(name);
        if dropped(name) {
            any_dropped = true;
        } else {
            present.note(name, value);
        }
    }
    let mut headers = if any_dropped {
        let mut headers = HeaderMap::with_capacity(forwarded.len() + overrides.len() + 3);
        for (name, value) in forwarded {
            if !dropped(name) {
                headers.append(name.clone(), value.clone());
            }
        }
        headers
    } else {
        forwarded.clone()
    };
    for (name, value) in overrides {
        if let Some(v) = value {
            if !(strip_credentials && is_credential(name)) {
                present.note(name, v);
                headers.insert(*name, v.clone());
            }
        }
    }
    (headers, present)
}

/// Which of the headers the transport adds (or looks at) a request map has.
#[derive(Debug, Default, Clone, Copy)]
struct Present {
    host: bool,
    user_agent: bool,
    referer: bool,
    range: bool,
    /// `None`: absent.
    accept_encoding: Option<Presence>,
}

/// An Accept-Encoding header with an empty value is replaced (Go's transport treats it as
/// absent); one with a value is the client's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Presence {
    Empty,
    Set,
}

impl Present {
    fn note(&mut self, name: &HeaderName, value: &HeaderValue) {
        if name == HOST {
            self.host = true;
        } else if name == USER_AGENT {
            self.user_agent = true;
        } else if name == REFERER {
            self.referer = true;
        } else if name == RANGE {
            self.range = true;
        } else if name == ACCEPT_ENCODING {
            self.accept_encoding = Some(if value.as_bytes().is_empty() {
                Presence::Empty
            } else {
                Presence::Set
            });
        }
    }
}

fn is_credential(name: &HeaderName) -> bool {
    name == AUTHORIZATION || name == WWW_AUTHENTICATE || name == COOKIE || name == COOKIE2
}

/// The `Host` header Go writes for `uri`: its authority as written, port included, without
/// user information (hyper-util would format one per request, and drop a default port).
fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?.as_str();
    // The last few hosts of this thread, made once: a backend is called again and again, and
    // building the value (check, copy, allocation) cost more than the rest of the headers.
    thread_local! {
        static RECENT: std::cell::RefCell<Vec<(Box<str>, HeaderValue)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let hit = RECENT.with_borrow(|recent| {
        recent
            .iter()
            .find(|(a, _)| **a == *authority)
            .map(|(_, v)| v.clone())
    });
    if hit.is_some() {
        return hit;
    }
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let value = HeaderValue::from_str(host).ok()?;
    RECENT.with_borrow_mut(|recent| {
        if recent.len() >= RECENT_HOSTS {
            recent.remove(0);
        }
        recent.push((authority.into(), value.clone()));
    });
    Some(value)
}

/// How many `Host` values [`host_header`] keeps per thread.
const RECENT_HOSTS: usize = 8;

/// Go's rule for keeping credentials on a redirect: the same host or one of its subdomains.
fn same_or_subdomain(dest: &str, initial: &str) -> bool {
    dest == initial
        || dest
            .strip_suffix(initial)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// A Location resolved against the URL that answered it.
fn resolve(base: &Uri, location: &HeaderValue) -> Result<Uri, String> {
    let text = location.to_str().map_err(|e| e.to_string())?;
    let base = url::Url::parse(&base.to_string()).map_err(|e| e.to_string())?;
    let next = base.join(text).map_err(|e| e.to_string())?;
    match next.scheme() {
        "http" | "https" => {}
        other => return Err(format!("unsupported protocol scheme {other:?}")),
    }
    let mut s: String = next.into();
    if let Some(i) = s.find('#') {
        s.truncate(i);
    }
    s.parse::<Uri>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn bases_parse_once() {
        let b = Base::parse("http://users:8080/").unwrap();
        assert_eq!(b.authority.as_str(), "users:8080");
        assert_eq!(b.path, "");
        let b = Base::parse("https://api.example.com/v1/").unwrap();
        assert_eq!(b.scheme, Scheme::HTTPS);
        assert_eq!(b.path, "/v1");
        assert_eq!(
            b.uri("/v1/x?a=1".to_owned()).unwrap().to_string(),
            "https://api.example.com/v1/x?a=1"
        );
        assert_eq!(Base::parse("plain:81").unwrap().scheme, Scheme::HTTP);
        assert!(Base::parse("ftp://x").is_err());
    }

    #[test]
    fn host_header_is_the_url_host_as_go_writes_it() {
        let host = |u: &str| host_header(&u.parse().unwrap()).unwrap();
        // Go keeps a default port written in the URL (hyper-util would drop it).
        assert_eq!(host("http://api:80/x"), "api:80");
        assert_eq!(host("https://Api.Example:8443/"), "Api.Example:8443");
        assert_eq!(host("http://user:secret@h:81/p?q"), "h:81");
        assert_eq!(host("http://[::1]:9000/"), "[::1]:9000");
        assert_eq!(host("http://h/"), "h");
        // Kept per thread: the same answers again, and after more hosts than are kept.
        for round in 0..3 {
            for i in 0..(RECENT_HOSTS + 3) {
                assert_eq!(
                    host(&format!("http://h{i}:{round}/")),
                    format!("h{i}:{round}")
                );
                assert_eq!(host("http://user:secret@h:81/p?q"), "h:81");
                assert_eq!(host("http://other@h:81/"), "h:81");
                assert_eq!(host("http://api:80/x"), "api:80");
            }
        }
    }

    #[test]
    fn outgoing_notes_the_transport_headers_the_request_has() {
        let mut fwd = HeaderMap::new();
        fwd.append(ACCEPT_ENCODING, HeaderValue::from_static(""));
        fwd.append(ACCEPT_ENCODING, HeaderValue::from_static("br"));
        fwd.insert(RANGE, HeaderValue::from_static("bytes=0-1"));
        fwd.insert(CONTENT_LENGTH, HeaderValue::from_static("3"));
        fwd.insert(AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        let (headers, present) = outgoing(&fwd, &[], false);
        // The first Accept-Encoding value decides, as `HeaderMap::get` does.
        assert_eq!(present.accept_encoding, Some(Presence::Empty));
        assert!(present.range && !present.host && !present.user_agent && !present.referer);
        assert!(!headers.contains_key(CONTENT_LENGTH));
        assert_eq!(headers.get_all(ACCEPT_ENCODING).iter().count(), 2);
        assert!(headers.contains_key(AUTHORIZATION));
        // After a redirect to another host the credentials go; overrides count as present.
        let ua = HeaderValue::from_static("agent");
        let (headers, present) = outgoing(&fwd, &[(&USER_AGENT, Some(ua)), (&RANGE, None)], true);
        assert!(!headers.contains_key(AUTHORIZATION) && !headers.contains_key(RANGE));
        assert!(present.user_agent && !present.range);
        assert_eq!(headers.get(USER_AGENT).unwrap(), "agent");
        fwd.remove(ACCEPT_ENCODING);
        fwd.insert(ACCEPT_ENCODING, HeaderValue::from_static("gzip, br"));
        fwd.insert(HOST, HeaderValue::from_static("h"));
        fwd.insert(REFERER, HeaderValue::from_static("http://r/"));
        let (_, present) = outgoing(&fwd, &[], false);
        assert_eq!(present.accept_encoding, Some(Presence::Set));
        assert!(present.host && present.referer);
    }

    #[test]
    fn go_texts_and_rules() {
        let u: Uri = "http://a/b".parse().unwrap();
        assert_eq!(
            url_error(&Method::GET, &u, "boom"),
            "Get \"http://a/b\": boom"
        );
        assert!(same_or_subdomain("api.a.com", "a.com"));
        assert!(same_or_subdomain("a.com", "a.com"));
        assert!(!same_or_subdomain("bada.com", "a.com"));
        let next = resolve(&u, &HeaderValue::from_static("../c?x=1#f")).unwrap();
        assert_eq!(next.to_string(), "http://a/c?x=1");
    }
}
