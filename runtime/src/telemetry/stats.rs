//! `telemetry/metrics`: KrakenD's `/__stats` (krakend-metrics) on its own listener, served by
//! its own thread so a scrape never runs on a gateway worker. Every `collection_time` the
//! collector reads the lock-free registry ([`super::metrics`]) and the backend statics
//! ([`super::backend_metrics`]) into a [`Snapshot`] named as krakend-metrics names its metrics
//! (`krakend.router.*`, `krakend.proxy.*`, `krakend.service.runtime.*`); `/__stats` serves the
//! latest snapshot as one flat JSON object and `telemetry/influx` pushes it.
//!
//! Histograms cover the last collection window (krakend-metrics clears them at every
//! collection); their values are nanoseconds, estimated from the registry's buckets (the hot
//! path keeps bucket counts, not samples).

use super::metrics::BUCKETS;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

/// KrakenD's pre-OpenTelemetry telemetry namespaces of a contract (`telemetry/metrics`,
/// `telemetry/influx`, `telemetry/gelf`); emitted only when the contract has one of them.
#[derive(Debug)]
pub struct LegacyTelemetrySpec {
    pub stats: Option<StatsSpec>,
    pub influx: Option<super::influx::InfluxSpec>,
    pub gelf: Option<super::gelf::GelfSpec>,
}

impl LegacyTelemetrySpec {
    /// None of these namespaces.
    pub const NONE: LegacyTelemetrySpec = LegacyTelemetrySpec {
        stats: None,
        influx: None,
        gelf: None,
    };
}

/// `telemetry/metrics`.
#[derive(Debug)]
pub struct StatsSpec {
    /// The ip to bind (`0.0.0.0` for Go's `:8090`).
    pub listen_ip: &'static str,
    pub port: u16,
    /// `collection_time` in milliseconds.
    pub collection_ms: u64,
    /// Layers exposed (`router_disabled`, `proxy_disabled`, `backend_disabled` negated).
    pub router: bool,
    pub proxy: bool,
    pub backend: bool,
    /// Serve `/__stats` (`endpoint_disabled` negated).
    pub endpoint: bool,
    /// The pipe metrics of every endpoint (none with `proxy_disabled`).
    pub pipes: &'static [&'static super::PipeMetrics],
}

/// The percentiles of every snapshot histogram (krakend-metrics', which krakend-influx sends).
pub const PERCENTILES: [f64; 7] = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

/// A histogram over one collection window, in nanoseconds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub count: u64,
    pub mean: f64,
    /// Estimates at [`PERCENTILES`] (linear within a bucket).
    pub percentiles: [f64; 7],
    /// Estimates of the 99.9th percentile, the least and the greatest value and the standard
    /// deviation (`/__stats` shows them, as go-metrics' JSON handler does).
    pub p999: f64,
    pub min: f64,
    pub max: f64,
    pub std_dev: f64,
}

/// One collection.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub time: SystemTime,
    pub counters: BTreeMap<String, i64>,
    pub gauges: BTreeMap<String, i64>,
    pub histograms: BTreeMap<String, Histogram>,
}

static LATEST: Mutex<Option<Arc<Snapshot>>> = Mutex::new(None);
static ADDR: OnceLock<SocketAddr> = OnceLock::new();

/// The latest collection (none before the collector started).
pub fn latest() -> Option<Arc<Snapshot>> {
    LATEST.lock().ok().and_then(|g| g.clone())
}

/// Where `/__stats` listens (tests read it when the contract asks for port 0).
pub fn stats_addr() -> Option<SocketAddr> {
    ADDR.get().copied()
}

/// A route's requests by status, cumulative duration buckets and duration sum (seconds).
type RouteSums = (BTreeMap<String, u64>, Vec<u64>, f64);

/// The calls of one layer and name with one outcome: their count (cumulative), cumulative
/// bucket counts and duration sum (seconds).
#[derive(Debug, Default)]
struct Outcome {
    count: u64,
    buckets: Vec<u64>,
    sum_seconds: f64,
}

/// Cumulative bucket counts and sum (seconds) of one histogram at the previous collection.
type Previous = HashMap<String, (Vec<u64>, f64)>;

/// Reads the registries into snapshots, keeping what the windows need.
#[derive(Debug)]
pub struct Collector {
    spec: &'static StatsSpec,
    metrics: Option<&'static super::MetricsSpec>,
    previous: Previous,
    started: u64,
    finished: u64,
}

