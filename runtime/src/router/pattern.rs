//! Route patterns (matchit syntax) and the matching the cold paths need: exact, and gin's
//! case-insensitive fixed-path lookup.

use super::clean::{gin_clean_path, join_segments, toggle_trailing_slash};
use super::escape::percent_decode_lenient;
use super::{Route, RouteTable};
use crate::go::{next_unit, Unit};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Wild {
    None,
    Param,
    CatchAll,
}

/// One segment of a route pattern: literal `prefix`, then optionally a parameter, then a literal
/// `suffix` (only whole-segment params are expected; affixes are handled defensively).
/// Literals are percent-decoded once, so they compare against the decoded request path.
#[derive(Debug)]
pub(super) struct SegPattern {
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

pub(super) fn parse_pattern(pattern: &str) -> Vec<SegPattern> {
    let body = pattern.strip_prefix('/').unwrap_or(pattern);
    body.split('/').map(parse_segment).collect()
}

/// matchit syntax: `{name}` param, `{*name}` catch-all, `{{` / `}}` literal braces.
pub(super) fn parse_segment(seg: &str) -> SegPattern {
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

pub(super) fn split_path(path: &[u8]) -> Option<Vec<&[u8]>> {
    let rest = path.strip_prefix(b"/")?;
    Some(rest.split(|&b| b == b'/').collect())
}

pub(super) fn simple_case(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// gin's `findCaseInsensitivePath` rune rule: the route's rune equals the request rune, its
/// lower-case or its upper-case form.
pub(super) fn units_match(route: Unit, req: Unit) -> bool {
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
pub(super) fn match_prefix(route: &[u8], req: &[u8], ci: bool) -> Option<usize> {
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

pub(super) fn literal_eq(route: &[u8], req: &[u8], ci: bool) -> bool {
    match_prefix(route, req, ci) == Some(req.len())
}

/// Matches `segs` (request path segments) against a route; returns the path the route spells
/// (static text from the route, parameter text from the request).
pub(super) fn match_route(pat: &[SegPattern], segs: &[&[u8]], ci: bool) -> Option<Vec<u8>> {
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

pub(super) fn exact_match_any(routes: &[&[SegPattern]], path: &[u8]) -> bool {
    split_path(path).is_some_and(|segs| {
        routes
            .iter()
            .any(|p| match_route(p, &segs, false).is_some())
    })
}

/// Case-insensitive lookup of `path` among `routes`; static segments win over params (earliest
/// position first), then a result spelled exactly like the request, then contract order.
pub(super) fn find_case_insensitive(routes: &[&[SegPattern]], path: &[u8]) -> Option<Vec<u8>> {
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
pub(super) fn find_fixed_path(routes: &[&[SegPattern]], decoded: &[u8]) -> Option<Vec<u8>> {
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
pub(super) fn allowed_methods<'t>(
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
