//! Endpoint paths and url_pattern placeholders (spec: routing-and-forwarding.md §1, §5).

/// One segment of an endpoint path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
}

/// A parsed endpoint path such as `/users/{id}/posts`.
#[derive(Debug, Clone)]
pub struct EndpointPath {
    /// The path as registered (leading `/` added when missing).
    pub raw: String,
    pub segments: Vec<Segment>,
    /// Parameter names in declaration order.
    pub params: Vec<String>,
}

/// The path as KrakenD registers it: a leading `/` is added when missing.
pub fn normalise(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}

fn valid_param_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl EndpointPath {
    /// Parses and validates an endpoint path; the error says what is wrong.
    pub fn parse(path: &str) -> Result<EndpointPath, String> {
        let raw = normalise(path);
        if raw.contains('*') {
            return Err(format!(
                "endpoint `{raw}` has a wildcard: KrakenD CE has no wildcard endpoints"
            ));
        }
        if raw.contains(['?', '#']) {
            return Err(format!("endpoint `{raw}` contains `?` or `#`"));
        }
        if raw
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control() || b == b'%')
        {
            return Err(format!(
                "endpoint `{raw}` contains whitespace, a control character or `%`"
            ));
        }
        let mut segments = Vec::new();
        let mut params: Vec<String> = Vec::new();
        let parts: Vec<&str> = raw.split('/').skip(1).collect();
        let last = parts.len().saturating_sub(1);
        for (i, seg) in parts.iter().enumerate() {
            if ["__debug", "__echo", "__health"].contains(seg) {
                return Err(format!(
                    "endpoint `{raw}` uses the reserved segment `/{seg}`"
                ));
            }
            if seg.is_empty() && i != last {
                return Err(format!("endpoint `{raw}` has an empty segment (`//`)"));
            }
            if let Some(inner) = seg.strip_prefix('{') {
                let Some(name) = inner.strip_suffix('}') else {
                    return Err(format!(
                        "endpoint `{raw}`: `{seg}` must be a whole-segment parameter such as `{{id}}`"
                    ));
                };
                if !valid_param_name(name) {
                    return Err(format!(
                        "endpoint `{raw}`: parameter name `{name}` may only use letters, digits, `_` and `-`"
                    ));
                }
                if params.iter().any(|p| p == name) {
                    return Err(format!(
                        "endpoint `{raw}` declares the parameter `{{{name}}}` twice"
                    ));
                }
                params.push(name.to_owned());
                segments.push(Segment::Param(name.to_owned()));
            } else if seg.contains(['{', '}']) {
                return Err(format!(
                    "endpoint `{raw}`: `{seg}` mixes text and braces; a parameter must fill a whole segment"
                ));
            } else if *seg == "." || *seg == ".." {
                return Err(format!("endpoint `{raw}` has a `.` or `..` segment"));
            } else {
                segments.push(Segment::Literal((*seg).to_owned()));
            }
        }
        Ok(EndpointPath {
            raw,
            segments,
            params,
        })
    }

    /// Indexes (among the segments after the leading `/`) of the parameter segments.
    pub fn param_segments(&self) -> Vec<usize> {
        self.segments
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Segment::Param(_)))
            .map(|(i, _)| i)
            .collect()
    }
}

/// Two parameters with different names at the same position after the same literal prefix:
/// axum's router (like KrakenD's) cannot hold both routes.
pub fn param_name_conflict<'a>(
    a: &'a EndpointPath,
    b: &'a EndpointPath,
) -> Option<(&'a str, &'a str)> {
    for (x, y) in a.segments.iter().zip(&b.segments) {
        match (x, y) {
            (Segment::Literal(l), Segment::Literal(m)) if l == m => continue,
            (Segment::Param(p), Segment::Param(q)) if p == q => continue,
            (Segment::Param(p), Segment::Param(q)) => return Some((p, q)),
            _ => return None,
        }
    }
    None
}