impl Collector {
    pub fn new(spec: &'static StatsSpec, metrics: Option<&'static super::MetricsSpec>) -> Self {
        Collector {
            spec,
            metrics,
            previous: HashMap::new(),
            started: 0,
            finished: 0,
        }
    }

    /// One collection now.
    pub fn collect(&mut self) -> Snapshot {
        let mut snap = Snapshot {
            time: SystemTime::now(),
            counters: BTreeMap::new(),
            gauges: BTreeMap::new(),
            histograms: BTreeMap::new(),
        };
        if let Some(registry) = super::registry() {
            self.router(&mut snap, registry);
        }
        if self.spec.proxy {
            self.pipes(&mut snap, self.spec.pipes);
        }
        if let Some(m) = self.metrics.filter(|_| self.spec.backend) {
            self.backends(&mut snap, m.backends);
        }
        runtime(&mut snap);
        snap
    }

    fn router(&mut self, snap: &mut Snapshot, registry: &super::metrics::Registry) {
        // krakend-metrics names a metric by endpoint: the methods of a route add up. Every
        // endpoint is there from the start; a request no endpoint matched (404) is not counted
        // (KrakenD's router middleware wraps endpoint handlers only).
        let mut by_route: BTreeMap<&str, RouteSums> = BTreeMap::new();
        let mut finished = 0;
        for slot in registry.slots() {
            let s = slot.snapshot();
            finished += s.count;
            let entry = by_route.entry(slot.route).or_default();
            for (status, n) in s.by_status {
                *entry.0.entry(status).or_default() += n;
            }
            add(&mut entry.1, &s.buckets);
            entry.2 += s.sum_seconds;
        }
        // In flight counts 404s too, for the moment they last: kept from going down.
        let started = (finished + registry.in_flight()).max(self.started);
        let (window_in, window_out) = (
            started.saturating_sub(self.started),
            finished.saturating_sub(self.finished),
        );
        (self.started, self.finished) = (started, finished);
        if !self.spec.router {
            return;
        }
        for (route, (statuses, buckets, sum)) in by_route {
            let name = format!("krakend.router.response.{route}");
            // Registered by krakend-metrics and never counted (statuses go to `.status.<code>.count`).
            snap.counters.insert(format!("{name}.status"), 0);
            for (status, n) in statuses {
                snap.counters
                    .insert(format!("{name}.status.{status}.count"), clamp(n));
            }
            let h = self.window(format!("{name}.time"), buckets, sum);
            snap.histograms.insert(format!("{name}.time"), h);
        }
        let c = &mut snap.counters;
        c.insert("krakend.router.connected".into(), clamp(window_in));
        c.insert("krakend.router.disconnected".into(), clamp(window_out));
        c.insert("krakend.router.connected-total".into(), clamp(started));
        c.insert("krakend.router.disconnected-total".into(), clamp(finished));
        let g = &mut snap.gauges;
        g.insert("krakend.router.connected-gauge".into(), clamp(window_in));
        g.insert(
            "krakend.router.disconnected-gauge".into(),
            clamp(window_out),
        );
        g.insert(
            "krakend.router.in-flight".into(),
            clamp(registry.in_flight()),
        );
    }

    fn backends(&mut self, snap: &mut Snapshot, list: &[&super::BackendMetrics]) {
        // Named by `url_pattern`, as krakend-metrics: backends sharing one add up.
        let mut by_name: BTreeMap<&str, super::backend_metrics::BackendSnapshot> = BTreeMap::new();
        for b in list {
            let s = b.snapshot();
            let e = by_name.entry(b.backend).or_default();
            e.count += s.count;
            e.sum_seconds += s.sum_seconds;
            e.failed_sum_seconds += s.failed_sum_seconds;
            add(&mut e.buckets, &s.buckets);
            add(&mut e.failed_buckets, &s.failed_buckets);
            add(&mut e.errors, &s.errors);
        }
        for (name, s) in by_name {
            let failed: u64 = s.errors.iter().sum();
            let ok_buckets: Vec<u64> = s
                .buckets
                .iter()
                .zip(s.failed_buckets.iter().chain(std::iter::repeat(&0)))
                .map(|(a, f)| a.saturating_sub(*f))
                .collect();
            let ok = Outcome {
                count: s.count.saturating_sub(failed),
                buckets: ok_buckets,
                sum_seconds: s.sum_seconds - s.failed_sum_seconds,
            };
            let failed = Outcome {
                count: failed,
                buckets: s.failed_buckets,
                sum_seconds: s.failed_sum_seconds,
            };
            self.layer(snap, "backend", name, ok, failed);
        }
    }

