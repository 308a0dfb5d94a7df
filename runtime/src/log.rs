//! Minimal levelled logging to stdout (KrakenD logs to stdout by default). The level comes from
//! `-l/--log-level`, else the contract's `telemetry/logging.level`, else `INFO`.

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
