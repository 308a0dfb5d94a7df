//! `telemetry/influx`: the `telemetry/metrics` snapshot pushed to InfluxDB 1.x every `ttl`, as
//! krakend-influx writes it: line protocol with second precision to `POST /write?db=`, the
//! measurements `requests`, `responses`, `router`, `runtime`, `router.response-time`, tagged
//! with the host name. It runs on the stats thread, off the request path; a batch that
//! cannot be written is logged, counted ([`failed_writes`]) and kept (at most `buffer_size`
//! batches, the oldest dropped) for the next successful write.

use super::stats::{Histogram, Snapshot, PERCENTILES};
use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// `telemetry/influx`.
#[derive(Debug)]
pub struct InfluxSpec {
    /// `address` (`http://influxdb:8086`), without a trailing `/`.
    pub address: &'static str,
    pub db: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    /// `ttl` (the reporting period) in milliseconds.
    pub ttl_ms: u64,
    /// Failed batches kept for the next write.
    pub buffer_size: usize,
}

static FAILED: AtomicU64 = AtomicU64::new(0);
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Writes InfluxDB refused or that did not reach it.
pub fn failed_writes() -> u64 {
    FAILED.load(Ordering::Relaxed)
}

/// Batches InfluxDB accepted.
pub fn written_batches() -> u64 {
    WRITTEN.load(Ordering::Relaxed)
}

/// Pushes the latest snapshot every `ttl`, forever.
pub async fn run(spec: &'static InfluxSpec) {
    const LOG: &str = "[SERVICE: InfluxDB]";
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            crate::log::error(&format!("{LOG} Client crashed: {e}"));
            return;
        }
    };
    let host = super::syslog::hostname();
    let mut last = HashMap::new();
    let mut pending: VecDeque<String> = VecDeque::new();
    let period = Duration::from_millis(spec.ttl_ms.max(1));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        let Some(snap) = super::stats::latest() else {
            continue;
        };
        if snap.counters.is_empty() && snap.gauges.is_empty() {
            continue;
        }
        let batch = points(&snap, host, &mut last);
        if let Err(e) = write(&client, spec, &batch).await {
            FAILED.fetch_add(1, Ordering::Relaxed);
            crate::log::error(&format!("{LOG} Couldn't write to server: {e}"));
            keep(&mut pending, batch, spec.buffer_size);
            continue;
        }
        WRITTEN.fetch_add(1, Ordering::Relaxed);
        if pending.is_empty() {
            continue;
        }
        let retry: Vec<String> = pending.drain(..).collect();
        if let Err(e) = write(&client, spec, &retry.concat()).await {
            FAILED.fetch_add(1, Ordering::Relaxed);
            crate::log::error(&format!("{LOG} Couldn't write to server: {e}"));
            for b in retry {
                keep(&mut pending, b, spec.buffer_size);
            }
        }
    }
}

fn keep(pending: &mut VecDeque<String>, batch: String, size: usize) {
    pending.push_back(batch);
    while pending.len() > size {
        pending.pop_front();
    }
}

async fn write(client: &reqwest::Client, spec: &InfluxSpec, body: &str) -> Result<(), String> {
    let mut req = client
        .post(format!("{}/write", spec.address))
        .query(&[("db", spec.db), ("precision", "s")])
        .body(body.to_owned());
    if !spec.username.is_empty() {
        req = req.basic_auth(spec.username, Some(spec.password));
    }
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    Err(format!("{status}: {}", text.trim()))
}

/// The points of one snapshot (line protocol, one per line). `last` keeps the totals of the
/// previous batch, for the `count` fields (the increase since then).
pub fn points(snap: &Snapshot, host: &str, last: &mut HashMap<String, i64>) -> String {
    let ts = snap
        .time
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = String::new();
    let mut delta = |key: &str, total: i64| {
        let before = last.insert(key.to_owned(), total).unwrap_or(0);
        total - before
    };
    for (k, v) in &snap.counters {
        if let Some((layer, name, complete, error)) = layered(k, "krakend.proxy.requests.layer.") {
            let count = delta(k, *v);
            line(
                &mut out,
                "requests",
                &[
                    ("host", host),
                    ("layer", layer),
                    ("name", name),
                    ("complete", complete),
                    ("error", error),
                ],
                &format!("total={v}i,count={count}i"),
                ts,
            );
        } else if let Some((name, status)) = response(k) {
            let count = delta(k, *v);
            line(
                &mut out,
                "responses",
                &[("host", host), ("name", name), ("status", status)],
                &format!("total={v}i,count={count}i"),
                ts,
            );
        }
    }
    let counter = |k: &str| snap.counters.get(k).copied().unwrap_or(0);
    let gauge = |k: &str| snap.gauges.get(k).copied().unwrap_or(0);
    if snap.counters.contains_key("krakend.router.connected-total") {
        for (dir, c, t, g) in [
            ("in", "connected", "connected-total", "connected-gauge"),
            (
                "out",
                "disconnected",
                "disconnected-total",
                "disconnected-gauge",
            ),
        ] {
            line(
                &mut out,
                "router",
                &[("host", host), ("direction", dir)],
                &format!(
                    "current={}i,total={}i,gauge={}i",
                    counter(&format!("krakend.router.{c}")),
                    counter(&format!("krakend.router.{t}")),
                    gauge(&format!("krakend.router.{g}"))
                ),
                ts,
            );
        }
    }
    let runtime: Vec<String> = snap
        .gauges
        .iter()
        .filter_map(|(k, v)| {
            let f = k.strip_prefix("krakend.service.runtime.")?;
            Some(format!("{}={v}i", escape(f, ",= ")))
        })
        .collect();
    if !runtime.is_empty() {
        line(
            &mut out,
            "runtime",
            &[("host", host)],
            &runtime.join(","),
            ts,
        );
    }
    for (k, h) in snap.histograms.iter().filter(|(_, h)| h.count > 0) {
        if let Some((layer, name, complete, error)) = layered(k, "krakend.proxy.latency.layer.") {
            line(
                &mut out,
                "requests",
                &[
                    ("host", host),
                    ("layer", layer),
                    ("name", name),
                    ("complete", complete),
                    ("error", error),
                ],
                &fields(h),
                ts,
            );
        } else if let Some(name) = k
            .strip_prefix("krakend.router.response.")
            .and_then(|r| r.strip_suffix(".time"))
        {
            line(
                &mut out,
                "router.response-time",
                &[("host", host), ("name", name)],
                &fields(h),
                ts,
            );
        }
    }
    out
}