    /// The `pipe` layer: one endpoint's proxy pipe (krakend-metrics' proxy middleware).
    fn pipes(&mut self, snap: &mut Snapshot, list: &[&super::PipeMetrics]) {
        // Named by endpoint, as krakend-metrics: the methods of a route add up.
        let mut by_name: BTreeMap<&str, (Outcome, Outcome)> = BTreeMap::new();
        for p in list {
            let (ok, failed) = p.snapshot();
            let e = by_name.entry(p.endpoint).or_default();
            for (into, from) in [(&mut e.0, ok), (&mut e.1, failed)] {
                into.count += from.count();
                add(&mut into.buckets, &from.buckets);
                into.sum_seconds += from.sum_seconds;
            }
        }
        for (name, (ok, failed)) in by_name {
            self.layer(snap, "pipe", name, ok, failed);
        }
    }

    /// `krakend.proxy.{requests,latency}.layer.<layer>.name.<name>.complete.<bool>.error.<bool>`:
    /// the four counters and histograms krakend-metrics registers for every name, two of
    /// which (`complete` with an error, incomplete without one) Krustd never records.
    fn layer(
        &mut self,
        snap: &mut Snapshot,
        layer: &str,
        name: &str,
        ok: Outcome,
        failed: Outcome,
    ) {
        let base = format!("layer.{layer}.name.{name}");
        for (labels, o) in [
            ("complete.true.error.false", Some(ok)),
            ("complete.false.error.true", Some(failed)),
            ("complete.true.error.true", None),
            ("complete.false.error.false", None),
        ] {
            let o = o.unwrap_or_default();
            snap.counters.insert(
                format!("krakend.proxy.requests.{base}.{labels}"),
                clamp(o.count),
            );
            let key = format!("krakend.proxy.latency.{base}.{labels}");
            let h = self.window(key.clone(), o.buckets, o.sum_seconds);
            snap.histograms.insert(key, h);
        }
    }

    /// The histogram of the window since the previous collection of `key`.
    fn window(&mut self, key: String, cumulative: Vec<u64>, sum: f64) -> Histogram {
        let (prev, prev_sum) = self
            .previous
            .get(&key)
            .map_or((&[][..], 0.0), |(b, s)| (b.as_slice(), *s));
        let window: Vec<u64> = cumulative
            .iter()
            .enumerate()
            .map(|(i, c)| c.saturating_sub(prev.get(i).copied().unwrap_or(0)))
            .collect();
        let h = histogram(&window, (sum - prev_sum).max(0.0));
        self.previous.insert(key, (cumulative, sum));
        h
    }
}

/// A histogram from cumulative bucket counts (bounds [`BUCKETS`], then `+Inf`) and the sum of
/// the values in seconds; values in nanoseconds.
pub fn histogram(cumulative: &[u64], sum_seconds: f64) -> Histogram {
    let count = cumulative.last().copied().unwrap_or(0);
    if count == 0 {
        return Histogram::default();
    }
    let top = BUCKETS[BUCKETS.len() - 1];
    let bounds = |i: usize| {
        let lower = if i == 0 { 0.0 } else { BUCKETS[i - 1] };
        (lower, BUCKETS.get(i).copied().unwrap_or(top))
    };
    // The value of the `rank`th smallest sample, linear within its bucket.
    let at_rank = |rank: f64| {
        let rank = rank.max(1.0);
        let i = cumulative
            .iter()
            .position(|c| *c as f64 >= rank)
            .unwrap_or(cumulative.len() - 1);
        let below = if i == 0 { 0 } else { cumulative[i - 1] };
        let (lower, upper) = bounds(i);
        let within = (cumulative[i] - below).max(1) as f64;
        (lower + (upper - lower) * ((rank - below as f64) / within).clamp(0.0, 1.0)) * 1e9
    };
    let mean = sum_seconds * 1e9 / count as f64;
    // Every sample at its bucket's middle (the `+Inf` one at the last bound).
    let mut squares = 0.0;
    let mut below = 0;
    for (i, c) in cumulative.iter().enumerate() {
        let (lower, upper) = bounds(i);
        let mid = if i < BUCKETS.len() {
            (lower + upper) / 2.0
        } else {
            top
        } * 1e9;
        squares += c.saturating_sub(below) as f64 * (mid - mean).powi(2);
        below = *c;
    }
    Histogram {
        count,
        mean,
        percentiles: PERCENTILES.map(|p| at_rank(p * count as f64)),
        p999: at_rank(0.999 * count as f64),
        min: at_rank(1.0),
        max: at_rank(count as f64),
        std_dev: (squares / count as f64).sqrt(),
    }
}

