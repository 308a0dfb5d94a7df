//! The pieces of Go's `net/url` and `net/http` cookie reading that martian's modifiers rely on:
//! `url.ParseQuery`/`Values.Encode` (a `querystring.Modifier` re-encodes the whole query, sorted
//! by key), `PathUnescape`, `path.Clean`, and reading `Cookie`/`Set-Cookie` headers.

use std::collections::BTreeMap;

/// Go's `url.ParseQuery`, keeping what parses (as `URL.Query()` does): pairs split on `&`, a
/// pair holding `;` or a bad escape dropped, `+` read as a space.
pub fn parse_query(raw: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in raw.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (unescape(k, true), unescape(v, true)) else {
            continue;
        };
        out.entry(k).or_default().push(v);
    }
    out
}

/// Go's `Values.Encode`: keys sorted, `QueryEscape`d.
pub fn encode_query(values: &BTreeMap<String, Vec<String>>) -> String {
    let mut s = String::new();
    for (k, vs) in values {
        for v in vs {
            if !s.is_empty() {
                s.push('&');
            }
            query_escape(k, &mut s);
            s.push('=');
            query_escape(v, &mut s);
        }
    }
    s
}

fn query_escape(v: &str, out: &mut String) {
    for b in v.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// `%XX` decoding (`+` → space when `plus`); `None` on a bad escape or invalid UTF-8 is kept
/// lossily.
pub fn unescape(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let h = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16))?;
                let l = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16))?;
                out.push(u8::try_from(h * 16 + l).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `path.Clean` of a rooted path (`/a/../b/` → `/b`).
pub fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The `name=value` pairs of `Cookie` header lines (Go's `Request.Cookies`).
pub fn request_cookies<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    lines
        .flat_map(|l| l.split(';'))
        .filter_map(|part| cookie_pair(part.trim()))
}

/// The `name=value` pair of each `Set-Cookie` header line (Go's `Response.Cookies`).
pub fn response_cookies<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    lines.filter_map(|l| cookie_pair(l.split(';').next().unwrap_or_default().trim()))
}

fn cookie_pair(part: &str) -> Option<(&str, &str)> {
    let (name, value) = part.split_once('=').unwrap_or((part, ""));
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if !valid_name {
        return None;
    }
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    let valid_value = value
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b';' && b != b'\\');
    valid_value.then_some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_reencode_as_go() {
        let mut q = parse_query("b=2&a=x+y&a=%2F&bad=%zz&semi=1;2&=e");
        q.insert("c".into(), vec!["1 2&".into()]);
        assert_eq!(encode_query(&q), "=e&a=x+y&a=%2F&b=2&c=1+2%26");
    }

    #[test]
    fn paths_clean_rooted() {
        assert_eq!(clean_path("/a/../../b//c/"), "/b/c");
        assert_eq!(clean_path(""), "/");
    }

    #[test]
    fn cookies_read_as_go() {
        let c: Vec<_> = request_cookies(["a=1; b=\"2\"", "bad name=3;c="].into_iter()).collect();
        assert_eq!(c, [("a", "1"), ("b", "2"), ("c", "")]);
        let c: Vec<_> = response_cookies(["s=v; Path=/; HttpOnly"].into_iter()).collect();
        assert_eq!(c, [("s", "v")]);
    }
}
