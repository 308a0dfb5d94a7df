//! `modifier/lua-endpoint`, `modifier/lua-proxy` and `modifier/lua-backend` (spec:
//! security-and-traffic.md §12; krakend-lua's API). The sources and snippets are embedded by
//! the generated code (read and compiled at build time); this module runs them on the worker
//! thread, in a per-thread state (`engine.rs`), bounded in instructions and memory.
//!
//! Errors follow krakend-lua: `custom_error(msg, status[, content_type])` gives that status
//! (and body, with `return_error_msg`) at proxy and backend level, and that status with an
//! empty body at router level; any other error is a 500.

pub mod carry;
pub mod data;
pub mod engine;
mod http_response;
pub mod no_op;
pub mod objects;
pub mod offload;

use crate::backend::{BackendError, BackendResult};
use crate::ctx::EndpointCtx;
use crate::respond::Merged;
use crate::spec::BackendSpec;
use axum::response::Response;
use bytes::Bytes;
pub use carry::Carried;
use engine::{Failure, Phase};
use objects::{CustomError, Level, Req, ReqUd, Resp, RespUd, REQ_SLOT, RESP_SLOT};
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// One Lua namespace instance, as generated code embeds it.
#[derive(Debug)]
pub struct LuaSpec {
    /// `sources`: (name as the contract writes it, text), loaded in order.
    pub sources: &'static [(&'static str, &'static str)],
    pub pre: Option<&'static str>,
    pub post: Option<&'static str>,
    /// `allow_open_libs`.
    pub open_libs: bool,
    /// `skip_next` (handled by the generated code, which then does not emit the next stage).
    pub skip_next: bool,
}

/// A backend request as a `modifier/lua-backend` `pre` script left it; the backend call
/// (`backend::prepare`/`transmit_with`) uses it instead of the one it would build.
#[derive(Debug)]
pub struct BackendRequest {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
}

fn req_ud(lua: &mlua::Lua, r: &Rc<RefCell<Req>>) -> mlua::Result<()> {
    lua.set_named_registry_value(REQ_SLOT, ReqUd(r.clone()))
}

fn resp_ud(lua: &mlua::Lua, r: &Rc<RefCell<Resp>>) -> mlua::Result<()> {
    lua.set_named_registry_value(RESP_SLOT, RespUd(r.clone()))
}

impl Req {
    /// What is left of a request a script kept a handle on.
    fn empty(level: Level) -> Req {
        Req {
            level,
            method: String::new(),
            url: String::new(),
            path: String::new(),
            query: String::new(),
            host: String::new(),
            params: Vec::new(),
            headers: http::HeaderMap::new(),
            body: Bytes::new(),
        }
    }
}

/// Runs `spec`'s `pre` snippet on `req`: the request as the script left it, and the outcome.
fn req_script(
    spec: &'static LuaSpec,
    req: Req,
    carry: Option<&mut Carried>,
) -> (Req, Result<(), Failure>) {
    let level = req.level;
    let r = Rc::new(RefCell::new(req));
    let result = engine::run_carrying(spec, Phase::Pre, |lua| req_ud(lua, &r), carry);
    (into_inner(r, || Req::empty(level)), result)
}

fn into_inner<T>(r: Rc<RefCell<T>>, fallback: impl FnOnce() -> T) -> T {
    // A script may keep a handle in a global; the data is then copied out of it.
    match Rc::try_unwrap(r) {
        Ok(cell) => cell.into_inner(),
        Err(shared) => {
            let mut slot = fallback();
            std::mem::swap(&mut slot, &mut shared.borrow_mut());
            slot
        }
    }
}

fn backend_error(f: Failure) -> BackendError {
    match f {
        Failure::Custom(c) => match c.status.and_then(|s| http::StatusCode::from_u16(s).ok()) {
            Some(status) => BackendError {
                body: Bytes::from(c.message.clone()),
                message: c.message,
                status: Some(status),
                content_type: c
                    .content_type
                    .and_then(|ct| http::HeaderValue::from_str(&ct).ok()),
            },
            None => BackendError::plain(c.message),
        },
        Failure::Internal(m) => BackendError::plain(m),
    }
}

fn log_failure(where_: &str, f: &Failure) {
    if let Failure::Internal(m) = f {
        if crate::log::enabled(crate::log::Level::Error) {
            crate::log::error(&format!("[{where_}][Lua] {m}"));
        }
    }
}

