//! One backend call: pick a host, build the URL, forward headers/query/body, check the status,
//! decode the body (spec: responses.md §1, §5; routing-and-forwarding.md §3–§8).

use crate::client;
use crate::ctx::EndpointCtx;
use crate::decode::decode;
use crate::forward;
use crate::shape::Data;
use crate::spec::{BackendSpec, Decode, ErrorHandling};
use bytes::Bytes;
use http::{HeaderValue, StatusCode};
use serde_json::Value;

/// Largest backend body the gateway buffers for decoding; a larger answer is a failed call.
pub const MAX_BACKEND_BODY: usize = 64 * 1024 * 1024;

/// Why a backend call failed.
#[derive(Debug)]
pub struct BackendError {
    /// The text `return_error_msg` shows.
    pub message: String,
    /// With `return_error_code`: the backend status, body and content type.
    pub status: Option<StatusCode>,
    pub body: Bytes,
    pub content_type: Option<HeaderValue>,
}

impl BackendError {
    /// A failure described only by its message.
    pub fn plain(message: impl Into<String>) -> Self {
        BackendError {
            message: message.into(),
            status: None,
            body: Bytes::new(),
            content_type: None,
        }
    }
}

/// The outcome of one backend call.
#[derive(Debug)]
pub enum BackendResult {
    /// A 200/201 answer, decoded (and shaped).
    Ok(Data),
    /// `return_error_details`: the failure as data (`{"error_<alias>": {...}}`); the endpoint
    /// answer is then incomplete.
    Details(Data),
    /// The call failed.
    Failed(BackendError),
}

impl BackendResult {
    /// Applies the backend's manipulation to successfully decoded data. Error-details objects
    /// and failures are left alone (responses.md §1).
    #[inline]
    pub fn shape(self, f: impl FnOnce(Data) -> Data) -> Self {
        match self {
            BackendResult::Ok(d) => BackendResult::Ok(f(d)),
            other => other,
        }
    }

    /// A decoded 200/201 answer.
    pub fn is_ok(&self) -> bool {
        matches!(self, BackendResult::Ok(_))
    }

    /// The data, for a success or error details.
    pub fn data(&self) -> Option<&Data> {
        match self {
            BackendResult::Ok(d) | BackendResult::Details(d) => Some(d),
            BackendResult::Failed(_) => None,
        }
    }
}

/// A specialised decoder of a 200/201 body, passed by generated code when the backend's
/// shaping is known (`|body| projection::decode(body, &P)`).
pub type Decoder = fn(&[u8]) -> Result<Data, String>;

/// Calls the backend within the endpoint deadline and decodes its answer with `decoder`, or
/// by the backend's `encoding` (the whole body, [`decode`]) when it is `None`. `seq` holds the values a sequential step's url_pattern takes from earlier steps
/// (`{resp0_id}`; `None` where they could not be resolved), empty otherwise.
pub async fn call(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    decoder: Option<Decoder>,
) -> BackendResult {
    match tokio::time::timeout_at(ctx.deadline, fetch(ctx, spec, seq, decoder)).await {
        Ok(r) => r,
        Err(_) => BackendResult::Failed(BackendError::plain("context deadline exceeded")),
    }
}

/// `concurrent_calls`: `n` identical calls; the first successful answer wins and the others
/// are dropped (cancelled). Without one: error details if any arrived, else the last failure.
pub async fn concurrent<F, Fut>(n: usize, call: F) -> BackendResult
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = BackendResult>,
{
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut pending: FuturesUnordered<Fut> = (0..n.max(1)).map(|_| call()).collect();
    let mut last = None;
    while let Some(r) = pending.next().await {
        if r.is_ok() {
            return r;
        }
        // Data (error details) is worth more than a later failure.
        if last
            .as_ref()
            .is_none_or(|l: &BackendResult| l.data().is_none() || r.data().is_some())
        {
            last = Some(r);
        }
    }
    last.unwrap_or_else(|| BackendResult::Failed(BackendError::plain("no call was made")))
}

