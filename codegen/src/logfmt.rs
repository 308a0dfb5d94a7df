//! go-logging's format strings (`%{time:2006/01/02} %{level:.4s} %{message}`), the syntax of
//! `telemetry/logging.custom_format`, parsed into pieces the runtime renders. KrakenD panics at
//! start on an unknown verb; Krustd rejects it at build time.

/// One piece of a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// `%{time:layout}`, the Go layout split into parts.
    Time(Vec<TimePart>),
    /// `%{level}` (upper case) with an optional printf spec.
    Level(Spec),
    /// The level in lower case (ECS `log.level`).
    LevelLower,
    Message(Spec),
    /// The message JSON-escaped, without quotes (the JSON formats).
    MessageJson,
    Module(Spec),
    Program(Spec),
    Pid(Spec),
    /// `%{id}`: the sequence number of the record.
    Id(Spec),
    /// `%{shortfile}` and the other caller verbs: Go source positions, which a Rust binary
    /// does not have (rendered as go-logging renders an unknown caller, `???`).
    Caller,
    /// The host name (the `telemetry/logstash` record's `host`).
    Host,
}

/// A printf spec `[-][0][width][.precision](s|d|x)` (go-logging passes it to `fmt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spec {
    pub left: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
    pub hex: bool,
}

/// A part of a Go time layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimePart {
    Lit(String),
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
    /// `.000` / `.999…`: fractional seconds, this many digits (`trim`: `9`s drop zeros).
    Frac {
        digits: usize,
        trim: bool,
    },
    AmPm,
    /// `MST`: Krustd's times are UTC.
    ZoneName,
    /// `-07:00`, `-0700`, `Z07:00`, `Z0700` (`z`: `Z` for UTC).
    Offset {
        colon: bool,
        z: bool,
    },
}

/// The default `time` layout of go-logging (`%{time}` without a layout).
pub const DEFAULT_TIME: &str = "2006-01-02T15:04:05.999Z07:00";

/// Parses a format string; the error names what is wrong.
pub fn parse(format: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = format;
    while let Some(at) = rest.find("%{") {
        lit.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("unclosed `%{{` in {format:?}"));
        };
        let inner = &after[..end];
        rest = &after[end + 1..];
        let (verb, arg) = match inner.split_once(':') {
            Some((v, a)) => (v, Some(a)),
            None => (inner, None),
        };
        let spec = || -> Result<Spec, String> { arg.map_or(Ok(Spec::default()), printf_spec) };
        let piece = match verb {
            "time" => Some(Piece::Time(time_layout(arg.unwrap_or(DEFAULT_TIME)))),
            "level" => Some(Piece::Level(spec()?)),
            "message" => Some(Piece::Message(spec()?)),
            "module" => Some(Piece::Module(spec()?)),
            "program" => Some(Piece::Program(spec()?)),
            "pid" => Some(Piece::Pid(spec()?)),
            "id" => Some(Piece::Id(spec()?)),
            "shortfile" | "longfile" | "shortfunc" | "longfunc" | "shortpkg" | "longpkg"
            | "callpath" => Some(Piece::Caller),
            // Krustd writes no terminal colours.
            "color" => match arg {
                None | Some("reset") | Some("bold") => None,
                Some(a) => return Err(format!("unknown color option `{a}` in {format:?}")),
            },
            other => return Err(format!("unknown verb `%{{{other}}}` in {format:?}")),
        };
        if let Some(p) = piece {
            if !lit.is_empty() {
                out.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            out.push(p);
        }
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    Ok(out)
}

fn printf_spec(s: &str) -> Result<Spec, String> {
    let bad = || format!("unsupported format `{s}` (use [-][0][width][.precision] and s, d or x)");
    let mut spec = Spec::default();
    let mut t = s;
    if let Some(r) = t.strip_prefix('-') {
        spec.left = true;
        t = r;
    }
    if let Some(r) = t.strip_prefix('0') {
        spec.zero = true;
        t = r;
    }
    let conv = t.chars().last().ok_or_else(bad)?;
    match conv {
        's' | 'd' | 'v' => {}
        'x' => spec.hex = true,
        _ => return Err(bad()),
    }
    let t = &t[..t.len() - 1];
    let (w, p) = match t.split_once('.') {
        Some((w, p)) => (w, Some(p)),
        None => (t, None),
    };
    if !w.is_empty() {
        spec.width = w.parse().map_err(|_| bad())?;
    }
    if let Some(p) = p {
        spec.precision = Some(if p.is_empty() {
            0
        } else {
            p.parse().map_err(|_| bad())?
        });
    }
    Ok(spec)
}