/// `modifier/lua-endpoint` (`pre`, router level): runs on the client request before the
/// endpoint handler, which then sees what the script changed (method, URL, query, headers,
/// body, host, path parameters). A failure answers the status (500 unless `custom_error`
/// gave one) with an empty body.
pub async fn router_pre(
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    param_segments: &'static [usize],
    req: axum::extract::Request,
) -> Result<axum::extract::Request, Response> {
    run_router(spec, param_names, param_segments, req, false).await
}

/// A service-level `modifier/lua-endpoint` (krakend-lua's Gin middleware, registered on the
/// engine): runs on every request after the router match, on the matched route's parameters
/// (named as the route declares them), and on the router's own 404 and 405 answers (not on
/// its redirects). Any failure, `custom_error` included, answers 500 with an empty body.
/// Not on a `GET` of the health path (`health`): krakend-ce registers that route before the
/// middleware. `pool`: the config may call `http_response` (offloaded).
pub async fn service_layer(
    spec: &'static LuaSpec,
    pool: Option<&'static offload::Pool>,
    health: Option<&'static str>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if req.method() == http::Method::GET
        && health.is_some_and(|h| {
            req.extensions()
                .get::<axum::extract::MatchedPath>()
                .is_some_and(|p| p.as_str() == h)
        })
    {
        return next.run(req).await;
    }
    match service_run(spec, pool, req).await {
        Ok(req) => next.run(req).await,
        Err(resp) => resp,
    }
}

/// The script of [`service_layer`] on a matched request: the request it leaves, or the answer.
pub async fn service_run(
    spec: &'static LuaSpec,
    pool: Option<&'static offload::Pool>,
    req: axum::extract::Request,
) -> Result<axum::extract::Request, Response> {
    if let Some(pool) = pool {
        return offload::service_run(pool, spec, req, true).await;
    }
    let pattern = matched_pattern(&req);
    let (names, segments) = route_params(&pattern);
    run_router(spec, &names, &segments, req, true).await
}

/// The route pattern the router matched (empty when none).
fn matched_pattern(req: &axum::extract::Request) -> String {
    req.extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default()
}

/// The parameters of a route pattern, as it declares them, and their segments.
fn route_params(pattern: &str) -> (Vec<&str>, Vec<usize>) {
    pattern
        .split('/')
        .skip(1)
        .enumerate()
        .filter_map(|(i, seg)| {
            let name = seg.strip_prefix('{')?.strip_suffix('}')?;
            Some((name.strip_prefix('*').unwrap_or(name), i))
        })
        .unzip()
}

/// [`service_layer`] on a request the router did not match (`answer`: its 404 or 405).
pub async fn service_not_matched(
    spec: &'static LuaSpec,
    pool: Option<&'static offload::Pool>,
    req: axum::extract::Request,
    answer: Response,
) -> Response {
    if answer.status().is_redirection() {
        return answer;
    }
    let ran = match pool {
        Some(pool) => offload::service_run(pool, spec, req, false).await,
        None => run_router(spec, &[], &[], req, true).await,
    };
    match ran {
        Ok(_) => answer,
        Err(resp) => resp,
    }
}

async fn run_router(
    spec: &'static LuaSpec,
    param_names: &[&str],
    param_segments: &[usize],
    req: axum::extract::Request,
    service: bool,
) -> Result<axum::extract::Request, Response> {
    let (parts, body) = read_request(req).await?;
    router_script(spec, param_names, param_segments, parts, body, service)
}

/// The request's head and whole body (a 413 past the request body limit).
async fn read_request(
    req: axum::extract::Request,
) -> Result<(http::request::Parts, Bytes), Response> {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, crate::ctx::MAX_REQUEST_BODY).await {
        Ok(b) => Ok((parts, b)),
        Err(_) => Err(status_only(http::StatusCode::PAYLOAD_TOO_LARGE, None)),
    }
}

