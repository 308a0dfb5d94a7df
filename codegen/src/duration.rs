//! Go duration strings, as KrakenD parses them (spec: contract.md §1 "Durations").
use std::time::Duration;

/// The largest duration Go can represent (`time.Duration` is an `int64` of nanoseconds).
const MAX_NANOS: u128 = i64::MAX as u128;

/// Parses `"1.5s"`, `"1h30m"`, `"300ms"`, `"0"`; units ns, us, µs, μs, ms, s, m, h. A leading
/// `+` is accepted; a negative duration is an error here (Krustd rejects them at build time).
pub fn parse(s: &str) -> Result<Duration, String> {
    // Mirrors Go's `time.ParseDuration`: [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+
    let invalid = || format!("time: invalid duration {}", quote(s));
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        // The next character must be [0-9.].
        if !(bytes[0] == b'.' || bytes[0].is_ascii_digit()) {
            return Err(invalid());
        }
        // Integer part.
        let int_len = digit_run(rest);
        let int_digits = &rest[..int_len];
        rest = &rest[int_len..];
        // Fraction part.
        let mut frac_digits = "";
        if rest.starts_with('.') {
            rest = &rest[1..];
            let frac_len = digit_run(rest);
            frac_digits = &rest[..frac_len];
            rest = &rest[frac_len..];
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            // No digits at all (".s", "+.s").
            return Err(invalid());
        }
        // Unit: everything up to the next '.' or digit.
        let unit_len = rest
            .bytes()
            .position(|b| b == b'.' || b.is_ascii_digit())
            .unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {}", quote(s)));
        }
        let unit_name = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(unit) = unit_nanos(unit_name) else {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                quote(unit_name),
                quote(s)
            ));
        };
        let whole = parse_int(int_digits).ok_or_else(invalid)?;
        let group = whole
            .checked_mul(u128::from(unit))
            .and_then(|v| v.checked_add(u128::from(fraction_nanos(frac_digits, unit))))
            .ok_or_else(invalid)?;
        total = total.checked_add(group).ok_or_else(invalid)?;
        if total > MAX_NANOS {
            return Err(invalid());
        }
    }
    if negative && total != 0 {
        return Err(format!(
            "negative duration {}: Krustd rejects negative durations at build time",
            quote(s)
        ));
    }
    // `total <= MAX_NANOS`, so it fits in a u64.
    let nanos = u64::try_from(total).map_err(|_| invalid())?;
    Ok(Duration::from_nanos(nanos))
}

/// Length in bytes of the run of ASCII digits at the start of `s`.
fn digit_run(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

/// The integer value of a run of ASCII digits (`""` = 0); `None` once it exceeds Go's range.
fn parse_int(digits: &str) -> Option<u128> {
    let mut value: u128 = 0;
    for b in digits.bytes() {
        value = value * 10 + u128::from(b - b'0');
        if value > MAX_NANOS + 1 {
            return None;
        }
    }
    Some(value)
}

/// `floor(0.<digits> × unit)`, exactly: multiplies the decimal digits by `unit` from the least
/// significant digit up; the carry left over is the integer part of the product.
fn fraction_nanos(digits: &str, unit: u64) -> u64 {
    let unit = u128::from(unit);
    let mut carry: u128 = 0;
    for b in digits.bytes().rev() {
        // carry < unit at every step, so this never overflows.
        carry = (u128::from(b - b'0') * unit + carry) / 10;
    }
    // carry < unit <= 3.6e12.
    u64::try_from(carry).unwrap_or(u64::MAX)
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{00b5}s" | "\u{03bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 60 * 60 * 1_000_000_000,
        _ => return None,
    })
}

