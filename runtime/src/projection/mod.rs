//! Response shaping compiled into the parse (manipulation.md §1–§2; design.md, "What
//! specialisation buys").
//!
//! The generic path decodes a whole backend body into a map ([`crate::decode::decode`]) and then
//! walks it with the [`shape`] steps. When a backend's `target`, `allow` and `deny` are known at
//! build time, codegen emits them as a `'static` [`Projection`] instead, and [`decode`] reads the
//! body once: subtrees nobody keeps are skipped without being allocated, kept values are parsed
//! by serde_json (so they are exactly the generic path's values), and `mapping`/`group` are
//! applied to the small result with the reference steps.
//!
//! # Same result as the generic path, errors included
//!
//! The fast reader never has to produce an error message. Whenever it meets something it does
//! not vouch for, it *declines*, and [`decode`] answers with the generic path
//! ([`reference`]) for that body. It declines on:
//!
//! - every input the generic path rejects: a body that is empty, not JSON up to the end of its
//!   first value, or of the wrong kind (an array without `is_collection`), a string with a
//!   control character, a bad escape or a lone surrogate, nesting deeper than serde_json's limit
//!   (127 open containers), anywhere in the first value, skipped parts included;
//! - inputs that are fine but that it does not handle itself: a string of the first value that
//!   is not valid UTF-8 (skipped strings included; serde_json rejects it), a `safejson` scalar
//!   body, an object whose first key
//!   starts with `$serde_json::private::` (serde_json's `Value` turns such an object into a
//!   number), a kept value nested exactly at the depth limit.
//!
//! So every error and every unusual body gets the generic path's answer by construction, and
//! the fast reader only has to be *at least as strict* as serde_json; the differential tests
//! (`tests/projection.rs`) check both paths on random documents and random shaping.
//!
//! Trailing bytes after the first value are ignored, as the generic decoder does.
//!
//! # What stays after the read
//!
//! `mapping` and `group` only touch the top level of the (by then small) result, so they run
//! after the read, with the reference functions: renaming while reading would save a few map
//! operations per body and make the simultaneous-rename and overwrite rules harder to keep
//! exact. The endpoint's merged output is still built as a map and rendered once (`respond`):
//! writing it straight from the body would have to reproduce the merge's collision rules and
//! Go's key order at every level, for values that are by then few.

use crate::shape::{self, Data};
use crate::spec::Decode;
use serde_json::Value;
use std::borrow::Cow;

/// The shaping of one backend that can be pushed into the parse, as `'static` data emitted by
/// codegen. Steps run in KrakenD's order: `target`, then `allow` or `deny`, then `mapping`, then
/// `group` (manipulation.md §1).
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    /// The backend's `encoding`: `JsonObject`, `JsonCollection` or `SafeJson` (any other
    /// value makes [`decode`] take the generic path).
    pub decode: Decode,
    /// `target`, split at dots; empty when absent.
    pub target: &'static [&'static str],
    /// `allow` or `deny`, applied to the object `target` selected.
    pub select: Select,
    /// `mapping` pairs (`new` already cut at its first `.`); empty when absent.
    pub mapping: &'static [(&'static str, &'static str)],
    /// `group`, when set.
    pub group: Option<&'static str>,
}