/// A router-level `pre` script on a read request: the request it leaves, or the answer.
fn router_script(
    spec: &'static LuaSpec,
    param_names: &[&str],
    param_segments: &[usize],
    mut parts: http::request::Parts,
    body: Bytes,
    service: bool,
) -> Result<axum::extract::Request, Response> {
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let params = param_names
        .iter()
        .zip(param_segments)
        .map(|(n, i)| {
            let raw = segments.get(*i).copied().unwrap_or_default();
            let v = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
            ((*n).to_owned(), Bytes::from(v.into_owned()))
        })
        .collect::<Vec<_>>();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or_default()
        .to_owned();
    let url = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| path.clone());
    let req = Req {
        level: Level::Router,
        method: parts.method.as_str().to_owned(),
        url: url.clone(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        host: host.clone(),
        params: params.clone(),
        headers: std::mem::take(&mut parts.headers),
        body,
    };
    let (r, result) = req_script(spec, req, None);
    if let Err(f) = result {
        if service {
            // krakend-lua's engine middleware answers every error with a 500.
            let (Failure::Custom(CustomError { message: m, .. }) | Failure::Internal(m)) = f;
            if crate::log::enabled(crate::log::Level::Error) {
                crate::log::error(&format!("[SERVICE: Gin][Lua] {m}"));
            }
            return Err(status_only(http::StatusCode::INTERNAL_SERVER_ERROR, None));
        }
        log_failure("ROUTER", &f);
        return Err(match f {
            Failure::Custom(c) => status_only(
                c.status
                    .and_then(|s| http::StatusCode::from_u16(s).ok())
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                c.content_type.as_deref(),
            ),
            Failure::Internal(_) => status_only(http::StatusCode::INTERNAL_SERVER_ERROR, None),
        });
    }
    let bad = || status_only(http::StatusCode::INTERNAL_SERVER_ERROR, None);
    parts.method = http::Method::from_bytes(r.method.as_bytes()).map_err(|_| bad())?;
    parts.headers = r.headers;
    if r.host != host {
        let v = http::HeaderValue::from_str(&r.host).map_err(|_| bad())?;
        parts.headers.insert(http::header::HOST, v);
    }
    // The URL: as set by `url(...)`, else the path (with changed parameters) and query.
    let target = if r.url != url {
        r.url
    } else {
        let mut segs: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        for ((_, old), ((_, new), i)) in params.iter().zip(r.params.iter().zip(param_segments)) {
            if old != new {
                if let Some(s) = segs.get_mut(*i) {
                    *s = percent_encoding::percent_encode(new, SEGMENT).to_string();
                }
            }
        }
        let p = format!("/{}", segs.join("/"));
        if r.query.is_empty() {
            p
        } else {
            format!("{p}?{}", r.query)
        }
    };
    parts.uri = target.parse().map_err(|_| bad())?;
    let len = r.body.len();
    if parts.headers.contains_key(http::header::CONTENT_LENGTH) {
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, len.into());
    }
    Ok(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(r.body),
    ))
}

/// Characters escaped in a path segment a script set.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn status_only(status: http::StatusCode, content_type: Option<&str>) -> Response {
    let mut r = Response::new(axum::body::Body::empty());
    *r.status_mut() = status;
    if let Some(v) = content_type.and_then(|c| http::HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

/// `modifier/lua-proxy` `pre`: on the request every backend is built from (headers, query,
/// body, parameters); `param_names` as KrakenD names them (first letter upper-cased).
pub fn proxy_pre(
    ctx: EndpointCtx,
    spec: &'static LuaSpec,
    method: &'static str,
    param_names: &'static [&'static str],
) -> Result<EndpointCtx, Response> {
    proxy_pre_carrying(ctx, spec, method, param_names, None)
}

/// [`proxy_pre`] for a namespace that also has a `post` script: the globals `pre` assigned
/// come back for [`proxy_post_carried`].
pub fn proxy_pre_keeping(
    ctx: EndpointCtx,
    spec: &'static LuaSpec,
    method: &'static str,
    param_names: &'static [&'static str],
) -> Result<(EndpointCtx, Carried), Response> {
    let mut carry = Carried::default();
    let ctx = proxy_pre_carrying(ctx, spec, method, param_names, Some(&mut carry))?;
    Ok((ctx, carry))
}

fn proxy_pre_carrying(
    mut ctx: EndpointCtx,
    spec: &'static LuaSpec,
    method: &'static str,
    param_names: &'static [&'static str],
    carry: Option<&mut Carried>,
) -> Result<EndpointCtx, Response> {
    let req = Req {
        level: Level::Proxy,
        method: method.to_owned(),
        url: String::new(),
        path: String::new(),
        query: std::mem::take(&mut ctx.query),
        host: String::new(),
        params: param_names
            .iter()
            .zip(&ctx.params)
            .map(|(n, v)| ((*n).to_owned(), Bytes::from(v.clone())))
            .collect(),
        headers: std::mem::take(&mut ctx.headers),
        body: std::mem::take(&mut ctx.body),
    };
    let (r, result) = req_script(spec, req, carry);
    ctx.query = r.query;
    ctx.headers = r.headers;
    ctx.body = r.body;
    for (name, value) in param_names.iter().zip(ctx.params.iter_mut()) {
        if let Some((_, v)) = r.params.iter().find(|(n, _)| n == name) {
            if value.as_bytes() != v {
                *value = String::from_utf8_lossy(v).into_owned();
            }
        }
    }
    match result {
        Ok(()) => Ok(ctx),
        Err(f) => {
            log_failure("ENDPOINT", &f);
            Err(crate::respond::error_response(&ctx, backend_error(f)))
        }
    }
}