fn add(into: &mut Vec<u64>, from: &[u64]) {
    if into.len() < from.len() {
        into.resize(from.len(), 0);
    }
    for (t, f) in into.iter_mut().zip(from) {
        *t += f;
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `krakend.service.runtime.*`: what a Rust process has of Go's runtime statistics.
fn runtime(snap: &mut Snapshot) {
    let g = &mut snap.gauges;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<i64>().ok())
    };
    if let Some(n) = field("Threads:") {
        g.insert("krakend.service.runtime.NumThread".into(), n);
    }
    if let Some(kb) = field("VmRSS:") {
        g.insert(
            "krakend.service.runtime.ResidentMemory".into(),
            kb.saturating_mul(1024),
        );
    }
    if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
        g.insert(
            "krakend.service.runtime.OpenFiles".into(),
            clamp(fds.count() as u64),
        );
    }
    g.insert(
        "krakend.service.runtime.DroppedLogLines".into(),
        clamp(super::logging::dropped_lines()),
    );
}

/// The flat JSON of `/__stats`: counters and gauges by name, histograms as `name.count`,
/// `name.mean` and `name.<p>-percentile`.
pub fn render(snap: &Snapshot) -> String {
    let mut out = String::with_capacity(4096);
    out.push('{');
    let mut first = true;
    let mut entry = |out: &mut String, key: &str, value: &dyn std::fmt::Display| {
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str("\n\"");
        super::logging::json_escape(out, key);
        let _ = write!(out, "\": {value}");
    };
    for (k, v) in snap.counters.iter().chain(&snap.gauges) {
        entry(&mut out, k, v);
    }
    // go-metrics' JSON handler's histogram fields.
    for (k, h) in &snap.histograms {
        let [_, _, p50, p75, _, p95, p99] = h.percentiles;
        entry(&mut out, &format!("{k}.count"), &h.count);
        for (field, v) in [
            ("min", h.min),
            ("max", h.max),
            ("mean", h.mean),
            ("std-dev", h.std_dev),
            ("50-percentile", p50),
            ("75-percentile", p75),
            ("95-percentile", p95),
            ("99-percentile", p99),
            ("999-percentile", h.p999),
        ] {
            entry(&mut out, &format!("{k}.{field}"), &number(v));
        }
    }
    out.push_str("\n}\n");
    out
}

/// A finite JSON number.
fn number(v: f64) -> f64 {
    if v.is_finite() {
        (v * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// Starts the collector (and `/__stats` unless `endpoint_disabled`, and the InfluxDB pusher)
/// on one thread of its own.
pub fn start(
    legacy: &'static LegacyTelemetrySpec,
    metrics: Option<&'static super::MetricsSpec>,
) -> Result<(), String> {
    let Some(spec) = &legacy.stats else {
        return Ok(());
    };
    let listener = if spec.endpoint {
        let ip: std::net::IpAddr = spec
            .listen_ip
            .parse()
            .map_err(|_| format!("invalid listen address {:?}", spec.listen_ip))?;
        let addr = SocketAddr::new(ip, spec.port);
        let l = std::net::TcpListener::bind(addr)
            .map_err(|e| format!("/__stats cannot listen on {addr}: {e}"))?;
        l.set_nonblocking(true)
            .map_err(|e| format!("/__stats listener: {e}"))?;
        let bound = l.local_addr().unwrap_or(addr);
        let _ = ADDR.set(bound);
        crate::log::info(&format!(
            "[SERVICE: Stats] The endpoint /__stats is now available on {bound}"
        ));
        Some(l)
    } else {
        None
    };
    let mut collector = Collector::new(spec, metrics);
    if let Ok(mut g) = LATEST.lock() {
        *g = Some(Arc::new(collector.collect()));
    }
    std::thread::Builder::new()
        .name("krustd-stats".to_owned())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    crate::log::error(&format!("[SERVICE: Stats] {e}"));
                    return;
                }
            };
            rt.block_on(async move {
                if let Some(l) = listener.and_then(|l| tokio::net::TcpListener::from_std(l).ok()) {
                    tokio::spawn(serve(l));
                }
                if let Some(influx) = &legacy.influx {
                    tokio::spawn(super::influx::run(influx));
                }
                let period = Duration::from_millis(spec.collection_ms.max(1));
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                loop {
                    tick.tick().await;
                    let snap = Arc::new(collector.collect());
                    if let Ok(mut g) = LATEST.lock() {
                        *g = Some(snap);
                    }
                }
            });
        })
        .map_err(|e| format!("stats thread: {e}"))?;
    Ok(())
}

