//! An endpoint whose one backend's JSON answer goes to the client as it is (codegen's
//! `canonical_json`, issue 9): the backend call and the response, with the client body
//! written straight from the backend's bytes by [`crate::render::canonical`] instead of a
//! `Value` decoded and rendered again.
//!
//! Codegen emits [`call`] and [`respond`] only for an endpoint where that is exactly today's
//! answer: one backend (not sequential, one call), `output_encoding: json`, a JSON `encoding`,
//! no shaping and no stage that reads or changes the data in between (see
//! `codegen/src/plan/lower/canonical_json.rs`). Everything else about the call is the shared
//! path's: the request ([`backend::prepare`], [`backend::exchange`], so forwarding, martian,
//! GraphQL and client credentials), the endpoint deadline over the whole call, the status
//! check and error handling of a non-2xx answer ([`backend::answer`]), the decode bound and
//! the blocking pool for large bodies ([`crate::decode_guard`]), the decode error texts, and
//! the responses of failures ([`respond::respond`]).
//!
//! The grouped variant ([`call_group`], [`respond_groups`]) serves a fan-out whose backends
//! each keep an `allow`ed part of their JSON answer under their own `group` (and may rename its
//! keys with `mapping`): each successful answer is rendered by [`crate::projection::render`],
//! and the client body is those values under their group names, in key order, as the merge of
//! the same data renders. Anything but a rendered value or a plain failure (error details, say)
//! takes the shared merge with the values parsed back.

use crate::backend::{self, BackendError, BackendResult, Received};
use crate::ctx::EndpointCtx;
use crate::projection::Projection;
use crate::render::canonical::{self, Rendered};
use crate::respond;
use crate::spec::{BackendSpec, Decode};
use crate::telemetry::otel::{self, BackendTrace};
use crate::telemetry::CallOutcome;
use axum::response::Response;
use http::StatusCode;
use std::future::Future;

/// The outcome of the call.
#[derive(Debug)]
pub enum Answer {
    /// A 200/201 answer, rendered as the client body.
    Rendered(Rendered),
    /// Anything else (a failure, error details), as the shared path has it.
    Other(BackendResult),
}

impl CallOutcome for Answer {
    #[inline]
    fn result(&self) -> Option<&BackendResult> {
        match self {
            Answer::Rendered(_) => None,
            Answer::Other(r) => Some(r),
        }
    }

    fn failed(e: BackendError) -> Self {
        Answer::Other(BackendResult::Failed(e))
    }
}

/// Calls the backend within the endpoint deadline and renders its answer.
pub async fn call(ctx: &EndpointCtx, spec: &'static BackendSpec) -> Answer {
    match tokio::time::timeout_at(ctx.deadline, fetch(ctx, spec)).await {
        Ok(a) => a,
        Err(_) => Answer::Other(BackendResult::Failed(BackendError::plain(
            "context deadline exceeded",
        ))),
    }
}

/// [`call`] with the backend layer's spans (`telemetry/opentelemetry`): the same spans and
/// trace context as the generic path's `otel::backend_call`, from the same outcome.
pub async fn traced(
    t: &'static BackendTrace,
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
) -> Answer {
    otel::traced_call(t, ctx, spec, &[], || call(ctx, spec), |r| answer(spec, r)).await
}

async fn fetch(ctx: &EndpointCtx, spec: &'static BackendSpec) -> Answer {
    let received = match backend::prepare(ctx, spec, &[]) {
        Ok((uri, headers)) => backend::exchange(ctx, spec, uri, &headers).await,
        Err(e) => Err(e),
    };
    match received {
        Ok(r) => answer(spec, r).await,
        Err(e) => Answer::Other(BackendResult::Failed(e)),
    }
}

/// [`backend::answer`] with the render in place of the decode.
async fn answer(spec: &'static BackendSpec, received: Received) -> Answer {
    let how = spec.decode;
    let json = matches!(
        how,
        Decode::JsonObject | Decode::JsonCollection | Decode::SafeJson
    );
    let success = received.status == StatusCode::OK || received.status == StatusCode::CREATED;
    if !json || !success {
        return Answer::Other(backend::answer(spec, received, None).await);
    }
    match crate::decode_guard::decode(how, received.body, move |b| canonical::render(how, b)).await
    {
        Ok(r) => Answer::Rendered(r),
        Err(msg) => Answer::Other(BackendResult::Failed(BackendError::plain(msg))),
    }
}

/// The client response: what [`respond::respond`] gives for the same backend result.
pub fn respond(ctx: &EndpointCtx, answer: Answer) -> Response {
    match answer {
        Answer::Rendered(r) => respond::rendered_json(ctx, r.body, r.non_empty),
        Answer::Other(r) => respond::respond(ctx, [r]),
    }
}

