//! The calls of a Lua config that may call `http_response` (the generated code decides it at
//! build time from the sources: they mention `http_response`). Such a call blocks while its
//! HTTP request is out, so it does not run on the runtime worker: it runs on a tokio
//! blocking-pool thread (`spawn_blocking`), with the thread's own state for the config
//! (`engine.rs`, built there with the `http_response` module), and the worker awaits it.
//!
//! Bounded: at most [`PERMITS`] calls of one config at a time (a call waits for a permit until
//! its deadline); the HTTP requests of a call end at the call's deadline (the endpoint's, or
//! [`Pool::new`]'s bound at router level); the instruction and memory limits apply as on the
//! worker; an answer's body is at most [`super::http_response::MAX_BODY`] bytes.
//!
//! Every other config keeps the synchronous per-worker path (`mod.rs`): nothing here runs for
//! them.

use super::carry::Carried;
use super::http_response::Outbound;
use super::no_op::{self, BackendLua};
use super::{backend_error, log_failure, LuaSpec, ResponseHeaders};
use crate::backend::{BackendError, BackendResult};
use crate::breaker::CircuitBreaker;
use crate::client::Client;
use crate::ctx::{EndpointCtx, SharedState};
use crate::respond::Merged;
use crate::spec::BackendSpec;
use axum::response::Response;
use http::HeaderValue;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Calls of one config that run at the same time, at most.
pub const PERMITS: usize = 64;

/// The offloaded calls of one Lua config.
#[derive(Debug)]
pub struct Pool {
    permits: Semaphore,
    /// The bound of a router-level call (no endpoint deadline yet).
    bound: Duration,
}

impl Pool {
    /// `bound`: the endpoint's `timeout` (the service's at service level).
    pub const fn new(bound: Duration) -> Pool {
        Pool {
            permits: Semaphore::const_new(PERMITS),
            bound,
        }
    }
}

/// A call admitted to its pool.
struct Slot {
    permit: SemaphorePermit<'static>,
    out: Outbound,
}

/// Waits (until `deadline`) for a permit of `pool`.
async fn admit(
    pool: &'static Pool,
    client: Client,
    agent: Option<HeaderValue>,
    deadline: Instant,
) -> Result<Slot, String> {
    let permit = match tokio::time::timeout_at(deadline, pool.permits.acquire()).await {
        Ok(Ok(p)) => p,
        Ok(Err(_)) => return Err("lua: no state available".to_owned()),
        Err(_) => return Err("context deadline exceeded".to_owned()),
    };
    let out = Outbound {
        client,
        agent,
        deadline,
        handle: tokio::runtime::Handle::current(),
    };
    Ok(Slot { permit, out })
}

fn admit_ctx(
    pool: &'static Pool,
    ctx: &EndpointCtx,
) -> impl std::future::Future<Output = Result<Slot, String>> {
    admit(
        pool,
        ctx.state.client.clone(),
        ctx.state.agent.clone(),
        ctx.deadline,
    )
}

/// Runs `f` on a blocking-pool thread (the permit held until it ends, even when the awaiting
/// request is gone). `Err` only when the runtime shuts down; a panic is resumed here.
async fn run<T: Send + 'static>(
    slot: Slot,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ()> {
    let Slot { permit, out } = slot;
    let joined = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        super::http_response::with_outbound(out, f)
    })
    .await;
    match joined {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(()),
    }
}

const GONE: &str = "lua: the script's thread is gone";

fn router_failure(service: bool, message: &str) -> Response {
    let prefix = if service { "SERVICE: Gin" } else { "ROUTER" };
    if crate::log::enabled(crate::log::Level::Error) {
        crate::log::error(&format!("[{prefix}][Lua] {message}"));
    }
    super::status_only(http::StatusCode::INTERNAL_SERVER_ERROR, None)
}

/// [`super::router_pre`] offloaded; `state`: the gateway's (its backend client makes the
/// script's requests).
pub async fn router_pre(
    pool: &'static Pool,
    state: &SharedState,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    param_segments: &'static [usize],
    req: axum::extract::Request,
) -> Result<axum::extract::Request, Response> {
    let deadline = Instant::now() + pool.bound;
    let (parts, body) = super::read_request(req).await?;
    let slot = admit(pool, state.client.clone(), state.agent.clone(), deadline)
        .await
        .map_err(|m| router_failure(false, &m))?;
    run(slot, move || {
        super::router_script(spec, param_names, param_segments, parts, body, false)
    })
    .await
    .unwrap_or_else(|()| Err(router_failure(false, GONE)))
}

/// [`super::service_run`] offloaded (`matched`: the router matched the request; else its 404
/// or 405 is being answered). The script's requests go through a client of their own.
pub async fn service_run(
    pool: &'static Pool,
    spec: &'static LuaSpec,
    req: axum::extract::Request,
    matched: bool,
) -> Result<axum::extract::Request, Response> {
    let deadline = Instant::now() + pool.bound;
    let pattern = if matched {
        super::matched_pattern(&req)
    } else {
        String::new()
    };
    let (parts, body) = super::read_request(req).await?;
    let agent = crate::forward::krakend_agent(crate::forward::KRAKEND_VERSION);
    let slot = admit(pool, Client::new(), agent, deadline)
        .await
        .map_err(|m| router_failure(true, &m))?;
    run(slot, move || {
        let (names, segments) = super::route_params(&pattern);
        super::router_script(spec, &names, &segments, parts, body, true)
    })
    .await
    .unwrap_or_else(|()| Err(router_failure(true, GONE)))
}

fn endpoint_failure(ctx: &EndpointCtx, message: String) -> Response {
    let f = super::engine::Failure::Internal(message);
    log_failure("ENDPOINT", &f);
    crate::respond::error_response(ctx, backend_error(f))
}

