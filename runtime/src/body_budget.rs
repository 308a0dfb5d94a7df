//! Buffering request bodies under a deadline and a process-wide memory budget (issue 10
//! item 5).
//!
//! Every buffered body holds budget permits (one per byte) for as long as its `Bytes` lives
//! (the permits travel inside the `Bytes`, so clones sent to backends keep them), so the memory
//! of all in-flight request bodies together stays under the budget instead of 32 MiB × open
//! connections. A body with a `Content-Length` reserves its size up front and may wait for
//! budget (within the deadline); a chunked body takes budget as chunks arrive and, when none is
//! left, is answered 503 at once (waiting while holding part of the budget could deadlock).
//! A `no-op` endpoint does not buffer at all: [`stream`] hands the body to the backend call.

use crate::client::ReqBody;
use crate::ctx::MAX_REQUEST_BODY;
use crate::limits::{env_usize, DEFAULT_BODY_BUDGET, DEFAULT_BODY_READ_TIMEOUT};
use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use http::StatusCode;
use http_body::Body as _;
use http_body_util::BodyExt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The process-wide budget: `KRUSTD_BODY_BUDGET_BYTES` (read once; an invalid value is
/// reported at start-up by [`check_env`]) or [`DEFAULT_BODY_BUDGET`].
pub fn budget() -> &'static Arc<Semaphore> {
    static BUDGET: OnceLock<Arc<Semaphore>> = OnceLock::new();
    BUDGET.get_or_init(|| {
        let bytes = env_usize("KRUSTD_BODY_BUDGET_BYTES")
            .ok()
            .flatten()
            .unwrap_or(DEFAULT_BODY_BUDGET);
        Arc::new(Semaphore::new(bytes.clamp(1, Semaphore::MAX_PERMITS)))
    })
}

/// Start-up check of `KRUSTD_BODY_BUDGET_BYTES`.
pub fn check_env() -> Result<(), String> {
    env_usize("KRUSTD_BODY_BUDGET_BYTES").map(|_| ())
}

/// Buffers a request body (413 past [`MAX_REQUEST_BODY`]) within `read_timeout`, or
/// [`DEFAULT_BODY_READ_TIMEOUT`] when the contract sets none (408), against the process
/// budget (503 when exhausted).
pub async fn read(body: Body, read_timeout: Option<Duration>) -> Result<Bytes, Response> {
    read_with(
        body,
        read_timeout.unwrap_or(DEFAULT_BODY_READ_TIMEOUT),
        budget(),
    )
    .await
}

/// A body to stream to a backend without buffering it (a `no-op` endpoint): 413 up front when
/// its `Content-Length` is over [`MAX_REQUEST_BODY`], else a stream that fails past that many
/// bytes or once `deadline` passes. Streamed bodies hold no budget: nothing is buffered.
pub fn stream(body: Body, deadline: tokio::time::Instant) -> Result<ReqBody, Response> {
    let length = body.size_hint().exact();
    if length.is_some_and(|n| n > MAX_REQUEST_BODY as u64) {
        return Err(too_large());
    }
    let mut total = 0usize;
    let chunks = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        total += chunk.len();
        if total > MAX_REQUEST_BODY {
            return Err(std::io::Error::other(format!(
                "request body larger than {MAX_REQUEST_BODY} bytes"
            )));
        }
        Ok(chunk)
    });
    Ok(ReqBody::Streamed {
        stream: crate::client::with_deadline(Box::pin(chunks), deadline),
        length,
    })
}

/// [`read`] with an explicit deadline and budget.
pub async fn read_with(
    body: Body,
    deadline: Duration,
    budget: &Arc<Semaphore>,
) -> Result<Bytes, Response> {
    // Most requests have no body: nothing to wait for, so no timer either.
    if body.size_hint().exact() == Some(0) {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(deadline, collect(body, budget)).await {
        Ok(r) => r,
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT.into_response()),
    }
}

/// A buffered body and the budget it holds.
struct Budgeted {
    data: Bytes,
    _permit: OwnedSemaphorePermit,
}

