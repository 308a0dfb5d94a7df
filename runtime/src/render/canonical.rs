//! The client body of an unshaped JSON backend answer, written straight from the backend's
//! bytes (issue 9): no `serde_json::Value` on the proxy hop.
//!
//! For an endpoint whose one backend answer is rendered as it is (`output_encoding: json`, no
//! shaping, codegen decides: `plan/lower/canonical_json.rs`), today's generic path decodes the
//! body into a `Value` ([`crate::decode::decode`]) and renders it Go-style
//! ([`crate::render::json`]). The result is a pure function of the body's bytes: whitespace
//! dropped, object keys sorted by bytes (a repeated key: the last value wins), numbers as
//! serde_json's `arbitrary_precision` keeps them (an exponent's `E` lower-cased and an unsigned
//! exponent given a `+`), strings unescaped and escaped again as Go's encoder does. [`fast`]
//! produces those bytes in one pass: arrays and scalars are copied to the output as they are
//! read; an object's members are written in input order, and only when its keys were not
//! already strictly ascending are the members reordered (sorted `(key, range)` list, one copy
//! through a scratch buffer).
//!
//! # Same result as the generic path, errors included
//!
//! As in [`crate::projection`], the fast reader never produces an error message: whenever it
//! meets something it does not vouch for it *declines* (`None`) and [`render`] answers with
//! the generic path ([`reference`]) for that body. It declines on every input the generic path
//! rejects (empty body, invalid JSON up to the end of the first value, a root of the wrong kind,
//! a string with a control character, an invalid escape, a lone surrogate or invalid UTF-8,
//! nesting beyond serde_json's limit of 127 open containers, a scalar root followed by a byte
//! that is not a delimiter), and on one input it accepts: an object whose first key is one of
//! serde_json's private tokens (`Value` turns `{"$serde_json::private::Number": "1"}` into a
//! number). So errors and oddities get the generic path's answer by construction; the
//! differential tests (`tests/canonical.rs`, the `canonical` fuzz target) check that both
//! paths give the same bytes or the same error on random and adversarial bodies.
//!
//! Trailing bytes after the first value are ignored, as the generic decoder does.

use crate::render::json::write_str;
use crate::spec::Decode;
use serde_json::Value;
use std::cell::RefCell;

/// Open containers serde_json's deserializer allows (its recursion limit of 128 fails on the
/// 128th).
const MAX_DEPTH: usize = 127;

/// The keys serde_json's `Value` treats specially when they come first in an object.
const PRIVATE_TOKENS: [&[u8]; 2] = [
    b"$serde_json::private::Number",
    b"$serde_json::private::RawValue",
];

/// Classes of a string's bytes for [`Reader::ascii_run`].
const KEEP: u8 = 0;
/// Non-ASCII (UTF-8 to check, U+2028/U+2029 to escape) or HTML-escaped by Go (`<`, `>`, `&`).
const CARE: u8 = 1;
const QUOTE: u8 = 2;
const BACKSLASH: u8 = 3;
/// A control byte: serde_json rejects it in a string.
const CONTROL: u8 = 4;
const RUN_CLASS: [u8; 256] = {
    let mut t = [KEEP; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = if b < 0x20 {
            CONTROL
        } else if b >= 0x80 || b == b'<' as usize || b == b'>' as usize || b == b'&' as usize {
            CARE
        } else if b == b'"' as usize {
            QUOTE
        } else if b == b'\\' as usize {
            BACKSLASH
        } else {
            KEEP
        };
        b += 1;
    }
    t
};

/// The rendered data of one backend answer, as `respond::render` writes it for `Output::Json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The JSON body sent to the client.
    pub body: Vec<u8>,
    /// Whether the data is a non-empty object (`X-Krakend-Completed` needs it).
    pub non_empty: bool,
}

/// The client body for `body` decoded with `how` (`JsonObject`, `JsonCollection` or
/// `SafeJson`), or the decode error: exactly what [`reference`] gives, without a `Value` for
/// the bodies [`fast`] takes.
pub fn render(how: Decode, body: &[u8]) -> Result<Rendered, String> {
    match fast(how, body) {
        Some(r) => Ok(r),
        None => reference(how, body),
    }
}

