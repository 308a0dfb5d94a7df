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

/// gofeed's `shared.ParseDate`, for the common RFC 3339 / ISO 8601 and RFC 822/1123 forms.
/// The layout family is picked from the shape of the text (separators, digits of the year,
/// seconds or not); only the zone forms are tried in turn.
pub(super) fn parse_date(s: &str) -> Option<GoTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    if b.get(4) == Some(&b'-') {
        let date = match b.get(10) {
            None => return try_layout(s, "%Y-%m-%d", ""),
            Some(b'T') => "%Y-%m-%dT",
            Some(b't') => "%Y-%m-%dt",
            Some(b' ') => "%Y-%m-%d ",
            Some(_) => return None,
        };
        let time = s.get(11..).map_or("", |rest| times(rest));
        return ZONES
            .iter()
            .find_map(|zone| try_layout(s, date, &format!("{time}{zone}")));
    }
    // An optional weekday, with or without a comma: Go checks its spelling only.
    let rest = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let rest = if rest.len() < s.len() {
        rest.strip_prefix(',').unwrap_or(rest).trim_start()
    } else {
        s
    };
    // Day, month (abbreviated or full name) and 2- or 4-digit year, by spaces or dashes.
    let dashed = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .starts_with('-');
    let mut fields = rest.split([' ', '-']).filter(|f| !f.is_empty());
    let year = fields.nth(2).unwrap_or_default();
    let date = match (dashed, year.len()) {
        (false, 2) => "%d %B %y",
        (true, 2) => "%d-%B-%y",
        (false, _) => "%d %B %Y",
        (true, _) => "%d-%B-%Y",
    };
    if let Some(t) = try_layout(rest, date, "") {
        return Some(t);
    }
    let time = match fields.next() {
        Some(time) => times(time),
        None => return None,
    };
    ZONES
        .iter()
        .find_map(|zone| try_layout(rest, date, &format!(" {time}{zone}")))
}

/// The time layout for text starting with a time: with seconds (and a fraction) or without.
fn times(time: &str) -> &'static str {
    let clock = time
        .split([' ', '+', '-', 'Z', 'z'])
        .next()
        .unwrap_or_default();
    if clock.matches(':').count() >= 2 {
        "%H:%M:%S%.f"
    } else {
        "%H:%M"
    }
}

fn try_layout(s: &str, date: &str, rest: &str) -> Option<GoTime> {
    if rest.ends_with("%Z") {
        // Zone names are letters, at most five of them.
        let name = s.rsplit(' ').next().unwrap_or_default();
        if name.len() > 5 || !name.bytes().all(|c| c.is_ascii_alphabetic()) {
            return None;
        }
    }
    let mut parsed = Parsed::new();
    let layout = StrftimeItems::new(date).chain(StrftimeItems::new(rest));
    parse(&mut parsed, s, layout).ok()?;
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