impl AsRef<[u8]> for Budgeted {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

async fn collect(mut body: Body, budget: &Arc<Semaphore>) -> Result<Bytes, Response> {
    let mut held: Option<OwnedSemaphorePermit> = None;
    if let Some(n) = body.size_hint().exact() {
        if n == 0 {
            return Ok(Bytes::new());
        }
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > MAX_REQUEST_BODY {
            return Err(too_large());
        }
        // All or nothing: a waiting request holds no budget, so waiting cannot deadlock.
        let permits = u32::try_from(n).map_err(|_| too_large())?;
        held = Some(
            budget
                .clone()
                .acquire_many_owned(permits)
                .await
                .map_err(|_| exhausted())?,
        );
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total += data.len();
        if total > MAX_REQUEST_BODY {
            return Err(too_large());
        }
        let have = held.as_ref().map_or(0, OwnedSemaphorePermit::num_permits);
        if total > have {
            let more = u32::try_from(total - have).map_err(|_| too_large())?;
            let extra = budget
                .clone()
                .try_acquire_many_owned(more)
                .map_err(|_| exhausted())?;
            match held.as_mut() {
                Some(p) => p.merge(extra),
                None => held = Some(extra),
            }
        }
        chunks.push(data);
    }
    let data = match chunks.len() {
        0 => return Ok(Bytes::new()),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut all = Vec::with_capacity(total);
            for c in &chunks {
                all.extend_from_slice(c);
            }
            Bytes::from(all)
        }
    };
    // Budget reserved beyond the bytes received (a short body) is given back now.
    let permit = match held {
        Some(mut p) => {
            if p.num_permits() > data.len() {
                drop(p.split(p.num_permits() - data.len()));
            }
            p
        }
        None => return Ok(data),
    };
    Ok(Bytes::from_owner(Budgeted {
        data,
        _permit: permit,
    }))
}

fn too_large() -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("request body larger than {MAX_REQUEST_BODY} bytes"),
    )
        .into_response()
}

fn exhausted() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "request body budget exhausted: retry later",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn chunked(chunks: &'static [&'static str], finish: bool) -> Body {
        let stream = futures_util::stream::iter(
            chunks
                .iter()
                .map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c.as_bytes()))),
        );
        if finish {
            Body::from_stream(stream)
        } else {
            use futures_util::StreamExt;
            Body::from_stream(stream.chain(futures_util::stream::pending()))
        }
    }

    const LONG: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn bodies_hold_budget_while_alive() {
        let budget = Arc::new(Semaphore::new(100));
        let a = read_with(Body::from("x".repeat(60)), LONG, &budget)
            .await
            .unwrap();
        assert_eq!(a.len(), 60);
        assert_eq!(budget.available_permits(), 40);
        let clone = a.clone();
        drop(a);
        assert_eq!(budget.available_permits(), 40, "clones keep the budget");
        // A chunked body that does not fit is refused at once.
        let r = read_with(
            chunked(
                &["0123456789", "0123456789", "0123456789", "0123456789", "0"],
                true,
            ),
            LONG,
            &budget,
        )
        .await
        .unwrap_err();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            budget.available_permits(),
            40,
            "a refused body gives its part back"
        );
        drop(clone);
        assert_eq!(budget.available_permits(), 100);
        let b = read_with(chunked(&["ab", "cd"], true), LONG, &budget)
            .await
            .unwrap();
        assert_eq!(b, "abcd");
        assert_eq!(budget.available_permits(), 96);
    }

    #[tokio::test]
    async fn a_sized_body_waits_for_budget_within_the_deadline() {
        let budget = Arc::new(Semaphore::new(100));
        let a = read_with(Body::from("x".repeat(80)), LONG, &budget)
            .await
            .unwrap();
        let r = read_with(
            Body::from("y".repeat(50)),
            Duration::from_millis(100),
            &budget,
        )
        .await
        .unwrap_err();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        let waiting = tokio::spawn({
            let budget = budget.clone();
            async move { read_with(Body::from("y".repeat(50)), LONG, &budget).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(a);
        let b = waiting.await.unwrap().unwrap();
        assert_eq!(b.len(), 50);
    }

    #[tokio::test]
    async fn a_body_that_never_ends_meets_the_deadline() {
        let budget = Arc::new(Semaphore::new(100));
        let started = std::time::Instant::now();
        let r = read_with(chunked(&["ab"], false), Duration::from_millis(100), &budget)
            .await
            .unwrap_err();
        assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
        assert!(started.elapsed() < Duration::from_secs(2));
        assert_eq!(budget.available_permits(), 100);
    }

    #[tokio::test]
    async fn the_size_bound_stays() {
        let budget = Arc::new(Semaphore::new(Semaphore::MAX_PERMITS));
        let r = read_with(Body::from(vec![0u8; MAX_REQUEST_BODY + 1]), LONG, &budget)
            .await
            .unwrap_err();
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(read_with(Body::empty(), LONG, &budget).await.unwrap(), "");
    }
}
