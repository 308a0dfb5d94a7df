//! Feed dates: RFC 3339 / ISO 8601 and RFC 822/1123 forms, as gofeed parses them.

use crate::go::{civil_from_days, days_from_civil};

/// A parsed instant: Unix seconds, nanoseconds and the zone offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct GoTime {
    pub(super) unix: i64,
    pub(super) nanos: u32,
    pub(super) offset: i32,
}

impl GoTime {
    pub(super) fn utc(self) -> GoTime {
        GoTime { offset: 0, ..self }
    }

    /// Go's `time.Time.MarshalJSON` (RFC 3339 with nanoseconds); `None` outside years 0–9999,
    /// where Go fails.
    pub(super) fn rfc3339(self) -> Option<String> {
        let local = self.unix.checked_add(i64::from(self.offset))?;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let abs = self.offset.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60));
        }
        Some(out)
    }
}

pub(super) fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

pub(super) struct Civil {
    pub(super) year: i64,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: u32,
    pub(super) min: u32,
    pub(super) sec: u32,
    pub(super) nanos: u32,
    pub(super) offset: i32,
}

impl Civil {
    pub(super) fn to_time(&self) -> Option<GoTime> {
        if !(1..=12).contains(&self.month)
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 23
            || self.min > 59
            || self.sec > 59
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let local = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.min) * 60
            + i64::from(self.sec);
        Some(GoTime {
            unix: local - i64::from(self.offset),
            nanos: self.nanos,
            offset: self.offset,
        })
    }
}

/// gofeed's `shared.ParseDate`, for the common RFC 3339 / ISO 8601 and RFC 822/1123 forms.
pub(super) fn parse_date(s: &str) -> Option<GoTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    parse_iso(s).or_else(|| parse_rfc822(s))
}

pub(super) struct Cursor<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl Cursor<'_> {
    pub(super) fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.b.get(self.i) {
                Some(&c @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }

    pub(super) fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    pub(super) fn spaces(&mut self) -> usize {
        let start = self.i;
        while matches!(self.b.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i - start
    }

    pub(super) fn done(&self) -> bool {
        self.i >= self.b.len()
    }

    /// Fraction after `.`/`,`: nanoseconds.
    pub(super) fn fraction(&mut self) -> u32 {
        if matches!(self.b.get(self.i), Some(b'.' | b','))
            && matches!(self.b.get(self.i + 1), Some(b'0'..=b'9'))
        {
            self.i += 1;
            let mut nanos = 0u32;
            let mut n = 0;
            while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
                if n < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                    n += 1;
                }
                self.i += 1;
            }
            while n < 9 {
                nanos *= 10;
                n += 1;
            }
            return nanos;
        }
        0
    }

    /// `Z`, `±hh:mm`, `±hhmm`, `±hh`, or a zone name (counted as UTC).
    pub(super) fn zone(&mut self) -> Option<i32> {
        match self.b.get(self.i) {
            None => Some(0),
            Some(b'Z' | b'z') if self.i + 1 == self.b.len() => {
                self.i += 1;
                Some(0)
            }
            Some(&sign @ (b'+' | b'-')) => {
                self.i += 1;
                let hh = self.digits(2, 2)?;
                self.eat(b':');
                let mm = if self.done() { 0 } else { self.digits(2, 2)? };
                if hh > 24 || mm > 60 {
                    return None;
                }
                let off = i32::try_from(hh * 3600 + mm * 60).ok()?;
                Some(if sign == b'-' { -off } else { off })
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self.b.get(self.i).is_some_and(u8::is_ascii_alphabetic) {
                    self.i += 1;
                }
                let name = &self.b[start..self.i];
                // "GMT+0100"-style suffixes.
                if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                    return self.zone();
                }
                (name.len() <= 5).then_some(0)
            }
            Some(_) => None,
        }
    }
}

pub(super) fn parse_iso(s: &str) -> Option<GoTime> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4, 4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2, 2)?;
    let mut civil = Civil {
        year: i64::from(year),
        month,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nanos: 0,
        offset: 0,
    };
    if !c.done() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        civil.hour = c.digits(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        civil.min = c.digits(2, 2)?;
        if c.eat(b':') {
            civil.sec = c.digits(2, 2)?;
            civil.nanos = c.fraction();
        }
        c.spaces();
        civil.offset = c.zone()?;
    }
    if !c.done() {
        return None;
    }
    civil.to_time()
}

pub(super) const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

pub(super) fn parse_rfc822(s: &str) -> Option<GoTime> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Optional weekday, with or without a comma.
    if c.b.first().is_some_and(u8::is_ascii_alphabetic) {
        while c.b.get(c.i).is_some_and(u8::is_ascii_alphabetic) {
            c.i += 1;
        }
        c.eat(b',');
        c.spaces();
    }
    let day = c.digits(1, 2)?;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let start = c.i;
    while c.b.get(c.i).is_some_and(u8::is_ascii_alphabetic) {
        c.i += 1;
    }
    let month_name = s.get(start..c.i)?.to_ascii_lowercase();
    let month = MONTHS
        .iter()
        .position(|m| month_name.len() >= 3 && month_name.starts_with(m))?;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let ystart = c.i;
    let year = c.digits(2, 4)?;
    let year = match c.i - ystart {
        2 if year >= 69 => 1900 + i64::from(year),
        2 => 2000 + i64::from(year),
        4 => i64::from(year),
        _ => return None,
    };
    let mut civil = Civil {
        year,
        month: u32::try_from(month).ok()? + 1,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nanos: 0,
        offset: 0,
    };
    if c.spaces() > 0 && !c.done() {
        civil.hour = c.digits(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        civil.min = c.digits(2, 2)?;
        if c.eat(b':') {
            civil.sec = c.digits(2, 2)?;
            civil.nanos = c.fraction();
        }
        c.spaces();
        civil.offset = c.zone()?;
    }
    c.spaces();
    if !c.done() {
        return None;
    }
    civil.to_time()
}
