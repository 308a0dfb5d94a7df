//! `modifier/lua-proxy` and `modifier/lua-backend` on a `no-op` endpoint, as krakend-lua and
//! lura's `no-op` render make them work: the scripts see and change the backend request as on
//! any endpoint (the client's body is then buffered, not streamed), and the `post` scripts see
//! the backend's answer itself (`statusCode()`, `headers`, `body()`, whatever its status), which
//! is what the client gets: the status (0, as after `skip_next`, is 200), the headers and the
//! body the scripts left. The answer is read whole (bounded like any backend body) only when a
//! `post` script or `skip_next` is there; otherwise it is streamed as without Lua.

use super::carry::Carried;
use super::engine::{self, Phase};
use super::objects::Resp;
use super::offload::{self, NoOpPools, Pool};
use super::{backend_error, data, log_failure, resp_ud, LuaSpec};
use crate::backend::BackendError;
use crate::breaker::{Admitted, CircuitBreaker, Outcome};
use crate::client::ReqBody;
use crate::ctx::EndpointCtx;
use crate::respond::{self, X_KRAKEND, X_KRAKEND_COMPLETED};
use crate::spec::BackendSpec;
use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use std::cell::RefCell;
use std::rc::Rc;

/// A backend's `modifier/lua-backend` on a `no-op` endpoint: the spec and the names of the
/// endpoint parameters as KrakenD names them.
pub type BackendLua = (&'static LuaSpec, &'static [&'static str]);

/// What a `no-op` answer is made of, as lura's `proxy.Response` carries it to the render.
#[derive(Debug, Default)]
pub(super) struct Answer {
    status: i64,
    headers: HeaderMap,
    body: Option<Bytes>,
}

/// The `no-op` endpoint's call with its Lua: the backend-level `pre`, the call (or nothing with
/// its `skip_next`), the backend-level `post`, then the proxy-level `post` (`proxy`: its spec
/// and the globals its `pre` assigned), and the answer. `proxy_skip`: the proxy-level
/// `skip_next` (no backend call).
pub async fn no_op(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    breaker: Option<&'static CircuitBreaker>,
    backend_lua: Option<BackendLua>,
    proxy: Option<(&'static LuaSpec, Carried)>,
    proxy_skip: bool,
) -> Response {
    let pools = NoOpPools::default();
    no_op_with(ctx, backend, breaker, backend_lua, proxy, proxy_skip, pools).await
}

/// [`no_op`], the configs with a pool in `pools` offloaded (`offload.rs`).
pub(super) async fn no_op_with(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    breaker: Option<&'static CircuitBreaker>,
    backend_lua: Option<BackendLua>,
    proxy: Option<(&'static LuaSpec, Carried)>,
    proxy_skip: bool,
    pools: NoOpPools,
) -> Response {
    let reads_answer = proxy_skip
        || proxy.as_ref().is_some_and(|(l, _)| l.post.is_some())
        || backend_lua.is_some_and(|(l, _)| l.post.is_some() || l.skip_next);
    if !reads_answer {
        // Only a backend `pre`: the answer streams through as without Lua.
        let sent = match backend_lua {
            Some((l, names)) => match pre(ctx, backend, (l, names), pools.backend).await {
                Ok(c) => send(&c, backend, breaker).await,
                Err(e) => Err(e),
            },
            None => send(ctx, backend, breaker).await,
        };
        return respond::no_op_answer(ctx, sent);
    }
    let answer = if proxy_skip {
        Answer::default()
    } else {
        match backend_stage(ctx, backend, breaker, backend_lua, pools.backend).await {
            Ok(a) => a,
            Err(e) => return respond::no_op_answer(ctx, Err(e)),
        }
    };
    let answer = match proxy {
        Some((l, carry)) => match post_in(ctx, l, answer, carry, pools.proxy).await {
            Ok(a) => a,
            Err(e) => return respond::error_response(ctx, e),
        },
        None => answer,
    };
    render(ctx, answer)
}

/// The backend-level `pre` (without `post`), offloaded with a pool.
async fn pre(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    (l, names): BackendLua,
    pool: Option<&'static Pool>,
) -> Result<EndpointCtx, BackendError> {
    match pool {
        Some(p) => offload::backend_pre(p, ctx, backend, l, names, &[]).await,
        None => super::backend_pre(ctx, backend, l, names, &[]),
    }
}

/// A `post` script on the answer, offloaded with a pool.
async fn post_in(
    ctx: &EndpointCtx,
    spec: &'static LuaSpec,
    a: Answer,
    carry: Carried,
    pool: Option<&'static Pool>,
) -> Result<Answer, BackendError> {
    match pool {
        Some(p) if spec.post.is_some() => offload::no_op_post(p, ctx, spec, a, carry).await,
        _ => post(spec, a, carry),
    }
}

async fn send(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    breaker: Option<&'static CircuitBreaker>,
) -> Result<crate::client::Answer, BackendError> {
    let body = ReqBody::Buffered(ctx.body.clone());
    let Some(cb) = breaker else {
        return respond::no_op_send(ctx, backend, body).await;
    };
    let mut pending = Admitted::new(cb).map_err(BackendError::plain)?;
    let sent = respond::no_op_send(ctx, backend, body).await;
    pending.finish(if sent.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    });
    sent
}

/// The backend-level `pre`, the call read whole, the backend-level `post`.
async fn backend_stage(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    breaker: Option<&'static CircuitBreaker>,
    backend_lua: Option<BackendLua>,
    pool: Option<&'static Pool>,
) -> Result<Answer, BackendError> {
    let pre = backend_lua.filter(|(l, _)| l.pre.is_some());
    let (owned, carry) = match pre {
        Some((l, names)) => {
            let (c, carry) = match pool {
                Some(p) => offload::backend_pre_keeping(p, ctx, backend, l, names, &[]).await?,
                None => super::backend_pre_keeping(ctx, backend, l, names, &[])?,
            };
            (Some(c), carry)
        }
        None => (None, Carried::default()),
    };
    let call_ctx = owned.as_ref().unwrap_or(ctx);
    let answer = if backend_lua.is_some_and(|(l, _)| l.skip_next) {
        Answer::default()
    } else {
        let mut sent = send(call_ctx, backend, breaker).await?;
        let status = i64::from(sent.status.as_u16());
        let headers = std::mem::take(&mut sent.headers);
        let read = tokio::time::timeout_at(
            call_ctx.deadline,
            sent.bytes(crate::backend::MAX_BACKEND_BODY),
        )
        .await;
        let body = match read {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => return Err(BackendError::plain(e.to_string())),
            Err(_) => return Err(BackendError::plain("context deadline exceeded")),
        };
        Answer {
            status,
            headers,
            body: Some(body),
        }
    };
    match backend_lua {
        Some((l, _)) => post_in(call_ctx, l, answer, carry, pool).await,
        None => Ok(answer),
    }
}

/// A `post` script on the answer (nothing without one).
pub(super) fn post(
    spec: &'static LuaSpec,
    a: Answer,
    mut carry: Carried,
) -> Result<Answer, BackendError> {
    if spec.post.is_none() {
        return Ok(a);
    }
    let r = Rc::new(RefCell::new(Resp {
        data: data::table_from(serde_json::Map::new()),
        complete: true,
        status: a.status,
        headers: a.headers,
        body: a.body,
    }));
    let result = engine::run_carrying(spec, Phase::Post, |lua| resp_ud(lua, &r), Some(&mut carry));
    if let Err(f) = result {
        log_failure("ENDPOINT", &f);
        return Err(backend_error(f));
    }
    let mut r = r.borrow_mut();
    Ok(Answer {
        status: r.status,
        headers: std::mem::take(&mut r.headers),
        body: r.body.take(),
    })
}

/// lura's `no-op` render: the headers, the status (0 is 200; one Go cannot write is a 500) and
/// the body. `Content-Length` and hop-by-hop headers are not copied: the body may have changed,
/// and the server frames it.
fn render(ctx: &EndpointCtx, a: Answer) -> Response {
    let status = match a.status {
        0 => Some(StatusCode::OK),
        s => u16::try_from(s)
            .ok()
            .filter(|s| (100..=999).contains(s))
            .and_then(|s| StatusCode::from_u16(s).ok()),
    };
    let Some(status) = status else {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return resp;
    };
    let mut headers = HeaderMap::with_capacity(a.headers.len() + 2);
    headers.insert(X_KRAKEND, HeaderValue::from_static(ctx.version_header()));
    headers.insert(X_KRAKEND_COMPLETED, HeaderValue::from_static("false"));
    for (name, value) in &a.headers {
        if name != http::header::CONTENT_LENGTH && !respond::is_hop_by_hop(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let mut resp = Response::new(Body::from(a.body.unwrap_or_default()));
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}
