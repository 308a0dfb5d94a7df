//! What KrakenD's router does around a match (spec: shared/spec/routing-and-forwarding.md §2):
//! matching on the percent-decoded path, trailing-slash and fixed-path redirects, 405 with
//! `Allow`, 404, and the 400 for parameters that still look encoded.
//!
//! The route table is a `'static` array emitted by codegen; it is only consulted on the cold
//! paths (no route matched for the request's method), never on a successful match.

use axum::body::Body;
use axum::response::Response;
use http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, Method, StatusCode};
use std::borrow::Cow;

/// One registered path and the methods it was registered for, in contract order.
#[derive(Debug)]
pub struct Route {
    /// The endpoint path as axum knows it, e.g. `/users/{id}`.
    pub pattern: &'static str,
    /// Methods registered for this path, upper-case, in contract order.
    pub methods: &'static [&'static str],
}

/// Everything the cold paths need: routes plus the `router` options that affect them.
#[derive(Debug)]
pub struct RouteTable {
    pub routes: &'static [Route],
    /// Every method in the order it was first registered in the whole contract (gin keeps one
    /// tree per method, in that order; `Allow` lists methods in that order).
    pub method_order: &'static [&'static str],
    /// Value of `X-Krakend` (`Version <v>` or `Version undefined`).
    pub version_header: &'static str,
    /// `router.error_body."404"` as JSON text.
    pub error_body_404: Option<&'static str>,
    /// `router.error_body."405"` as JSON text.
    pub error_body_405: Option<&'static str>,
    pub disable_redirect_trailing_slash: bool,
    pub disable_redirect_fixed_path: bool,
    pub disable_handle_method_not_allowed: bool,
    /// `router.remove_extra_slash`: clean the path before matching (no redirect).
    pub remove_extra_slash: bool,
}

/// Rewrites a raw request path into the form the router matches on: percent-decoded once, then
/// re-encoded so that the result is a valid URI path in which a decoded `%2F` is a real `/` and a
/// literal `%` is `%25`. Returns `Borrowed` when nothing changes (no `%` in the path).
pub fn canonical_path(raw_path: &str) -> Cow<'_, str> {
    let raw = raw_path.as_bytes();
    if raw.iter().all(|&b| is_uri_path_byte(b)) {
        return Cow::Borrowed(raw_path);
    }
    let decoded = percent_decode_lenient(raw);
    let mut out = String::with_capacity(decoded.len() + 8);
    for &b in &decoded {
        if is_uri_path_byte(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b, UPPER_HEX);
        }
    }
    if out == raw_path {
        Cow::Borrowed(raw_path)
    } else {
        Cow::Owned(out)
    }
}

/// The answer when no handler matched `method` + `path` (a canonical path): a 301/307 redirect
/// (trailing slash, then fixed path), else 405 with `Allow`, else 404.
pub fn not_matched(
    table: &RouteTable,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    // Go matches on `URL.Path`, the decoded path; decoding the canonical path once gives it back.
    let decoded = percent_decode_lenient(path.as_bytes());
    let method_str = method.as_str();
    let parsed: Vec<(&Route, Vec<SegPattern>)> = table
        .routes
        .iter()
        .map(|r| (r, parse_pattern(r.pattern)))
        .collect();

    // a) Redirects, searching only the request method's routes (gin: that method's tree).
    if *method != Method::CONNECT && decoded.as_slice() != b"/" {
        let own: Vec<&[SegPattern]> = parsed
            .iter()
            .filter(|(r, _)| r.methods.contains(&method_str))
            .map(|(_, p)| p.as_slice())
            .collect();
        if !own.is_empty() {
            if !table.disable_redirect_trailing_slash
                && exact_match_any(&own, &toggle_trailing_slash(&decoded))
            {
                return trailing_slash_redirect(method, &decoded, query, headers);
            }
            if !table.disable_redirect_fixed_path {
                if let Some(fixed) = find_fixed_path(&own, &decoded) {
                    // Never redirect to the very path that just failed (would loop).
                    if fixed != decoded {
                        return redirect_response(method, &fixed, query);
                    }
                }
            }
        }
    }

    // b) 405 when the exact path exists for other methods.
    if !table.disable_handle_method_not_allowed {
        let allowed = allowed_methods(table, &parsed, method_str, &decoded);
        if !allowed.is_empty() {
            let mut resp = krakend_error(
                table,
                StatusCode::METHOD_NOT_ALLOWED,
                "405 method not allowed",
                table.error_body_405,
            );
            if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
                resp.headers_mut().insert(ALLOW, v);
            }
            return resp;
        }
    }

    // c) 404.
    krakend_error(
        table,
        StatusCode::NOT_FOUND,
        "404 page not found",
        table.error_body_404,
    )
}

