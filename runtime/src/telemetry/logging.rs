//! `telemetry/logging`: KrakenD's application logger (krakend-gologging over go-logging). The
//! line format is a pattern codegen parsed at build time ([`LogPiece`]s); lines go to stdout
//! (with the `prefix`) and/or syslog, each through a bounded queue and a writer thread: a log
//! call never waits for an output, a line that does not fit is dropped and counted
//! ([`dropped_lines`]).

use crate::log::{AccessLog, Level};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// The logger of the contract.
#[derive(Debug)]
pub struct LoggingSpec {
    /// Prepended to every stdout line (Go's `log.New(w, prefix, 0)`).
    pub prefix: &'static str,
    pub stdout: bool,
    pub syslog: Option<SyslogSpec>,
    /// The stdout line.
    pub pattern: &'static [LogPiece],
}

/// Syslog output: every message has the priority `facility*8 + severity`, the severity being
/// the configured level's (as Go's `log/syslog` writer KrakenD uses).
#[derive(Debug, Clone, Copy)]
pub struct SyslogSpec {
    pub facility: u8,
    pub severity: u8,
    /// The tag (empty: the program name).
    pub tag: &'static str,
}

/// A printf spec of a verb: `[-][0][width][.precision](s|d|x)`.
#[derive(Debug, Clone, Copy)]
pub struct LogSpec {
    pub left: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
    pub hex: bool,
}

/// One piece of a line (a go-logging verb or literal text).
#[derive(Debug, Clone, Copy)]
pub enum LogPiece {
    Lit(&'static str),
    Time(&'static [TimePart]),
    Level(LogSpec),
    LevelLower,
    Message(LogSpec),
    MessageJson,
    Module(LogSpec),
    Program(LogSpec),
    Pid(LogSpec),
    Id(LogSpec),
    Caller,
    /// The host name (`telemetry/logstash`), JSON-escaped.
    Host,
}

/// A part of a Go time layout; times are UTC.
#[derive(Debug, Clone, Copy)]
pub enum TimePart {
    Lit(&'static str),
    Year4,
    Year2,
    Month2,
    Month1,
    MonthName,
    MonthLong,
    Day2,
    Day1,
    Weekday,
    WeekdayLong,
    Hour24,
    Hour12,
    Hour12Pad,
    Minute2,
    Second2,
    Frac { digits: usize, trim: bool },
    AmPm,
    ZoneName,
    Offset { colon: bool, z: bool },
}

/// The module go-logging names (`%{module}`).
pub const MODULE: &str = "KRAKEND";

/// Lines the stdout and syslog queues each hold before new ones are dropped.
pub const QUEUE: usize = 8192;

struct Active {
    spec: &'static LoggingSpec,
    stdout: Option<AccessLog>,
    syslog: Option<super::syslog::Syslog>,
}

static ACTIVE: OnceLock<Active> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);
static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// Log lines dropped because an output did not keep up (application and access logs).
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Counts one dropped line.
pub(crate) fn count_dropped() {
    DROPPED.fetch_add(1, Ordering::Relaxed);
}

/// Makes `spec` the process's logger (the first call wins).
pub fn install(spec: &'static LoggingSpec) {
    let _ = ACTIVE.get_or_init(|| Active {
        spec,
        stdout: spec
            .stdout
            .then(|| AccessLog::new(std::io::stdout(), QUEUE)),
        syslog: spec.syslog.as_ref().and_then(|s| {
            match super::syslog::Syslog::from_env(s) {
                Ok(w) => Some(w),
                Err(e) => {
                    // KrakenD refuses to start its logger without syslog; Krustd keeps serving
                    // and says why on stdout.
                    crate::log::stdout_line(&format!(
                        "[SERVICE: Logging] Unable to create the logger: {e}"
                    ));
                    None
                }
            }
        }),
    });
}

/// Writes `message` through the installed logger; `false` when none is installed.
pub(crate) fn write(level: Level, message: &str) -> bool {
    let Some(a) = ACTIVE.get() else {
        return false;
    };
    if let Some(out) = &a.stdout {
        let mut line = String::with_capacity(64 + message.len());
        line.push_str(a.spec.prefix);
        render(
            &mut line,
            a.spec.pattern,
            level,
            message,
            std::time::SystemTime::now(),
        );
        line.push('\n');
        out.push(line);
    }
    if let Some(s) = &a.syslog {
        s.send(level, message);
    }
    // telemetry/gelf (go-logging's `%{message}` behind the prefix, or the logstash record).
    super::gelf::send(level, a.spec, message);
    true
}

/// Renders one line (without its newline) into `out`.
pub fn render(
    out: &mut String,
    pattern: &[LogPiece],
    level: Level,
    message: &str,
    now: std::time::SystemTime,
) {
    for p in pattern {
        match *p {
            LogPiece::Lit(s) => out.push_str(s),
            LogPiece::Time(parts) => time(out, parts, now),
            LogPiece::Level(s) => padded(out, level.label(), s),
            LogPiece::LevelLower => out.push_str(&level.label().to_ascii_lowercase()),
            LogPiece::Message(s) => padded(out, message, s),
            LogPiece::MessageJson => json_escape(out, message),
            LogPiece::Module(s) => padded(out, MODULE, s),
            LogPiece::Program(s) => padded(out, program(), s),
            LogPiece::Pid(s) => number(out, u64::from(std::process::id()), s),
            LogPiece::Id(s) => number(out, SEQUENCE.fetch_add(1, Ordering::Relaxed) + 1, s),
            LogPiece::Caller => out.push_str("???"),
            LogPiece::Host => json_escape(out, super::syslog::hostname()),
        }
    }
}

/// The program name (`os.Args[0]`'s base name).
pub fn program() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        std::env::args()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "krustd".to_owned())
    })
}

