//! From backend results to the client response: merge, completeness, status codes, headers and
//! rendering (spec: responses.md §2–§4, §6–§7).

use crate::backend::{self, BackendError, BackendResult};
use crate::ctx::EndpointCtx;
use crate::render::json;
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

/// Marks the answer of a failed endpoint call ([`error_response`]), so the `/__stats` pipe
/// metrics tell a failed `no-op` call from a passed-on answer (both say
/// `X-Krakend-Completed: false`).
#[derive(Debug, Clone, Copy)]
pub struct PipeFailed;
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const TEXT_UTF8: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");

/// The data of an endpoint call between the merge and the render: what the backends gave,
/// whether all of them completed, and their errors. Endpoint-level stages (flatmap, static
/// data) transform it; [`finish`] turns it into the response.
#[derive(Debug)]
pub struct Merged {
    /// `None` when no backend produced data; not always an object after an endpoint
    /// `flatmap_filter` (a non-object root renders as `null`).
    pub data: Option<Value>,
    pub complete: bool,
    pub errors: Vec<BackendError>,
    /// A single backend (or step 0 of a sequence) failed: its error passes through unchanged.
    pub passthrough: bool,
}

/// Merges the results of an endpoint's backends. Contract order decides key collisions (the
/// later backend wins), a deterministic stand-in for KrakenD's "last to arrive wins".
pub fn merge<const N: usize>(results: [BackendResult; N]) -> Merged {
    let mut m = Merged {
        data: None,
        complete: true,
        errors: Vec::new(),
        passthrough: N == 1,
    };
    for r in results {
        m.push(r);
    }
    m
}

impl Merged {
    /// Adds one more backend result (parallel merge or the next step of a sequence).
    pub fn push(&mut self, r: BackendResult) {
        let data = match r {
            BackendResult::Ok(d) => d,
            BackendResult::Details(d) => {
                self.complete = false;
                d
            }
            BackendResult::Failed(e) => {
                self.complete = false;
                self.errors.push(e);
                return;
            }
        };
        match self.data.as_mut() {
            Some(Value::Object(m)) => m.extend(data),
            _ => self.data = Some(Value::Object(data)),
        }
    }
}

/// Endpoint-level `flatmap_filter`: only when every backend succeeded (manipulation.md §3).
pub fn endpoint_flatmap(mut m: Merged, ops: &[crate::flatmap::Op<'_>]) -> Merged {
    if m.errors.is_empty() {
        if let Some(data) = m.data.take() {
            m.data = Some(crate::flatmap::apply(data, ops));
        }
    }
    m
}

/// When `proxy.static` data is injected (proxy-behaviours.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticStrategy {
    Always,
    Success,
    Complete,
    Errored,
    Incomplete,
}

/// `proxy.static`: the strategy and the data, written by codegen as constant Rust data.
#[derive(Debug)]
pub struct StaticData {
    pub strategy: StaticStrategy,
    /// The members of the `data` object.
    pub data: &'static [(&'static str, StaticValue)],
}

/// A JSON value as constant data. Numbers keep the text KrakenD writes for them (Go's float64
/// re-serialisation: `1.0` → `1`, `1e21` → `1e+21`), which `arbitrary_precision` keeps as is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StaticValue {
    Null,
    Bool(bool),
    Number(&'static str),
    String(&'static str),
    Array(&'static [StaticValue]),
    Object(&'static [(&'static str, StaticValue)]),
}

impl StaticValue {
    /// The value as JSON.
    pub fn to_value(&self) -> Value {
        match *self {
            StaticValue::Null => Value::Null,
            StaticValue::Bool(b) => Value::Bool(b),
            // Codegen writes valid JSON numbers; null is the safe fallback.
            StaticValue::Number(n) => n.parse().map(Value::Number).unwrap_or(Value::Null),
            StaticValue::String(s) => Value::String(s.to_owned()),
            StaticValue::Array(items) => Value::Array(items.iter().map(Self::to_value).collect()),
            StaticValue::Object(members) => Value::Object(object(members)),
        }
    }
}

