//! `krustd/ratelimit/redis` (a Krustd extension, beyond KrakenD CE): the endpoint's
//! `qos/ratelimit/router` limits kept in Redis, so every replica of the gateway draws from one
//! budget instead of N.
//!
//! - One atomic Lua script per decision (GCRA, as redis-cell's `CL.THROTTLE`): with emission
//!   interval T = `every / rate` and burst C = the capacity, a key accepts C requests at once
//!   and one more every T, the same C + R·t as KrakenD's bucket. Redis's own clock (`TIME`) is
//!   used, so replicas need no clock agreement.
//! - The Redis address is run-time configuration (`KRUSTD_REDIS_URL`, [`crate::Options`]),
//!   never the contract: the same binary runs against each environment's Redis.
//! - Redis is never waited on beyond the contract's `timeout` (default 20 ms). When it is
//!   unreachable, slow or not configured, the request is decided by the endpoint's local
//!   limiter (KrakenD's per-node semantics), [`fallbacks`] counts it and a log line says when
//!   the gateway enters and leaves that mode. A lost connection is retried at most once a second,
//!   in the background.

use super::{ClientLimit, TokenBucket};
use crate::ctx::SharedState;
use redis::aio::MultiplexedConnection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The contract side of one endpoint's cluster-wide limits.
#[derive(Debug)]
pub struct RedisLimit {
    /// Prefix of this endpoint's keys in Redis (`krustd:rl:<name>:…`).
    pub name: &'static str,
    /// Longest wait for Redis before the local limiter decides.
    pub timeout: Duration,
}

/// GCRA: KEYS[1] the budget, ARGV[1] the emission interval (µs), ARGV[2] the burst. Returns 1
/// when the request is accepted. The theoretical arrival time is kept as an integer µs text
/// (`%.0f`, exact for doubles below 2^53), with a TTL of the time it takes to become idle.
const GCRA: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - burst * interval > now then return 0 end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.floor((new_tat - now) / 1000) + 1)
return 1
"#;

static SCRIPT: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(GCRA));

static FALLBACKS: AtomicU64 = AtomicU64::new(0);

/// Decisions made by the local limiter because Redis was not configured, unreachable or too
/// slow (the fallback metric; also logged when the mode changes).
pub fn fallbacks() -> u64 {
    FALLBACKS.load(Ordering::Relaxed)
}

/// How long a lost connection waits before it is tried again.
const RETRY: Duration = Duration::from_secs(1);
/// Longest time a connection attempt may take (in the background, never on a request).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum Conn {
    Up(MultiplexedConnection),
    Connecting,
    Down(Instant),
}

/// One Redis server, shared by every gateway of the process that names it.
pub struct Cluster {
    url: String,
    client: Option<redis::Client>,
    conn: Mutex<Conn>,
    /// In fallback mode (logged once per change).
    degraded: AtomicBool,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster").field("url", &self.url).finish()
    }
}

/// The runtime that hosts the Redis connections: a thread of its own, so a connection outlives
/// the runtime (or core) that first asked for it.
fn background() -> Option<&'static tokio::runtime::Handle> {
    static BG: OnceLock<Option<tokio::runtime::Handle>> = OnceLock::new();
    BG.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("krustd-redis".to_owned())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .ok()?;
        Some(handle)
    })
    .as_ref()
}

/// The process-wide handle of the Redis at `url` (`redis://host:port`), connecting now in the
/// background. An invalid URL is logged; its limits then stay local.
pub fn cluster(url: &str) -> Arc<Cluster> {
    static ALL: Mutex<Vec<Arc<Cluster>>> = Mutex::new(Vec::new());
    let mut all = ALL.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(c) = all.iter().find(|c| c.url == url) {
        return c.clone();
    }
    let client = match redis::Client::open(url) {
        Ok(c) => Some(c),
        Err(e) => {
            crate::log::error(&format!(
                "krustd/ratelimit/redis: invalid Redis URL: {e}; limits stay per node"
            ));
            None
        }
    };
    let c = Arc::new(Cluster {
        url: url.to_owned(),
        client,
        conn: Mutex::new(Conn::Down(Instant::now())),
        degraded: AtomicBool::new(false),
    });
    c.connection();
    all.push(c.clone());
    c
}

impl Cluster {
    /// The live connection, or `None` (starting a background reconnection when due).
    fn connection(self: &Arc<Self>) -> Option<MultiplexedConnection> {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        match &*conn {
            Conn::Up(c) => return Some(c.clone()),
            Conn::Connecting => return None,
            Conn::Down(at) if Instant::now() < *at => return None,
            Conn::Down(_) => {}
        }
        let (Some(client), Some(bg)) = (self.client.clone(), background()) else {
            return None;
        };
        *conn = Conn::Connecting;
        let me = self.clone();
        bg.spawn(async move {
            let r =
                tokio::time::timeout(CONNECT_TIMEOUT, client.get_multiplexed_async_connection())
                    .await;
            let mut conn = me.conn.lock().unwrap_or_else(PoisonError::into_inner);
            *conn = match r {
                Ok(Ok(c)) => Conn::Up(c),
                _ => Conn::Down(Instant::now() + RETRY),
            };
        });
        None
    }