fn padded(out: &mut String, s: &str, spec: LogSpec) {
    let s = match spec.precision {
        Some(p) => s.char_indices().nth(p).map_or(s, |(i, _)| &s[..i]),
        None => s,
    };
    let pad = spec.width.saturating_sub(s.chars().count());
    if !spec.left {
        out.extend(std::iter::repeat_n(' ', pad));
    }
    out.push_str(s);
    if spec.left {
        out.extend(std::iter::repeat_n(' ', pad));
    }
}

fn number(out: &mut String, n: u64, spec: LogSpec) {
    let digits = if spec.hex {
        format!("{n:x}")
    } else {
        n.to_string()
    };
    let pad = spec.width.saturating_sub(digits.len());
    let fill = if spec.zero && !spec.left { '0' } else { ' ' };
    if !spec.left {
        out.extend(std::iter::repeat_n(fill, pad));
    }
    out.push_str(&digits);
    if spec.left {
        out.extend(std::iter::repeat_n(' ', pad));
    }
}

/// `s` escaped as the inside of a JSON string.
pub fn json_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];

/// `now` in UTC laid out by `parts` (Go's `Time.Format`).
pub fn time(out: &mut String, parts: &[TimePart], now: std::time::SystemTime) {
    let d = now
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = crate::go::civil_from_days(days);
    let (hour, minute, second) = (rem / 3600, (rem / 60) % 60, rem % 60);
    let month_name = MONTHS[(month as usize).clamp(1, 12) - 1];
    let weekday = DAYS[(days.rem_euclid(7)) as usize];
    let h12 = match hour % 12 {
        0 => 12,
        h => h,
    };
    for p in parts {
        let _ = match *p {
            TimePart::Lit(s) => out.write_str(s),
            TimePart::Year4 => write!(out, "{year:04}"),
            TimePart::Year2 => write!(out, "{:02}", year.rem_euclid(100)),
            TimePart::Month2 => write!(out, "{month:02}"),
            TimePart::Month1 => write!(out, "{month}"),
            TimePart::MonthName => out.write_str(&month_name[..3]),
            TimePart::MonthLong => out.write_str(month_name),
            TimePart::Day2 => write!(out, "{day:02}"),
            TimePart::Day1 => write!(out, "{day}"),
            TimePart::Weekday => out.write_str(&weekday[..3]),
            TimePart::WeekdayLong => out.write_str(weekday),
            TimePart::Hour24 => write!(out, "{hour:02}"),
            TimePart::Hour12 => write!(out, "{h12}"),
            TimePart::Hour12Pad => write!(out, "{h12:02}"),
            TimePart::Minute2 => write!(out, "{minute:02}"),
            TimePart::Second2 => write!(out, "{second:02}"),
            TimePart::Frac { digits, trim } => {
                let nanos = format!("{:09}", d.subsec_nanos());
                let f = &nanos[..digits.min(9)];
                let f = if trim { f.trim_end_matches('0') } else { f };
                if f.is_empty() {
                    Ok(())
                } else {
                    write!(out, ".{f}")
                }
            }
            TimePart::AmPm => out.write_str(if hour < 12 { "AM" } else { "PM" }),
            TimePart::ZoneName => out.write_str("UTC"),
            TimePart::Offset { colon, z } => out.write_str(match (z, colon) {
                (true, _) => "Z",
                (false, true) => "+00:00",
                (false, false) => "+0000",
            }),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const PLAIN: LogSpec = LogSpec {
        left: false,
        zero: false,
        width: 0,
        precision: None,
        hex: false,
    };

    #[test]
    fn renders_go_layouts_and_specs() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_120);
        let mut s = String::new();
        let parts = [
            TimePart::Weekday,
            TimePart::Lit(" "),
            TimePart::MonthName,
            TimePart::Lit(" "),
            TimePart::Day1,
            TimePart::Lit(" "),
            TimePart::Hour12,
            TimePart::Lit(":"),
            TimePart::Minute2,
            TimePart::AmPm,
            TimePart::Lit(" "),
            TimePart::Second2,
            TimePart::Frac {
                digits: 3,
                trim: false,
            },
            TimePart::Offset {
                colon: true,
                z: false,
            },
        ];
        time(&mut s, &parts, t);
        assert_eq!(s, "Tue Nov 14 10:13PM 20.120+00:00");
        let mut s = String::new();
        render(
            &mut s,
            &[
                LogPiece::Level(LogSpec {
                    precision: Some(4),
                    ..PLAIN
                }),
                LogPiece::Lit("|"),
                LogPiece::Module(LogSpec {
                    left: true,
                    width: 9,
                    ..PLAIN
                }),
                LogPiece::Lit("|"),
                LogPiece::MessageJson,
            ],
            Level::Warning,
            "a \"b\"\n",
            t,
        );
        assert_eq!(s, "WARN|KRAKEND  |a \\\"b\\\"\\n");
    }
}
