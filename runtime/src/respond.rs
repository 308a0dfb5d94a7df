//! From backend results to the client response: merge, completeness, status codes, headers and
//! rendering (spec: responses.md §2–§4, §6–§7).

use crate::backend::{self, BackendError, BackendResult};
use crate::ctx::EndpointCtx;
use crate::encoding::json;
use crate::shape::Data;
use crate::spec::{BackendSpec, Output};
use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::StatusCode;
use serde_json::Value;

/// `X-Krakend`.
pub const X_KRAKEND: HeaderName = HeaderName::from_static("x-krakend");
/// `X-Krakend-Completed`.
pub const X_KRAKEND_COMPLETED: HeaderName = HeaderName::from_static("x-krakend-completed");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const TEXT_UTF8: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// Merges the results of an endpoint's backends (contract order: on a key collision the later
/// backend wins, a deterministic stand-in for KrakenD's "last to arrive wins") and renders the
/// client response.
pub fn respond<const N: usize>(ctx: &EndpointCtx, results: [BackendResult; N]) -> Response {
    if N == 1 {
        // A single backend is not merged: its error passes through unchanged.
        let [r] = single(results);
        return match r.error {
            Some(e) => error_response(ctx, e),
            None => render(ctx, r.data, r.complete),
        };
    }
    let mut merged: Option<Data> = None;
    let mut complete = true;
    let mut errors: Vec<BackendError> = Vec::new();
    for r in results {
        if let Some(e) = r.error {
            complete = false;
            errors.push(e);
            continue;
        }
        complete &= r.complete;
        if let Some(data) = r.data {
            match merged.as_mut() {
                None => merged = Some(data),
                Some(m) => m.extend(data),
            }
        }
    }
    if merged.is_none() && !errors.is_empty() {
        let message = errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        return error_response(ctx, BackendError::plain(message));
    }
    render(ctx, merged, complete)
}

fn single<const N: usize>(results: [BackendResult; N]) -> [BackendResult; 1] {
    let mut it = results.into_iter();
    [it.next().unwrap_or(BackendResult {
        data: None,
        complete: false,
        error: Some(BackendError::plain("no backend")),
    })]
}

/// Renders data with the endpoint's `output_encoding`.
pub fn render(ctx: &EndpointCtx, data: Option<Data>, complete: bool) -> Response {
    let data = data.unwrap_or_default();
    let completed = complete && !data.is_empty();
    let (content_type, body) = match ctx.spec.output {
        Output::Json => {
            let mut out = Vec::with_capacity(256);
            json::write_map(&mut out, &data);
            (JSON_UTF8, out)
        }
        Output::JsonCollection => {
            let out = match data.get("collection") {
                Some(v) => json::to_vec(v),
                None => b"[]".to_vec(),
            };
            (JSON_UTF8, out)
        }
        Output::String => {
            let out = match data.get("content") {
                Some(Value::String(s)) => s.clone().into_bytes(),
                _ => Vec::new(),
            };
            (TEXT_UTF8, out)
        }
    };
    let mut resp = Response::new(Body::from(body));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, content_type);
    h.insert(X_KRAKEND, HeaderValue::from_static(ctx.version_header()));
    h.insert(
        X_KRAKEND_COMPLETED,
        HeaderValue::from_static(if completed { "true" } else { "false" }),
    );
    if completed {
        if let Some(age) = ctx.spec.cache_max_age {
            if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={age}")) {
                h.insert(CACHE_CONTROL, v);
            }
        }
    }
    resp
}

/// A failed endpoint call: the backend status with `return_error_code`, else 500; a body only
/// with `return_error_msg` (responses.md §4).
pub fn error_response(ctx: &EndpointCtx, err: BackendError) -> Response {
    let status = err.status.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = if ctx.return_error_msg() {
        let (body, ct) = match err.status {
            Some(_) => (err.body, err.content_type.unwrap_or(TEXT_UTF8)),
            None => (bytes::Bytes::from(err.message), TEXT_UTF8),
        };
        let mut r = Response::new(Body::from(body));
        r.headers_mut().insert(CONTENT_TYPE, ct);
        r
    } else {
        Response::new(Body::empty())
    };
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(X_KRAKEND, HeaderValue::from_static(ctx.version_header()));
    h.insert(X_KRAKEND_COMPLETED, HeaderValue::from_static("false"));
    resp
}

/// `no-op`: the backend's status, headers and body, streamed without buffering
/// (responses.md §7).
pub async fn no_op(ctx: &EndpointCtx, spec: &'static BackendSpec) -> Response {
    let sent = tokio::time::timeout_at(ctx.deadline, backend::send(ctx, spec)).await;
    let upstream = match sent {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return error_response(ctx, e),
        Err(_) => {
            return error_response(ctx, BackendError::plain("context deadline exceeded"));
        }
    };
    let status = upstream.status();
    let mut headers = http::HeaderMap::with_capacity(upstream.headers().len() + 2);
    headers.insert(X_KRAKEND, HeaderValue::from_static(ctx.version_header()));
    headers.insert(X_KRAKEND_COMPLETED, HeaderValue::from_static("false"));
    for (name, value) in upstream.headers() {
        if !is_hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut resp = Response::new(Body::from_stream(upstream.bytes_stream()));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "upgrade"
            | "te"
            | "trailer"
    )
}
