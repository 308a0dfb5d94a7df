//! Minimal levelled logging to stdout (KrakenD logs to stdout by default). The level comes from
//! `-l/--log-level`, else the contract's `telemetry/logging.level`, else `INFO`.

use crate::go::quote as go_quote;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

/// KrakenD's levels, most verbose first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Debug = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Critical = 4,
}

impl Level {
    /// Parses `DEBUG`, `INFO`, `WARNING` (or `WARN`), `ERROR`, `CRITICAL`, any case.
    pub fn parse(s: &str) -> Option<Level> {
        match s.to_ascii_uppercase().as_str() {
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARNING" | "WARN" => Some(Level::Warning),
            "ERROR" => Some(Level::Error),
            "CRITICAL" => Some(Level::Critical),
            _ => None,
        }
    }

    /// The name go-logging prints.
    pub fn label(self) -> &'static str {
        match self {
            Level::Debug => "DEBUG",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Error => "ERROR",
            Level::Critical => "CRITICAL",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

/// Sets the lowest level that is written.
pub fn set_level(level: Level) {
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether a message at `level` would be written.
pub fn enabled(level: Level) -> bool {
    level as u8 >= LEVEL.load(Ordering::Relaxed)
}

/// Writes one line if `level` is enabled: through the contract's `telemetry/logging` when it
/// has one (queued, never blocking), else to stdout. Write errors (closed stdout) are ignored.
pub fn log(level: Level, message: &str) {
    if enabled(level) && !crate::telemetry::logging::write(level, message) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "[KRUSTD] {} {}", level.label(), message);
    }
}

/// Writes one line to stdout now, whatever the logger (start-up problems of the logger itself).
pub fn stdout_line(message: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{message}");
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn warning(message: &str) {
    log(Level::Warning, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}

/// One access-log line in gin's format (KrakenD's default logger), written to stdout:
/// `[GIN] 2006/01/02 - 15:04:05 | 200 |   12.345678ms |       10.0.0.1 | GET      "/path?q=1"`.
/// Times are UTC (the binary carries no time-zone database).
///
/// The line is queued for the access-log writer thread ([`AccessLog`]); a request never
/// waits for stdout, and a line that does not fit in the queue is dropped and counted.
pub fn access(
    now: std::time::SystemTime,
    status: u16,
    latency: std::time::Duration,
    client_ip: &str,
    method: &str,
    path: &str,
) {
    let line = format!(
        "[GIN] {} | {:>3} | {:>13} | {:>15} | {:<7} {}\n",
        gin_timestamp(now),
        status,
        go_duration(latency),
        client_ip,
        method,
        go_quote(path)
    );
    AccessLog::global().push(line);
}

/// Lines the access-log queue holds before new ones are dropped.
pub const ACCESS_QUEUE: usize = 8192;

/// A bounded queue of access-log lines and the one thread that writes them to a sink. Pushing
/// never blocks: when the sink is slower than the traffic and the queue is full, the line is
/// dropped and counted; the writer reports the count (`access log: N lines dropped`) once it
/// can write again.
#[derive(Debug)]
pub struct AccessLog {
    tx: std::sync::mpsc::SyncSender<String>,
    dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl AccessLog {
    /// The process's access log, writing to stdout.
    pub fn global() -> &'static AccessLog {
        static GLOBAL: std::sync::OnceLock<AccessLog> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(|| AccessLog::new(std::io::stdout(), ACCESS_QUEUE))
    }

    /// A queue of `capacity` lines written to `sink` by a new thread. Without a thread (the
    /// system refused one) every line is dropped and counted.
    pub fn new(sink: impl Write + Send + 'static, capacity: usize) -> AccessLog {
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(capacity.max(1));
        let dropped = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = dropped.clone();
        let spawned = std::thread::Builder::new()
            .name("krustd-access-log".to_owned())
            .spawn(move || write_lines(rx, sink, &counter));
        if let Err(e) = spawned {
            log(
                Level::Error,
                &format!("access log disabled: cannot start its writer thread: {e}"),
            );
        }
        AccessLog { tx, dropped }
    }

    /// Queues `line`, or drops and counts it when the queue is full.
    pub fn push(&self, line: String) {
        if self.tx.try_send(line).is_err() {
            self.dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            crate::telemetry::logging::count_dropped();
        }
    }

    /// Lines dropped and not reported yet.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// How long the writer lets lines gather after a write before it looks at the queue again.
/// While it naps, a request's `push` finds no waiting receiver and so makes no wake-up system
/// call: under load, one wake-up per [`ACCESS_BATCH_PAUSE`] instead of one per line (the
/// per-line wake-up measured 8% of the gateway's CPU on the 1 KB proxy). A line reaches the
/// sink at most this much later; an idle writer blocks and costs nothing.
pub const ACCESS_BATCH_PAUSE: std::time::Duration = std::time::Duration::from_millis(5);

/// The writer thread: takes every queued line, writes them in one go, flushes, reports lines
/// dropped meanwhile, then naps [`ACCESS_BATCH_PAUSE`]. Ends when every sender is gone.
fn write_lines(
    rx: std::sync::mpsc::Receiver<String>,
    sink: impl Write,
    dropped: &std::sync::atomic::AtomicU64,
) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, sink);
    while let Ok(first) = rx.recv() {
        let _ = out.write_all(first.as_bytes());
        while let Ok(more) = rx.try_recv() {
            let _ = out.write_all(more.as_bytes());
        }
        let lost = dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(
                out,
                "[KRUSTD] WARNING access log: {lost} lines dropped (the output did not keep up)"
            );
        }
        let _ = out.flush();
        std::thread::sleep(ACCESS_BATCH_PAUSE);
    }
}

/// `2006/01/02 - 15:04:05` in UTC.
pub fn gin_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = crate::go::civil_from_days(days);
    format!(
        "{year:04}/{month:02}/{day:02} - {:02}:{:02}:{:02}",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Go's `time.Duration.String()` for non-negative durations below an hour-scale precision:
/// `850ns`, `12.345µs`, `1.5ms`, `2.000001s`, `1m30s`.
pub fn go_duration(d: std::time::Duration) -> String {
    let ns = d.as_nanos();
    fn frac(value: u128, unit: u128, suffix: &str) -> String {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            return format!("{whole}{suffix}");
        }
        let width = unit.ilog10() as usize;
        let digits = format!("{rest:0width$}");
        format!("{whole}.{}{suffix}", digits.trim_end_matches('0'))
    }
    match ns {
        0 => "0s".to_owned(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => frac(n, 1_000, "µs"),
        n if n < 1_000_000_000 => frac(n, 1_000_000, "ms"),
        n if n < 60_000_000_000 => frac(n, 1_000_000_000, "s"),
        n => {
            let secs = n / 1_000_000_000;
            let (h, m) = (secs / 3600, (secs / 60) % 60);
            let s = frac(n % 60_000_000_000, 1_000_000_000, "s");
            if h > 0 {
                format!("{h}h{m}m{s}")
            } else {
                format!("{m}m{s}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn gin_formats() {
        assert_eq!(
            gin_timestamp(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023/11/14 - 22:13:20"
        );
        assert_eq!(go_duration(Duration::from_nanos(850)), "850ns");
        assert_eq!(go_duration(Duration::from_nanos(12_345)), "12.345µs");
        assert_eq!(go_duration(Duration::from_micros(1_500)), "1.5ms");
        assert_eq!(go_duration(Duration::from_secs(2)), "2s");
        assert_eq!(go_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(go_quote("/a?b=\"c\""), "\"/a?b=\\\"c\\\"\"");
    }

    /// A sink that blocks its writer until `release` is dropped, then records what it got.
    struct Stalled {
        release: std::sync::mpsc::Receiver<()>,
        got: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    }

    impl Write for Stalled {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let _ = self.release.recv();
            if let Ok(mut g) = self.got.lock() {
                g.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stalled_sink_drops_and_counts_lines_without_blocking() {
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = AccessLog::new(
            Stalled {
                release: wait,
                got: got.clone(),
            },
            16,
        );
        let started = std::time::Instant::now();
        // 100-byte lines: the writer's 64 KiB buffer takes ~650 of them before it blocks.
        for i in 0..10_000 {
            log.push(format!("{i:>99}\n"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "pushing must not wait for the sink: {:?}",
            started.elapsed()
        );
        assert!(log.dropped() > 0, "a full queue drops and counts lines");
        // Unblock the sink: the queued lines and the drop reports are written, and every
        // line is either written or counted in a report.
        drop(release);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        loop {
            let text = String::from_utf8_lossy(&got.lock().map(|g| g.clone()).unwrap_or_default())
                .into_owned();
            let written = text
                .lines()
                .filter(|l| !l.contains("lines dropped"))
                .count();
            let reported: u64 = text
                .lines()
                .filter_map(|l| l.strip_prefix("[KRUSTD] WARNING access log: "))
                .filter_map(|l| l.split(' ').next()?.parse::<u64>().ok())
                .sum();
            if written as u64 + reported == 10_000 {
                assert!(reported > 0);
                assert!(text.starts_with(&format!("{:>99}\n", 0)), "{text}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "written {written} + reported {reported} != 10000"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