/// Today's generic path: [`crate::decode::decode`], then the Go-style render of the data.
pub fn reference(how: Decode, body: &[u8]) -> Result<Rendered, String> {
    let data = crate::decode::decode(how, body)?;
    let non_empty = !data.is_empty();
    Ok(Rendered {
        body: crate::render::json::to_vec(&Value::Object(data)),
        non_empty,
    })
}

/// The fast reader: the rendered body, or `None` where the generic path must answer (see the
/// module docs). Only JSON encodings are taken.
pub fn fast(how: Decode, body: &[u8]) -> Option<Rendered> {
    // Scratch buffers reused by the calls of a thread; a nested call (none today) gets fresh ones.
    thread_local! {
        static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    }
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => run(how, body, &mut s),
        Err(_) => run(how, body, &mut Scratch::default()),
    })
}

/// Renders the one value at `pos` of `src` (whitespace before it skipped) as [`fast`] renders
/// it, `depth` containers open around it, appending to `out`: the position after the value, or
/// `None` where the generic path must answer. For [`crate::projection::render`], which writes
/// the values an `allow` keeps this way.
pub(crate) fn append_value(
    src: &[u8],
    pos: usize,
    depth: usize,
    out: &mut Vec<u8>,
) -> Option<usize> {
    thread_local! {
        static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    }
    let mut go = |scratch: &mut Scratch| {
        scratch.clear();
        let mut r = Reader {
            src,
            pos,
            out: std::mem::take(out),
            s: scratch,
        };
        r.ws();
        let done = r.value(depth);
        *out = r.out;
        done.map(|()| r.pos)
    };
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => go(&mut s),
        Err(_) => go(&mut Scratch::default()),
    })
}

