//! Backend URLs: a `url_pattern` split at build time into literal text and parameter
//! references (spec: routing-and-forwarding.md §4–§5).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// One piece of a url_pattern.
#[derive(Debug)]
pub enum UrlPart {
    /// Literal text of the pattern, already as it should appear in the URL.
    Lit(&'static str),
    /// The value of endpoint parameter number `n` (declaration order in the endpoint path).
    Param(usize),
    /// A sequential-proxy value (`{resp0_user.id}`): entry `index` of the values resolved from
    /// earlier backends; `missing` (KrakenD's escaped `{{.Resp0_user.id}}` placeholder) when
    /// the value could not be resolved.
    Seq { index: usize, missing: &'static str },
}

/// A url_pattern: path parts and, when the pattern has a `?`, query parts (without the `?`).
#[derive(Debug)]
pub struct UrlTemplate {
    pub path: &'static [UrlPart],
    pub query: Option<&'static [UrlPart]>,
}

impl UrlTemplate {
    /// The pattern takes no value from a request (no parameter, no sequential value): with no
    /// query string forwarded, its URL is the same on every call.
    pub fn is_fixed(&self) -> bool {
        self.query
            .unwrap_or_default()
            .iter()
            .chain(self.path)
            .all(|p| matches!(p, UrlPart::Lit(_)))
    }

    /// `host` + path (+ `?` query) with `params` substituted. Parameter values are escaped so they
    /// can never change the host or the path structure: in the path every byte outside
    /// RFC 3986 unreserved and `$&+,:;=@` is percent-encoded (so `/`, `?`, `#`, `%`, CR, LF,
    /// space are), and a value that is exactly `.` or `..` is written `%2E`/`%2E%2E`. In the
    /// query part a value is percent-encoded except unreserved and `!$'()*,/:;@` (so `&`, `=`,
    /// `+`, `#`, `%` cannot add or split parameters). `forwarded_query` (already encoded, may be
    /// empty) is appended after the pattern's own query, joined with `&`, or after `?`.
    pub fn render(&self, host: &str, params: &[String], forwarded_query: &str) -> String {
        self.render_with(host, Values { params, seq: &[] }, forwarded_query)
    }

    /// [`render`](Self::render) with values resolved from earlier steps of a sequence.
    pub fn render_seq(
        &self,
        host: &str,
        params: &[String],
        seq: &[Option<String>],
        forwarded_query: &str,
    ) -> String {
        self.render_with(host, Values { params, seq }, forwarded_query)
    }

    /// Refuses a sequential step whose path would hold a dot segment made (at least partly) of
    /// a value taken from an earlier backend (`{resp0_id}` = `..`). URL parsers resolve `.`,
    /// `..` and their `%2E` spellings, so `/users/{resp0_id}/posts` would call `/posts`:
    /// backends are not trusted to shape URLs, so the step fails instead of being sent
    /// (endpoint parameters get the same check, as a 400, in the router).
    pub fn check_seq(&self, params: &[String], seq: &[Option<String>]) -> Result<(), String> {
        if seq.is_empty() || !self.path.iter().any(|p| matches!(p, UrlPart::Seq { .. })) {
            return Ok(());
        }
        let values = Values { params, seq };
        let mut segment = String::new();
        let mut from_seq = false;
        for part in self.path {
            match part {
                UrlPart::Lit(lit) => {
                    let mut pieces = lit.split('/');
                    segment.push_str(pieces.next().unwrap_or_default());
                    for piece in pieces {
                        refuse_dot_segment(&segment, from_seq)?;
                        segment.clear();
                        from_seq = false;
                        segment.push_str(piece);
                    }
                }
                UrlPart::Param(_) => push_parts(
                    &mut segment,
                    std::slice::from_ref(part),
                    values,
                    PATH_SET,
                    true,
                ),
                UrlPart::Seq { .. } => {
                    from_seq |= value(values, part).is_ok();
                    push_parts(
                        &mut segment,
                        std::slice::from_ref(part),
                        values,
                        PATH_SET,
                        true,
                    );
                }
            }
        }
        refuse_dot_segment(&segment, from_seq)
    }

    fn render_with(&self, host: &str, params: Values<'_>, forwarded_query: &str) -> String {
        // Exact output length, so the single allocation below never grows (params are scanned
        // twice; that is cheaper than a reallocation + copy).
        let mut cap = host.len() + parts_len(self.path, params, PATH_SET, true);
        let own_query = self.query.map(|q| parts_len(q, params, QUERY_SET, false));
        if let Some(len) = own_query {
            cap += 1 + len;
        }
        if !forwarded_query.is_empty() {
            // `&` or `?`, except after a pattern's bare `?` (already counted).
            cap += usize::from(own_query != Some(0)) + forwarded_query.len();
        }

        let mut out = String::with_capacity(cap);
        out.push_str(host);
        push_parts(&mut out, self.path, params, PATH_SET, true);

        let mut has_query = false;
        if let Some(q) = self.query {
            out.push('?');
            let start = out.len();
            push_parts(&mut out, q, params, QUERY_SET, false);
            has_query = out.len() > start;
        }
        if !forwarded_query.is_empty() {
            if has_query {
                out.push('&');
            } else if self.query.is_none() {
                // A pattern ending in a bare `?` already wrote it.
                out.push('?');
            }
            out.push_str(forwarded_query);
        }
        out
    }
}

/// Bytes percent-encoded in a path parameter: everything except RFC 3986 unreserved
/// (`A-Za-z0-9-._~`) and `$&+,:;=@`. Non-ASCII bytes are always encoded by `percent_encoding`.
const PATH_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b',')
    .remove(b':')
    .remove(b';')
    .remove(b'=')
    .remove(b'@');

/// Bytes percent-encoded in a query parameter: everything except RFC 3986 unreserved and
/// `!$'()*,/:;@` (so `&`, `=`, `+`, `#`, `%`, space... are encoded).
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b',')
    .remove(b'/')
    .remove(b':')
    .remove(b';')
    .remove(b'@');