/// The `{placeholders}` of a url_pattern, in order (with repeats).
pub fn placeholders(pattern: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                if !name.is_empty() && !name.contains('{') {
                    out.push(name.to_owned());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// `resp0_field` or `resp12` (sequential proxy references).
pub fn is_sequential_ref(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("resp") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && (rest.len() == digits || rest.as_bytes()[digits] == b'_')
}

/// `resp0_user.id` → `(0, ["user", "id"])`; `resp1` → `(1, [])`.
pub fn parse_sequential_ref(name: &str) -> Option<(usize, Vec<String>)> {
    if !is_sequential_ref(name) {
        return None;
    }
    let rest = name.strip_prefix("resp")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let step = rest.get(..digits)?.parse().ok()?;
    let path = rest
        .get(digits..)
        .and_then(|p| p.strip_prefix('_'))
        .map(|p| p.split('.').map(str::to_owned).collect())
        .unwrap_or_default();
    Some((step, path))
}

/// A piece of a url_pattern after substitution planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlPiece {
    Lit(String),
    Param(usize),
    /// A sequential value: index into the step's resolved values, and the text sent when it
    /// cannot be resolved (KrakenD's `{{.Resp0_x}}`, escaped for its part of the URL).
    Seq {
        index: usize,
        missing: String,
    },
}

/// Placeholder text KrakenD leaves for an unresolved `{name}`: `{{.Name}}`.
fn unresolved(name: &str) -> String {
    let mut lit = String::from("{{.");
    let mut cs = name.chars();
    if let Some(c) = cs.next() {
        lit.extend(c.to_uppercase());
    }
    lit.push_str(cs.as_str());
    lit.push_str("}}");
    lit
}

/// Splits a url_pattern into path and optional query pieces, resolving `{name}` to the index of
/// the endpoint parameter. Literal path text is escaped as Go's URL serialisation does.
pub fn split_url_pattern(
    pattern: &str,
    params: &[String],
) -> (Vec<UrlPiece>, Option<Vec<UrlPiece>>) {
    split_url_pattern_seq(pattern, params, &mut |_| None)
}

/// [`split_url_pattern`] for a step of a sequence: `seq` maps a `respN_path` placeholder to
/// the index of its resolved value (or `None` to leave it unresolved).
pub fn split_url_pattern_seq(
    pattern: &str,
    params: &[String],
    seq: &mut dyn FnMut(&str) -> Option<usize>,
) -> (Vec<UrlPiece>, Option<Vec<UrlPiece>>) {
    let pattern = normalise(if pattern.is_empty() { "/" } else { pattern });
    let (path, query) = match pattern.split_once('?') {
        Some((p, q)) => (p.to_owned(), Some(q.to_owned())),
        None => (pattern, None),
    };
    let path_pieces = pieces(&path, params, seq, escape_path_literal);
    let query_pieces = query.map(|q| pieces(&q, params, seq, |s| s.to_owned()));
    (path_pieces, query_pieces)
}

fn pieces(
    text: &str,
    params: &[String],
    seq: &mut dyn FnMut(&str) -> Option<usize>,
    escape: impl Fn(&str) -> String,
) -> Vec<UrlPiece> {
    let mut out: Vec<UrlPiece> = Vec::new();
    let mut lit = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        lit.push_str(&rest[..start]);
        let piece = match params.iter().position(|p| p == name) {
            Some(i) => Some(UrlPiece::Param(i)),
            None => seq(name).map(|index| UrlPiece::Seq {
                index,
                missing: escape(&unresolved(name)),
            }),
        };
        match piece {
            Some(p) => {
                if !lit.is_empty() {
                    out.push(UrlPiece::Lit(escape(&lit)));
                    lit.clear();
                }
                out.push(p);
            }
            // Unresolved: KrakenD sends its internal template form `{{.Name}}`.
            None => lit.push_str(&unresolved(name)),
        }
        rest = &after[end + 1..];
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(UrlPiece::Lit(escape(&lit)));
    }
    out
}

/// Go's path escaping for literal url_pattern text: unreserved and `$&+,/:;=@` stay, a valid
/// `%XX` escape stays, everything else is percent-encoded.
fn escape_path_literal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let keep = c.is_ascii_alphanumeric() || b"-._~$&+,/:;=@".contains(&c);
        let valid_escape = c == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit();
        if keep || valid_escape {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
        i += 1;
    }
    out
}

/// The url_pattern as KrakenD prints it in errors: `{id}` becomes `{{.Id}}`.
pub fn display_pattern(pattern: &str) -> String {
    let pattern = normalise(if pattern.is_empty() { "/" } else { pattern });
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut rest = pattern.as_str();
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        out.push_str(&rest[..start]);
        out.push_str("{{.");
        let name = &after[..end];
        let mut cs = name.chars();
        if let Some(c) = cs.next() {
            out.extend(c.to_uppercase());
        }
        out.push_str(cs.as_str());
        out.push_str("}}");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        let p = EndpointPath::parse("users/{id}/posts/{post-id}").expect("valid");
        assert_eq!(p.raw, "/users/{id}/posts/{post-id}");
        assert_eq!(p.params, vec!["id", "post-id"]);
        assert_eq!(p.param_segments(), vec![1, 3]);
        assert!(EndpointPath::parse("/a/*").is_err());
        assert!(EndpointPath::parse("/a/__debug/x").is_err());
        assert!(EndpointPath::parse("/file.{ext}").is_err());
        assert!(EndpointPath::parse("/a/{b").is_err());
        assert!(EndpointPath::parse("/a//b").is_err());
        assert!(EndpointPath::parse("/a/{x}/{x}").is_err());
        assert!(EndpointPath::parse("/a/").is_ok());
    }

    #[test]
    fn url_pattern_pieces() {
        let params = vec!["id".to_owned()];
        let (path, query) = split_url_pattern("/u/{id}/x y?a={id}&b=1", &params);
        assert_eq!(
            path,
            vec![
                UrlPiece::Lit("/u/".into()),
                UrlPiece::Param(0),
                UrlPiece::Lit("/x%20y".into())
            ]
        );
        assert_eq!(
            query,
            Some(vec![
                UrlPiece::Lit("a=".into()),
                UrlPiece::Param(0),
                UrlPiece::Lit("&b=1".into())
            ])
        );
        let (path, _) = split_url_pattern("/h/{resp0_id}", &params);
        assert_eq!(path, vec![UrlPiece::Lit("/h/%7B%7B.Resp0_id%7D%7D".into())]);
        assert_eq!(display_pattern("/users/{id}"), "/users/{{.Id}}");
    }

    #[test]
    fn sequential_refs() {
        assert!(is_sequential_ref("resp0_id"));
        assert!(is_sequential_ref("resp12"));
        assert!(!is_sequential_ref("resp_x"));
        assert!(!is_sequential_ref("response"));
    }

    #[test]
    fn conflicts() {
        let a = EndpointPath::parse("/u/{id}").expect("valid");
        let b = EndpointPath::parse("/u/{name}/x").expect("valid");
        let c = EndpointPath::parse("/u/new").expect("valid");
        assert_eq!(param_name_conflict(&a, &b), Some(("id", "name")));
        assert_eq!(param_name_conflict(&a, &c), None);
    }
}
