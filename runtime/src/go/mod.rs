//! Go-compatibility helpers: the few Go standard-library behaviours (`strconv.Quote`,
//! `unicode.IsPrint`, hex digits, UTF-8 decoding, civil dates) that KrakenD's answers, error
//! texts and logs depend on, written once for every module that needs them.

mod strconv;
mod time;
mod utf8;

pub use strconv::{is_print, quote, quote_bytes};
pub use time::{civil_from_days, days_from_civil};
pub use utf8::{next_unit, Unit};

/// The value of one hex digit (either case), as Go's `unhex`.
pub fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex_val(b'0'), Some(0));
        assert_eq!(hex_val(b'f'), Some(15));
        assert_eq!(hex_val(b'F'), Some(15));
        assert_eq!(hex_val(b'g'), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-719_468, -1, 0, 1, 19_675, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_675), (2023, 11, 14));
    }
}
