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

    fn label(self) -> &'static str {
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

/// Writes one line if `level` is enabled. Write errors (closed stdout) are ignored.
pub fn log(level: Level, message: &str) {
    if enabled(level) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "[KRUSTD] {} {}", level.label(), message);
    }
}

pub fn debug(message: &str) {
    log(Level::Debug, message);
}

pub fn info(message: &str) {
    log(Level::Info, message);
}

pub fn error(message: &str) {
    log(Level::Error, message);
}

/// One access-log line in gin's format (KrakenD's default logger), written to stdout:
/// `[GIN] 2006/01/02 - 15:04:05 | 200 |   12.345678ms |       10.0.0.1 | GET      "/path?q=1"`.
/// Times are UTC (the binary carries no time-zone database).
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
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(line.as_bytes());
}

/// `2006/01/02 - 15:04:05` in UTC.
pub fn gin_timestamp(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
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
}