/// What `skip_next` leaves for the `post` script: an empty, incomplete response.
pub fn skipped() -> Merged {
    Merged {
        data: None,
        complete: false,
        errors: Vec::new(),
        passthrough: false,
    }
}

/// `modifier/lua-proxy` `post`: on the merged response, when every backend answered (KrakenD
/// skips it on an error, which passes through). Returns the response headers the script set,
/// for [`ResponseHeaders::apply`] on the rendered answer.
pub fn proxy_post(
    ctx: &EndpointCtx,
    spec: &'static LuaSpec,
    m: Merged,
) -> Result<(Merged, ResponseHeaders), Response> {
    proxy_post_carried(ctx, spec, m, Carried::default())
}

/// [`proxy_post`] seeing the globals the request's `pre` script assigned.
pub fn proxy_post_carried(
    ctx: &EndpointCtx,
    spec: &'static LuaSpec,
    m: Merged,
    carry: Carried,
) -> Result<(Merged, ResponseHeaders), Response> {
    proxy_post_script(spec, m, carry).map_err(|f| {
        log_failure("ENDPOINT", &f);
        crate::respond::error_response(ctx, backend_error(f))
    })
}

/// The `post` script of [`proxy_post_carried`], its failure unanswered.
fn proxy_post_script(
    spec: &'static LuaSpec,
    mut m: Merged,
    mut carry: Carried,
) -> Result<(Merged, ResponseHeaders), Failure> {
    if !m.errors.is_empty() {
        return Ok((m, ResponseHeaders(None)));
    }
    let data = match m.data.take() {
        Some(Value::Object(d)) => d,
        _ => serde_json::Map::new(),
    };
    let r = Rc::new(RefCell::new(Resp::decoded(
        data::table_from(data),
        m.complete,
    )));
    engine::run_carrying(spec, Phase::Post, |lua| resp_ud(lua, &r), Some(&mut carry))?;
    let mut r = r.borrow_mut();
    let data = data::table_to(&r.data);
    // KrakenD's router copies the response's headers only when its data is not empty.
    let headers = if data.is_empty() || r.headers.is_empty() {
        None
    } else {
        Some(Box::new(std::mem::take(&mut r.headers)))
    };
    m.data = Some(Value::Object(data));
    m.complete = r.complete;
    Ok((m, ResponseHeaders(headers)))
}

/// The headers a `modifier/lua-proxy` `post` script set on the response (`None`: nothing to
/// add). Its `statusCode` and `body` are not sent: KrakenD's renders (JSON, XML, YAML, string,
/// collection) answer 200 with the data; only its `no-op` render sends them (`no_op.rs`).
#[derive(Debug)]
pub struct ResponseHeaders(Option<Box<http::HeaderMap>>);

impl ResponseHeaders {
    /// Nothing to add (yet).
    pub fn none() -> Self {
        ResponseHeaders(None)
    }

    /// Adds the headers to the rendered answer as KrakenD's router does: each value is added
    /// after `X-Krakend` and `Cache-Control` (which keep theirs), a `Content-Type` replaces the
    /// render's (Gin writes its own only when none is set), and `X-Krakend-Completed` stays the
    /// router's. `Content-Length` and hop-by-hop headers are dropped (the server frames the
    /// body).
    pub fn apply(self, mut resp: Response) -> Response {
        let Some(set) = self.0 else {
            return resp;
        };
        let out = resp.headers_mut();
        if set.contains_key(http::header::CONTENT_TYPE) {
            out.remove(http::header::CONTENT_TYPE);
        }
        for (name, value) in set.iter() {
            let skip = name == crate::respond::X_KRAKEND_COMPLETED
                || name == http::header::CONTENT_LENGTH
                || crate::respond::is_hop_by_hop(name);
            if !skip {
                out.append(name.clone(), value.clone());
            }
        }
        resp
    }
}