/// Splits a Go time layout into parts (Go's `nextStdChunk`, the common chunks).
pub fn time_layout(layout: &str) -> Vec<TimePart> {
    type Chunk = (&'static str, fn() -> TimePart);
    const CHUNKS: &[Chunk] = &[
        ("January", || TimePart::MonthLong),
        ("Jan", || TimePart::MonthName),
        ("Monday", || TimePart::WeekdayLong),
        ("Mon", || TimePart::Weekday),
        ("MST", || TimePart::ZoneName),
        ("2006", || TimePart::Year4),
        ("Z07:00", || TimePart::Offset {
            colon: true,
            z: true,
        }),
        ("Z0700", || TimePart::Offset {
            colon: false,
            z: true,
        }),
        ("-07:00", || TimePart::Offset {
            colon: true,
            z: false,
        }),
        ("-0700", || TimePart::Offset {
            colon: false,
            z: false,
        }),
        ("01", || TimePart::Month2),
        ("02", || TimePart::Day2),
        ("03", || TimePart::Hour12Pad),
        ("04", || TimePart::Minute2),
        ("05", || TimePart::Second2),
        ("06", || TimePart::Year2),
        ("15", || TimePart::Hour24),
        ("PM", || TimePart::AmPm),
        ("1", || TimePart::Month1),
        ("2", || TimePart::Day1),
        ("3", || TimePart::Hour12),
    ];
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = layout;
    'outer: while !rest.is_empty() {
        // `.000` / `,000` / `.999` right after the seconds.
        if (rest.starts_with('.') || rest.starts_with(','))
            && matches!(out.last(), Some(TimePart::Second2))
            && lit.is_empty()
        {
            let digits: &str = &rest[1..];
            let n0 = digits.chars().take_while(|c| *c == '0').count();
            let n9 = digits.chars().take_while(|c| *c == '9').count();
            if n0 > 0 || n9 > 0 {
                out.push(TimePart::Frac {
                    digits: n0.max(n9),
                    trim: n9 > 0,
                });
                rest = &digits[n0.max(n9)..];
                continue;
            }
        }
        for (chunk, part) in CHUNKS {
            if let Some(r) = rest.strip_prefix(chunk) {
                if !lit.is_empty() {
                    out.push(TimePart::Lit(std::mem::take(&mut lit)));
                }
                out.push(part());
                rest = r;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or(' ');
        lit.push(c);
        rest = &rest[c.len_utf8()..];
    }
    if !lit.is_empty() {
        out.push(TimePart::Lit(lit));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_krakend_patterns() {
        let p =
            parse(" %{time:2006/01/02 - 15:04:05.000} %{color}▶ %{level}%{color:reset} %{message}")
                .unwrap();
        assert_eq!(p.len(), 6, "{p:#?}");
        assert_eq!(
            p[1],
            Piece::Time(vec![
                TimePart::Year4,
                TimePart::Lit("/".into()),
                TimePart::Month2,
                TimePart::Lit("/".into()),
                TimePart::Day2,
                TimePart::Lit(" - ".into()),
                TimePart::Hour24,
                TimePart::Lit(":".into()),
                TimePart::Minute2,
                TimePart::Lit(":".into()),
                TimePart::Second2,
                TimePart::Frac {
                    digits: 3,
                    trim: false
                },
            ])
        );
        assert_eq!(p[2], Piece::Lit(" ▶ ".into()));
        let p = parse("%{level:.4s} %{id:03x} %{message}").unwrap();
        assert_eq!(
            p[0],
            Piece::Level(Spec {
                precision: Some(4),
                ..Spec::default()
            })
        );
        assert_eq!(
            p[2],
            Piece::Id(Spec {
                zero: true,
                width: 3,
                hex: true,
                ..Spec::default()
            })
        );
    }

    #[test]
    fn rejects_unknown_verbs() {
        assert!(parse("%{nope}")
            .unwrap_err()
            .contains("unknown verb `%{nope}`"));
        assert!(parse("%{message").unwrap_err().contains("unclosed"));
        assert!(parse("%{level:q}")
            .unwrap_err()
            .contains("unsupported format"));
    }
}
