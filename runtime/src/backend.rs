//! One backend call: pick a host, build the URL, forward headers/query/body, check the status,
//! decode the body (spec: responses.md §1, §5; routing-and-forwarding.md §3–§8).

use crate::ctx::EndpointCtx;
use crate::forward;
use crate::shape::Data;
use crate::spec::{BackendSpec, Decode, ErrorHandling};
use bytes::{Bytes, BytesMut};
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

/// The outcome of one backend: data (possibly an error-details object) or an error.
#[derive(Debug)]
pub struct BackendResult {
    pub data: Option<Data>,
    /// False for `return_error_details` objects and failures.
    pub complete: bool,
    pub error: Option<BackendError>,
}

impl BackendResult {
    fn success(data: Data) -> Self {
        BackendResult {
            data: Some(data),
            complete: true,
            error: None,
        }
    }

    fn failure(error: BackendError) -> Self {
        BackendResult {
            data: None,
            complete: false,
            error: Some(error),
        }
    }

    /// Applies the backend's manipulation to successfully decoded data. Error-details objects
    /// and failures are left alone (responses.md §1).
    #[inline]
    pub fn shape(mut self, f: impl FnOnce(Data) -> Data) -> Self {
        if self.complete {
            if let Some(d) = self.data.take() {
                self.data = Some(f(d));
            }
        }
        self
    }
}

/// Calls the backend within the endpoint deadline and decodes its answer according to its
/// `encoding` (the generic path: the whole body becomes a value).
pub async fn call(ctx: &EndpointCtx, spec: &'static BackendSpec) -> BackendResult {
    call_with(ctx, spec, |body| decode(spec.decode, body)).await
}

/// Like [`call`], with the body of a successful (200/201) answer decoded by `decode_body`
/// instead: generated code passes a specialised decoder when the backend's shaping is known.
pub async fn call_with<F>(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    decode_body: F,
) -> BackendResult
where
    F: FnOnce(&[u8]) -> Result<Data, String> + Send + 'static,
{
    call_seq_with(ctx, spec, &[], decode_body).await
}

/// A step of a sequential endpoint: `seq` holds the values its url_pattern takes from earlier
/// steps (`{resp0_id}`), `None` where they could not be resolved.
pub async fn call_seq(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
) -> BackendResult {
    call_seq_with(ctx, spec, seq, |body| decode(spec.decode, body)).await
}

/// [`call_seq`] with a specialised decoder (see [`call_with`]).
pub async fn call_seq_with<F>(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    decode_body: F,
) -> BackendResult
where
    F: FnOnce(&[u8]) -> Result<Data, String> + Send + 'static,
{
    match tokio::time::timeout_at(ctx.deadline, fetch(ctx, spec, seq, decode_body)).await {
        Ok(r) => r,
        Err(_) => BackendResult::failure(BackendError::plain("context deadline exceeded")),
    }
}

/// `concurrent_calls`: `n` identical calls; the first complete answer wins and the others are
/// dropped (cancelled). Without a complete answer: the last result received.
pub async fn concurrent<F, Fut>(n: usize, call: F) -> BackendResult
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = BackendResult>,
{
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut pending: FuturesUnordered<Fut> = (0..n.max(1)).map(|_| call()).collect();
    let mut last = None;
    while let Some(r) = pending.next().await {
        if r.error.is_none() && r.complete {
            return r;
        }
        // Data (an incomplete result) is worth more than a later error.
        if last
            .as_ref()
            .is_none_or(|l: &BackendResult| l.data.is_none() || r.data.is_some())
        {
            last = Some(r);
        }
    }
    last.unwrap_or_else(|| BackendResult::failure(BackendError::plain("no call was made")))
}

async fn fetch<F>(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    decode_body: F,
) -> BackendResult
where
    F: FnOnce(&[u8]) -> Result<Data, String> + Send + 'static,
{
    let resp = match send(ctx, spec, seq).await {
        Ok(r) => r,
        Err(e) => return BackendResult::failure(e),
    };
    let status = resp.status();
    let success = status == StatusCode::OK || status == StatusCode::CREATED;
    // Only an error text needs the final URL: no allocation on the success path.
    let final_url = if success {
        String::new()
    } else {
        resp.url().to_string()
    };
    let content_type = resp.headers().get(http::header::CONTENT_TYPE).cloned();
    let body = match read_limited(resp).await {
        Ok(b) => b,
        Err(e) => return BackendResult::failure(e),
    };
    if spec.decode == Decode::Discard {
        return BackendResult::success(Data::new());
    }
    if !success {
        let message = format!(
            "invalid status code {} [{} {}]: {}",
            status.as_u16(),
            spec.method,
            spec.url_pattern,
            final_url
        );
        return match spec.errors {
            ErrorHandling::Plain => BackendResult::failure(BackendError::plain(message)),
            ErrorHandling::ReturnCode => BackendResult::failure(BackendError {
                message,
                status: Some(status),
                body,
                content_type,
            }),
            ErrorHandling::Details(alias) => BackendResult {
                data: Some(error_details(alias, status, &body, content_type.as_ref())),
                complete: false,
                error: None,
            },
        };
    }
    // Hardening (decode_guard.rs): bounded decoded size, large bodies off the runtime thread.
    match crate::decode_guard::decode(spec.decode, body, decode_body).await {
        Ok(d) => BackendResult::success(d),
        Err(msg) => BackendResult::failure(BackendError::plain(msg)),
    }
}