/// Which keys of an object survive.
#[derive(Debug, Clone, Copy)]
pub enum Select {
    /// Every key (neither `allow` nor `deny`).
    All,
    /// `allow` as a tree of its effective paths: KrakenD's "the later of two related entries
    /// decides" rule is applied at build time, so no path of the tree is a prefix of another.
    Allow(&'static [Field]),
    /// `deny` as a tree: a path that removes a key makes the paths below it moot.
    Deny(&'static [Field]),
}

/// One key of an `allow` or `deny` tree. The fields of one object are sorted by key (byte order)
/// and unique, so they can be searched.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    /// Empty: a path ends here (`allow` keeps the whole value, `deny` removes it). Otherwise the
    /// paths go on below: they apply when the value is an object.
    pub below: &'static [Field],
}

/// Decodes a backend body and shapes it as `projection` says, skipping what is not kept.
///
/// Gives exactly what [`reference`] gives for the same body, errors included.
pub fn decode(body: &[u8], projection: &Projection) -> Result<Data, String> {
    match project(body, projection) {
        Ok(data) => Ok(data),
        Err(Declined) => reference(body, projection),
    }
}

/// The generic path for `projection`: decode the whole body, then run the reference steps.
pub fn reference(body: &[u8], projection: &Projection) -> Result<Data, String> {
    let mut data = crate::decode::decode(projection.decode, body)?;
    if !projection.target.is_empty() {
        data = shape::target(data, projection.target);
    }
    match projection.select {
        Select::All => {}
        Select::Allow(fields) => {
            let paths = leaf_paths(fields);
            let paths: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
            data = shape::allow(data, &paths);
        }
        Select::Deny(fields) => {
            let paths = leaf_paths(fields);
            let paths: Vec<&[&str]> = paths.iter().map(Vec::as_slice).collect();
            shape::deny(&mut data, &paths);
        }
    }
    Ok(finish(data, projection))
}

/// The paths from the root to every leaf of a tree.
fn leaf_paths(fields: &'static [Field]) -> Vec<Vec<&'static str>> {
    fn walk(
        fields: &'static [Field],
        prefix: &mut Vec<&'static str>,
        out: &mut Vec<Vec<&'static str>>,
    ) {
        for f in fields {
            prefix.push(f.key);
            if f.below.is_empty() {
                out.push(prefix.clone());
            } else {
                walk(f.below, prefix, out);
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

/// `mapping` and `group`: top-level operations, cheap on the projected data.
fn finish(mut data: Data, projection: &Projection) -> Data {
    if !projection.mapping.is_empty() {
        shape::mapping(&mut data, projection.mapping);
    }
    match projection.group {
        Some(g) => shape::group(data, g),
        None => data,
    }
}

/// The fast reader gave up on this body: the generic path decides (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Declined;

type Fast<T> = Result<T, Declined>;

/// The most containers serde_json lets be open at once (its recursion limit is 128).
const MAX_OPEN: usize = 127;

/// A first key that makes serde_json's `Value` parse an object as something else.
const SERDE_PRIVATE: &[u8] = b"$serde_json::private::";

/// The fast path alone: the shaped data, or [`Declined`] where [`decode`] would fall back to
/// [`reference`]. Public for the differential tests and the benchmarks.
pub fn project(body: &[u8], projection: &Projection) -> Result<Data, Declined> {
    // UTF-8 is checked where it can occur, in strings, as the reader meets them: a byte above
    // 0x7F elsewhere is a syntax error.
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    r.skip_ws();
    let data = match (projection.decode, r.peek()) {
        (Decode::JsonObject | Decode::SafeJson, Some(b'{')) => r
            .target(0, projection.target, projection.select)?
            .unwrap_or_default(),
        (Decode::JsonCollection | Decode::SafeJson, Some(b'[')) => r.collection(projection)?,
        _ => return Err(Declined),
    };
    Ok(finish(data, projection))
}

/// A key of an object as it appears in the body (between the quotes).
#[derive(Clone, Copy)]
struct Key<'a> {
    raw: &'a [u8],
    escaped: bool,
}

impl<'a> Key<'a> {
    /// The key's text: borrowed unless it has escapes (decoded by serde_json, as the generic
    /// path does).
    fn text(self) -> Fast<Cow<'a, str>> {
        if self.escaped {
            decode_escaped(self.raw).map(Cow::Owned)
        } else {
            std::str::from_utf8(self.raw)
                .map(Cow::Borrowed)
                .map_err(|_| Declined)
        }
    }

    /// The field of `fields` this key names. An unescaped key is compared as raw bytes (the
    /// reader checked its UTF-8), so a key that is skipped costs no second check.
    fn find_in(self, fields: &'static [Field]) -> Fast<Option<&'static Field>> {
        if self.escaped {
            Ok(find(fields, &self.text()?))
        } else {
            Ok(find_bytes(fields, self.raw))
        }
    }

    /// Whether this key is `name`.
    fn is(self, name: &str) -> Fast<bool> {
        if self.escaped {
            Ok(self.text()? == name)
        } else {
            Ok(self.raw == name.as_bytes())
        }
    }
}

/// Decodes the contents of a JSON string that has escapes (`raw` is between the quotes).
fn decode_escaped(raw: &[u8]) -> Fast<String> {
    let mut quoted = Vec::with_capacity(raw.len() + 2);
    quoted.push(b'"');
    quoted.extend_from_slice(raw);
    quoted.push(b'"');
    serde_json::from_slice(&quoted).map_err(|_| Declined)
}

/// The field of `fields` named `key`.
fn find(fields: &'static [Field], key: &str) -> Option<&'static Field> {
    find_bytes(fields, key.as_bytes())
}

/// The field of `fields` whose name is `key`'s bytes (`str` order is byte order).
fn find_bytes(fields: &'static [Field], key: &[u8]) -> Option<&'static Field> {
    fields
        .binary_search_by(|f| f.key.as_bytes().cmp(key))
        .ok()
        .and_then(|i| fields.get(i))
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` (after whitespace) or declines.
    #[inline]
    fn expect(&mut self, byte: u8) -> Fast<()> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Declined)
        }
    }

    /// `{"collection": [...]}`, the data of an `is_collection` (or `safejson` array) body, shaped
    /// without building the wrapper: arrays are never entered, so the array is kept whole or
    /// skipped.
    fn collection(&mut self, projection: &Projection) -> Fast<Data> {
        const KEY: &str = "collection";
        let mut data = Data::new();
        if !projection.target.is_empty() {
            // `target` needs an object: "collection" holds an array, anything else is missing.
            self.skip_value(0)?;
            return Ok(data);
        }
        let keep = match projection.select {
            Select::All => true,
            Select::Allow(fields) => find(fields, KEY).is_some_and(|f| f.below.is_empty()),
            Select::Deny(fields) => find(fields, KEY).is_none_or(|f| !f.below.is_empty()),
        };
        if keep {
            data.insert(KEY.to_owned(), self.keep_value(0)?);
        } else {
            self.skip_value(0)?;
        }
        Ok(data)
    }

    /// The object at `path` below the object at the cursor, shaped by `select`; `None` when a
    /// segment is missing or not an object. `depth`: containers open around the object.
    fn target(&mut self, depth: usize, path: &[&str], select: Select) -> Fast<Option<Data>> {
        let Some((first, rest)) = path.split_first() else {
            return self.select(depth, select).map(Some);
        };
        let mut found = None;
        self.object(depth, |r, key, depth| {
            if key.is(first)? {
                // A repeated key: the last one counts, as in a map.
                found = if r.peek() == Some(b'{') {
                    r.target(depth, rest, select)?
                } else {
                    r.skip_value(depth)?;
                    None
                };
            } else {
                r.skip_value(depth)?;
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// The object at the cursor, shaped by `select`.
    fn select(&mut self, depth: usize, select: Select) -> Fast<Data> {
        match select {
            Select::All => match self.keep_value(depth)? {
                Value::Object(map) => Ok(map),
                // Only a `$serde_json::private::Number` object parses as a non-object.
                _ => Err(Declined),
            },
            Select::Allow(fields) => self.allow(depth, fields),
            Select::Deny(fields) => self.deny(depth, fields),
        }
    }

    /// `allow` on the object at the cursor: only the listed keys are read; an intermediate key
    /// survives if it holds an object of which something survives.
    fn allow(&mut self, depth: usize, fields: &'static [Field]) -> Fast<Data> {
        let mut out = Data::new();
        self.object(depth, |r, key, depth| {
            let Some(field) = key.find_in(fields)? else {
                return r.skip_value(depth);
            };
            let text = key.text()?;
            if field.below.is_empty() {
                let value = r.keep_value(depth)?;
                out.insert(text.into_owned(), value);
                return Ok(());
            }
            let kept = if r.peek() == Some(b'{') {
                r.allow(depth, field.below)?
            } else {
                r.skip_value(depth)?;
                Data::new()
            };
            // A repeated key replaces what an earlier one left, also with nothing.
            if kept.is_empty() {
                out.remove(text.as_ref());
            } else {
                out.insert(text.into_owned(), Value::Object(kept));
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// `deny` on the object at the cursor: listed leaves are skipped, everything else is kept.
    fn deny(&mut self, depth: usize, fields: &'static [Field]) -> Fast<Data> {
        let mut out = Data::new();
        self.object(depth, |r, key, depth| {
            let text = key.text()?;
            let value = match find(fields, &text) {
                // Every occurrence of a denied key is skipped, so there is nothing to remove.
                Some(field) if field.below.is_empty() => return r.skip_value(depth),
                Some(field) if r.peek() == Some(b'{') => Value::Object(r.deny(depth, field.below)?),
                // Not listed, or not an object below which to deny: kept whole.
                _ => r.keep_value(depth)?,
            };
            out.insert(text.into_owned(), value);
            Ok(())
        })?;
        Ok(out)
    }

    /// Reads the object at the cursor, calling `entry` for each key with the cursor on its
    /// value; `entry` must consume the value. `depth`: containers open around the object;
    /// `entry` gets the depth around the value.
    fn object(
        &mut self,
        depth: usize,
        mut entry: impl FnMut(&mut Self, Key<'a>, usize) -> Fast<()>,
    ) -> Fast<()> {
        let depth = self.open(depth, b'{')?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut first = true;
        loop {
            self.expect(b'"')?;
            let key = self.string()?;
            if first {
                first = false;
                let private = if key.escaped {
                    key.text()?.as_bytes().starts_with(SERDE_PRIVATE)
                } else {
                    key.raw.starts_with(SERDE_PRIVATE)
                };
                if private {
                    return Err(Declined);
                }
            }
            self.expect(b':')?;
            self.skip_ws();
            entry(self, key, depth)?;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Declined),
            }
        }
    }

    /// Consumes the opening `bracket` of a container; the depth inside it.
    #[inline]
    fn open(&mut self, depth: usize, bracket: u8) -> Fast<usize> {
        if depth >= MAX_OPEN || self.peek() != Some(bracket) {
            return Err(Declined);
        }
        self.pos += 1;
        Ok(depth + 1)
    }

    /// Parses the value at the cursor with serde_json, as the generic path does.
    fn keep_value(&mut self, depth: usize) -> Fast<Value> {
        let budget = MAX_OPEN.saturating_sub(depth);
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let container = matches!(rest.first(), Some(b'{' | b'['));
        if budget == 0 && container {
            return Err(Declined);
        }
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
        let Some(Ok(value)) = values.next() else {
            return Err(Declined);
        };
        let used = values.byte_offset();
        self.pos += used;
        // serde_json allowed this value 127 levels of its own; here it has `budget`. A value
        // short enough cannot nest deeper; otherwise measure. A `Value` can be one level
        // shallower than its text (a `$serde_json::private::Number` object becomes a number),
        // so a value that reaches the limit exactly is declined.
        if used / 2 > budget && nested_deeper(&value, budget.saturating_sub(1)) {
            return Err(Declined);
        }
        Ok(value)
    }

    /// Skips the value at the cursor, checking it as strictly as serde_json parses it.
    fn skip_value(&mut self, depth: usize) -> Fast<()> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string().map(drop)
            }
            Some(b'{') => self.object(depth, |r, _, depth| r.skip_value(depth)),
            Some(b'[') => {
                let depth = self.open(depth, b'[')?;
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value(depth)?;
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(());
                        }
                        _ => return Err(Declined),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => Err(Declined),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Fast<()> {
        if self
            .bytes
            .get(self.pos..)
            .is_some_and(|r| r.starts_with(word))
        {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Declined)
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Fast<()> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Declined),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    #[inline]
    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Fast<()> {
        let start = self.pos;
        self.digits();
        if self.pos == start {
            Err(Declined)
        } else {
            Ok(())
        }
    }

    /// Reads a string whose opening quote was consumed, up to and including the closing one.
    /// Declines on a control character, an unknown escape, an unpaired surrogate or bytes that
    /// are not UTF-8, as serde_json does when it parses a string.
    fn string(&mut self) -> Fast<Key<'a>> {
        let start = self.pos;
        // The usual string (ASCII, no escape, not at the end of the body) takes the 16-byte
        // scan and nothing else: the rest is out of line, so this stays small.
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = self.bytes.get(self.pos..self.pos + 16) {
            let found = stop_bytes_16(chunk);
            if found != 0 {
                self.pos += found.trailing_zeros() as usize;
                if self.peek() == Some(b'"') {
                    let raw = self.bytes.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(Key {
                        raw,
                        escaped: false,
                    });
                }
                break;
            }
            self.pos += 16;
        }
        self.string_rest(start)
    }

    /// [`Reader::string`] from where its fast scan stopped (an escape, a control character, a
    /// byte above 0x7F, or fewer than 16 bytes left).
    #[inline(never)]
    fn string_rest(&mut self, start: usize) -> Fast<Key<'a>> {
        let mut escaped = false;
        loop {
            self.skip_plain();
            match self.peek() {
                Some(b'"') => {
                    let raw = self.bytes.get(start..self.pos).unwrap_or_default();
                    self.pos += 1;
                    return Ok(Key { raw, escaped });
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape()?;
                    escaped = true;
                }
                Some(0x80..) => self.utf8_char()?,
                // A control character, or the end of the body.
                _ => return Err(Declined),
            }
        }
    }

    /// One UTF-8 encoded character of two to four bytes, at its lead byte.
    fn utf8_char(&mut self) -> Fast<()> {
        let width = match self.peek() {
            Some(0xC2..=0xDF) => 2,
            Some(0xE0..=0xEF) => 3,
            Some(0xF0..=0xF4) => 4,
            _ => return Err(Declined),
        };
        let encoded = self.bytes.get(self.pos..self.pos + width).ok_or(Declined)?;
        // The standard check: continuation bytes, no overlong form, no surrogate, at most
        // U+10FFFF.
        std::str::from_utf8(encoded).map_err(|_| Declined)?;
        self.pos += width;
        Ok(())
    }

    /// Advances to the next `"`, `\\`, control character or byte above 0x7F (or the end): 16
    /// bytes at a time with SSE2 on x86-64, 8 at a time elsewhere and for the tail.
    #[inline]
    fn skip_plain(&mut self) {
        #[cfg(target_arch = "x86_64")]
        while let Some(chunk) = self.bytes.get(self.pos..self.pos + 16) {
            let found = stop_bytes_16(chunk);
            if found != 0 {
                self.pos += found.trailing_zeros() as usize;
                return;
            }
            self.pos += 16;
        }
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGH: u64 = 0x8080_8080_8080_8080;
        while let Some(chunk) = self.bytes.get(self.pos..self.pos + 8) {
            let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let v = u64::from_le_bytes(chunk);
            let quote = v ^ (ONES * u64::from(b'"'));
            let backslash = v ^ (ONES * u64::from(b'\\'));
            // High bit set in the bytes that are zero / below 0x20 (exact for the lowest one,
            // which is all that matters: little-endian order is memory order), and in the bytes
            // above 0x7F.
            let found = (quote.wrapping_sub(ONES) & !quote)
                | (backslash.wrapping_sub(ONES) & !backslash)
                | (v.wrapping_sub(ONES * 0x20) & !v)
                | v;
            let found = found & HIGH;
            if found != 0 {
                self.pos += (found.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
        while let Some(b) = self.peek() {
            if b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b) {
                return;
            }
            self.pos += 1;
        }
    }

    /// One escape after its `\`.
    fn escape(&mut self) -> Fast<()> {
        let c = self.peek().ok_or(Declined)?;
        self.pos += 1;
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => match self.hex4()? {
                // A trailing surrogate first.
                0xDC00..=0xDFFF => Err(Declined),
                // A leading surrogate must be followed by `\u` and a trailing one.
                0xD800..=0xDBFF => {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(Declined);
                    }
                    self.pos += 2;
                    match self.hex4()? {
                        0xDC00..=0xDFFF => Ok(()),
                        _ => Err(Declined),
                    }
                }
                _ => Ok(()),
            },
            _ => Err(Declined),
        }
    }

    fn hex4(&mut self) -> Fast<u16> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or(Declined)?;
        let mut n: u16 = 0;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(Declined),
            };
            n = (n << 4) | u16::from(v);
        }
        self.pos += 4;
        Ok(n)
    }
}

/// Whether `value` nests more than `levels` containers deep.
fn nested_deeper(value: &Value, levels: usize) -> bool {
    match value {
        Value::Array(items) => levels == 0 || items.iter().any(|v| nested_deeper(v, levels - 1)),
        Value::Object(map) => levels == 0 || map.values().any(|v| nested_deeper(v, levels - 1)),
        _ => false,
    }
}

pub mod render;

/// A bit per byte of `chunk` (its first 16 bytes) that is `"`, `\\`, below 0x20 or above 0x7F,
/// lowest bit first.
#[cfg(target_arch = "x86_64")]
#[inline]
fn stop_bytes_16(chunk: &[u8]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    if chunk.len() < 16 {
        return 0;
    }
    // SAFETY: SSE2 is part of the x86-64 baseline, and the unaligned load reads 16 bytes of a
    // slice that has at least 16.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // min(v, 0x1f) == v exactly for the bytes 0x00..=0x1f (unsigned).
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        // The byte's own high bit marks those above 0x7F.
        _mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(quote, backslash),
            _mm_or_si128(control, v),
        )) as u32
    }
}

#[cfg(test)]
mod tests;
