//! Percent-encoding and escaping as Go's net/url, net/http and html packages do it.

use crate::go;

pub(super) const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

/// RFC 3986 `pchar` plus `/`, i.e. what may appear literally in a URI path (`%` excluded: a
/// literal `%` is always written `%25` in the canonical form).
pub(super) fn is_uri_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
        )
}

/// Bytes Go's `url.URL.EscapedPath` leaves alone (`shouldEscape(c, encodePath)` is false).
pub(super) fn is_go_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_'
                | b'.'
                | b'~'
                | b'$'
                | b'&'
                | b'+'
                | b','
                | b'/'
                | b':'
                | b';'
                | b'='
                | b'@'
        )
}

pub(super) fn push_pct(out: &mut String, b: u8, hex: &[u8; 16]) {
    out.push('%');
    out.push(char::from(hex[usize::from(b >> 4)]));
    out.push(char::from(hex[usize::from(b & 0x0f)]));
}

/// Decodes every valid `%XX`; an invalid or truncated escape is kept as literal text.
pub(super) fn percent_decode_lenient(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%' {
            let hi = input.get(i + 1).copied().and_then(go::hex_val);
            let lo = input.get(i + 2).copied().and_then(go::hex_val);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Go's `escape(path, encodePath)`.
pub(super) fn go_escape_path(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for &b in path {
        if is_go_path_byte(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b, UPPER_HEX);
        }
    }
    out
}

/// net/http's `hexEscapeNonASCII` (lower-case hex), plus control bytes so the value is always a
/// valid header value.
pub(super) fn hex_escape_non_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if !(0x20..0x7f).contains(&b) {
            push_pct(&mut out, b, LOWER_HEX);
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// Go's `html.EscapeString` (same table as net/http's `htmlEscape`).
pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            _ => out.push(c),
        }
    }
    out
}
