//! Go's `strconv.Quote` and `strconv.IsPrint`.

use super::utf8::{next_unit, Unit};

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

/// Go's `strconv.Quote` of a Go string that may hold invalid UTF-8 (each invalid byte is
/// written `\xNN`).
pub fn quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    let mut rest = bytes;
    while let Some((unit, len)) = next_unit(rest) {
        rest = rest.get(len..).unwrap_or_default();
        match unit {
            Unit::Byte(b) => push_hex_byte(&mut out, b),
            Unit::Char(c) => match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\u{7}' => out.push_str("\\a"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{b}' => out.push_str("\\v"),
                c if is_print(c) => out.push(c),
                // `c < ' '` or DEL: the byte form.
                c if u32::from(c) < 0x80 => push_hex_byte(&mut out, c as u8),
                c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
            },
        }
    }
    out.push('"');
    out
}

fn push_hex_byte(out: &mut String, b: u8) {
    out.push_str("\\x");
    out.push(char::from(LOWER_HEX[usize::from(b >> 4)]));
    out.push(char::from(LOWER_HEX[usize::from(b & 0x0f)]));
}

/// An approximation of Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space. Control, format, private-use, separator (other than U+0020) and
/// non-character code points are not printable; unassigned code points are treated as printable.
pub fn is_print(c: char) -> bool {
    let u = u32::from(c);
    if u < 0x80 {
        return (0x20..0x7f).contains(&u);
    }
    let not_print = matches!(u,
        0x80..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x890..=0x891 | 0x8e2
        | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
        | 0x2066..=0x206f | 0x3000 | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff
        | 0xfff9..=0xfffb | 0x110bd | 0x110cd | 0x13430..=0x1343f | 0x1bca0..=0x1bca3
        | 0x1d173..=0x1d17a | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
        || (u & 0xfffe) == 0xfffe;
    !not_print
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_like_go() {
        assert_eq!(quote("/a?b=\"c\""), r#""/a?b=\"c\"""#);
        assert_eq!(quote("a\u{7}\u{0}\u{7f}\n"), r#""a\a\x00\x7f\n""#);
        assert_eq!(quote("é\u{200b}\u{e000}"), r#""é\u200b\ue000""#);
        assert_eq!(quote("\u{f0000}"), r#""\U000f0000""#);
        assert_eq!(quote_bytes(b"%\xff"), r#""%\xff""#);
        assert_eq!(quote_bytes(b"%\xe4\xb8"), r#""%\xe4\xb8""#);
    }
}
