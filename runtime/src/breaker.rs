//! `qos/circuit-breaker` (backend level; spec: security-and-traffic.md §8): a closed → open →
//! half-open state machine per backend definition, with the semantics of sony/gobreaker as
//! krakend-circuitbreaker configures it (`MaxRequests` 1, `ReadyToTrip` = consecutive failures
//! > `max_errors`, client cancellations excluded).
//!
//! - CLOSED: every call goes through. A failure adds to the consecutive failures, a success
//!   resets them; more than `max_errors` in a row trips the breaker to OPEN. With an
//!   `interval`, the counters start afresh every `interval` (a new "generation").
//! - OPEN for `timeout`: calls fail at once with `circuit breaker is open`, without a
//!   connection. The first call after `timeout` finds the breaker HALF-OPEN.
//! - HALF-OPEN: one trial call goes through; others meanwhile fail with `too many requests`.
//!   The trial's success closes the breaker, its failure opens it again.
//!
//! A call's outcome only counts in the generation it started in (a result that arrives after
//! a reset or a state change is ignored). A call whose future is dropped (the client went
//! away, or `concurrent_calls` cancelled it) is neither a success nor a failure, as Go's
//! `context.Canceled` is excluded; it frees the half-open trial slot.
//!
//! Generated code keeps one [`CircuitBreaker`] per backend in a `static` and wraps the whole
//! backend call with [`call`] (the outermost per-backend stage). The state sits behind one
//! short `std::sync::Mutex` taken twice per call (before and after), never across an await:
//! uncontended it costs tens of nanoseconds (see BENCHMARKS.md), which a lock-free design
//! would not measurably improve next to a backend round trip.

use crate::backend::{BackendError, BackendResult};
use std::future::Future;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The error text of a call refused by an open breaker (gobreaker's `ErrOpenState`).
pub const OPEN: &str = "circuit breaker is open";
/// The error text of a call refused while the half-open trial runs (`ErrTooManyRequests`).
pub const TOO_MANY_REQUESTS: &str = "too many requests";

/// `qos/circuit-breaker` as codegen resolved it.
#[derive(Debug)]
pub struct BreakerSpec {
    /// `name` (for the state-change log line).
    pub name: &'static str,
    /// `interval`: how often the closed-state counters start afresh; zero = never.
    pub interval: Duration,
    /// `timeout`: how long the breaker stays open (codegen turned 0 into 60 s).
    pub timeout: Duration,
    /// `max_errors`: the breaker trips on more consecutive failures than this.
    pub max_errors: u32,
    /// `log_status_change`: log every transition (warning level).
    pub log_status_change: bool,
}

/// The three states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Closed,
    HalfOpen,
    Open,
}

impl State {
    /// gobreaker's names, as KrakenD logs them.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Closed => "closed",
            State::HalfOpen => "half-open",
            State::Open => "open",
        }
    }
}

/// One backend's breaker: its spec and its mutable state.
#[derive(Debug)]
pub struct CircuitBreaker {
    spec: BreakerSpec,
    machine: Mutex<Machine>,
}

#[derive(Debug)]
struct Machine {
    state: State,
    generation: u64,
    /// The first call has set the first generation's expiry (an `Instant` is not `const`).
    started: bool,
    requests: u32,
    exclusions: u32,
    consecutive_successes: u32,
    consecutive_failures: u32,
    /// When the current generation ends (closed with an interval, or open); `None` = never.
    expiry: Option<Instant>,
}

/// How one call ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
    /// Neither (a cancelled call).
    Excluded,
}

impl CircuitBreaker {
    pub const fn new(spec: BreakerSpec) -> Self {
        CircuitBreaker {
            spec,
            machine: Mutex::new(Machine {
                state: State::Closed,
                generation: 0,
                started: false,
                requests: 0,
                exclusions: 0,
                consecutive_successes: 0,
                consecutive_failures: 0,
                expiry: None,
            }),
        }
    }

    pub fn spec(&self) -> &BreakerSpec {
        &self.spec
    }