/// `modifier/lua-backend` `pre`: on the backend request as it would go out (full URL, method,
/// filtered headers, body). Returns the context the call then uses (`lua_request` set).
pub fn backend_pre(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<EndpointCtx, BackendError> {
    backend_pre_carrying(ctx, backend, spec, param_names, seq, None)
}

/// [`backend_pre`] for a namespace that also has a `post` script: the globals `pre` assigned
/// come back for [`backend_post_carried`].
pub fn backend_pre_keeping(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<(EndpointCtx, Carried), BackendError> {
    let mut carry = Carried::default();
    let ctx = backend_pre_carrying(ctx, backend, spec, param_names, seq, Some(&mut carry))?;
    Ok((ctx, carry))
}

fn backend_pre_carrying(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
    carry: Option<&mut Carried>,
) -> Result<EndpointCtx, BackendError> {
    let (req, uri) = backend_request(ctx, backend, param_names, seq)?;
    let url = req.url.clone();
    let (r, result) = req_script(spec, req, carry);
    if let Err(f) = result {
        log_failure("BACKEND", &f);
        return Err(backend_error(f));
    }
    backend_ctx(ctx, r, uri, &url)
}

/// The backend request a backend-level `pre` script sees, and its URL.
fn backend_request(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<(Req, http::Uri), BackendError> {
    let (uri, headers) = crate::backend::prepare(ctx, backend, seq)?;
    let url = uri.to_string();
    let req = Req {
        level: Level::Backend,
        method: backend.method.as_str().to_owned(),
        url,
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or_default().to_owned(),
        host: String::new(),
        params: param_names
            .iter()
            .zip(&ctx.params)
            .map(|(n, v)| ((*n).to_owned(), Bytes::from(v.clone())))
            .chain(
                ctx.seq_params
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.clone())),
            )
            .collect(),
        headers: headers.into_owned(),
        body: ctx.body.clone(),
    };
    Ok((req, uri))
}

/// The context a backend call uses after its `pre` script left `r` (`uri`: the URL it saw).
fn backend_ctx(
    ctx: &EndpointCtx,
    r: Req,
    uri: http::Uri,
    url: &str,
) -> Result<EndpointCtx, BackendError> {
    let uri = if r.url == url {
        uri
    } else {
        r.url
            .parse::<http::Uri>()
            .ok()
            .filter(|u| u.scheme().is_some() && u.authority().is_some())
            .ok_or_else(|| BackendError::plain(format!("lua: invalid backend URL {:?}", r.url)))?
    };
    let method = http::Method::from_bytes(r.method.as_bytes())
        .map_err(|_| BackendError::plain(format!("lua: invalid method {:?}", r.method)))?;
    Ok(EndpointCtx {
        state: ctx.state.clone(),
        spec: ctx.spec,
        params: ctx.params.clone(),
        headers: ctx.headers.clone(),
        query: ctx.query.clone(),
        body: r.body,
        deadline: ctx.deadline,
        accept: ctx.accept.clone(),
        length_forwarded: false,
        lua_request: Some(std::sync::Arc::new(BackendRequest {
            method,
            uri,
            headers: r.headers,
        })),
        seq_params: ctx.seq_params.clone(),
    })
}

/// `modifier/lua-backend` `post`: on the data of a successful call (after the backend's
/// shaping, as in KrakenD); failures pass through untouched.
pub fn backend_post(r: BackendResult, spec: &'static LuaSpec) -> BackendResult {
    backend_post_carried(r, spec, Carried::default())
}

/// [`backend_post`] seeing the globals the call's `pre` script assigned.
pub fn backend_post_carried(
    r: BackendResult,
    spec: &'static LuaSpec,
    carry: Carried,
) -> BackendResult {
    backend_post_headers(r, spec, carry, &mut ResponseHeaders(None))
}

/// [`backend_post_carried`] on the one backend of an endpoint: the headers the script set go
/// to `out`, for [`ResponseHeaders::apply`] on the answer. lura passes a lone backend's
/// response (its metadata included) to the router, which adds the headers when the data is
/// not empty; a merge of several backends builds a new response without them.
pub fn backend_post_headers(
    r: BackendResult,
    spec: &'static LuaSpec,
    mut carry: Carried,
    out: &mut ResponseHeaders,
) -> BackendResult {
    let BackendResult::Ok(d) = r else {
        return r;
    };
    let resp = Rc::new(RefCell::new(Resp::decoded(data::table_from(d), true)));
    let setup = |lua: &mlua::Lua| resp_ud(lua, &resp);
    if let Err(f) = engine::run_carrying(spec, Phase::Post, setup, Some(&mut carry)) {
        log_failure("BACKEND", &f);
        return BackendResult::Failed(backend_error(f));
    }
    let mut resp = resp.borrow_mut();
    let data = data::table_to(&resp.data);
    if !data.is_empty() && !resp.headers.is_empty() {
        *out = ResponseHeaders(Some(Box::new(std::mem::take(&mut resp.headers))));
    }
    BackendResult::Ok(data)
}
