//! Feed dates: the RFC 3339 / ISO 8601 and RFC 822/1123 layouts gofeed's `shared.ParseDate`
//! tries, parsed with chrono (the layouts written as chrono format strings).

use chrono::format::{parse, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, FixedOffset, Timelike};

/// A parsed instant with the zone offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GoTime(DateTime<FixedOffset>);

impl GoTime {
    pub(super) fn utc(self) -> GoTime {
        GoTime(
            self.0
                .with_timezone(&FixedOffset::east_opt(0).unwrap_or(*self.0.offset())),
        )
    }

    /// Go's `time.Time.MarshalJSON` (RFC 3339, nanoseconds without trailing zeros); `None`
    /// outside years 0–9999, where Go fails.
    pub(super) fn rfc3339(self) -> Option<String> {
        let t = self.0;
        if !(0..=9999).contains(&t.year()) {
            return None;
        }
        let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        if t.nanosecond() > 0 {
            let frac = format!("{:09}", t.nanosecond());
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if t.offset().local_minus_utc() == 0 {
            out.push('Z');
        } else {
            out.push_str(&t.format("%:z").to_string());
        }
        Some(out)
    }
}

/// Zones: a numeric offset (`Z`, `±hh:mm`, `±hhmm`, `±hh`; spaces before it allowed), none
/// (UTC), or a zone name, which counts as UTC as Go does for abbreviations it does not know.
const ZONES: [&str; 4] = [" %#z", "", " GMT%#z", " %Z"];

const ISO_DATES: [&str; 3] = ["%Y-%m-%dT", "%Y-%m-%dt", "%Y-%m-%d "];
const TIMES: [&str; 2] = ["%H:%M:%S%.f", "%H:%M"];
/// Day, month (abbreviated or full name) and 2- or 4-digit year, by spaces or dashes.
const RFC822_DATES: [&str; 4] = ["%d %B %y", "%d-%B-%y", "%d %B %Y", "%d-%B-%Y"];

/// gofeed's `shared.ParseDate`, for the common RFC 3339 / ISO 8601 and RFC 822/1123 forms.
pub(super) fn parse_date(s: &str) -> Option<GoTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.as_bytes().get(4) == Some(&b'-') {
        if let Some(t) = try_layout(s, "%Y-%m-%d") {
            return Some(t);
        }
        for date in ISO_DATES {
            for time in TIMES {
                for zone in ZONES {
                    if let Some(t) = try_layout(s, &format!("{date}{time}{zone}")) {
                        return Some(t);
                    }
                }
            }
        }
        return None;
    }
    // An optional weekday, with or without a comma: Go checks its spelling only.
    let rest = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let rest = if rest.len() < s.len() {
        rest.strip_prefix(',').unwrap_or(rest).trim_start()
    } else {
        s
    };
    for date in RFC822_DATES {
        if let Some(t) = try_layout(rest, date) {
            return Some(t);
        }
        for time in TIMES {
            for zone in ZONES {
                if let Some(t) = try_layout(rest, &format!("{date} {time}{zone}")) {
                    return Some(t);
                }
            }
        }
    }
    None
}

fn try_layout(s: &str, layout: &str) -> Option<GoTime> {
    if layout.ends_with("%Z") {
        // Zone names are letters, at most five of them.
        let name = s.rsplit(' ').next().unwrap_or_default();
        if name.len() > 5 || !name.bytes().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
    }
    let mut parsed = Parsed::new();
    parse(&mut parsed, s, StrftimeItems::new(layout)).ok()?;
    if parsed.offset().is_none() {
        parsed.set_offset(0).ok()?;
    }
    if parsed.hour_div_12().is_none() {
        parsed.set_hour(0).ok()?;
        parsed.set_minute(0).ok()?;
    }
    let t = parsed.to_datetime().ok()?;
    // Go has no leap seconds.
    (t.nanosecond() < 1_000_000_000).then_some(GoTime(t))
}
