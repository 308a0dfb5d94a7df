//! Path cleaning: Go's `path.Clean` and gin's `cleanPath`.

use std::borrow::Cow;

pub(super) fn join_segments(segs: &[&[u8]]) -> Vec<u8> {
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
pub(super) fn go_path_clean(p: &[u8]) -> Vec<u8> {
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
pub(super) fn gin_clean_path(p: &[u8]) -> Vec<u8> {
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
pub(super) fn toggle_trailing_slash(p: &[u8]) -> Vec<u8> {
    match p.strip_suffix(b"/") {
        Some(stripped) if p.len() > 1 => stripped.to_vec(),
        _ => {
            let mut out = p.to_vec();
            out.push(b'/');
            out
        }
    }
}