/// Builds and sends the request; the answer's body is not read yet.
pub async fn send(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
) -> Result<reqwest::Response, BackendError> {
    let host = match &ctx.state.host_override {
        Some(h) => h.as_str(),
        None => ctx.state.resolve_host(
            spec.hosts
                .pick()
                .ok_or_else(|| BackendError::plain("no hosts available"))?,
        ),
    };
    let query = match spec.input_query {
        Some(allow) => std::borrow::Cow::Owned(forward::backend_query(&ctx.query, allow)),
        None => std::borrow::Cow::Borrowed(ctx.query.as_str()),
    };
    // Hardening (url.rs): a value from an earlier step may not make a dot segment.
    spec.url
        .check_seq(&ctx.params, seq)
        .map_err(BackendError::plain)?;
    let url = spec.url.render_seq(host, &ctx.params, seq, &query);
    let headers = match spec.input_headers {
        Some(allow) => forward::backend_headers(&ctx.headers, allow),
        None => ctx.headers.clone(),
    };
    let client = if ctx.body.is_empty() || spec.send_body_on_redirect {
        &ctx.state.client
    } else {
        &ctx.state.client_no_replay
    };
    let mut req = client.request(spec.method.clone(), url).headers(headers);
    let has_body_method = matches!(spec.method.as_str(), "POST" | "PUT" | "PATCH");
    if !ctx.body.is_empty() || has_body_method {
        req = req.body(ctx.body.clone());
    }
    req.send()
        .await
        .map_err(|e| BackendError::plain(client_error_text(&e)))
}

fn client_error_text(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Bytes, BackendError> {
    if resp.content_length().unwrap_or(0) > MAX_BACKEND_BODY as u64 {
        return Err(too_large());
    }
    // A body that arrives in one chunk is returned without a copy.
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                total += chunk.len();
                if total > MAX_BACKEND_BODY {
                    return Err(too_large());
                }
                if first.is_none() && buf.is_empty() {
                    first = Some(chunk);
                } else {
                    if let Some(f) = first.take() {
                        buf.extend_from_slice(&f);
                    }
                    buf.extend_from_slice(&chunk);
                }
            }
            Ok(None) => return Ok(first.unwrap_or_else(|| buf.freeze())),
            Err(e) => return Err(BackendError::plain(client_error_text(&e))),
        }
    }
}

fn too_large() -> BackendError {
    BackendError::plain(format!(
        "backend response body larger than {MAX_BACKEND_BODY} bytes"
    ))
}

/// Decodes a backend body according to its `encoding` (responses.md §5). Only the first JSON
/// value is read; trailing bytes are ignored, as KrakenD's decoder does.
pub fn decode(how: Decode, body: &[u8]) -> Result<Data, String> {
    match how {
        Decode::Discard => Ok(Data::new()),
        Decode::String => {
            let mut d = Data::new();
            d.insert(
                "content".to_owned(),
                Value::String(String::from_utf8_lossy(body).into_owned()),
            );
            Ok(d)
        }
        Decode::JsonObject => match first_json_value(body)? {
            Value::Object(m) => Ok(m),
            other => Err(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
        },
        Decode::JsonCollection => match first_json_value(body)? {
            Value::Array(a) => Ok(wrap("collection", Value::Array(a))),
            other => Err(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            )),
        },
        Decode::Xml { collection } => crate::encoding::xml_decode::decode(body, collection),
        Decode::Rss => crate::encoding::rss::decode(body),
        Decode::SafeJson => match first_json_value(body)? {
            Value::Object(m) => Ok(m),
            Value::Array(a) => Ok(wrap("collection", Value::Array(a))),
            other => Ok(wrap("content", other)),
        },
    }
}

fn wrap(key: &str, v: Value) -> Data {
    let mut d = Data::new();
    d.insert(key.to_owned(), v);
    d
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn first_json_value(body: &[u8]) -> Result<Value, String> {
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("EOF".to_owned()),
    }
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
    fn decodes_each_encoding() {
        assert_eq!(
            Value::Object(decode(Decode::JsonObject, br#"{"a":1.0} trailing"#).unwrap()),
            serde_json::json!({"a": 1.0})
        );
        assert!(decode(Decode::JsonObject, b"[1]").is_err());
        assert_eq!(decode(Decode::JsonObject, b"").unwrap_err(), "EOF");
        let c = decode(Decode::JsonCollection, b"[1,2]").unwrap();
        assert_eq!(c["collection"], serde_json::json!([1, 2]));
        assert!(decode(Decode::JsonCollection, b"{}").is_err());
        assert_eq!(
            decode(Decode::SafeJson, b"3").unwrap()["content"],
            serde_json::json!(3)
        );
        assert_eq!(
            decode(Decode::SafeJson, b"[true]").unwrap()["collection"],
            serde_json::json!([true])
        );
        assert_eq!(
            decode(Decode::String, b"").unwrap()["content"],
            serde_json::json!("")
        );
        assert!(decode(Decode::Discard, b"junk").unwrap().is_empty());
    }

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