/// Go's `time.quote`: double quotes, `"` and `\` escaped, control and non-ASCII bytes as `\xNN`.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if !c.is_ascii() || c < ' ' {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{byte:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(s: &str) -> u128 {
        match parse(s) {
            Ok(d) => d.as_nanos(),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn err(s: &str) -> String {
        match parse(s) {
            Ok(d) => panic!("{s:?} parsed as {d:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn valid() {
        assert_eq!(ns("1h30m"), 5_400_000_000_000);
        assert_eq!(ns("1.5s"), 1_500_000_000);
        assert_eq!(ns("300ms"), 300_000_000);
        assert_eq!(ns("0"), 0);
        assert_eq!(ns("+0"), 0);
        assert_eq!(ns("0s"), 0);
        assert_eq!(ns("+5s"), 5_000_000_000);
        assert_eq!(ns(".5s"), 500_000_000);
        assert_eq!(ns("1.s"), 1_000_000_000);
        assert_eq!(ns("3ns"), 3);
        assert_eq!(ns("3us"), 3_000);
        assert_eq!(ns("3\u{00b5}s"), 3_000);
        assert_eq!(ns("3\u{03bc}s"), 3_000);
        assert_eq!(ns("2h45m30.5s"), 9_930_500_000_000);
        assert_eq!(ns("1m1s1ms1us1ns"), 61_001_001_001);
        assert_eq!(ns("007s"), 7_000_000_000);
    }

    #[test]
    fn exact_fractions() {
        assert_eq!(ns("1.1s"), 1_100_000_000);
        assert_eq!(ns("0.3s"), 300_000_000);
        assert_eq!(ns("1.000000001s"), 1_000_000_001);
        assert_eq!(ns("1.0000000019s"), 1_000_000_001);
        assert_eq!(ns("0.1h"), 360_000_000_000);
        assert_eq!(ns("1.1ms"), 1_100_000);
        assert_eq!(ns("0.5ns"), 0);
        assert_eq!(
            ns("0.99999999999999999999999999999999999999999999h"),
            3_599_999_999_999
        );
    }

    #[test]
    fn range() {
        assert_eq!(ns("9223372036854775807ns"), 9_223_372_036_854_775_807);
        assert_eq!(ns("2562047h47m16.854775807s"), 9_223_372_036_854_775_807);
        assert_eq!(
            err("9223372036854775808ns"),
            "time: invalid duration \"9223372036854775808ns\""
        );
        assert!(parse("2562048h").is_err());
        assert!(parse("99999999999999999999999999999999999s").is_err());
        assert!(parse("2562047h47m16.854775808s").is_err());
    }

    #[test]
    fn invalid() {
        assert_eq!(err(""), "time: invalid duration \"\"");
        assert_eq!(err("abc"), "time: invalid duration \"abc\"");
        assert_eq!(err("1"), "time: missing unit in duration \"1\"");
        assert_eq!(err("1s2"), "time: missing unit in duration \"1s2\"");
        assert_eq!(err("1x"), "time: unknown unit \"x\" in duration \"1x\"");
        assert_eq!(err("1S"), "time: unknown unit \"S\" in duration \"1S\"");
        assert_eq!(err("1 s"), "time: unknown unit \" s\" in duration \"1 s\"");
        assert_eq!(err(".s"), "time: invalid duration \".s\"");
        assert_eq!(err("+"), "time: invalid duration \"+\"");
        assert_eq!(err("s"), "time: invalid duration \"s\"");
        assert_eq!(err(" 1s"), "time: invalid duration \" 1s\"");
        assert_eq!(
            err("1\u{00e9}"),
            "time: unknown unit \"\\xc3\\xa9\" in duration \"1\\xc3\\xa9\""
        );
    }

    #[test]
    fn negative() {
        let e = err("-1s");
        assert!(e.contains("\"-1s\""), "{e}");
        assert!(e.contains("negative"), "{e}");
        assert!(err("-1.5h").contains("negative"));
        assert_eq!(err("-"), "time: invalid duration \"-\"");
        assert_eq!(err("-x"), "time: invalid duration \"-x\"");
        // Zero is not negative.
        assert_eq!(ns("-0"), 0);
        assert_eq!(ns("-0s"), 0);
    }
}