async fn serve(listener: tokio::net::TcpListener) {
    let app = axum::Router::new().route(
        "/__stats",
        axum::routing::get(|| async {
            let body = latest().map_or_else(|| "{}\n".to_owned(), |s| render(&s));
            (
                [(
                    http::header::CONTENT_TYPE,
                    "application/json; charset=utf-8",
                )],
                body,
            )
        }),
    );
    if let Err(e) = axum::serve(listener, app).await {
        crate::log::error(&format!("[SERVICE: Stats] {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_estimated_within_buckets() {
        // 10 values: 4 in (0, 5ms], 6 in (5ms, 10ms]; sum 60 ms.
        let mut cumulative = vec![4u64, 10];
        cumulative.extend(std::iter::repeat_n(10, BUCKETS.len() - 1));
        let h = histogram(&cumulative, 0.06);
        assert_eq!(h.count, 10);
        assert!((h.mean - 6e6).abs() < 1.0);
        // p10: rank 1 of 4 in the first bucket → 1.25 ms; p50: rank 5 → 1/6 into (5, 10] ms.
        assert!((h.percentiles[0] - 1.25e6).abs() < 1.0, "{h:?}");
        assert!((h.percentiles[2] - (5e6 + 5e6 / 6.0)).abs() < 1.0, "{h:?}");
        // min: rank 1 (1.25 ms); max: the last sample's bucket's bound (10 ms).
        assert!(
            (h.min - 1.25e6).abs() < 1.0 && (h.max - 1e7).abs() < 1.0,
            "{h:?}"
        );
        // Samples at their buckets' middles (2.5 and 7.5 ms) around the mean (6 ms).
        let sd = ((4.0 * 3.5e6f64.powi(2) + 6.0 * 1.5e6f64.powi(2)) / 10.0).sqrt();
        assert!((h.std_dev - sd).abs() < 1.0, "{h:?}");
        assert_eq!(histogram(&[0; 15], 0.0), Histogram::default());
    }

    #[test]
    fn renders_a_flat_object() {
        let mut snap = Snapshot {
            time: SystemTime::UNIX_EPOCH,
            counters: BTreeMap::new(),
            gauges: BTreeMap::new(),
            histograms: BTreeMap::new(),
        };
        snap.counters.insert("krakend.router.connected".into(), 3);
        snap.histograms.insert(
            "krakend.router.response./a.time".into(),
            Histogram {
                count: 2,
                mean: 1.5,
                percentiles: [1.0; 7],
                p999: 3.0,
                min: 0.5,
                max: 4.0,
                std_dev: 0.25,
            },
        );
        let v: serde_json::Value = serde_json::from_str(&render(&snap)).expect("JSON");
        assert_eq!(v["krakend.router.connected"], 3);
        // go-metrics' JSON handler's fields, no more.
        let h = "krakend.router.response./a.time";
        let mut fields: Vec<&str> = v
            .as_object()
            .expect("an object")
            .keys()
            .filter_map(|k| k.strip_prefix(h))
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                ".50-percentile",
                ".75-percentile",
                ".95-percentile",
                ".99-percentile",
                ".999-percentile",
                ".count",
                ".max",
                ".mean",
                ".min",
                ".std-dev"
            ]
        );
        assert_eq!(v[format!("{h}.count").as_str()], 2);
        assert_eq!(v[format!("{h}.50-percentile").as_str()], 1.0);
        assert_eq!(v[format!("{h}.999-percentile").as_str()], 3.0);
        assert_eq!(v[format!("{h}.std-dev").as_str()], 0.25);
        assert_eq!(v[format!("{h}.min").as_str()], 0.5);
        assert_eq!(v[format!("{h}.max").as_str()], 4.0);
    }
}
