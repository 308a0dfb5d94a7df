//! What the telemetry of one backend call (its latency metrics, its backend spans) reads from
//! the call's outcome, whichever path made it: the generic path's [`BackendResult`], or the
//! canonical JSON path's [`crate::canonical_json::Answer`] (issue 9), whose rendered answer is
//! exactly the generic path's successful `Ok`. So a traced or measured endpoint records the
//! same spans and metrics on either path.

use crate::backend::{BackendError, BackendResult};

/// The outcome of one backend call, as telemetry reads it.
pub trait CallOutcome {
    /// The result as the generic path has it; `None` for a successful answer that was not
    /// decoded (the generic path's `BackendResult::Ok`).
    fn result(&self) -> Option<&BackendResult>;

    /// A call that failed before any answer (no host, deadline).
    fn failed(e: BackendError) -> Self;

    /// The failure a span reports (`error` attribute and status).
    fn failure(&self) -> Option<&BackendError> {
        match self.result() {
            Some(BackendResult::Failed(e)) => Some(e),
            _ => None,
        }
    }
}

impl CallOutcome for BackendResult {
    #[inline]
    fn result(&self) -> Option<&BackendResult> {
        Some(self)
    }

    fn failed(e: BackendError) -> Self {
        BackendResult::Failed(e)
    }
}