/// The outcome of one call of a grouped fan-out.
#[derive(Debug)]
pub enum Part {
    /// A 200/201 answer: its group and the rendered value under it.
    Group(&'static str, Vec<u8>),
    /// Anything else, as the shared path has it.
    Other(BackendResult),
}

/// Calls the backend and renders its shaped answer.
///
/// Not bounded by itself: the fan-out's [`Deadline`] bounds all its calls with one timer.
pub async fn call_group(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    projection: &'static Projection,
) -> Part {
    // The call's state (a few KB: the client's request and answer) lives in a box made when
    // the call starts: the future the fan-out moves about (into the join and its wrappers) is
    // a few words, where it would otherwise be copied whole each time.
    Box::pin(fetch_group(ctx, spec, projection)).await
}

async fn fetch_group(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    projection: &'static Projection,
) -> Part {
    // Scoped so that neither the exchange's locals nor the answer are kept beside the
    // finishing future (a call state is as large as its largest await).
    let finish = {
        let received = match backend::prepare(ctx, spec, &[]) {
            Ok((uri, headers)) => backend::exchange(ctx, spec, uri, &headers).await,
            Err(e) => Err(e),
        };
        match received {
            Ok(r) => finish_group(r, spec, projection),
            Err(e) => return Part::Other(BackendResult::Failed(e)),
        }
    };
    finish.await
}

/// [`fetch_group`] once the answer is in: its own future, so that the answer it holds does not
/// push the exchange's (larger) state further into the boxed call state.
async fn finish_group(
    received: backend::Received,
    spec: &'static BackendSpec,
    projection: &'static Projection,
) -> Part {
    let success = received.status == StatusCode::OK || received.status == StatusCode::CREATED;
    if !success {
        return Part::Other(backend::answer(spec, received, None).await);
    }
    let how = spec.decode;
    let grouped = projection
        .group
        .filter(|_| matches!(how, Decode::JsonObject | Decode::SafeJson));
    let Some(group) = grouped else {
        // Not a grouped JSON answer (codegen never emits this): the shared decode.
        let decoded = crate::decode_guard::decode(how, received.body, move |b| {
            crate::projection::decode(b, projection)
        })
        .await;
        return Part::Other(match decoded {
            Ok(d) => BackendResult::Ok(d),
            Err(msg) => BackendResult::Failed(BackendError::plain(msg)),
        });
    };
    let rendered = crate::decode_guard::decode(how, received.body, move |b| {
        crate::projection::render::render(b, projection)
    })
    .await;
    match rendered {
        Ok(value) => Part::Group(group, value),
        Err(msg) => Part::Other(BackendResult::Failed(BackendError::plain(msg))),
    }
}

/// The client response of a grouped fan-out: what [`respond::respond`] gives for the same
/// backend results.
pub fn respond_groups<const N: usize>(ctx: &EndpointCtx, parts: [Part; N]) -> Response {
    let direct = parts
        .iter()
        .all(|p| matches!(p, Part::Group(..) | Part::Other(BackendResult::Failed(_))))
        && distinct_groups(&parts);
    if !direct {
        return respond::respond(ctx, parts.map(Part::into_result));
    }
    let mut groups = Vec::with_capacity(N);
    let mut errors = Vec::new();
    for p in parts {
        match p {
            Part::Group(g, v) => groups.push((g, v)),
            Part::Other(BackendResult::Failed(e)) => errors.push(e),
            Part::Other(_) => {}
        }
    }
    respond::grouped_json(ctx, groups, errors, N == 1)
}

fn distinct_groups(parts: &[Part]) -> bool {
    let name = |p: &Part| match p {
        Part::Group(g, _) => Some(*g),
        Part::Other(_) => None,
    };
    parts
        .iter()
        .enumerate()
        .all(|(i, a)| name(a).is_none_or(|g| parts.iter().skip(i + 1).all(|b| name(b) != Some(g))))
}

impl Part {
    /// The shared path's result for this part: a rendered value parsed back under its group
    /// (the same data: the render of a parsed render is itself).
    fn into_result(self) -> BackendResult {
        match self {
            Part::Other(r) => r,
            Part::Group(g, v) => match serde_json::from_slice::<serde_json::Value>(&v) {
                Ok(value) => {
                    let mut data = crate::shape::Data::new();
                    data.insert(g.to_owned(), value);
                    BackendResult::Ok(data)
                }
                Err(e) => BackendResult::Failed(BackendError::plain(e.to_string())),
            },
        }
    }
}

/// The endpoint deadline over the calls of one grouped fan-out, with one timer for them all
/// (a timer per call cost each call a timer-wheel entry; issue 9). Each call is wrapped in
/// [`Deadline::within`], the join of them in [`Deadline::run`]: when the deadline passes, a
/// call still running ends as a `context deadline exceeded` failure and the calls that
/// finished keep their answers, as with a timeout per call.
#[derive(Debug, Default)]
pub struct Deadline {
    passed: std::sync::atomic::AtomicBool,
}

impl Deadline {
    pub fn new() -> Self {
        Deadline::default()
    }

    /// Runs `join` (the calls, each in [`Deadline::within`]) until it ends; the calls still
    /// running at `ctx.deadline` end then.
    pub async fn run<F: Future>(&self, ctx: &EndpointCtx, join: F) -> F::Output {
        use std::sync::atomic::Ordering;
        let mut timer = std::pin::pin!(tokio::time::sleep_until(ctx.deadline));
        let mut join = std::pin::pin!(join);
        std::future::poll_fn(|cx| {
            if !self.passed.load(Ordering::Relaxed) && timer.as_mut().poll(cx).is_ready() {
                self.passed.store(true, Ordering::Relaxed);
            }
            join.as_mut().poll(cx)
        })
        .await
    }

    /// One call under this deadline.
    pub async fn within<F: Future<Output = Part>>(&self, call: F) -> Part {
        use std::sync::atomic::Ordering;
        let mut call = std::pin::pin!(call);
        // The call first, then the deadline, as `tokio::time::Timeout` does.
        std::future::poll_fn(|cx| match call.as_mut().poll(cx) {
            std::task::Poll::Pending if self.passed.load(Ordering::Relaxed) => {
                std::task::Poll::Ready(Part::Other(BackendResult::Failed(BackendError::plain(
                    "context deadline exceeded",
                ))))
            }
            polled => polled,
        })
        .await
    }
}
