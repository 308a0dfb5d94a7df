//! Server limits that hold without any contract timeout (issue 10 item 5).
//!
//! - Request heads are read within [`DEFAULT_HEADER_READ_TIMEOUT`] when the contract sets
//!   neither `read_header_timeout` nor `read_timeout` (hyper's own default is "none").
//! - At most `KRUSTD_MAX_CONNECTIONS` (default [`DEFAULT_MAX_CONNECTIONS`]) client
//!   connections are open per process, over all worker threads; at the cap the workers stop
//!   accepting (new connections wait in the kernel's backlog) instead of failing.
//! - Request bodies are read within `read_timeout`, or [`DEFAULT_BODY_READ_TIMEOUT`] when the
//!   contract sets none, and count against one process-wide budget of buffered bodies
//!   (`KRUSTD_BODY_BUDGET_BYTES`, default [`DEFAULT_BODY_BUDGET`]): see [`crate::body_budget`].

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// hyper's header-read timeout when the contract sets none (hyper's own server default).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Deadline for reading a request body when the contract sets no `read_timeout`.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// Open client connections per process when `KRUSTD_MAX_CONNECTIONS` is unset.
pub const DEFAULT_MAX_CONNECTIONS: usize = 8192;
/// Bytes of request bodies buffered at once, per process, when `KRUSTD_BODY_BUDGET_BYTES` is
/// unset (8 maximal 32 MiB bodies).
pub const DEFAULT_BODY_BUDGET: usize = 256 << 20;

/// Limits of one gateway process, shared by its worker threads.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Used when the contract sets no header/read timeout.
    pub header_read_timeout: Duration,
    /// One permit per open client connection.
    pub connections: Arc<Semaphore>,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits::new(DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS)
    }
}

impl ServerLimits {
    pub fn new(header_read_timeout: Duration, max_connections: usize) -> Self {
        ServerLimits {
            header_read_timeout,
            connections: Arc::new(Semaphore::new(
                max_connections.clamp(1, Semaphore::MAX_PERMITS),
            )),
        }
    }

    /// The defaults, with `KRUSTD_MAX_CONNECTIONS` when set (a positive integer).
    pub fn from_env() -> Result<Self, String> {
        let max = env_usize("KRUSTD_MAX_CONNECTIONS")?.unwrap_or(DEFAULT_MAX_CONNECTIONS);
        Ok(ServerLimits::new(DEFAULT_HEADER_READ_TIMEOUT, max))
    }
}

/// `name` parsed as a positive integer; `None` when unset.
pub fn env_usize(name: &str) -> Result<Option<usize>, String> {
    match std::env::var(name) {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(format!("{name} is not a positive integer: {v:?}")),
        },
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

/// hyper's header-read timeout for a contract: its `read_header_timeout` (else `read_timeout`,
/// else `default`), plus `idle_timeout` when set, since hyper's header timer also runs while a
/// keep-alive connection waits for its next request.
pub fn header_read_timeout(service: &crate::spec::ServiceSpec, default: Duration) -> Duration {
    header_timeout_of(
        service.read_header_timeout,
        service.read_timeout,
        service.idle_timeout,
        default,
    )
}

fn header_timeout_of(
    read_header: Option<Duration>,
    read: Option<Duration>,
    idle: Option<Duration>,
    default: Duration,
) -> Duration {
    let head = read_header.or(read).unwrap_or(default);
    match idle {
        Some(idle) => head + idle,
        None => head,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn header_timeout_defaults_to_30s() {
        let d = DEFAULT_HEADER_READ_TIMEOUT;
        let s = Duration::from_secs;
        assert_eq!(header_timeout_of(None, None, None, d), s(30));
        assert_eq!(header_timeout_of(None, Some(s(3)), None, d), s(3));
        assert_eq!(
            header_timeout_of(Some(s(1)), Some(s(3)), Some(s(2)), d),
            s(3)
        );
        assert_eq!(header_timeout_of(None, None, Some(s(2)), d), s(32));
    }

    #[test]
    fn connection_cap_is_at_least_one() {
        assert_eq!(
            ServerLimits::new(DEFAULT_HEADER_READ_TIMEOUT, 0)
                .connections
                .available_permits(),
            1
        );
        assert_eq!(
            ServerLimits::default().connections.available_permits(),
            DEFAULT_MAX_CONNECTIONS
        );
    }
}
