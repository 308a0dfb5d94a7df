//! The sequential proxy (spec: proxy-behaviours.md §1): backends called one after another,
//! later url_patterns taking values (`{resp0_user.id}`) from earlier responses.
//!
//! Generated code drives the steps (`if seq.running() { ... seq.push(step_n().await) }`);
//! this type keeps the results and decides when the chain stops.

use crate::backend::{BackendError, BackendResult};
use crate::ctx::EndpointCtx;
use crate::respond::Merged;
use crate::spec::BackendSpec;
use bytes::Bytes;
use serde_json::Value;
use std::sync::OnceLock;

/// Where the call of a `no-op` step whose whole answer is propagated (`resp0`) leaves the raw
/// body it received, for [`Sequence::keep_body`].
pub type BodySlot = OnceLock<Bytes>;

/// The state of one sequential call.
#[derive(Debug)]
pub struct Sequence {
    /// Shaped data of each executed step (`None` for a failed step).
    steps: Vec<Option<serde_json::Map<String, Value>>>,
    /// Raw bodies of the `no-op` steps whose whole answer is propagated, by step.
    bodies: Vec<(usize, Bytes)>,
    merged: Merged,
    running: bool,
}

impl Sequence {
    /// Starts with the result of step 0. Its failure is the endpoint's failure, unchanged.
    pub fn start(first: BackendResult, capacity: usize) -> Self {
        let mut s = Sequence {
            steps: Vec::with_capacity(capacity),
            bodies: Vec::new(),
            merged: Merged {
                data: None,
                complete: true,
                errors: Vec::new(),
                passthrough: true,
            },
            running: true,
        };
        s.push(first);
        s.merged.passthrough = s.steps.first().is_some_and(Option::is_none);
        s
    }

    /// Whether the next step is to be called.
    pub fn running(&self) -> bool {
        self.running
    }

    /// Records the next step's result. A failure or an incomplete result stops the chain.
    pub fn push(&mut self, r: BackendResult) {
        self.running = r.is_ok();
        self.steps.push(r.data().cloned());
        self.merged.push(r);
    }

    /// Keeps the raw body a `no-op` step received (lura reads a whole answer, `resp<step>`,
    /// from the response's body stream, which only a `no-op` backend has).
    pub fn keep_body(&mut self, step: usize, slot: BodySlot) {
        if let Some(body) = slot.into_inner() {
            self.bodies.push((step, body));
        }
    }

    /// The value of `{resp<step>_<path>}`, formatted as KrakenD formats it; `None` when it
    /// cannot be resolved (the placeholder then stays in the URL). An empty path is the whole
    /// answer (`resp<step>`): the raw body of a kept `no-op` step, else `None`.
    ///
    /// The path is walked while segments exist and hold objects; at the first missing or
    /// non-object segment the *last* segment is looked up at the level reached (KrakenD's
    /// quirk: `resp0_a.b` finds a top-level `b` when `a` is absent).
    pub fn value(&self, step: usize, path: &[&str]) -> Option<String> {
        let Some((last, walk)) = path.split_last() else {
            let (_, body) = self.bodies.iter().find(|(s, _)| *s == step)?;
            return Some(String::from_utf8_lossy(body).into_owned());
        };
        let mut level = self.steps.get(step)?.as_ref()?;
        for seg in walk {
            match level.get(*seg) {
                Some(Value::Object(next)) => level = next,
                _ => break,
            }
        }
        level.get(*last).map(format_value)
    }

    /// [`value`](Self::value) as bytes: the raw body of a kept `no-op` step unchanged (not
    /// made UTF-8), as lura's request parameters carry it.
    fn raw_value(&self, step: usize, path: &[&str]) -> Option<Bytes> {
        if path.is_empty() {
            let (_, body) = self.bodies.iter().find(|(s, _)| *s == step)?;
            return Some(body.clone());
        }
        self.value(step, path).map(Bytes::from)
    }