async fn fetch(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    decoder: Option<Decoder>,
) -> BackendResult {
    let received = match prepare(ctx, spec, seq) {
        Ok((uri, headers)) => exchange(ctx, spec, uri, &headers).await,
        Err(e) => Err(e),
    };
    match received {
        Ok(r) => answer(spec, r, decoder).await,
        Err(e) => BackendResult::Failed(e),
    }
}

/// A backend answer read whole: what the status check and decoding (and `qos/http-cache`)
/// work on.
#[derive(Debug, Clone)]
pub struct Received {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    /// The URL that gave this answer (after redirects), for error texts.
    pub url: http::Uri,
    pub body: Bytes,
}

/// The status check and decoding of an answer (responses.md §1), whether it came from the
/// backend or from `qos/http-cache`.
pub async fn answer(
    spec: &'static BackendSpec,
    received: Received,
    decoder: Option<Decoder>,
) -> BackendResult {
    let Received {
        status,
        headers,
        url,
        body,
    } = received;
    if spec.decode == Decode::Discard {
        return BackendResult::Ok(Data::new());
    }
    let success = status == StatusCode::OK || status == StatusCode::CREATED;
    if !success {
        let message = format!(
            "invalid status code {} [{} {}]: {}",
            status.as_u16(),
            spec.method,
            spec.url_pattern,
            url
        );
        let content_type = headers.get(http::header::CONTENT_TYPE).cloned();
        return match spec.errors {
            ErrorHandling::Plain => BackendResult::Failed(BackendError::plain(message)),
            ErrorHandling::ReturnCode => BackendResult::Failed(BackendError {
                message,
                status: Some(status),
                body,
                content_type,
            }),
            ErrorHandling::Details(alias) => {
                BackendResult::Details(error_details(alias, status, &body, content_type.as_ref()))
            }
        };
    }
    let how = spec.decode;
    // Hardening (decode_guard.rs): bounded decoded size, large bodies off the runtime thread.
    let decoded = crate::decode_guard::decode(how, body, move |b| match decoder {
        Some(d) => d(b),
        None => decode(how, b),
    })
    .await;
    match decoded {
        Ok(d) => BackendResult::Ok(d),
        Err(msg) => BackendResult::Failed(BackendError::plain(msg)),
    }
}

/// Builds and sends the request with the endpoint's buffered body; the answer's body is not
/// read yet.
pub async fn send(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
) -> Result<client::Answer, BackendError> {
    send_with(ctx, spec, seq, client::ReqBody::Buffered(ctx.body.clone())).await
}

/// [`send`] with the given request body (a `no-op` endpoint streams the client's).
pub async fn send_with(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    body: client::ReqBody,
) -> Result<client::Answer, BackendError> {
    let (uri, headers) = prepare(ctx, spec, seq)?;
    transmit_with(ctx, spec, uri, &headers, &[], body).await
}

/// The backend URL and the headers forwarded to it (before the client adds Go's transport
/// headers).
pub fn prepare<'a>(
    ctx: &'a EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
) -> Result<(http::Uri, std::borrow::Cow<'a, http::HeaderMap>), BackendError> {
    // modifier/lua-backend: the request its `pre` script left.
    if let Some(r) = &ctx.lua_request {
        return Ok((r.uri.clone(), std::borrow::Cow::Borrowed(&r.headers)));
    }
    let query = match spec.input_query {
        Some(allow) => std::borrow::Cow::Owned(forward::backend_query(&ctx.query, allow)),
        None => std::borrow::Cow::Borrowed(ctx.query.as_str()),
    };
    let host = || {
        spec.hosts
            .pick()
            .ok_or_else(|| BackendError::plain("no hosts available"))
    };
    let uri = if query.is_empty() && spec.url.is_fixed() && ctx.state.host_override.is_none() {
        // The same URL on every call (per host): made once.
        ctx.state.fixed_url(host()?, &spec.url).map_err(plain)?
    } else {
        let base = match &ctx.state.host_override {
            Some(b) => b.clone(),
            None => ctx.state.base(host()?),
        }
        .map_err(plain)?;
        // Hardening (url.rs): a value from an earlier step may not make a dot segment.
        spec.url
            .check_seq(&ctx.params, seq)
            .map_err(BackendError::plain)?;
        base.uri(spec.url.render_seq(&base.path, &ctx.params, seq, &query))
            .map_err(plain)?
    };
    let headers = match spec.input_headers {
        Some(allow) => std::borrow::Cow::Owned(forward::backend_headers(&ctx.headers, allow)),
        None => std::borrow::Cow::Borrowed(&ctx.headers),
    };
    Ok((uri, headers))
}

