//! Keys downloaded from a `jwk_url`: a cold path (reqwest) behind a cached snapshot that
//! requests read without a lock (arc-swap). Refreshes are single-flight; unknown key ids trigger
//! a re-download unless they failed within `failed_jwk_key_cooldown`.

use super::jwk_tls::JwkTls;
use super::keys::{parse_set, Key};
use super::KeyStrategy;
use arc_swap::{ArcSwap, ArcSwapOption};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::time::Instant;

/// Largest JWK set document accepted.
const MAX_JWK_BYTES: usize = 1024 * 1024;
/// Bound on one download (connect + body).
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Bound on the remembered unknown key ids.
const MAX_MISSES: usize = 1024;

/// A `jwk_url` source as codegen emits it.
#[derive(Debug)]
pub struct RemoteSource {
    pub url: &'static str,
    /// `cache`: keep the keys `ttl`; off → download on every validation (KrakenD).
    pub cache: bool,
    pub ttl: Duration,
    /// `cache` with a service-level `auth/validator` `shared_cache_duration`: one store per URL
    /// for every endpoint (its `ttl` is the shared duration).
    pub shared: bool,
    pub cooldown: Option<Duration>,
    /// `disable_jwk_security`: TLS certificates are not verified.
    pub insecure_tls: bool,
    /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`.
    pub tls: Option<&'static JwkTls>,
}

/// One downloaded key set.
#[derive(Debug)]
pub struct Snapshot {
    pub keys: Vec<Key>,
    at: Instant,
}

impl Snapshot {
    pub fn find(&self, id: &str, strategy: KeyStrategy) -> Option<&Key> {
        self.keys.iter().find(|k| k.id(strategy) == id)
    }
}

/// The store behind one source (per endpoint, or per URL when shared).
#[derive(Debug)]
pub struct RemoteKeys {
    source: &'static RemoteSource,
    url: String,
    /// `Err`: the TLS configuration cannot be built (logged on each download).
    client: Result<reqwest::Client, String>,
    current: ArcSwapOption<Snapshot>,
    refresh: tokio::sync::Mutex<()>,
    misses: Mutex<VecDeque<(String, Instant)>>,
}

type Registry = Vec<((usize, String), Arc<RemoteKeys>)>;

/// Every store of the process, keyed by (source address or 0 when shared, resolved URL).
/// Read without a lock; written once per store.
fn registry() -> &'static ArcSwap<Registry> {
    static REGISTRY: OnceLock<ArcSwap<Registry>> = OnceLock::new();
    REGISTRY.get_or_init(|| ArcSwap::from_pointee(Vec::new()))
}

/// The store of `source` with its URL resolved to `url` (test host maps rewrite it).
pub fn store(source: &'static RemoteSource, url: &str, agent: &str) -> Arc<RemoteKeys> {
    let addr = if source.shared {
        0
    } else {
        source as *const RemoteSource as usize
    };
    let find = |r: &Registry| {
        r.iter()
            .find(|((a, u), _)| *a == addr && u == url)
            .map(|(_, s)| s.clone())
    };
    if let Some(s) = find(&registry().load()) {
        return s;
    }
    let fresh = Arc::new(RemoteKeys::new(source, url, agent));
    let mut out = fresh.clone();
    registry().rcu(|r| {
        if let Some(s) = find(r) {
            out = s;
            return Registry::clone(r);
        }
        out = fresh.clone();
        let mut next = Registry::clone(r);
        next.push(((addr, url.to_owned()), fresh.clone()));
        next
    });
    out
}

impl RemoteKeys {
    fn new(source: &'static RemoteSource, url: &str, agent: &str) -> Self {
        let client = client(source.insecure_tls, source.tls, agent);
        RemoteKeys {
            source,
            url: url.to_owned(),
            client,
            current: ArcSwapOption::empty(),
            refresh: tokio::sync::Mutex::new(()),
            misses: Mutex::new(VecDeque::new()),
        }
    }

    /// The key set holding `id`, downloading when needed. `None`: unknown or unreachable.
    pub async fn lookup(&self, id: &str, strategy: KeyStrategy) -> Option<Arc<Snapshot>> {
        if !self.source.cache {
            let snap = Arc::new(self.download().await?);
            return snap.find(id, strategy).is_some().then_some(snap);
        }
        let seen = self.current.load_full();
        if let Some(s) = &seen {
            if s.at.elapsed() < self.source.ttl {
                if s.find(id, strategy).is_some() {
                    return seen;
                }
                if self.missed_recently(id) {
                    return None;
                }
            }
        }
        let _single = self.refresh.lock().await;
        // Another request may have refreshed while this one waited.
        let now = self.current.load_full();
        if let Some(s) = &now {
            let newer = match &seen {
                Some(old) => s.at > old.at,
                None => true,
            };
            if newer && s.at.elapsed() < self.source.ttl && s.find(id, strategy).is_some() {
                return now;
            }
        }
        let snap = Arc::new(self.download().await?);
        self.current.store(Some(snap.clone()));
        if snap.find(id, strategy).is_some() {
            Some(snap)
        } else {
            self.remember_miss(id);
            None
        }
    }

    fn missed_recently(&self, id: &str) -> bool {
        let Some(cooldown) = self.source.cooldown else {
            return false;
        };
        let mut misses = self
            .misses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while misses.front().is_some_and(|(_, t)| t.elapsed() >= cooldown) {
            misses.pop_front();
        }
        misses.iter().any(|(k, _)| k == id)
    }

    fn remember_miss(&self, id: &str) {
        if self.source.cooldown.is_none() {
            return;
        }
        let mut misses = self
            .misses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if misses.len() >= MAX_MISSES {
            misses.pop_front();
        }
        misses.push_back((id.to_owned(), Instant::now()));
    }

    async fn download(&self) -> Option<Snapshot> {
        let client = match &self.client {
            Ok(c) => c,
            Err(why) => {
                crate::log::error(&format!("JWK: fetching {}: {why}", self.url));
                return None;
            }
        };
        let body = match fetch(client, &self.url).await {
            Ok(b) => b,
            Err(why) => {
                crate::log::error(&format!("JWK: fetching {}: {why}", self.url));
                return None;
            }
        };
        match parse_set(&body) {
            Some(keys) => Some(Snapshot {
                keys,
                at: Instant::now(),
            }),
            None => {
                crate::log::error(&format!("JWK: fetching {}: not a JWK set", self.url));
                None
            }
        }
    }
}

/// The HTTP client of a JWK download (validator and signer): TLS 1.2 at least, certificates
/// not verified with `disable_jwk_security`, bounded in time; `tls` when the contract pins
/// certificates, adds a CA or chooses suites.
pub(crate) fn client(
    insecure_tls: bool,
    tls: Option<&'static JwkTls>,
    agent: &str,
) -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder()
        .user_agent(agent)
        .timeout(FETCH_TIMEOUT);
    let builder = match tls {
        Some(t) => {
            let config: std::sync::Arc<rustls::ClientConfig> = t.config(insecure_tls)?;
            builder.use_preconfigured_tls(rustls::ClientConfig::clone(&config))
        }
        None => builder
            .danger_accept_invalid_certs(insecure_tls)
            .min_tls_version(reqwest::tls::Version::TLS_1_2),
    };
    builder.build().map_err(|e| e.to_string())
}

/// Downloads a JWK document (a 2xx answer of at most `MAX_JWK_BYTES`).
pub(crate) async fn fetch(client: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut resp = client.get(url).send().await.map_err(|e| {
        // reqwest's message hides the cause (a refused certificate, a pin, no common suite).
        let mut msg = e.to_string();
        let mut cause = std::error::Error::source(&e);
        while let Some(c) = cause {
            msg = format!("{msg}: {c}");
            cause = c.source();
        }
        msg
    })?;
    if !resp.status().is_success() {
        return Err(format!("status {}", resp.status().as_u16()));
    }
    let mut body = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(c)) if body.len() + c.len() <= MAX_JWK_BYTES => body.extend_from_slice(&c),
            Ok(Some(_)) => return Err("document too large".into()),
            Ok(None) => return Ok(body),
            Err(e) => return Err(e.to_string()),
        }
    }
}