/// [`super::proxy_pre`] offloaded.
pub async fn proxy_pre(
    pool: &'static Pool,
    ctx: EndpointCtx,
    spec: &'static LuaSpec,
    method: &'static str,
    param_names: &'static [&'static str],
) -> Result<EndpointCtx, Response> {
    let slot = match admit_ctx(pool, &ctx).await {
        Ok(s) => s,
        Err(m) => return Err(endpoint_failure(&ctx, m)),
    };
    run(slot, move || {
        super::proxy_pre(ctx, spec, method, param_names)
    })
    .await
    .unwrap_or_else(|()| {
        Err(super::status_only(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            None,
        ))
    })
}

/// [`super::proxy_pre_keeping`] offloaded.
pub async fn proxy_pre_keeping(
    pool: &'static Pool,
    ctx: EndpointCtx,
    spec: &'static LuaSpec,
    method: &'static str,
    param_names: &'static [&'static str],
) -> Result<(EndpointCtx, Carried), Response> {
    let slot = match admit_ctx(pool, &ctx).await {
        Ok(s) => s,
        Err(m) => return Err(endpoint_failure(&ctx, m)),
    };
    run(slot, move || {
        super::proxy_pre_keeping(ctx, spec, method, param_names)
    })
    .await
    .unwrap_or_else(|()| {
        Err(super::status_only(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            None,
        ))
    })
}

/// [`super::proxy_post_carried`] offloaded (`carry`: what the `pre` script assigned, or
/// nothing).
pub async fn proxy_post(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    spec: &'static LuaSpec,
    m: Merged,
    carry: Carried,
) -> Result<(Merged, ResponseHeaders), Response> {
    if !m.errors.is_empty() {
        return Ok((m, ResponseHeaders(None)));
    }
    let slot = admit_ctx(pool, ctx)
        .await
        .map_err(|e| endpoint_failure(ctx, e))?;
    match run(slot, move || super::proxy_post_script(spec, m, carry)).await {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(f)) => {
            log_failure("ENDPOINT", &f);
            Err(crate::respond::error_response(ctx, backend_error(f)))
        }
        Err(()) => Err(endpoint_failure(ctx, GONE.to_owned())),
    }
}

async fn backend_pre_with(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<(EndpointCtx, Carried), BackendError> {
    let (req, uri) = super::backend_request(ctx, backend, param_names, seq)?;
    let url = req.url.clone();
    let slot = admit_ctx(pool, ctx).await.map_err(BackendError::plain)?;
    let (r, result, carry) = run(slot, move || {
        let mut carry = Carried::default();
        let (r, result) = super::req_script(spec, req, Some(&mut carry));
        (r, result, carry)
    })
    .await
    .map_err(|()| BackendError::plain(GONE))?;
    if let Err(f) = result {
        log_failure("BACKEND", &f);
        return Err(backend_error(f));
    }
    Ok((super::backend_ctx(ctx, r, uri, &url)?, carry))
}

/// [`super::backend_pre`] offloaded.
pub async fn backend_pre(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<EndpointCtx, BackendError> {
    let (ctx, _) = backend_pre_with(pool, ctx, backend, spec, param_names, seq).await?;
    Ok(ctx)
}

/// [`super::backend_pre_keeping`] offloaded.
pub async fn backend_pre_keeping(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    spec: &'static LuaSpec,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<(EndpointCtx, Carried), BackendError> {
    backend_pre_with(pool, ctx, backend, spec, param_names, seq).await
}

/// [`super::backend_post_headers`] offloaded; `out`: where the headers go on an endpoint's lone
/// backend (`None`: dropped, as lura's merge drops them).
pub async fn backend_post(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    r: BackendResult,
    spec: &'static LuaSpec,
    carry: Carried,
    out: Option<&mut ResponseHeaders>,
) -> BackendResult {
    let BackendResult::Ok(_) = &r else {
        return r;
    };
    let slot = match admit_ctx(pool, ctx).await {
        Ok(s) => s,
        Err(m) => return BackendResult::Failed(BackendError::plain(m)),
    };
    let done = run(slot, move || {
        let mut headers = ResponseHeaders(None);
        let r = super::backend_post_headers(r, spec, carry, &mut headers);
        (r, headers)
    })
    .await;
    match done {
        Ok((r, headers)) => {
            if let Some(out) = out {
                *out = headers;
            }
            r
        }
        Err(()) => BackendResult::Failed(BackendError::plain(GONE)),
    }
}

/// The pools of a `no-op` endpoint's Lua configs (`None`: that config, if any, runs inline).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOpPools {
    pub backend: Option<&'static Pool>,
    pub proxy: Option<&'static Pool>,
}

/// [`no_op::no_op`] with the configs that may call `http_response` offloaded.
pub async fn no_op(
    ctx: &EndpointCtx,
    backend: &'static BackendSpec,
    breaker: Option<&'static CircuitBreaker>,
    backend_lua: Option<BackendLua>,
    proxy: Option<(&'static LuaSpec, Carried)>,
    proxy_skip: bool,
    pools: NoOpPools,
) -> Response {
    no_op::no_op_with(ctx, backend, breaker, backend_lua, proxy, proxy_skip, pools).await
}

/// A `no-op` `post` script's answer, offloaded.
pub(super) async fn no_op_post(
    pool: &'static Pool,
    ctx: &EndpointCtx,
    spec: &'static LuaSpec,
    answer: no_op::Answer,
    carry: Carried,
) -> Result<no_op::Answer, BackendError> {
    let slot = admit_ctx(pool, ctx).await.map_err(BackendError::plain)?;
    run(slot, move || no_op::post(spec, answer, carry))
        .await
        .unwrap_or_else(|()| Err(BackendError::plain(GONE)))
}
