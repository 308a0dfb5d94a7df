//! Finding a JSON pointer in the contract's raw text, for diagnostics that point at the
//! exact line and column: a minimal JSON walker (`Scanner`) that follows a pointer without
//! building a value.

/// Splits an RFC 6901 pointer into unescaped reference tokens; `None` if it is malformed.
pub fn pointer_segments(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    rest.split('/')
        .map(|raw| {
            let mut out = String::with_capacity(raw.len());
            let mut chars = raw.chars();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.next() {
                        Some('0') => out.push('~'),
                        Some('1') => out.push('/'),
                        _ => return None,
                    }
                } else {
                    out.push(c);
                }
            }
            Some(out)
        })
        .collect()
}

/// Byte offset of what `pointer` designates in the JSON `text` (the value, or the key string of
/// the last segment when `want_key`). Falls back to the nearest ancestor found when the pointer
/// leads nowhere or the text stops being valid JSON; `None` if not even the root value is there.
pub fn locate(text: &str, pointer: &str, want_key: bool) -> Option<usize> {
    let segments = pointer_segments(pointer)?;
    let scanner = Scanner {
        text,
        b: text.as_bytes(),
    };
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut current = scanner.ws(start);
    if !scanner.is_value_start(current) {
        return None;
    }
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match scanner.b[current] {
            b'{' => match scanner.find_member(current, segment) {
                Some((key, value)) => {
                    if last && want_key {
                        return Some(key);
                    }
                    current = value;
                }
                None => return Some(current),
            },
            b'[' => match scanner.find_element(current, segment) {
                Some(value) => current = value,
                None => return Some(current),
            },
            _ => return Some(current),
        }
    }
    Some(current)
}

/// A minimal JSON walker over the raw text: just enough to follow a pointer.
struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
}

impl Scanner<'_> {
    fn ws(&self, mut pos: usize) -> usize {
        while matches!(self.b.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            pos += 1;
        }
        pos
    }

    fn is_value_start(&self, pos: usize) -> bool {
        matches!(
            self.b.get(pos),
            Some(b'"' | b'{' | b'[' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
        )
    }

    /// The key and value offsets of the LAST member named `name` of the object at `pos`
    /// (duplicate keys: the last one wins, as in serde_json). Stops at the first syntax error,
    /// keeping what was found before it.
    fn find_member(&self, pos: usize, name: &str) -> Option<(usize, usize)> {
        let mut found = None;
        let mut p = self.ws(pos + 1);
        while self.b.get(p) == Some(&b'"') {
            let Some((key, key_end)) = self.string(p) else {
                break;
            };
            let colon = self.ws(key_end);
            if self.b.get(colon) != Some(&b':') {
                break;
            }
            let value = self.ws(colon + 1);
            if !self.is_value_start(value) {
                break;
            }
            if key == name {
                found = Some((p, value));
            }
            let Some(value_end) = self.skip_value(value) else {
                break;
            };
            p = self.ws(value_end);
            if self.b.get(p) != Some(&b',') {
                break;
            }
            p = self.ws(p + 1);
        }
        found
    }

    /// The offset of element `index` (a decimal array index) of the array at `pos`.
    fn find_element(&self, pos: usize, index: &str) -> Option<usize> {
        let valid = !index.is_empty()
            && index.bytes().all(|b| b.is_ascii_digit())
            && (index == "0" || !index.starts_with('0'));
        if !valid {
            return None;
        }
        let index: usize = index.parse().ok()?;
        let mut p = self.ws(pos + 1);
        let mut i = 0;
        loop {
            if !self.is_value_start(p) {
                return None;
            }
            if i == index {
                return Some(p);
            }
            p = self.ws(self.skip_value(p)?);
            if self.b.get(p) != Some(&b',') {
                return None;
            }
            p = self.ws(p + 1);
            i += 1;
        }
    }

    /// End offset of the value starting at `pos`.
    fn skip_value(&self, pos: usize) -> Option<usize> {
        match *self.b.get(pos)? {
            b'"' => self.skip_string(pos),
            b'{' | b'[' => self.skip_container(pos),
            b'-' | b'0'..=b'9' => {
                let len = self.b[pos..]
                    .iter()
                    .take_while(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                    })
                    .count();
                Some(pos + len)
            }
            _ => ["true", "false", "null"]
                .iter()
                .find(|lit| self.b[pos..].starts_with(lit.as_bytes()))
                .map(|lit| pos + lit.len()),
        }
    }

    /// End offset of the object or array at `pos` (brackets matched, strings skipped; iterative,
    /// so deep nesting cannot overflow the stack).
    fn skip_container(&self, pos: usize) -> Option<usize> {
        let mut closers = Vec::new();
        let mut p = pos;
        loop {
            match *self.b.get(p)? {
                b'"' => {
                    p = self.skip_string(p)?;
                    continue;
                }
                b'{' => closers.push(b'}'),
                b'[' => closers.push(b']'),
                c @ (b'}' | b']') => {
                    if closers.pop() != Some(c) {
                        return None;
                    }
                    if closers.is_empty() {
                        return Some(p + 1);
                    }
                }
                _ => {}
            }
            p += 1;
        }
    }

    /// End offset of the string literal at `pos`.
    fn skip_string(&self, pos: usize) -> Option<usize> {
        let mut p = pos + 1;
        loop {
            match *self.b.get(p)? {
                b'"' => return Some(p + 1),
                b'\\' => p += 2,
                _ => p += 1,
            }
        }
    }

    /// The decoded string literal at `pos` and its end offset.
    fn string(&self, pos: usize) -> Option<(String, usize)> {
        let mut out = String::new();
        let mut p = pos + 1;
        let mut run = p; // start of the current run of unescaped text
        loop {
            match *self.b.get(p)? {
                b'"' => {
                    out.push_str(self.text.get(run..p)?);
                    return Some((out, p + 1));
                }
                b'\\' => {
                    out.push_str(self.text.get(run..p)?);
                    let escape = *self.b.get(p + 1)?;
                    p += 2;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(p)?;
                            p += 4;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.b.get(p) == Some(&b'\\')
                                && self.b.get(p + 1) == Some(&b'u')
                            {
                                match self.hex4(p + 2) {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        p += 6;
                                        char::from_u32(
                                            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                        )
                                    }
                                    _ => None,
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
                        }
                        _ => return None,
                    }
                    run = p;
                }
                _ => p += 1,
            }
        }
    }

    fn hex4(&self, pos: usize) -> Option<u32> {
        let digits = self.text.get(pos..pos + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }
}