/// Decodes one path segment captured for a `{param}` and applies KrakenD's check: a value that
/// would decode again, or holds `?`/`#`, or a bad `%` escape, is answered with 400.
// The signature is fixed by generated code; this is the cold path, so the large `Err` is fine.
#[allow(clippy::result_large_err)]
pub fn decode_param(raw_segment: &str) -> Result<String, Response> {
    let raw = raw_segment.as_bytes();
    if !raw.iter().any(|&b| matches!(b, b'%' | b'?' | b'#')) {
        return dot_segment_check(raw_segment.to_owned());
    }
    // The value gin hands to KrakenD (decoded once) ...
    let value = percent_decode_lenient(raw);
    // ... then lura's paramChecker: `url.PathUnescape` (its error first: it validates every
    // escape before decoding), then "would decode again", then `?`/`#`.
    let mut i = 0;
    let mut has_escape = false;
    while let Some(&b) = value.get(i) {
        if b == b'%' {
            let valid = matches!(
                (value.get(i + 1), value.get(i + 2)),
                (Some(h), Some(l)) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit()
            );
            if !valid {
                let end = (i + 3).min(value.len());
                let fragment = value.get(i..end).unwrap_or_default();
                return Err(bad_request(format!(
                    "error: invalid URL escape {}",
                    go_quote(fragment)
                )));
            }
            has_escape = true;
            i += 3;
        } else {
            i += 1;
        }
    }
    if has_escape || value.iter().any(|&b| b == b'?' || b == b'#') {
        return Err(bad_request("error: encoded url params".to_owned()));
    }
    dot_segment_check(String::from_utf8_lossy(&value).into_owned())
}

/// `decode_param` without KrakenD's encoded-parameter check (router `disable_path_decoding`);
/// dot segments are still rejected.
pub fn decode_param_unchecked(raw_segment: &str) -> Result<String, Response> {
    let value = percent_decode_lenient(raw_segment.as_bytes());
    dot_segment_check(String::from_utf8_lossy(&value).into_owned())
}

/// A parameter that is exactly `.` or `..` would become a dot segment of the backend URL, and
/// URL parsers resolve those (even escaped as `%2E`), letting a client climb out of the
/// url_pattern's path. Krustd rejects it (KrakenD passes it on to the backend).
fn dot_segment_check(value: String) -> Result<String, Response> {
    if value == "." || value == ".." {
        return Err(bad_request("error: encoded url params".to_owned()));
    }
    Ok(value)
}

// ---------------------------------------------------------------------------------------------
// Percent-encoding helpers

const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";
const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";