fn object(members: &[(&'static str, StaticValue)]) -> Data {
    members
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.to_value()))
        .collect()
}

/// Injects static data when its strategy says so; overwrites same-named top-level keys.
pub fn static_data(mut m: Merged, s: &StaticData) -> Merged {
    let failed = !m.errors.is_empty();
    let inject = match s.strategy {
        StaticStrategy::Always => true,
        StaticStrategy::Success => !failed,
        StaticStrategy::Complete => !failed && m.complete,
        StaticStrategy::Errored => failed,
        StaticStrategy::Incomplete => m.data.is_none() || !m.complete,
    };
    if inject {
        let extra = object(s.data);
        match m.data.as_mut() {
            Some(Value::Object(d)) => d.extend(extra),
            _ => m.data = Some(Value::Object(extra)),
        }
    }
    m
}

/// The response for merged data: the error passthrough or KrakenD's 500 when there is no
/// data, else the render.
pub fn finish(ctx: &EndpointCtx, mut m: Merged) -> Response {
    if !m.errors.is_empty() {
        log_errors(ctx, &m.errors);
    }
    if m.data.is_none() && !m.errors.is_empty() {
        if m.passthrough && m.errors.len() == 1 {
            if let Some(e) = m.errors.pop() {
                return error_response(ctx, e);
            }
        }
        let message = m
            .errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        return error_response(ctx, BackendError::plain(message));
    }
    render(ctx, m.data, m.complete)
}

/// KrakenD's error log of a failed endpoint call: `[ENDPOINT: /path] <error>` (with
/// `Error #<i>:` when several backends failed).
fn log_errors(ctx: &EndpointCtx, errors: &[BackendError]) {
    if !crate::log::enabled(crate::log::Level::Error) {
        return;
    }
    let path = ctx
        .spec
        .name
        .split_once(' ')
        .map_or(ctx.spec.name, |(_, p)| p);
    for (i, e) in errors.iter().enumerate() {
        crate::log::error(&if errors.len() == 1 {
            format!("[ENDPOINT: {path}] {}", e.message)
        } else {
            format!("[ENDPOINT: {path}] Error #{i}: {}", e.message)
        });
    }
}

/// Merges and renders in one call (endpoints without endpoint-level stages).
pub fn respond<const N: usize>(ctx: &EndpointCtx, results: [BackendResult; N]) -> Response {
    finish(ctx, merge(results))
}