/// The value of parameter `i`, empty when out of range.
/// Where `UrlPart::Param` and `UrlPart::Seq` values come from.
#[derive(Clone, Copy)]
struct Values<'a> {
    params: &'a [String],
    seq: &'a [Option<String>],
}

/// The text of a part: `Ok(value to escape)` or `Err(literal to copy as is)`.
fn value<'a>(values: Values<'a>, part: &'a UrlPart) -> Result<&'a str, &'a str> {
    match part {
        UrlPart::Lit(s) => Err(s),
        UrlPart::Param(i) => Ok(values.params.get(*i).map_or("", String::as_str)),
        UrlPart::Seq { index, missing } => match values.seq.get(*index) {
            Some(Some(v)) => Ok(v.as_str()),
            _ => Err(missing),
        },
    }
}

/// In a path, `.` and `..` would be removed/resolved by URL normalisation (here or in the
/// backend), so they are written fully encoded.
fn dot_segment(v: &str) -> Option<&'static str> {
    match v {
        "." => Some("%2E"),
        ".." => Some("%2E%2E"),
        _ => None,
    }
}

/// Whether a rendered path segment is one the WHATWG URL parser (the backend client's, and
/// many servers') treats as `.` or `..`.
fn is_dot_segment(segment: &str) -> bool {
    let lower = segment.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "." | "%2e" | ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

fn refuse_dot_segment(segment: &str, from_seq: bool) -> Result<(), String> {
    if from_seq && is_dot_segment(segment) {
        return Err(format!(
            "error: encoded url params: a value from an earlier backend makes the dot segment {segment:?} of the backend path"
        ));
    }
    Ok(())
}

fn escaped_len(v: &str, set: &'static AsciiSet) -> usize {
    utf8_percent_encode(v, set).map(str::len).sum()
}

fn parts_len(parts: &[UrlPart], values: Values<'_>, set: &'static AsciiSet, path: bool) -> usize {
    parts
        .iter()
        .map(|p| match value(values, p) {
            Err(lit) => lit.len(),
            Ok(v) => match dot_segment(v).filter(|_| path) {
                Some(d) => d.len(),
                None => escaped_len(v, set),
            },
        })
        .sum()
}

fn push_parts(
    out: &mut String,
    parts: &[UrlPart],
    values: Values<'_>,
    set: &'static AsciiSet,
    path: bool,
) {
    for p in parts {
        match value(values, p) {
            Err(lit) => out.push_str(lit),
            Ok(v) => match dot_segment(v).filter(|_| path) {
                Some(d) => out.push_str(d),
                // Yields borrowed runs of kept bytes and static `%XX` triplets: no allocation.
                None => out.extend(utf8_percent_encode(v, set)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const HOST: &str = "http://127.0.0.1:8080";

    static USERS: UrlTemplate = UrlTemplate {
        path: &[UrlPart::Lit("/users/"), UrlPart::Param(0)],
        query: None,
    };

    static WITH_QUERY: UrlTemplate = UrlTemplate {
        path: &[
            UrlPart::Lit("/foo/"),
            UrlPart::Param(0),
            UrlPart::Lit("/bar"),
        ],
        query: Some(&[
            UrlPart::Lit("channel="),
            UrlPart::Param(1),
            UrlPart::Lit("&x=1"),
        ]),
    };

    static EMPTY_QUERY: UrlTemplate = UrlTemplate {
        path: &[UrlPart::Lit("/foo")],
        query: Some(&[]),
    };

    static PARAM_QUERY: UrlTemplate = UrlTemplate {
        path: &[UrlPart::Lit("/foo")],
        query: Some(&[UrlPart::Param(0)]),
    };

    static GLUED: UrlTemplate = UrlTemplate {
        path: &[
            UrlPart::Lit("/a/"),
            UrlPart::Param(0),
            UrlPart::Lit("-"),
            UrlPart::Param(1),
            UrlPart::Lit(".json"),
        ],
        query: None,
    };

    fn p(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn user(v: &str) -> String {
        USERS.render(HOST, &p(&[v]), "")
    }

    /// The rendered URL must keep HOST, contain no raw `?`, `#`, CR, LF, space, and exactly
    /// the expected number of `/` after the host.
    fn assert_contained(url: &str, slashes: usize) {
        let rest = url.strip_prefix(HOST).unwrap();
        assert!(rest.starts_with('/'), "{url}");
        assert_eq!(rest.matches('/').count(), slashes, "{url}");
        for c in ['?', '#', '\r', '\n', ' ', '\\'] {
            assert!(!rest.contains(c), "{url} contains {c:?}");
        }
        assert!(rest.is_ascii(), "{url}");
    }

    #[test]
    fn fixed_patterns_take_nothing_from_the_request() {
        assert!(EMPTY_QUERY.is_fixed());
        assert!(UrlTemplate {
            path: &[UrlPart::Lit("/a.json")],
            query: Some(&[UrlPart::Lit("x=1")])
        }
        .is_fixed());
        assert!(
            !USERS.is_fixed()
                && !WITH_QUERY.is_fixed()
                && !PARAM_QUERY.is_fixed()
                && !SEQ_POSTS.is_fixed()
        );
    }

    #[test]
    fn plain_substitution() {
        assert_eq!(user("42"), "http://127.0.0.1:8080/users/42");
        assert_eq!(
            GLUED.render(HOST, &p(&["x", "y"]), ""),
            "http://127.0.0.1:8080/a/x-y.json"
        );
    }

    #[test]
    fn path_keeps_sub_delims() {
        assert_eq!(
            user("a$b&c+d,e:f;g=h@i-._~"),
            format!("{HOST}/users/a$b&c+d,e:f;g=h@i-._~")
        );
    }

    #[test]
    fn path_escapes_structure() {
        assert_eq!(user("a/b"), format!("{HOST}/users/a%2Fb"));
        assert_eq!(user("../admin"), format!("{HOST}/users/..%2Fadmin"));
        assert_eq!(user(".."), format!("{HOST}/users/%2E%2E"));
        assert_eq!(user("."), format!("{HOST}/users/%2E"));
        assert_eq!(user("..."), format!("{HOST}/users/..."));
        assert_eq!(user("?x=1"), format!("{HOST}/users/%3Fx=1"));
        assert_eq!(user("#frag"), format!("{HOST}/users/%23frag"));
        assert_eq!(
            user("a\r\nHost: evil"),
            format!("{HOST}/users/a%0D%0AHost:%20evil")
        );
        assert_eq!(user("%2F"), format!("{HOST}/users/%252F"));
        assert_eq!(user("@evil.com"), format!("{HOST}/users/@evil.com"));
        assert_eq!(user("a\\b"), format!("{HOST}/users/a%5Cb"));
        assert_eq!(
            user("ünï €"),
            format!("{HOST}/users/%C3%BCn%C3%AF%20%E2%82%AC")
        );
        assert_eq!(user("\0\t\x7f"), format!("{HOST}/users/%00%09%7F"));
        assert_eq!(
            user("{x}[y]|\"<>`^"),
            format!("{HOST}/users/%7Bx%7D%5By%5D%7C%22%3C%3E%60%5E")
        );
    }

    #[test]
    fn hostile_values_never_escape_their_segment() {
        let hostile = [
            "../",
            "..",
            ".",
            "/",
            "//evil.com",
            "a/../../b",
            "?x=1",
            "#frag",
            "\r\n",
            "@evil.com",
            "%2F",
            "%2e%2e",
            "ü/ü",
            " ",
            "\\..\\",
            "http://evil.com/",
            ":80@evil.com",
        ];
        for v in hostile {
            let url = user(v);
            assert_contained(&url, 2);
            // No dot segment can appear after a `/`.
            let rest = url.strip_prefix(HOST).unwrap();
            for seg in rest.split('/') {
                assert!(seg != "." && seg != "..", "{url}");
            }
        }
    }

    /// What the backend client (reqwest, i.e. the WHATWG `url` parser) makes of the rendered URL:
    /// host and segments unchanged. NOTE: WHATWG treats `%2E`/`%2E%2E` segments as dot segments
    /// and resolves them, so `.`/`..` values (which this module writes `%2E`/`%2E%2E` as its
    /// contract says) are left out here: endpoint parameters `.`/`..` are refused by the router
    /// (400) and sequential values by [`UrlTemplate::check_seq`].
    #[test]
    fn hostile_values_survive_the_http_client_parser() {
        let hostile = [
            "../",
            "/",
            "//evil.com",
            "a/../../b",
            "?x=1",
            "#frag",
            "\r\n",
            "@evil.com",
            "%2F",
            "%2e%2e",
            "ü/ü",
            " ",
            "\\..\\",
            "http://evil.com/",
            ":80@evil.com",
            "...",
            ".a",
        ];
        for v in hostile {
            let url = reqwest::Url::parse(&user(v)).unwrap();
            assert_eq!(url.host_str(), Some("127.0.0.1"), "{v:?}");
            assert_eq!(url.port(), Some(8080), "{v:?}");
            assert_eq!(url.path_segments().unwrap().count(), 2, "{v:?}");
            assert!(url.path().starts_with("/users/"), "{v:?}");
            assert_eq!(url.query(), None, "{v:?}");
            assert_eq!(url.fragment(), None, "{v:?}");
        }
        for v in ["&a=1", "#f", "x y+z", "\r\n"] {
            let url = reqwest::Url::parse(&WITH_QUERY.render(HOST, &p(&["p", v]), "")).unwrap();
            assert_eq!(url.query_pairs().count(), 2, "{v:?}");
            assert_eq!(url.query_pairs().next().unwrap().1, v, "{v:?}");
            assert_eq!(url.fragment(), None, "{v:?}");
        }
    }

    static SEQ_POSTS: UrlTemplate = UrlTemplate {
        path: &[
            UrlPart::Lit("/users/"),
            UrlPart::Seq {
                index: 0,
                missing: "%7B%7B.Resp0_id%7D%7D",
            },
            UrlPart::Lit("/posts"),
        ],
        query: Some(&[
            UrlPart::Lit("q="),
            UrlPart::Seq {
                index: 0,
                missing: "",
            },
        ]),
    };

    static SEQ_GLUED: UrlTemplate = UrlTemplate {
        path: &[
            UrlPart::Lit("/a/."),
            UrlPart::Seq {
                index: 0,
                missing: "x",
            },
            UrlPart::Lit("/b"),
        ],
        query: None,
    };

    fn seq(v: &str) -> Vec<Option<String>> {
        vec![Some(v.to_owned())]
    }

    #[test]
    fn sequential_dot_segments_are_refused() {
        for v in [".", ".."] {
            assert!(SEQ_POSTS.check_seq(&[], &seq(v)).is_err(), "{v:?}");
        }
        // A literal `.` next to the value makes `..` too.
        assert!(SEQ_GLUED.check_seq(&[], &seq(".")).is_err());
        for v in ["...", ".a", "%2e%2e", "../", "a", ""] {
            assert!(SEQ_POSTS.check_seq(&[], &seq(v)).is_ok(), "{v:?}");
            let url = reqwest::Url::parse(&SEQ_POSTS.render_seq(HOST, &[], &seq(v), "")).unwrap();
            assert!(url.path().starts_with("/users/"), "{v:?} -> {url}");
            assert!(url.path().ends_with("/posts"), "{v:?} -> {url}");
        }
        assert!(SEQ_GLUED.check_seq(&[], &seq("a")).is_ok());
        // Unresolved values keep their placeholder; only path segments are checked.
        assert!(SEQ_POSTS.check_seq(&[], &[None]).is_ok());
        assert!(USERS.check_seq(&p(&["."]), &[]).is_ok());
    }

    /// What the refusal prevents: the client parser resolves the `%2E%2E` spelling.
    #[test]
    fn dot_values_would_climb_without_the_check() {
        let url = reqwest::Url::parse(&SEQ_POSTS.render_seq(HOST, &[], &seq(".."), "")).unwrap();
        assert_eq!(url.path(), "/posts");
    }

    #[test]
    fn out_of_range_param_is_empty() {
        assert_eq!(USERS.render(HOST, &[], ""), format!("{HOST}/users/"));
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a"]), ""),
            format!("{HOST}/foo/a/bar?channel=&x=1")
        );
    }

    #[test]
    fn query_params_are_escaped() {
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a", "ios"]), ""),
            format!("{HOST}/foo/a/bar?channel=ios&x=1")
        );
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a", "x&admin=1#f +%"]), ""),
            format!("{HOST}/foo/a/bar?channel=x%26admin%3D1%23f%20%2B%25&x=1")
        );
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a", "!$'()*,/:;@-._~?"]), ""),
            format!("{HOST}/foo/a/bar?channel=!$'()*,/:;@-._~%3F&x=1")
        );
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a", "é\r\n"]), ""),
            format!("{HOST}/foo/a/bar?channel=%C3%A9%0D%0A&x=1")
        );
        // `?` in the path value does not start the query.
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a?b", "c"]), ""),
            format!("{HOST}/foo/a%3Fb/bar?channel=c&x=1")
        );
    }

    #[test]
    fn query_value_cannot_add_parameters() {
        for v in ["&a=1", "=", "a#b", "a+b", "%26", "\r\nX: y", "a b"] {
            let url = WITH_QUERY.render(HOST, &p(&["p", v]), "");
            let (_, q) = url.split_once('?').unwrap();
            assert_eq!(q.matches('&').count(), 1, "{url}");
            assert_eq!(q.matches('=').count(), 2, "{url}");
            assert!(!q.contains(['#', ' ', '+', '\r', '\n']), "{url}");
        }
    }

    #[test]
    fn forwarded_query() {
        assert_eq!(
            USERS.render(HOST, &p(&["1"]), "a=1&b=2"),
            format!("{HOST}/users/1?a=1&b=2")
        );
        assert_eq!(
            WITH_QUERY.render(HOST, &p(&["a", "ios"]), "channel=x"),
            format!("{HOST}/foo/a/bar?channel=ios&x=1&channel=x")
        );
        assert_eq!(
            EMPTY_QUERY.render(HOST, &[], "a=1"),
            format!("{HOST}/foo?a=1")
        );
        assert_eq!(EMPTY_QUERY.render(HOST, &[], ""), format!("{HOST}/foo?"));
        assert_eq!(
            PARAM_QUERY.render(HOST, &p(&[""]), "a=1"),
            format!("{HOST}/foo?a=1")
        );
        assert_eq!(
            PARAM_QUERY.render(HOST, &p(&["z"]), "a=1"),
            format!("{HOST}/foo?z&a=1")
        );
        assert_eq!(
            USERS.render(HOST, &p(&["1"]), ""),
            format!("{HOST}/users/1")
        );
    }

    #[test]
    fn capacity_is_exact() {
        let params = p(&["ü/..", "a&b c"]);
        let url = WITH_QUERY.render(HOST, &params, "z=1");
        assert_eq!(url.capacity(), url.len());
        let url = user("..");
        assert_eq!(url.capacity(), url.len());
        let url = EMPTY_QUERY.render(HOST, &[], "q");
        assert_eq!(url.capacity(), url.len());
    }
}