fn run(how: Decode, body: &[u8], scratch: &mut Scratch) -> Option<Rendered> {
    scratch.clear();
    let mut r = Reader {
        src: body,
        pos: 0,
        out: Vec::with_capacity(body.len() + 16),
        s: scratch,
    };
    r.ws();
    let first = *body.get(r.pos)?;
    let non_empty = match (how, first) {
        (Decode::JsonObject | Decode::SafeJson, b'{') => r.object(0)?,
        (Decode::JsonCollection | Decode::SafeJson, b'[') => {
            r.out.extend_from_slice(br#"{"collection":"#);
            r.array(0)?;
            r.out.push(b'}');
            true
        }
        (Decode::SafeJson, _) => {
            r.out.extend_from_slice(br#"{"content":"#);
            r.value(0)?;
            r.out.push(b'}');
            // serde_json's stream reader wants a delimiter after a value that has none.
            match body.get(r.pos) {
                None
                | Some(b' ' | b'\n' | b'\t' | b'\r' | b'"' | b'[' | b']' | b'{' | b'}')
                | Some(b',' | b':') => {}
                Some(_) => return None,
            }
            true
        }
        _ => return None,
    };
    Some(Rendered {
        body: r.out,
        non_empty,
    })
}

/// Buffers kept between calls on one thread.
#[derive(Debug, Default)]
struct Scratch {
    /// Unescaped keys that had escapes (a stack: an object pops its own at its end).
    keys: Vec<u8>,
    /// The members of the objects being read (a stack, like `keys`).
    members: Vec<Member>,
    /// An unescaped string value.
    text: Vec<u8>,
    /// The reordered members of an object.
    reorder: Vec<u8>,
    /// Member indexes being sorted.
    order: Vec<usize>,
}

impl Scratch {
    fn clear(&mut self) {
        self.keys.clear();
        self.members.clear();
        self.text.clear();
        self.reorder.clear();
        self.order.clear();
        // A huge body must not keep its buffers alive on the thread afterwards.
        const KEEP: usize = 64 * 1024;
        for v in [&mut self.keys, &mut self.text, &mut self.reorder] {
            if v.capacity() > KEEP {
                v.shrink_to(KEEP);
            }
        }
        if self.members.capacity() > KEEP / 16 {
            self.members.shrink_to(KEEP / 16);
        }
        if self.order.capacity() > KEEP / 8 {
            self.order.shrink_to(KEEP / 8);
        }
    }
}

/// Where an object key's unescaped bytes are.
#[derive(Debug, Clone, Copy)]
enum Key {
    /// In the body (the key had no escape).
    Body(usize, usize),
    /// In `Scratch::keys`.
    Unescaped(usize, usize),
}

/// One member of an object being read: its key and its rendered `"key":value` in the output.
#[derive(Debug, Clone, Copy)]
struct Member {
    key: Key,
    start: usize,
    end: usize,
}

struct Reader<'a, 's> {
    src: &'a [u8],
    pos: usize,
    out: Vec<u8>,
    s: &'s mut Scratch,
}

/// The bytes of `key`.
fn key_bytes<'k>(src: &'k [u8], keys: &'k [u8], key: Key) -> &'k [u8] {
    match key {
        Key::Body(a, b) => src.get(a..b).unwrap_or_default(),
        Key::Unescaped(a, b) => keys.get(a..b).unwrap_or_default(),
    }
}

impl Reader<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    /// Skips serde_json's whitespace.
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Eats `b`, or declines.
    fn eat(&mut self, b: u8) -> Option<()> {
        if self.peek()? != b {
            return None;
        }
        self.pos += 1;
        Some(())
    }

    /// One value at `depth` open containers (whitespace before it already skipped).
    fn value(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth).map(|_| ()),
            b'[' => self.array(depth),
            b'"' => {
                self.pos += 1;
                self.string_value()
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.pos + word.len();
        (self.src.get(self.pos..end)? == word).then_some(())?;
        self.out.extend_from_slice(word);
        self.pos = end;
        Some(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, written as serde_json keeps it.
    fn number(&mut self) -> Option<()> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => {
                self.pos += 1;
                // A leading zero stands alone.
                if self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let at = self.pos;
            self.digits();
            if self.pos == at {
                return None;
            }
        }
        let mantissa_end = self.pos;
        self.out
            .extend_from_slice(self.src.get(start..mantissa_end)?);
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            self.out.push(b'e');
            match self.peek() {
                Some(sign @ (b'+' | b'-')) => {
                    self.pos += 1;
                    self.out.push(sign);
                }
                _ => self.out.push(b'+'),
            }
            let at = self.pos;
            self.digits();
            if self.pos == at {
                return None;
            }
            self.out.extend_from_slice(self.src.get(at..self.pos)?);
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn array(&mut self, depth: usize) -> Option<()> {
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        self.out.push(b'[');
        self.ws();
        if self.peek()? == b']' {
            self.pos += 1;
            self.out.push(b']');
            return Some(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.out.push(b',');
                    self.ws();
                }
                b']' => {
                    self.pos += 1;
                    self.out.push(b']');
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An object, its members sorted by key; whether it has any member.
    fn object(&mut self, depth: usize) -> Option<bool> {
        let depth = depth + 1;
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        let open = self.out.len();
        self.out.push(b'{');
        self.ws();
        if self.peek()? == b'}' {
            self.pos += 1;
            self.out.push(b'}');
            return Some(false);
        }
        let first_member = self.s.members.len();
        let keys_mark = self.s.keys.len();
        let mut sorted = true;
        loop {
            self.eat(b'"')?;
            let (key, ascii) = self.key()?;
            let bytes = key_bytes(self.src, &self.s.keys, key);
            if self.s.members.len() == first_member {
                if PRIVATE_TOKENS.contains(&bytes) {
                    return None;
                }
            } else if let Some(prev) = self.s.members.last() {
                sorted = sorted && key_bytes(self.src, &self.s.keys, prev.key) < bytes;
            }
            let start = self.out.len();
            if ascii {
                // Nothing to escape (`ascii_run`).
                self.out.push(b'"');
                self.out.extend_from_slice(bytes);
                self.out.push(b'"');
            } else {
                // Valid UTF-8: checked by `key`.
                write_str(&mut self.out, std::str::from_utf8(bytes).ok()?);
            }
            self.ws();
            self.eat(b':')?;
            self.out.push(b':');
            self.ws();
            self.value(depth)?;
            self.s.members.push(Member {
                key,
                start,
                end: self.out.len(),
            });
            self.ws();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.out.push(b',');
                    self.ws();
                }
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        if !sorted {
            self.reorder(open, first_member);
        }
        self.out.push(b'}');
        self.s.members.truncate(first_member);
        self.s.keys.truncate(keys_mark);
        Some(true)
    }

    /// Rewrites the members of the object opened at `open` (its members from `first` on the
    /// stack) in key order, keeping the last of repeated keys.
    fn reorder(&mut self, open: usize, first: usize) {
        let Scratch {
            keys,
            members,
            reorder,
            order,
            ..
        } = &mut *self.s;
        let src = self.src;
        let members = members.get(first..).unwrap_or_default();
        order.clear();
        order.extend(0..members.len());
        let key_of = |i: usize| {
            members
                .get(i)
                .map_or(&[][..], |m| key_bytes(src, keys, m.key))
        };
        order.sort_unstable_by(|&a, &b| key_of(a).cmp(key_of(b)).then(a.cmp(&b)));
        reorder.clear();
        for (n, &i) in order.iter().enumerate() {
            // Of repeated keys only the last (the highest index, sorted last) is kept.
            if order
                .get(n + 1)
                .is_some_and(|&next| key_of(next) == key_of(i))
            {
                continue;
            }
            if !reorder.is_empty() {
                reorder.push(b',');
            }
            if let Some(m) = members.get(i) {
                reorder.extend_from_slice(self.out.get(m.start..m.end).unwrap_or_default());
            }
        }
        self.out.truncate(open + 1);
        self.out.extend_from_slice(reorder);
    }

    /// A key (after its opening quote): in the body when it has no escape, else unescaped into
    /// `Scratch::keys`.
    fn key(&mut self) -> Option<(Key, bool)> {
        let start = self.pos;
        let (closed, ascii) = self.ascii_run()?;
        if closed {
            let key = Key::Body(start, self.pos);
            if !ascii {
                std::str::from_utf8(self.src.get(start..self.pos)?).ok()?;
            }
            self.pos += 1;
            return Some((key, ascii));
        }
        let from = self.s.keys.len();
        self.s
            .keys
            .extend_from_slice(self.src.get(start..self.pos)?);
        let mut keys = std::mem::take(&mut self.s.keys);
        let done = self.escaped_rest(&mut keys);
        self.s.keys = keys;
        done?;
        std::str::from_utf8(self.s.keys.get(from..)?).ok()?;
        Some((Key::Unescaped(from, self.s.keys.len()), false))
    }

    /// A string value (after its opening quote), written escaped Go's way.
    fn string_value(&mut self) -> Option<()> {
        let start = self.pos;
        let (closed, ascii) = self.ascii_run()?;
        if closed {
            let run = self.src.get(start..self.pos)?;
            if ascii {
                // Nothing to check or escape: copied as it is.
                self.out.reserve(run.len() + 2);
                self.out.push(b'"');
                self.out.extend_from_slice(run);
                self.out.push(b'"');
            } else {
                write_str(&mut self.out, std::str::from_utf8(run).ok()?);
            }
            self.pos += 1;
            return Some(());
        }
        let mut text = std::mem::take(&mut self.s.text);
        text.clear();
        text.extend_from_slice(self.src.get(start..self.pos)?);
        let done = self
            .escaped_rest(&mut text)
            .and_then(|()| std::str::from_utf8(&text).ok())
            .map(|s| write_str(&mut self.out, s));
        self.s.text = text;
        done
    }

    /// [`plain_run`](Self::plain_run), also telling whether every byte passed is ASCII that
    /// Go's encoder writes as it is (not `<`, `>` or `&`): such a run needs neither a UTF-8
    /// check nor escaping.
    fn ascii_run(&mut self) -> Option<(bool, bool)> {
        let mut ascii = true;
        loop {
            match RUN_CLASS[usize::from(self.peek()?)] {
                KEEP => {}
                CARE => ascii = false,
                QUOTE => return Some((true, ascii)),
                BACKSLASH => return Some((false, ascii)),
                _ => return None,
            }
            self.pos += 1;
        }
    }

    /// Advances over the string's bytes up to its closing quote (`true`, left on it) or its
    /// first backslash (`false`, left on it); declines on a control byte or the end.
    fn plain_run(&mut self) -> Option<bool> {
        loop {
            match self.peek()? {
                b'"' => return Some(true),
                b'\\' => return Some(false),
                0..=0x1f => return None,
                _ => self.pos += 1,
            }
        }
    }

    /// Unescapes the rest of a string (positioned on a backslash) into `buf`, up to and over
    /// its closing quote, with serde_json's rules for a `String`.
    fn escaped_rest(&mut self, buf: &mut Vec<u8>) -> Option<()> {
        loop {
            let run = self.pos;
            let closed = self.plain_run()?;
            buf.extend_from_slice(self.src.get(run..self.pos)?);
            self.pos += 1;
            if closed {
                return Some(());
            }
            let c = self.peek()?;
            self.pos += 1;
            let plain = match c {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    let ch = self.unicode_escape()?;
                    let mut utf8 = [0u8; 4];
                    buf.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                    continue;
                }
                _ => return None,
            };
            buf.push(plain);
        }
    }

    /// The character of a `\u` escape (after the `u`); a surrogate pair is two escapes, a lone
    /// surrogate declines (serde_json rejects it in a `String`).
    fn unicode_escape(&mut self) -> Option<char> {
        let n = self.hex4()?;
        match n {
            0xd800..=0xdbff => {
                self.eat(b'\\')?;
                self.eat(b'u')?;
                let low = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((n - 0xd800) << 10) + (low - 0xdc00))
            }
            0xdc00..=0xdfff => None,
            _ => char::from_u32(n),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.src.get(self.pos..self.pos + 4)?;
        let mut n = 0u32;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn both(how: Decode, body: &str) -> Option<String> {
        let fast = fast(how, body.as_bytes());
        let reference = reference(how, body.as_bytes());
        match (&fast, &reference) {
            (Some(f), Ok(r)) => assert_eq!(f, r, "{body:?}"),
            (Some(f), Err(e)) => panic!("{body:?}: fast gave {f:?}, reference failed: {e}"),
            (None, _) => {}
        }
        fast.map(|r| String::from_utf8(r.body).unwrap())
    }

    #[test]
    fn sorted_compact_escaped() {
        assert_eq!(
            both(
                Decode::JsonObject,
                " {\"b\" : [1, 2.50 , -0, 1E3, 2e-7],\"a\":{\"z\":null,\"y\":true}, \"<\":\"\\u00e9\\/&\"} x"
            )
            .unwrap(),
            r#"{"\u003c":"é/\u0026","a":{"y":true,"z":null},"b":[1,2.50,-0,1e+3,2e-7]}"#
        );
    }

    #[test]
    fn repeated_keys_keep_the_last_value() {
        assert_eq!(
            both(Decode::JsonObject, r#"{"b":1,"a":2,"b":3,"a":{"x":4}}"#).unwrap(),
            r#"{"a":{"x":4},"b":3}"#
        );
        assert_eq!(
            both(Decode::JsonObject, r#"{"a":1,"a":2}"#).unwrap(),
            r#"{"a":2}"#
        );
    }

    #[test]
    fn roots_per_encoding() {
        assert_eq!(
            both(Decode::JsonCollection, "[1,{}]").unwrap(),
            r#"{"collection":[1,{}]}"#
        );
        assert_eq!(
            both(Decode::SafeJson, r#""x""#).unwrap(),
            r#"{"content":"x"}"#
        );
        assert_eq!(both(Decode::SafeJson, "3 ").unwrap(), r#"{"content":3}"#);
        assert_eq!(
            both(Decode::SafeJson, "[]").unwrap(),
            r#"{"collection":[]}"#
        );
        assert!(!fast(Decode::JsonObject, b"{}").unwrap().non_empty);
        assert!(fast(Decode::SafeJson, b"null").unwrap().non_empty);
    }

    #[test]
    fn declines_what_the_generic_path_rejects_or_treats_specially() {
        for (how, body) in [
            (Decode::JsonObject, ""),
            (Decode::JsonObject, "[1]"),
            (Decode::JsonCollection, "{}"),
            (Decode::SafeJson, "3x"),
            (Decode::SafeJson, "01"),
            (Decode::JsonObject, r#"{"a":"\ud800"}"#),
            (
                Decode::JsonObject,
                r#"{"$serde_json::private::Number":"1"}"#,
            ),
            (Decode::JsonObject, "{\"a\":\"\x01\"}"),
            (Decode::JsonObject, r#"{"a":[1,]}"#),
        ] {
            assert_eq!(both(how, body), None, "{body:?}");
            assert_eq!(
                render(how, body.as_bytes()),
                reference(how, body.as_bytes())
            );
        }
    }

    #[test]
    fn depth_limit_is_serde_jsons() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(fast(Decode::JsonCollection, nest(127).as_bytes()).is_some());
        assert!(fast(Decode::JsonCollection, nest(128).as_bytes()).is_none());
        assert!(reference(Decode::JsonCollection, nest(127).as_bytes()).is_ok());
        assert!(reference(Decode::JsonCollection, nest(128).as_bytes()).is_err());
    }
}