/// `<prefix><layer>.name.<name>.complete.<bool>.error.<bool>`.
fn layered<'a>(key: &'a str, prefix: &str) -> Option<(&'a str, &'a str, &'a str, &'a str)> {
    let rest = key.strip_prefix(prefix)?;
    let (layer, rest) = rest.split_once(".name.")?;
    let (rest, error) = rest.rsplit_once(".error.")?;
    let (name, complete) = rest.rsplit_once(".complete.")?;
    Some((layer, name, complete, error))
}

/// `krakend.router.response.<name>.status.<ddd>.count`.
fn response(key: &str) -> Option<(&str, &str)> {
    let rest = key
        .strip_prefix("krakend.router.response.")?
        .strip_suffix(".count")?;
    let (name, status) = rest.rsplit_once(".status.")?;
    (status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit())).then_some((name, status))
}

/// krakend-influx's histogram fields that a bucket histogram has: `mean` and `p0.1` … `p0.99`.
fn fields(h: &Histogram) -> String {
    let mut f = format!("mean={}i", h.mean.round() as i64);
    for (p, v) in PERCENTILES.iter().zip(h.percentiles) {
        let _ = write!(f, ",p{p}={v}");
    }
    f
}

fn line(out: &mut String, measurement: &str, tags: &[(&str, &str)], fields: &str, ts: u64) {
    out.push_str(&escape(measurement, ", "));
    for (k, v) in tags {
        let _ = write!(out, ",{}={}", escape(k, ",= "), escape(v, ",= "));
    }
    let _ = writeln!(out, " {fields} {ts}");
}

/// Line-protocol escaping: a backslash before each of `special` (and before backslashes).
fn escape(s: &str, special: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' || special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn writes_krakend_influx_points() {
        let mut snap = Snapshot {
            time: std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            counters: BTreeMap::new(),
            gauges: BTreeMap::new(),
            histograms: BTreeMap::new(),
        };
        snap.counters.insert(
            "krakend.proxy.requests.layer.backend.name./a b.complete.true.error.false".into(),
            5,
        );
        snap.counters
            .insert("krakend.router.response./ok.status.200.count".into(), 7);
        snap.counters
            .insert("krakend.router.response./ok.status.4xx.count".into(), 1);
        snap.counters
            .insert("krakend.router.connected-total".into(), 8);
        snap.gauges
            .insert("krakend.service.runtime.NumThread".into(), 4);
        snap.histograms.insert(
            "krakend.router.response./ok.time".into(),
            Histogram {
                count: 7,
                mean: 1000.4,
                percentiles: [5.0; 7],
                ..Default::default()
            },
        );
        let mut last = HashMap::new();
        let text = points(&snap, "h1", &mut last);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.contains(&"requests,host=h1,layer=backend,name=/a\\ b,complete=true,error=false total=5i,count=5i 1700000000"), "{text}");
        assert!(
            lines.contains(&"responses,host=h1,name=/ok,status=200 total=7i,count=7i 1700000000"),
            "{text}"
        );
        assert!(!text.contains("4xx"));
        assert!(
            lines.contains(&"router,host=h1,direction=in current=0i,total=8i,gauge=0i 1700000000"),
            "{text}"
        );
        assert!(
            lines.contains(&"runtime,host=h1 NumThread=4i 1700000000"),
            "{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("router.response-time,host=h1,name=/ok mean=1000i,p0.1=5,")),
            "{text}"
        );
        // The next batch counts the increase.
        snap.counters
            .insert("krakend.router.response./ok.status.200.count".into(), 10);
        let text = points(&snap, "h1", &mut last);
        assert!(text.contains("status=200 total=10i,count=3i"), "{text}");
    }
}