    fn lock(&self) -> MutexGuard<'_, Machine> {
        // The critical sections never panic halfway; a poisoned lock still holds a sound state.
        self.machine.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state now (advancing an expired open state or interval).
    pub fn state(&self) -> State {
        let now = Instant::now();
        let mut m = self.lock();
        self.current(&mut m, now);
        m.state
    }

    /// Admits a call: its generation, or the error text that refuses it.
    pub fn before(&self) -> Result<u64, &'static str> {
        let now = Instant::now();
        let mut m = self.lock();
        self.current(&mut m, now);
        match m.state {
            State::Open => return Err(OPEN),
            State::HalfOpen if m.requests.saturating_sub(m.exclusions) >= 1 => {
                return Err(TOO_MANY_REQUESTS)
            }
            _ => {}
        }
        m.requests = m.requests.saturating_add(1);
        Ok(m.generation)
    }

    /// Records the outcome of a call admitted in `generation`.
    pub fn after(&self, generation: u64, outcome: Outcome) {
        let now = Instant::now();
        let mut m = self.lock();
        self.current(&mut m, now);
        if m.generation != generation {
            return;
        }
        match outcome {
            Outcome::Excluded => m.exclusions = m.exclusions.saturating_add(1),
            Outcome::Success => {
                m.consecutive_successes = m.consecutive_successes.saturating_add(1);
                m.consecutive_failures = 0;
                if m.state == State::HalfOpen {
                    self.set_state(&mut m, State::Closed, now);
                }
            }
            Outcome::Failure => match m.state {
                State::Closed => {
                    m.consecutive_failures = m.consecutive_failures.saturating_add(1);
                    m.consecutive_successes = 0;
                    if m.consecutive_failures > self.spec.max_errors {
                        self.set_state(&mut m, State::Open, now);
                    }
                }
                State::HalfOpen => self.set_state(&mut m, State::Open, now),
                State::Open => {}
            },
        }
    }

    /// gobreaker's `currentState`: a closed generation past its interval starts afresh, an
    /// open state past its timeout becomes half-open.
    fn current(&self, m: &mut Machine, now: Instant) {
        if !m.started {
            m.started = true;
            self.new_generation(m, now);
            return;
        }
        let expired = m.expiry.is_some_and(|e| e < now);
        match m.state {
            State::Closed if expired => self.new_generation(m, now),
            State::Open if expired => self.set_state(m, State::HalfOpen, now),
            _ => {}
        }
    }

    fn set_state(&self, m: &mut Machine, to: State, now: Instant) {
        if m.state == to {
            return;
        }
        let from = m.state;
        m.state = to;
        self.new_generation(m, now);
        if self.spec.log_status_change {
            crate::log::log(
                crate::log::Level::Warning,
                &format!(
                    "[CB] Circuit breaker named '{}' went from '{}' to '{}'",
                    self.spec.name,
                    from.as_str(),
                    to.as_str()
                ),
            );
        }
    }

    fn new_generation(&self, m: &mut Machine, now: Instant) {
        m.generation = m.generation.wrapping_add(1);
        m.requests = 0;
        m.exclusions = 0;
        m.consecutive_successes = 0;
        m.consecutive_failures = 0;
        m.expiry = match m.state {
            State::Closed if self.spec.interval.is_zero() => None,
            State::Closed => now.checked_add(self.spec.interval),
            State::Open => now.checked_add(self.spec.timeout),
            State::HalfOpen => None,
        };
    }
}

/// What a backend result means for the breaker (spec §8): a decoded answer and a
/// `return_error_details` answer are successes, any failure (status, decoding, timeout, a
/// stage inside the breaker) is a failure.
pub fn outcome(r: &BackendResult) -> Outcome {
    match r {
        BackendResult::Ok(_) | BackendResult::Details(_) => Outcome::Success,
        BackendResult::Failed(_) => Outcome::Failure,
    }
}

