//! UTF-8 decoding that, like Go's `utf8.DecodeRune`, yields invalid bytes one at a time.

/// A decoded character, or a byte that does not start valid UTF-8.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Char(char),
    Byte(u8),
}

/// Next UTF-8 character of `b`, or a lone byte when `b` does not start with valid UTF-8; with
/// the number of bytes it takes.
pub fn next_unit(b: &[u8]) -> Option<(Unit, usize)> {
    let first = *b.first()?;
    let len = match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 0,
    };
    if len > 0 {
        if let Some(c) = b
            .get(..len)
            .and_then(|chunk| std::str::from_utf8(chunk).ok())
            .and_then(|s| s.chars().next())
        {
            return Some((Unit::Char(c), len));
        }
    }
    Some((Unit::Byte(first), 1))
}