/// One request on the wire with the endpoint's buffered body, the answer's body not read yet.
pub async fn transmit(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    uri: http::Uri,
    headers: &http::HeaderMap,
) -> Result<client::Answer, BackendError> {
    let body = client::ReqBody::Buffered(ctx.body.clone());
    transmit_with(ctx, spec, uri, headers, &[], body).await
}

/// [`transmit`] with the given request body and header overrides.
///
/// Not an `async fn`: the usual call awaits the client's future with nothing around it but the
/// error mapping (no call state of its own to write and move per backend call).
pub fn transmit_with<'a>(
    ctx: &'a EndpointCtx,
    spec: &'static BackendSpec,
    uri: http::Uri,
    headers: &'a http::HeaderMap,
    overrides: &'a [(&'static http::HeaderName, Option<HeaderValue>)],
    body: client::ReqBody,
) -> impl std::future::Future<Output = Result<client::Answer, BackendError>> + 'a {
    use futures_util::future::{Either, FutureExt};
    // The request is moved into the next future where it is made: nothing of it is kept
    // beside that future.
    let request = request(ctx, spec, uri, headers, overrides, body);
    if reworks_request(spec) {
        // Boxed: the reworked header maps and the features' futures would otherwise size every
        // backend call's future, which is written (and moved) once per call.
        Either::Left(Box::pin(transmit_reworked(ctx, spec, request)))
    } else {
        let plain: fn(Result<client::Answer, client::ClientError>) -> _ = |r| r.map_err(plain);
        Either::Right(ctx.state.client.send(request).map(plain))
    }
}

/// `backend/graphql`, `auth/client-credentials` or `modifier/martian`: the request is reworked
/// before it is sent ([`transmit_reworked`]).
fn reworks_request(spec: &BackendSpec) -> bool {
    spec.graphql.is_some() || spec.client_credentials.is_some() || spec.martian.is_some()
}

/// The client request of a call of `spec`.
fn request<'a>(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    uri: http::Uri,
    headers: &'a http::HeaderMap,
    overrides: &'a [(&'static http::HeaderName, Option<HeaderValue>)],
    body: client::ReqBody,
) -> client::Request<'a> {
    client::Request {
        method: match &ctx.lua_request {
            Some(r) => r.method.clone(),
            None => spec.method.clone(),
        },
        uri,
        headers,
        overrides,
        body,
        known_length: ctx.length_forwarded
            && spec
                .input_headers
                .is_none_or(|a| a.names.contains(&http::header::CONTENT_LENGTH)),
        replayable: spec.send_body_on_redirect,
    }
}

/// [`transmit_with`] for a backend with `backend/graphql`, `auth/client-credentials` or
/// `modifier/martian`: features that rework the request's headers first.
async fn transmit_reworked(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    mut request: client::Request<'_>,
) -> Result<client::Answer, BackendError> {
    let mut graphql_headers;
    let mut auth_headers;
    // The features below rework the header map: they see the overrides in it, as written
    // before the client existed to take them.
    let merged;
    if !request.overrides.is_empty() {
        merged = client::with_overrides(request.headers, request.overrides);
        request.headers = &merged;
        request.overrides = &[];
    }
    // backend/graphql: method, body or query string, and Content-Type of the GraphQL request.
    if let Some(g) = spec.graphql {
        graphql_headers = request.headers.clone();
        crate::graphql::apply(
            g,
            &ctx.params,
            &ctx.seq_params,
            &ctx.body,
            &mut graphql_headers,
            &mut request,
        )?;
    }
    // auth/client-credentials: the cached (or freshly fetched) token.
    if let Some(c) = spec.client_credentials {
        // Boxed, as martian's exchange below: the token fetch's future is large, and most
        // calls of such a backend find the token cached.
        let token = Box::pin(c.authorization(&ctx.state)).await?;
        auth_headers = request.headers.clone();
        auth_headers.insert(http::header::AUTHORIZATION, token);
        request.headers = &auth_headers;
    }
    // modifier/martian: request modifiers on this final request, response modifiers on the raw
    // answer (before the status check and decoding). Seam for qos/http-cache: the cache wraps
    // the client call, here and in `martian::exchange` (KrakenD CE wraps the cached client
    // with martian: the cache key sees the modified request; see martian/mod.rs).
    if let Some(m) = spec.martian {
        return Box::pin(crate::martian::exchange(&ctx.state.client, m, request)).await;
    }
    ctx.state.client.send(request).await.map_err(plain)
}