/// Renders data with the endpoint's `output_encoding`.
pub fn render(ctx: &EndpointCtx, data: Option<Value>, complete: bool) -> Response {
    let data = data.unwrap_or_else(|| Value::Object(Data::new()));
    let non_empty = match &data {
        Value::Object(m) => !m.is_empty(),
        Value::Null => false,
        _ => true,
    };
    let completed = complete && non_empty;
    let output = match ctx.spec.output {
        Output::Negotiate => {
            let accept = ctx.accept.as_ref().and_then(|a| a.to_str().ok());
            match crate::render::negotiate::choose(accept) {
                crate::render::negotiate::Render::Json => Output::Json,
                crate::render::negotiate::Render::Xml => Output::Xml,
                crate::render::negotiate::Render::Yaml => Output::Yaml,
            }
        }
        other => other,
    };
    let empty = Data::new();
    let object = match &data {
        Value::Object(m) => m,
        _ => &empty,
    };
    let (content_type, body) = match output {
        Output::Json | Output::Negotiate => (JSON_UTF8, json::to_vec(&data)),
        Output::Xml => (
            HeaderValue::from_static(crate::render::xml::CONTENT_TYPE),
            crate::render::xml::render(object),
        ),
        Output::Yaml => (
            HeaderValue::from_static(crate::render::yaml::CONTENT_TYPE),
            crate::render::yaml::render(object),
        ),
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
    answer(ctx, content_type, body, completed)
}

/// The `Output::Json` response of one backend's complete answer already rendered
/// (`render::canonical`): what [`render`] sends for that data.
pub fn rendered_json(ctx: &EndpointCtx, body: Vec<u8>, non_empty: bool) -> Response {
    answer(ctx, JSON_UTF8, body, non_empty)
}

/// The `Output::Json` response of a fan-out whose backends each put their data under their
/// own `group`, with the successful groups' values already rendered (`canonical_json`): what
/// [`finish`] sends for the merge of the same results. `groups` must have distinct names.
pub fn grouped_json(
    ctx: &EndpointCtx,
    mut groups: Vec<(&'static str, Vec<u8>)>,
    errors: Vec<BackendError>,
    passthrough: bool,
) -> Response {
    if groups.is_empty() {
        let m = Merged {
            data: None,
            complete: errors.is_empty(),
            errors,
            passthrough,
        };
        return finish(ctx, m);
    }
    if !errors.is_empty() {
        log_errors(ctx, &errors);
    }
    groups.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let len = groups
        .iter()
        .map(|(g, v)| g.len() + v.len() + 4)
        .sum::<usize>();
    let mut body = Vec::with_capacity(len + 2);
    body.push(b'{');
    for (i, (group, value)) in groups.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        json::write_str(&mut body, group);
        body.push(b':');
        body.extend_from_slice(value);
    }
    body.push(b'}');
    answer(ctx, JSON_UTF8, body, errors.is_empty())
}

/// A rendered body with KrakenD's headers.
fn answer(
    ctx: &EndpointCtx,
    content_type: HeaderValue,
    body: Vec<u8>,
    completed: bool,
) -> Response {
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
    resp.extensions_mut().insert(PipeFailed);
    resp
}

/// `no-op`: the backend's status, headers and body, streamed without buffering
/// (responses.md §7). The endpoint deadline covers the whole answer: a body still arriving
/// when it passes is cut off. Compressed bytes pass through untouched when the client's own
/// `Accept-Encoding` was forwarded; a gzip answer to the gateway's own `Accept-Encoding` is
/// decoded, as Go's transport does.
pub async fn no_op(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    body: crate::client::ReqBody,
) -> Response {
    no_op_answer(ctx, no_op_send(ctx, spec, body).await)
}

/// The request of a `no-op` endpoint, within the deadline: the answer's head, or why the
/// call failed (a transport error or the deadline; the status is never a failure).
pub async fn no_op_send(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    body: crate::client::ReqBody,
) -> Result<crate::client::Answer, BackendError> {
    match tokio::time::timeout_at(ctx.deadline, backend::send_with(ctx, spec, &[], body)).await {
        Ok(r) => r,
        Err(_) => Err(BackendError::plain("context deadline exceeded")),
    }
}

/// The client response of a `no-op` endpoint for what [`no_op_send`] gave.
pub fn no_op_answer(
    ctx: &EndpointCtx,
    sent: Result<crate::client::Answer, BackendError>,
) -> Response {
    let upstream = match sent {
        Ok(r) => r,
        Err(e) => return error_response(ctx, e),
    };
    let (status, upstream_headers, body) = upstream.into_stream(ctx.deadline);
    let mut headers = http::HeaderMap::with_capacity(upstream_headers.len() + 2);
    headers.insert(X_KRAKEND, HeaderValue::from_static(ctx.version_header()));
    headers.insert(X_KRAKEND_COMPLETED, HeaderValue::from_static("false"));
    for (name, value) in &upstream_headers {
        if !is_hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut resp = Response::new(Body::from_stream(body));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

/// A hop-by-hop header, which is never copied from a backend's (or a script's) answer.
pub(crate) fn is_hop_by_hop(name: &HeaderName) -> bool {
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