/// Runs one backend call through the breaker: refused at once (no connection) when open or
/// while the half-open trial runs, else awaited and its outcome recorded. Dropping the
/// returned future before the call ends records nothing but the exclusion.
pub async fn call<F>(cb: &'static CircuitBreaker, backend_call: F) -> BackendResult
where
    F: Future<Output = BackendResult>,
{
    let mut pending = match Admitted::new(cb) {
        Ok(p) => p,
        Err(refused) => return BackendResult::Failed(BackendError::plain(refused)),
    };
    let r = backend_call.await;
    pending.finish(outcome(&r));
    r
}

/// A `no-op` endpoint's call through the breaker: only a transport error (or the deadline)
/// is a failure, whatever the backend's status (spec §8).
pub async fn no_op(
    cb: &'static CircuitBreaker,
    ctx: &crate::ctx::EndpointCtx,
    spec: &'static crate::spec::BackendSpec,
    body: crate::client::ReqBody,
) -> axum::response::Response {
    let mut pending = match Admitted::new(cb) {
        Ok(p) => p,
        Err(refused) => {
            return crate::respond::no_op_answer(ctx, Err(BackendError::plain(refused)));
        }
    };
    let sent = crate::respond::no_op_send(ctx, spec, body).await;
    pending.finish(if sent.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    });
    crate::respond::no_op_answer(ctx, sent)
}

/// An admitted call: records its outcome once, and an exclusion when dropped unfinished.
#[derive(Debug)]
pub struct Admitted {
    cb: &'static CircuitBreaker,
    generation: u64,
    done: bool,
}

impl Admitted {
    /// Asks `cb` to admit a call; `Err` carries the refusal's error text.
    pub fn new(cb: &'static CircuitBreaker) -> Result<Self, &'static str> {
        let generation = cb.before()?;
        Ok(Admitted {
            cb,
            generation,
            done: false,
        })
    }

    /// Records how the call ended.
    pub fn finish(&mut self, outcome: Outcome) {
        if !self.done {
            self.done = true;
            self.cb.after(self.generation, outcome);
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.finish(Outcome::Excluded);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker(max_errors: u32, interval_ms: u64, timeout_ms: u64) -> &'static CircuitBreaker {
        Box::leak(Box::new(CircuitBreaker::new(BreakerSpec {
            name: "t",
            interval: Duration::from_millis(interval_ms),
            timeout: Duration::from_millis(timeout_ms),
            max_errors,
            log_status_change: false,
        })))
    }

    fn fail(cb: &CircuitBreaker) {
        if let Ok(g) = cb.before() {
            cb.after(g, Outcome::Failure);
        }
    }

    #[test]
    fn trips_on_more_than_max_errors() {
        let cb = breaker(2, 0, 60_000);
        fail(cb);
        fail(cb);
        assert_eq!(cb.state(), State::Closed, "2 failures are not more than 2");
        fail(cb);
        assert_eq!(cb.state(), State::Open);
        assert_eq!(cb.before(), Err(OPEN));
    }

    #[test]
    fn success_resets_consecutive_failures() {
        let cb = breaker(1, 0, 60_000);
        fail(cb);
        let g = cb.before().unwrap_or_default();
        cb.after(g, Outcome::Success);
        fail(cb);
        assert_eq!(cb.state(), State::Closed);
    }

    #[test]
    fn half_open_admits_one_trial_and_exclusion_frees_it() {
        let cb = breaker(0, 0, 1);
        fail(cb);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(cb.state(), State::HalfOpen);
        let trial = Admitted::new(cb);
        assert!(trial.is_ok());
        assert_eq!(cb.before().err(), Some(TOO_MANY_REQUESTS));
        drop(trial); // cancelled: excluded, the slot is free again
        let mut trial = Admitted::new(cb).unwrap_or_else(|e| panic!("{e}"));
        trial.finish(Outcome::Success);
        assert_eq!(cb.state(), State::Closed);
    }

    #[test]
    fn results_of_an_old_generation_are_ignored() {
        let cb = breaker(0, 1, 60_000);
        let g = cb.before().unwrap_or_default();
        std::thread::sleep(Duration::from_millis(5));
        cb.after(g, Outcome::Failure);
        assert_eq!(
            cb.state(),
            State::Closed,
            "the interval started a new generation"
        );
    }
}