    /// Forgets a connection that failed, so the next request after [`RETRY`] reconnects.
    fn lost(&self) {
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(*conn, Conn::Up(_)) {
            *conn = Conn::Down(Instant::now() + RETRY);
        }
    }

    /// Redis's decision for `key`, or `None` when Redis cannot give one within `timeout`.
    async fn take(
        self: &Arc<Self>,
        key: Vec<u8>,
        fill_ns: u64,
        capacity: u64,
        timeout: Duration,
    ) -> Option<bool> {
        let mut conn = self.connection()?;
        let mut call = SCRIPT.key(key);
        call.arg((fill_ns / 1000).max(1)).arg(capacity);
        match tokio::time::timeout(timeout, call.invoke_async::<i64>(&mut conn)).await {
            Ok(Ok(v)) => Some(v == 1),
            Ok(Err(e)) => {
                if e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error() {
                    self.lost();
                }
                None
            }
            Err(_) => None,
        }
    }

    fn mode(&self, degraded: bool, name: &str) {
        if self.degraded.swap(degraded, Ordering::Relaxed) != degraded {
            let msg = if degraded {
                format!("krustd/ratelimit/redis: Redis at {} unreachable or slow (endpoint {name}); limits fall back to this node's", self.url)
            } else {
                format!(
                    "krustd/ratelimit/redis: Redis at {} answers again; limits are cluster-wide",
                    self.url
                )
            };
            crate::log::log(crate::log::Level::Warning, &msg);
        }
    }
}

/// `krustd:rl:<name>:<suffix>`; a client key longer than 128 bytes is replaced by its FNV-1a
/// hash (the same on every replica) so Redis keys stay small.
fn redis_key(name: &str, suffix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(name.len() + suffix.len() + 12);
    k.extend_from_slice(b"krustd:rl:");
    k.extend_from_slice(name.as_bytes());
    k.push(b':');
    if suffix.len() > 128 {
        let h = suffix.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        k.extend_from_slice(format!("#{h:016x}").as_bytes());
    } else {
        k.extend_from_slice(suffix);
    }
    k
}

async fn decide(
    state: &SharedState,
    limit: &'static RedisLimit,
    key: Vec<u8>,
    fill_ns: u64,
    capacity: u64,
    local: impl FnOnce() -> bool,
) -> bool {
    let Some(cluster) = &state.redis else {
        FALLBACKS.fetch_add(1, Ordering::Relaxed);
        static WARNED: AtomicBool = AtomicBool::new(false);
        if !WARNED.swap(true, Ordering::Relaxed) {
            crate::log::log(
                crate::log::Level::Warning,
                "krustd/ratelimit/redis: KRUSTD_REDIS_URL is not set; limits are per node",
            );
        }
        return local();
    };
    match cluster.take(key, fill_ns, capacity, limit.timeout).await {
        Some(ok) => {
            cluster.mode(false, limit.name);
            ok
        }
        None => {
            FALLBACKS.fetch_add(1, Ordering::Relaxed);
            cluster.mode(true, limit.name);
            local()
        }
    }
}

/// The endpoint bucket, cluster-wide (`local` decides when Redis cannot).
pub async fn allow_endpoint(
    state: &SharedState,
    limit: &'static RedisLimit,
    local: &'static TokenBucket,
) -> bool {
    let key = redis_key(limit.name, b"endpoint");
    decide(state, limit, key, local.fill_ns, local.capacity, || {
        local.allow()
    })
    .await
}

/// The client's bucket, cluster-wide; `key` is [`super::ClientKey::of`]'s (`None`: 429).
pub async fn allow_client(
    state: &SharedState,
    limit: &'static RedisLimit,
    local: &'static ClientLimit,
    key: Option<Vec<u8>>,
) -> bool {
    let Some(key) = key else {
        return false;
    };
    let mut suffix = Vec::with_capacity(key.len() + 7);
    suffix.extend_from_slice(b"client:");
    suffix.extend_from_slice(&key);
    let rkey = redis_key(limit.name, &suffix);
    let b = &local.buckets;
    decide(state, limit, rkey, b.fill_ns, b.capacity, || {
        b.allow_key(&key)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_and_bounded() {
        assert_eq!(
            redis_key("GET /a", b"endpoint"),
            b"krustd:rl:GET /a:endpoint"
        );
        let long = vec![b'x'; 300];
        let k = redis_key("n", &long);
        assert_eq!(k.len(), "krustd:rl:n:#".len() + 16);
        assert_eq!(k, redis_key("n", &long), "the same on every replica");
    }
}