const X_KRAKEND: HeaderName = HeaderName::from_static("x-krakend");
const X_KRAKEND_COMPLETED: HeaderName = HeaderName::from_static("x-krakend-completed");
const X_FORWARDED_PREFIX: HeaderName = HeaderName::from_static("x-forwarded-prefix");
const FALSE_VALUE: HeaderValue = HeaderValue::from_static("false");
const TEXT_PLAIN: HeaderValue = HeaderValue::from_static("text/plain");
const TEXT_PLAIN_UTF8: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const TEXT_HTML_UTF8: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// RFC 3986 `pchar` plus `/`, i.e. what may appear literally in a URI path (`%` excluded: a
/// literal `%` is always written `%25` in the canonical form).
fn is_uri_path_byte(b: u8) -> bool {
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
fn is_go_path_byte(b: u8) -> bool {
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

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn push_pct(out: &mut String, b: u8, hex: &[u8; 16]) {
    out.push('%');
    out.push(char::from(hex[usize::from(b >> 4)]));
    out.push(char::from(hex[usize::from(b & 0x0f)]));
}

/// Decodes every valid `%XX`; an invalid or truncated escape is kept as literal text.
fn percent_decode_lenient(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while let Some(&b) = input.get(i) {
        if b == b'%' {
            let hi = input.get(i + 1).copied().and_then(hex_val);
            let lo = input.get(i + 2).copied().and_then(hex_val);
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
fn go_escape_path(path: &[u8]) -> String {
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
fn hex_escape_non_ascii(s: &str) -> String {
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
fn html_escape(s: &str) -> String {
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

/// Go's `strconv.Quote` for the (at most 3-byte) fragment of a `url.EscapeError`.
fn go_quote(bytes: &[u8]) -> String {
    let mut out = String::from("\"");
    let mut rest = bytes;
    while let Some((unit, len)) = next_unit(rest) {
        rest = rest.get(len..).unwrap_or_default();
        match unit {
            Unit::Byte(b) => {
                out.push_str("\\x");
                out.push(char::from(LOWER_HEX[usize::from(b >> 4)]));
                out.push(char::from(LOWER_HEX[usize::from(b & 0x0f)]));
            }
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
                c if c < ' ' || c == '\u{7f}' => {
                    out.push_str(&format!("\\x{:02x}", u32::from(c)));
                }
                c if go_is_print(c) => out.push(c),
                c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
            },
        }
    }
    out.push('"');
    out
}

/// Approximation of Go's `strconv.IsPrint` (unassigned code points are not modelled).
fn go_is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(
            c,
            '\u{ad}'
                | '\u{600}'..='\u{605}'
                | '\u{61c}'
                | '\u{6dd}'
                | '\u{70f}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206f}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        ))
}

// ---------------------------------------------------------------------------------------------
// Path cleaning

fn join_segments(segs: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, s) in segs.iter().enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        out.extend_from_slice(s);
    }
    out
}

/// Go's `path.Clean`.
fn go_path_clean(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let rooted = p.first() == Some(&b'/');
    let mut stack: Vec<&[u8]> = Vec::new();
    for el in p.split(|&b| b == b'/') {
        match el {
            b"" | b"." => {}
            b".." => {
                if stack.last().is_some_and(|l| *l != b"..") {
                    stack.pop();
                } else if !rooted {
                    stack.push(el);
                }
            }
            _ => stack.push(el),
        }
    }
    let joined = join_segments(&stack);
    if rooted {
        let mut out = Vec::with_capacity(joined.len() + 1);
        out.push(b'/');
        out.extend_from_slice(&joined);
        out
    } else if joined.is_empty() {
        b".".to_vec()
    } else {
        joined
    }
}

/// The path gin matches with `remove_extra_slash`: cleaned (`//`, `.`, `..`), trailing slash
/// kept. Borrowed when already clean.
pub fn clean_path(path: &str) -> Cow<'_, str> {
    let cleaned = gin_clean_path(path.as_bytes());
    if cleaned == path.as_bytes() {
        return Cow::Borrowed(path);
    }
    Cow::Owned(String::from_utf8_lossy(&cleaned).into_owned())
}

/// gin's `cleanPath`: rooted, `//` collapsed, `.`/`..` resolved, trailing slash kept (a final
/// `/.` also yields a trailing slash).
fn gin_clean_path(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b"/".to_vec();
    }
    let mut trailing = p.len() > 1 && p.ends_with(b"/");
    let parts: Vec<&[u8]> = p.split(|&b| b == b'/').collect();
    let last = parts.len().saturating_sub(1);
    let mut stack: Vec<&[u8]> = Vec::new();
    for (i, el) in parts.iter().enumerate() {
        match *el {
            b"" => {}
            b"." => {
                if i == last {
                    trailing = true;
                }
            }
            b".." => {
                stack.pop();
            }
            _ => stack.push(el),
        }
    }
    let mut out = vec![b'/'];
    out.extend_from_slice(&join_segments(&stack));
    if trailing && out.len() > 1 {
        out.push(b'/');
    }
    out
}

/// `/a/` ↔ `/a`.
fn toggle_trailing_slash(p: &[u8]) -> Vec<u8> {
    match p.strip_suffix(b"/") {
        Some(stripped) if p.len() > 1 => stripped.to_vec(),
        _ => {
            let mut out = p.to_vec();
            out.push(b'/');
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Route patterns and matching

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wild {
    None,
    Param,
    CatchAll,
}

/// One segment of a route pattern: literal `prefix`, then optionally a parameter, then a literal
/// `suffix` (only whole-segment params are expected; affixes are handled defensively).
/// Literals are percent-decoded once, so they compare against the decoded request path.
#[derive(Debug)]
struct SegPattern {
    prefix: Vec<u8>,
    wild: Wild,
    suffix: Vec<u8>,
}

impl SegPattern {
    fn rank(&self) -> u8 {
        match self.wild {
            Wild::None => 0,
            Wild::Param if !self.prefix.is_empty() || !self.suffix.is_empty() => 1,
            Wild::Param => 2,
            Wild::CatchAll => 3,
        }
    }
}

fn parse_pattern(pattern: &str) -> Vec<SegPattern> {
    let body = pattern.strip_prefix('/').unwrap_or(pattern);
    body.split('/').map(parse_segment).collect()
}

/// matchit syntax: `{name}` param, `{*name}` catch-all, `{{` / `}}` literal braces.
fn parse_segment(seg: &str) -> SegPattern {
    let bytes = seg.as_bytes();
    let mut prefix = Vec::new();
    let mut suffix = Vec::new();
    let mut wild = Wild::None;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let next = bytes.get(i + 1).copied();
        let (lit, step) = match b {
            b'{' if next == Some(b'{') => (Some(b'{'), 2),
            b'}' if next == Some(b'}') => (Some(b'}'), 2),
            b'{' if wild == Wild::None => {
                let rest = bytes.get(i + 1..).unwrap_or_default();
                match rest.iter().position(|&c| c == b'}') {
                    Some(end) => {
                        wild = if rest.first() == Some(&b'*') {
                            Wild::CatchAll
                        } else {
                            Wild::Param
                        };
                        (None, end + 2)
                    }
                    None => (Some(b), 1),
                }
            }
            _ => (Some(b), 1),
        };
        if let Some(l) = lit {
            if wild == Wild::None {
                prefix.push(l);
            } else {
                suffix.push(l);
            }
        }
        i += step;
    }
    SegPattern {
        prefix: percent_decode_lenient(&prefix),
        wild,
        suffix: percent_decode_lenient(&suffix),
    }
}

fn split_path(path: &[u8]) -> Option<Vec<&[u8]>> {
    let rest = path.strip_prefix(b"/")?;
    Some(rest.split(|&b| b == b'/').collect())
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Char(char),
    Byte(u8),
}

/// Next UTF-8 character of `b`, or a lone byte when `b` does not start with valid UTF-8.
fn next_unit(b: &[u8]) -> Option<(Unit, usize)> {
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

fn simple_case(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// gin's `findCaseInsensitivePath` rune rule: the route's rune equals the request rune, its
/// lower-case or its upper-case form.
fn units_match(route: Unit, req: Unit) -> bool {
    match (route, req) {
        (Unit::Char(t), Unit::Char(r)) => {
            t == r
                || simple_case(r.to_lowercase()) == Some(t)
                || simple_case(r.to_uppercase()) == Some(t)
        }
        (Unit::Byte(a), Unit::Byte(b)) => a == b,
        _ => false,
    }
}

/// Number of bytes of `req` matched by the literal `route` at its start.
fn match_prefix(route: &[u8], req: &[u8], ci: bool) -> Option<usize> {
    if !ci {
        return req.starts_with(route).then_some(route.len());
    }
    let (mut r, mut q) = (route, req);
    let mut consumed = 0;
    while let Some((ru, rl)) = next_unit(r) {
        let (qu, ql) = next_unit(q)?;
        if !units_match(ru, qu) {
            return None;
        }
        r = r.get(rl..).unwrap_or_default();
        q = q.get(ql..).unwrap_or_default();
        consumed += ql;
    }
    Some(consumed)
}

fn literal_eq(route: &[u8], req: &[u8], ci: bool) -> bool {
    match_prefix(route, req, ci) == Some(req.len())
}

/// Matches `segs` (request path segments) against a route; returns the path the route spells
/// (static text from the route, parameter text from the request).
fn match_route(pat: &[SegPattern], segs: &[&[u8]], ci: bool) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for (i, sp) in pat.iter().enumerate() {
        let seg = *segs.get(i)?;
        out.push(b'/');
        match sp.wild {
            Wild::None => {
                if !literal_eq(&sp.prefix, seg, ci) {
                    return None;
                }
                out.extend_from_slice(&sp.prefix);
            }
            Wild::Param => {
                let n = match_prefix(&sp.prefix, seg, ci)?;
                let rest = seg.get(n..).unwrap_or_default();
                // The parameter is never empty; the suffix must match the segment's end.
                let split = (1..=rest.len())
                    .rev()
                    .find(|&s| literal_eq(&sp.suffix, rest.get(s..).unwrap_or_default(), ci))?;
                out.extend_from_slice(&sp.prefix);
                out.extend_from_slice(rest.get(..split).unwrap_or_default());
                out.extend_from_slice(&sp.suffix);
            }
            Wild::CatchAll => {
                if i + 1 != pat.len() {
                    return None;
                }
                let rest = join_segments(segs.get(i..).unwrap_or_default());
                let n = match_prefix(&sp.prefix, &rest, ci)?;
                out.extend_from_slice(&sp.prefix);
                out.extend_from_slice(rest.get(n..).unwrap_or_default());
                return Some(out);
            }
        }
    }
    (segs.len() == pat.len()).then_some(out)
}

fn exact_match_any(routes: &[&[SegPattern]], path: &[u8]) -> bool {
    split_path(path).is_some_and(|segs| {
        routes
            .iter()
            .any(|p| match_route(p, &segs, false).is_some())
    })
}

/// Case-insensitive lookup of `path` among `routes`; static segments win over params (earliest
/// position first), then a result spelled exactly like the request, then contract order.
fn find_case_insensitive(routes: &[&[SegPattern]], path: &[u8]) -> Option<Vec<u8>> {
    let segs = split_path(path)?;
    // ((per-segment ranks, spelled differently from the request), resulting path)
    type Candidate = ((Vec<u8>, bool), Vec<u8>);
    let mut best: Option<Candidate> = None;
    for pat in routes {
        if let Some(res) = match_route(pat, &segs, true) {
            let key = (
                pat.iter().map(SegPattern::rank).collect::<Vec<_>>(),
                res != path,
            );
            if best.as_ref().is_none_or(|(k, _)| key < *k) {
                best = Some((key, res));
            }
        }
    }
    best.map(|(_, res)| res)
}

/// gin's `redirectFixedPath`: clean, then case-insensitive lookup, also fixing the trailing slash.
fn find_fixed_path(routes: &[&[SegPattern]], decoded: &[u8]) -> Option<Vec<u8>> {
    let cleaned = gin_clean_path(decoded);
    find_case_insensitive(routes, &cleaned).or_else(|| {
        if cleaned.as_slice() == b"/" {
            None
        } else {
            find_case_insensitive(routes, &toggle_trailing_slash(&cleaned))
        }
    })
}

/// Methods (other than `method`) with a route matching `decoded` exactly, in `method_order`
/// (methods missing from `method_order` follow in route order).
fn allowed_methods<'t>(
    table: &'t RouteTable,
    parsed: &[(&'t Route, Vec<SegPattern>)],
    method: &str,
    decoded: &[u8],
) -> Vec<&'t str> {
    let Some(segs) = split_path(decoded) else {
        return Vec::new();
    };
    let matching: Vec<&Route> = parsed
        .iter()
        .filter(|(_, p)| match_route(p, &segs, false).is_some())
        .map(|(r, _)| *r)
        .collect();
    let mut allowed: Vec<&str> = Vec::new();
    let candidates = table
        .method_order
        .iter()
        .chain(matching.iter().flat_map(|r| r.methods.iter()));
    for &m in candidates {
        if m != method && !allowed.contains(&m) && matching.iter().any(|r| r.methods.contains(&m)) {
            allowed.push(m);
        }
    }
    allowed
}

// ---------------------------------------------------------------------------------------------
// Responses

/// Cleaned `X-Forwarded-Prefix` as gin uses it (`path.Clean`, then only `[a-zA-Z0-9/-]`, then
/// repeated `/` collapsed); `None` when absent/empty.
fn forwarded_prefix(headers: &HeaderMap) -> Option<Vec<u8>> {
    let raw = headers
        .get(X_FORWARDED_PREFIX)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let cleaned = go_path_clean(raw);
    if cleaned.as_slice() == b"." {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(cleaned.len());
    for b in cleaned {
        if b.is_ascii_alphanumeric() || b == b'-' || (b == b'/' && out.last() != Some(&b'/')) {
            out.push(b);
        }
    }
    Some(out)
}

/// gin's `redirectTrailingSlash`.
fn trailing_slash_redirect(
    method: &Method,
    decoded: &[u8],
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let p = match forwarded_prefix(headers) {
        Some(mut prefix) => {
            prefix.push(b'/');
            prefix.extend_from_slice(decoded);
            prefix
        }
        None => decoded.to_vec(),
    };
    redirect_response(method, &toggle_trailing_slash(&p), query)
}

/// gin's `redirectRequest` + net/http's `Redirect` for a relative URL: `Location` is the escaped
/// path (+ query) cleaned with `path.Clean`, trailing slash preserved.
fn redirect_response(method: &Method, new_path: &[u8], query: Option<&str>) -> Response {
    let mut url = go_escape_path(new_path);
    if !url.starts_with('/') {
        // Relative (only reachable through an odd X-Forwarded-Prefix): resolved against the
        // directory of the request path, as net/http does.
        let current = String::from_utf8_lossy(new_path);
        let dir_end = current.rfind('/').map_or(0, |i| i + 1);
        url = format!("{}{}", current.get(..dir_end).unwrap_or_default(), url);
    }
    let trailing = url.ends_with('/');
    let mut cleaned = go_path_clean(url.as_bytes());
    if trailing && !cleaned.ends_with(b"/") {
        cleaned.push(b'/');
    }
    let mut url = String::from_utf8_lossy(&cleaned).into_owned();
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        url.push('?');
        url.push_str(q);
    }

    let is_get = *method == Method::GET;
    let body = if is_get {
        Body::from(format!(
            "<a href=\"{}\">Moved Permanently</a>.\n\n",
            html_escape(&url)
        ))
    } else {
        Body::empty()
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = if is_get {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::TEMPORARY_REDIRECT
    };
    let headers = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&hex_escape_non_ascii(&url)) {
        headers.insert(LOCATION, v);
    }
    if is_get || *method == Method::HEAD {
        headers.insert(CONTENT_TYPE, TEXT_HTML_UTF8);
    }
    resp
}

/// 404 / 405 as KrakenD's NoRoute / NoMethod handlers leave them.
fn krakend_error(
    table: &RouteTable,
    status: StatusCode,
    default_body: &'static str,
    custom: Option<&'static str>,
) -> Response {
    let (body, content_type) = match custom {
        Some(json) => (json, JSON_UTF8),
        None => (default_body, TEXT_PLAIN),
    };
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = status;
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, content_type);
    if let Ok(v) = HeaderValue::from_str(table.version_header) {
        headers.insert(X_KRAKEND, v);
    }
    headers.insert(X_KRAKEND_COMPLETED, FALSE_VALUE);
    resp
}

fn bad_request(body: String) -> Response {
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    resp.headers_mut().insert(CONTENT_TYPE, TEXT_PLAIN_UTF8);
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const ROUTES: &[Route] = &[
        Route {
            pattern: "/users",
            methods: &["GET", "POST"],
        },
        Route {
            pattern: "/users/{id}",
            methods: &["GET", "DELETE"],
        },
        Route {
            pattern: "/users/new",
            methods: &["PUT"],
        },
        Route {
            pattern: "/a/b",
            methods: &["GET"],
        },
        Route {
            pattern: "/b",
            methods: &["GET"],
        },
        Route {
            pattern: "/items/",
            methods: &["GET", "PATCH"],
        },
        Route {
            pattern: "/caf%C3%A9",
            methods: &["GET"],
        },
        Route {
            pattern: "/",
            methods: &["POST"],
        },
    ];

    fn table() -> RouteTable {
        RouteTable {
            routes: ROUTES,
            method_order: &["GET", "POST", "PUT", "DELETE", "PATCH"],
            version_header: "Version 2.13.8",
            error_body_404: None,
            error_body_405: None,
            disable_redirect_trailing_slash: false,
            disable_redirect_fixed_path: false,
            disable_handle_method_not_allowed: false,
            remove_extra_slash: false,
        }
    }

    struct Got {
        status: u16,
        headers: HeaderMap,
        body: String,
    }

    impl Got {
        fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).map(|v| v.to_str().unwrap())
        }
    }

    fn run(resp: Response) -> Got {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(resp.into_body(), usize::MAX))
            .unwrap();
        Got {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    fn call_with(
        t: &RouteTable,
        method: &str,
        raw_path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
    ) -> Got {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let path = canonical_path(raw_path);
        run(not_matched(t, &method, &path, query, headers))
    }

    fn call(method: &str, raw_path: &str, query: Option<&str>) -> Got {
        call_with(&table(), method, raw_path, query, &HeaderMap::new())
    }

    fn assert_redirect(g: &Got, status: u16, location: &str) {
        assert_eq!(g.status, status);
        assert_eq!(g.header("location"), Some(location));
        assert!(g.header("x-krakend").is_none());
        assert!(g.header("x-krakend-completed").is_none());
        if status == 301 {
            assert_eq!(g.header("content-type"), Some("text/html; charset=utf-8"));
            assert_eq!(
                g.body,
                format!(
                    "<a href=\"{}\">Moved Permanently</a>.\n\n",
                    html_escape(location)
                )
            );
        } else {
            assert!(g.body.is_empty());
        }
    }

    // ---- canonical_path -----------------------------------------------------------------

    #[test]
    fn canonical_borrowed_when_unchanged() {
        assert!(matches!(canonical_path("/users/42"), Cow::Borrowed(_)));
        assert!(matches!(
            canonical_path("/a-b_c.d~e!$&'()*+,;=:@/"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(canonical_path("/a%20b"), Cow::Borrowed(_)));
        assert!(matches!(canonical_path("/%25"), Cow::Borrowed(_)));
    }

    #[test]
    fn canonical_cases() {
        assert_eq!(canonical_path("/a%2Fb"), "/a/b");
        assert_eq!(canonical_path("/a%2fb"), "/a/b");
        assert_eq!(canonical_path("/a%252Fb"), "/a%252Fb");
        assert_eq!(canonical_path("/%61bc"), "/abc");
        assert_eq!(canonical_path("/a%20b"), "/a%20b");
        assert_eq!(canonical_path("/a b"), "/a%20b");
        assert_eq!(canonical_path("/caf%c3%a9"), "/caf%C3%A9");
        assert_eq!(canonical_path("/café"), "/caf%C3%A9");
        assert_eq!(canonical_path("/%zz"), "/%25zz");
        assert_eq!(canonical_path("/a%4"), "/a%254");
        assert_eq!(canonical_path("/a%"), "/a%25");
        assert_eq!(canonical_path("/x%3Fy%23z"), "/x%3Fy%23z");
        assert_eq!(canonical_path("/{a}|^`\""), "/%7Ba%7D%7C%5E%60%22");
        assert_eq!(canonical_path("/%21%40"), "/!@");
    }

    #[test]
    fn canonical_round_trips() {
        for raw in [
            "/a%2Fb",
            "/%25%2541",
            "/%zz%4",
            "/caf%c3%a9 x",
            "/%FF%00",
            "/plain",
            "/a%",
        ] {
            let canon = canonical_path(raw);
            assert_eq!(
                percent_decode_lenient(canon.as_bytes()),
                percent_decode_lenient(raw.as_bytes()),
                "{raw}"
            );
            // Canonical form is a fixpoint.
            assert_eq!(canonical_path(&canon), canon);
        }
    }

    // ---- redirects ----------------------------------------------------------------------

    #[test]
    fn trailing_slash_get_301_and_query_kept() {
        assert_redirect(&call("GET", "/users/", None), 301, "/users");
        assert_redirect(
            &call("GET", "/users/", Some("a=1&b=2")),
            301,
            "/users?a=1&b=2",
        );
        assert_redirect(&call("GET", "/users/", Some("")), 301, "/users");
        assert_redirect(&call("GET", "/items", None), 301, "/items/");
        assert_redirect(&call("GET", "/users/42/", None), 301, "/users/42");
    }

    #[test]
    fn trailing_slash_other_methods_307() {
        assert_redirect(&call("POST", "/users/", Some("x=1")), 307, "/users?x=1");
        assert_redirect(&call("PATCH", "/items", None), 307, "/items/");
        assert_redirect(&call("DELETE", "/users/7/", None), 307, "/users/7");
        // CONNECT is never redirected.
        let g = call("CONNECT", "/users/", None);
        assert_eq!(g.status, 404);
    }

    #[test]
    fn trailing_slash_only_for_the_request_method() {
        // PUT only has /users/new: /users/ → /users is a GET/POST route, so no PUT redirect, and
        // /users/ itself matches nothing → 404.
        assert_eq!(call("PUT", "/users/", None).status, 404);
        // /users/new/ for PUT → redirect to /users/new.
        assert_redirect(&call("PUT", "/users/new/", None), 307, "/users/new");
    }

    #[test]
    fn x_forwarded_prefix() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-prefix", HeaderValue::from_static("/api/v1/"));
        let g = call_with(&table(), "GET", "/users/", Some("q=1"), &h);
        assert_redirect(&g, 301, "/api/v1/users?q=1");

        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-prefix",
            HeaderValue::from_static("//evil.com/../x"),
        );
        let g = call_with(&table(), "GET", "/users/", None, &h);
        assert_redirect(&g, 301, "/x/users");

        let mut h = HeaderMap::new();
        h.insert("x-forwarded-prefix", HeaderValue::from_static("/a.b/c_d"));
        let g = call_with(&table(), "GET", "/items", None, &h);
        assert_redirect(&g, 301, "/ab/cd/items/");

        // Empty header: no prefix.
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-prefix", HeaderValue::from_static(""));
        let g = call_with(&table(), "GET", "/items", None, &h);
        assert_redirect(&g, 301, "/items/");

        // Fixed-path redirects ignore the prefix (gin).
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-prefix", HeaderValue::from_static("/api"));
        let g = call_with(&table(), "GET", "/USERS", None, &h);
        assert_redirect(&g, 301, "/users");
    }

    #[test]
    fn root_never_redirected() {
        // GET / : no GET route at /, POST exists → 405.
        let g = call("GET", "/", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("POST"));
        let t = RouteTable {
            routes: &[Route {
                pattern: "//",
                methods: &["GET"],
            }],
            ..table()
        };
        assert_eq!(
            call_with(&t, "GET", "/", None, &HeaderMap::new()).status,
            404
        );
    }

    #[test]
    fn fixed_path_case() {
        assert_redirect(&call("GET", "/Users", None), 301, "/users");
        assert_redirect(&call("POST", "/USERS", None), 307, "/users");
        assert_redirect(&call("GET", "/A/B", Some("k=v")), 301, "/a/b?k=v");
        // Static segment spelled by the route, param text kept as sent.
        assert_redirect(&call("GET", "/USERS/AbC", None), 301, "/users/AbC");
        assert_redirect(&call("GET", "/Users/a%20B", None), 301, "/users/a%20B");
        // Static beats param: /USERS/NEW for PUT → /users/new.
        assert_redirect(&call("PUT", "/USERS/NEW", None), 307, "/users/new");
        // Non-ASCII case folding.
        assert_redirect(&call("GET", "/CAF%C3%89", None), 301, "/caf%C3%A9");
    }

    #[test]
    fn fixed_path_cleaning() {
        assert_redirect(&call("GET", "//a/b", None), 301, "/a/b");
        assert_redirect(&call("GET", "/a//b", None), 301, "/a/b");
        assert_redirect(&call("GET", "/a/./b", None), 301, "/a/b");
        assert_redirect(&call("GET", "/a/../b", None), 301, "/b");
        assert_redirect(&call("GET", "/x/../A/./B/", None), 301, "/a/b");
        assert_redirect(&call("GET", "//b", None), 301, "/b");
        assert_redirect(&call("GET", "/a%2F%2Fb", None), 301, "/a/b");
        // Cleaning also fixes the trailing slash.
        assert_redirect(&call("GET", "//Items", None), 301, "/items/");
    }

    #[test]
    fn disable_trailing_slash_still_fixed_by_fixed_path() {
        let t = RouteTable {
            disable_redirect_trailing_slash: true,
            ..table()
        };
        let h = HeaderMap::new();
        assert_redirect(&call_with(&t, "GET", "/users/", None, &h), 301, "/users");
        let mut hp = HeaderMap::new();
        hp.insert("x-forwarded-prefix", HeaderValue::from_static("/api"));
        // Through the fixed-path rule: no prefix.
        assert_redirect(&call_with(&t, "GET", "/users/", None, &hp), 301, "/users");

        let t = RouteTable {
            disable_redirect_trailing_slash: true,
            disable_redirect_fixed_path: true,
            ..table()
        };
        let g = call_with(&t, "GET", "/users/", None, &h);
        assert_eq!(g.status, 404);
        let g = call_with(&t, "GET", "/Users", None, &h);
        assert_eq!(g.status, 404);
        // With both redirects off, the unmatched path falls through to 404 for any method.
        let g = call_with(&t, "POST", "/users/", None, &h);
        assert_eq!(g.status, 404);
    }

    #[test]
    fn disable_fixed_path_keeps_trailing_slash() {
        let t = RouteTable {
            disable_redirect_fixed_path: true,
            ..table()
        };
        let h = HeaderMap::new();
        assert_redirect(&call_with(&t, "GET", "/users/", None, &h), 301, "/users");
        assert_eq!(call_with(&t, "GET", "/Users", None, &h).status, 404);
    }

    #[test]
    fn redirect_location_escaping() {
        // A decoded space in a param is re-escaped in Location; `!` is escaped like Go does.
        assert_redirect(&call("GET", "/users/a%20b!/", None), 301, "/users/a%20b%21");
        // Param text `..` reached through the trailing-slash rule is cleaned by net/http.
        assert_redirect(&call("GET", "/users/%2E%2E/", None), 301, "/");
        // html escaping of the body.
        let g = call("GET", "/users/", Some("a=<b>&c='d'"));
        assert_eq!(g.header("location"), Some("/users?a=<b>&c='d'"));
        assert_eq!(
            g.body,
            "<a href=\"/users?a=&lt;b&gt;&amp;c=&#39;d&#39;\">Moved Permanently</a>.\n\n"
        );
    }

    // ---- 405 / 404 ----------------------------------------------------------------------

    #[test]
    fn method_not_allowed_with_allow_order() {
        let g = call("PUT", "/users", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("GET, POST"));
        assert_eq!(g.body, "405 method not allowed");
        assert_eq!(g.header("content-type"), Some("text/plain"));
        assert_eq!(g.header("x-krakend"), Some("Version 2.13.8"));
        assert_eq!(g.header("x-krakend-completed"), Some("false"));

        // method_order order, not route order: DELETE route listed before GET in contract.
        let t = RouteTable {
            routes: &[Route {
                pattern: "/x",
                methods: &["DELETE", "GET"],
            }],
            ..table()
        };
        let g = call_with(&t, "POST", "/x", None, &HeaderMap::new());
        assert_eq!(g.header("allow"), Some("GET, DELETE"));

        // A param route and a static route for other methods at the same path.
        let g = call("POST", "/users/new", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("GET, PUT, DELETE"));
    }

    #[test]
    fn head_on_get_route_is_405() {
        let g = call("HEAD", "/a/b", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("GET"));
        // No redirect for HEAD either (no HEAD routes).
        let g = call("HEAD", "/a/b/", None);
        assert_eq!(g.status, 404);
        let g = call("OPTIONS", "/users", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("GET, POST"));
    }

    #[test]
    fn method_not_allowed_is_exact_and_case_sensitive() {
        // /Users has no exact match for other methods → 404 (no GET fixed-path for PUT).
        assert_eq!(call("PATCH", "/Users", None).status, 404);
        // Param must be a non-empty segment.
        assert_eq!(call("PUT", "/users/", None).status, 404);
        // Canonical `%2F` is a separator: /users/a%2Fb is /users/a/b → 404.
        assert_eq!(call("PUT", "/users/a%2Fb", None).status, 404);
        // Encoded text inside a param still matches it.
        let g = call("PUT", "/users/a%20b", None);
        assert_eq!(g.status, 405);
        assert_eq!(g.header("allow"), Some("GET, DELETE"));
    }

    #[test]
    fn disable_method_not_allowed_gives_404() {
        let t = RouteTable {
            disable_handle_method_not_allowed: true,
            ..table()
        };
        let g = call_with(&t, "PUT", "/users", None, &HeaderMap::new());
        assert_eq!(g.status, 404);
        assert!(g.header("allow").is_none());
        assert_eq!(g.body, "404 page not found");
    }

    #[test]
    fn not_found() {
        let g = call("GET", "/nope", None);
        assert_eq!(g.status, 404);
        assert_eq!(g.body, "404 page not found");
        assert_eq!(g.header("content-type"), Some("text/plain"));
        assert_eq!(g.header("x-krakend"), Some("Version 2.13.8"));
        assert_eq!(g.header("x-krakend-completed"), Some("false"));
        assert!(g.header("allow").is_none());
    }

    #[test]
    fn custom_error_bodies() {
        let t = RouteTable {
            error_body_404: Some(r#"{"msg":"nope"}"#),
            error_body_405: Some(r#"{"msg":"wrong method"}"#),
            version_header: "Version undefined",
            ..table()
        };
        let h = HeaderMap::new();
        let g = call_with(&t, "GET", "/nope", None, &h);
        assert_eq!(g.status, 404);
        assert_eq!(g.body, r#"{"msg":"nope"}"#);
        assert_eq!(
            g.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(g.header("x-krakend"), Some("Version undefined"));
        assert_eq!(g.header("x-krakend-completed"), Some("false"));

        let g = call_with(&t, "PUT", "/users", None, &h);
        assert_eq!(g.status, 405);
        assert_eq!(g.body, r#"{"msg":"wrong method"}"#);
        assert_eq!(g.header("allow"), Some("GET, POST"));
        assert_eq!(
            g.header("content-type"),
            Some("application/json; charset=utf-8")
        );
    }

    #[test]
    fn catch_all_and_braces_patterns() {
        let t = RouteTable {
            routes: &[
                Route {
                    pattern: "/__debug/{*rest}",
                    methods: &["GET"],
                },
                Route {
                    pattern: "/file.{ext}",
                    methods: &["GET"],
                },
                Route {
                    pattern: "/lit/{{x}}",
                    methods: &["GET"],
                },
            ],
            ..table()
        };
        let h = HeaderMap::new();
        assert_redirect(
            &call_with(&t, "GET", "/__debug", None, &h),
            301,
            "/__debug/",
        );
        assert_eq!(call_with(&t, "POST", "/__debug/a/b", None, &h).status, 405);
        assert_redirect(
            &call_with(&t, "GET", "/FILE.Json", None, &h),
            301,
            "/file.Json",
        );
        assert_eq!(call_with(&t, "POST", "/file.", None, &h).status, 404);
        assert_eq!(call_with(&t, "POST", "/lit/%7Bx%7D", None, &h).status, 405);
        assert_eq!(call_with(&t, "POST", "/lit/abc", None, &h).status, 404);
    }

    // ---- decode_param -------------------------------------------------------------------

    fn param_err(seg: &str) -> Got {
        run(decode_param(seg).err().unwrap())
    }

    #[test]
    fn clean_path_for_remove_extra_slash() {
        assert_eq!(clean_path("/a//b/./c/../d/"), "/a/b/d/");
        assert!(matches!(clean_path("/a/b"), Cow::Borrowed(_)));
    }

    #[test]
    fn decode_param_rejects_dot_segments() {
        for raw in [".", "..", "%2E", "%2e%2E", ".%2E"] {
            let r = decode_param(raw).unwrap_err();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{raw}");
        }
        assert_eq!(decode_param("...").unwrap(), "...");
        assert_eq!(decode_param("a.b").unwrap(), "a.b");
    }

    #[test]
    fn decode_param_ok() {
        assert_eq!(decode_param("abc").unwrap(), "abc");
        assert_eq!(decode_param("a%20b").unwrap(), "a b");
        assert_eq!(decode_param("caf%C3%A9").unwrap(), "café");
        assert_eq!(decode_param("a+b:c@d").unwrap(), "a+b:c@d");
        assert_eq!(decode_param("%FF").unwrap(), "\u{fffd}");
    }

    #[test]
    fn decode_param_encoded() {
        for seg in ["a%3Fb", "a%23", "%2541", "%252F", "%25%32%46"] {
            let g = param_err(seg);
            assert_eq!(g.status, 400, "{seg}");
            assert_eq!(g.body, "error: encoded url params", "{seg}");
            assert_eq!(g.header("content-type"), Some("text/plain; charset=utf-8"));
            assert!(g.header("x-krakend").is_none());
            assert!(g.header("x-krakend-completed").is_none());
        }
    }

    #[test]
    fn decode_param_bad_escape() {
        let g = param_err("%25zz");
        assert_eq!(g.status, 400);
        assert_eq!(g.body, r#"error: invalid URL escape "%zz""#);
        assert_eq!(g.header("content-type"), Some("text/plain; charset=utf-8"));
        assert_eq!(param_err("ab%25").body, r#"error: invalid URL escape "%""#);
        assert_eq!(
            param_err("ab%254").body,
            r#"error: invalid URL escape "%4""#
        );
        // The bad escape wins over an earlier valid one and over `?` (PathUnescape runs first).
        assert_eq!(
            param_err("%2541%3F%25g1").body,
            r#"error: invalid URL escape "%g1""#
        );
        assert_eq!(
            param_err("%25%C3%A9").body,
            r#"error: invalid URL escape "%é""#
        );
        assert_eq!(
            param_err("%25%E4%B8%AD").body,
            r#"error: invalid URL escape "%\xe4\xb8""#
        );
        assert_eq!(
            param_err("%25%0A").body,
            r#"error: invalid URL escape "%\n""#
        );
    }

    // ---- helpers ------------------------------------------------------------------------

    #[test]
    fn path_cleaning_helpers() {
        assert_eq!(gin_clean_path(b"/a/."), b"/a/");
        assert_eq!(gin_clean_path(b"/a/b/.."), b"/a");
        assert_eq!(gin_clean_path(b"/../a/"), b"/a/");
        assert_eq!(gin_clean_path(b"//"), b"/");
        assert_eq!(go_path_clean(b""), b".");
        assert_eq!(go_path_clean(b"a/../.."), b"..");
        assert_eq!(go_path_clean(b"/a/./b/../c/"), b"/a/c");
        assert_eq!(go_quote(b"%\xff"), r#""%\xff""#);
    }
}