    /// The context of a step whose Lua, CEL or GraphQL reads request parameters: `ctx` with
    /// the sequential values lura puts in `request.Params` before the step, `(name, step,
    /// path)` each (`Resp0_user.id`); one that cannot be resolved is absent, as in lura.
    pub fn step_ctx(
        &self,
        ctx: &EndpointCtx,
        params: &[(&'static str, usize, &[&str])],
    ) -> EndpointCtx {
        let mut c = ctx.clone();
        c.seq_params = params
            .iter()
            .filter_map(|(name, step, path)| Some((*name, self.raw_value(*step, path)?)))
            .collect();
        c
    }

    /// The merged data of the executed steps (later steps overwrite colliding keys).
    pub fn finish(self) -> Merged {
        self.merged
    }
}

/// [`crate::backend::call`] for a `no-op` step whose whole answer is propagated: the raw body
/// received (whatever its status, as lura's `no-op` status handler accepts any) is left in
/// `body`; the step contributes no data.
pub async fn call_keeping_body(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    body: &BodySlot,
) -> BackendResult {
    let fetch = async {
        let (uri, headers) = crate::backend::prepare(ctx, spec, seq)?;
        crate::backend::exchange(ctx, spec, uri, &headers).await
    };
    match tokio::time::timeout_at(ctx.deadline, fetch).await {
        Ok(Ok(received)) => {
            let _ = body.set(received.body.clone());
            crate::backend::answer(spec, received, None).await
        }
        Ok(Err(e)) => BackendResult::Failed(e),
        Err(_) => BackendResult::Failed(BackendError::plain("context deadline exceeded")),
    }
}

/// Go's `fmt` rendering of a decoded JSON value, as KrakenD prints it into URLs.
pub fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "<nil>".to_owned(),
        Value::Array(items) => items.iter().map(format_value).collect::<Vec<_>>().join(","),
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", format_value(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::backend::BackendError;

    fn ok(v: Value) -> BackendResult {
        BackendResult::Ok(v.as_object().cloned().unwrap_or_default())
    }

    fn failed() -> BackendResult {
        BackendResult::Failed(BackendError::plain("boom"))
    }

    #[test]
    fn resolves_values_like_krakend() {
        let s = Sequence::start(
            ok(
                serde_json::json!({"user": {"id": 42, "name": "a"}, "b": "top", "n": null, "l": [1, "x"], "f": 1.5, "t": true}),
            ),
            2,
        );
        assert_eq!(s.value(0, &["user", "id"]).as_deref(), Some("42"));
        assert_eq!(s.value(0, &["missing", "b"]).as_deref(), Some("top"));
        assert_eq!(s.value(0, &["n"]).as_deref(), Some("<nil>"));
        assert_eq!(s.value(0, &["l"]).as_deref(), Some("1,x"));
        assert_eq!(s.value(0, &["f"]).as_deref(), Some("1.5"));
        assert_eq!(s.value(0, &["t"]).as_deref(), Some("true"));
        assert_eq!(s.value(0, &["user", "nope"]), None);
        assert_eq!(s.value(1, &["user"]), None);
        assert_eq!(s.value(0, &[]), None);
    }

    #[test]
    fn a_kept_body_is_the_whole_answer() {
        let mut s = Sequence::start(ok(serde_json::json!({})), 2);
        let slot = BodySlot::new();
        let _ = slot.set(Bytes::from_static(b"{\"message\":\"pong\"}"));
        s.keep_body(0, slot);
        assert_eq!(s.value(0, &[]).as_deref(), Some("{\"message\":\"pong\"}"));
        assert_eq!(s.value(0, &["message"]), None);
        s.keep_body(1, BodySlot::new());
        assert_eq!(s.value(1, &[]), None);
    }

    #[test]
    fn a_failing_first_step_passes_through() {
        let s = Sequence::start(failed(), 2);
        assert!(!s.running());
        let m = s.finish();
        assert!(m.passthrough);
        assert_eq!(m.errors.len(), 1);
    }

    #[test]
    fn a_later_failure_stops_with_partial_data() {
        let mut s = Sequence::start(ok(serde_json::json!({"a": 1})), 3);
        assert!(s.running());
        s.push(failed());
        assert!(!s.running());
        let m = s.finish();
        assert!(!m.passthrough);
        assert!(!m.complete);
        assert_eq!(m.data, Some(serde_json::json!({"a": 1})));
    }
}