/// One request and its whole answer (at most [`MAX_BACKEND_BODY`]). `qos/http-cache` calls it
/// for what it does not answer itself, so whatever is added here (e.g. response modifiers on
/// the raw answer) runs before the cache judges and stores the answer.
///
/// Not an `async fn` of its own: the caller awaits [`exchange_with`]'s future directly (one
/// call state fewer to write and move per backend call).
pub fn exchange<'a>(
    ctx: &'a EndpointCtx,
    spec: &'static BackendSpec,
    uri: http::Uri,
    headers: &'a http::HeaderMap,
) -> impl std::future::Future<Output = Result<Received, BackendError>> + 'a {
    exchange_with(ctx, spec, uri, headers, &[])
}

/// [`exchange`] with `overrides` set over the forwarded headers (a traced call's trace context,
/// [`client::Request::overrides`]).
pub async fn exchange_with(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    uri: http::Uri,
    headers: &http::HeaderMap,
    overrides: &[(&'static http::HeaderName, Option<HeaderValue>)],
) -> Result<Received, BackendError> {
    let body = client::ReqBody::Buffered(ctx.body.clone());
    let (status, headers, url, unread) = transmit_with(ctx, spec, uri, headers, overrides, body)
        .await?
        .split();
    let body = unread.bytes(MAX_BACKEND_BODY).await.map_err(plain)?;
    Ok(Received {
        status,
        headers,
        url,
        body,
    })
}

fn plain(e: client::ClientError) -> BackendError {
    BackendError::plain(e.message)
}

fn wrap(key: &str, v: Value) -> Data {
    let mut d = Data::new();
    d.insert(key.to_owned(), v);
    d
}

/// `{"error_<alias>": {"http_status_code": n, "http_body": "...", "http_body_encoding": "..."}}`.
fn error_details(
    alias: &str,
    status: StatusCode,
    body: &[u8],
    content_type: Option<&HeaderValue>,
) -> Data {
    let mut inner = Data::new();
    inner.insert(
        "http_status_code".to_owned(),
        Value::Number(status.as_u16().into()),
    );
    if !body.is_empty() {
        inner.insert(
            "http_body".to_owned(),
            Value::String(String::from_utf8_lossy(body).into_owned()),
        );
    }
    if let Some(ct) = content_type.and_then(|v| v.to_str().ok()) {
        if !ct.is_empty() {
            inner.insert(
                "http_body_encoding".to_owned(),
                Value::String(ct.to_owned()),
            );
        }
    }
    wrap(&format!("error_{alias}"), Value::Object(inner))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn error_details_shape() {
        let ct = HeaderValue::from_static("text/plain");
        let d = error_details("b", StatusCode::NOT_FOUND, b"nope", Some(&ct));
        assert_eq!(
            Value::Object(d),
            serde_json::json!({"error_b": {"http_status_code": 404, "http_body": "nope", "http_body_encoding": "text/plain"}})
        );
        let d = error_details("b", StatusCode::INTERNAL_SERVER_ERROR, b"", None);
        assert_eq!(
            Value::Object(d),
            serde_json::json!({"error_b": {"http_status_code": 500}})
        );
    }
}
