//! `output_encoding: "negotiate"`: choosing a render from the request's `Accept` header.
//!
//! KrakenD asks gin's `Context.NegotiateFormat` to pick one of `application/json`, `text/plain`,
//! `application/xml` and `application/x-yaml` (in that order). gin's algorithm, reproduced here:
//!
//! - the header (first `Accept` value only, as `Header.Get` returns it) is split on `,`; in each
//!   part everything from a `;` at index > 0 is dropped (so q-values are ignored and the header
//!   order is the priority), the rest is trimmed and kept when non-empty;
//! - no accepted type at all → the first offer (`application/json`);
//! - for each accepted type in order, each offer in order: compare byte by byte while both have
//!   bytes left; a `*` on either side at the current position is a match; a differing byte is
//!   not; running out of the accepted type (it is a prefix of the offer) is a match;
//! - first match wins; no match → JSON.
//!
//! `text/plain` and `application/x-yaml` render YAML, `application/xml` renders XML (mxj), the
//! rest JSON. So `text/*` → YAML, `*/*` → JSON, `application/yaml` → JSON, `text/xml` → JSON.

/// The render a negotiated response uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Render {
    /// `application/json; charset=utf-8`, as `output_encoding: "json"`.
    Json,
    /// `application/xml`, as `output_encoding: "xml"` (see [`super::xml`]).
    Xml,
    /// `application/yaml; charset=utf-8`, as `output_encoding: "yaml"` (see [`super::yaml`]).
    Yaml,
}

/// The offers, in gin's priority order, with the render each one selects.
const OFFERS: [(&str, Render); 4] = [
    ("application/json", Render::Json),
    ("text/plain", Render::Yaml),
    ("application/xml", Render::Xml),
    ("application/x-yaml", Render::Yaml),
];

/// Picks the render for a request whose first `Accept` header value is `accept`.
pub fn choose(accept: Option<&str>) -> Render {
    let Some(header) = accept else {
        return Render::Json;
    };
    for part in header.split(',') {
        let part = match part.find(';') {
            Some(i) if i > 0 => &part[..i],
            _ => part,
        };
        let accepted = part.trim_matches(is_go_space);
        if accepted.is_empty() {
            continue;
        }
        for (offer, render) in OFFERS {
            if matches(accepted.as_bytes(), offer.as_bytes()) {
                return render;
            }
        }
    }
    // No accepted type → the first offer; no match → gin returns "" → JSON. Both are JSON.
    Render::Json
}

/// gin's comparison of one accepted type against one offer.
fn matches(accepted: &[u8], offer: &[u8]) -> bool {
    let mut i = 0;
    while i < accepted.len() && i < offer.len() {
        if accepted[i] == b'*' || offer[i] == b'*' {
            return true;
        }
        if accepted[i] != offer[i] {
            return false;
        }
        i += 1;
    }
    i == accepted.len()
}

/// `strings.TrimSpace`: Unicode white space (ASCII subset is what headers carry).
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn absent_or_empty_is_json() {
        assert_eq!(choose(None), Render::Json);
        assert_eq!(choose(Some("")), Render::Json);
        assert_eq!(choose(Some(" , ,")), Render::Json);
    }

    #[test]
    fn spec_consequences() {
        assert_eq!(choose(Some("text/*")), Render::Yaml);
        assert_eq!(choose(Some("*/*")), Render::Json);
        assert_eq!(choose(Some("application/yaml")), Render::Json);
        assert_eq!(choose(Some("text/xml")), Render::Json);
    }

    #[test]
    fn matrix() {
        let cases = [
            ("application/json", Render::Json),
            ("text/plain", Render::Yaml),
            ("text/plain; charset=utf-8", Render::Yaml),
            ("application/xml", Render::Xml),
            ("application/x-yaml", Render::Yaml),
            ("application/*", Render::Json),
            ("application/x", Render::Xml), // prefix of application/xml, tried before x-yaml
            ("application/x-", Render::Yaml),
            ("text/html", Render::Json),
            ("text/", Render::Yaml),
            ("t", Render::Yaml),
            ("", Render::Json),
            ("image/png", Render::Json),
            ("Application/XML", Render::Json), // case-sensitive
            ("application/xml2", Render::Json),
            ("a*", Render::Json), // '*' at index 1 matches the first offer
            ("text/*, application/xml", Render::Yaml),
        ];
        for (accept, want) in cases {
            assert_eq!(choose(Some(accept)), want, "Accept: {accept:?}");
        }
    }

    #[test]
    fn header_order_wins_and_q_values_are_ignored() {
        assert_eq!(
            choose(Some("application/xml;q=0.1, application/json;q=1")),
            Render::Xml
        );
        assert_eq!(
            choose(Some("image/png, text/plain;q=0.5, application/xml")),
            Render::Yaml
        );
        assert_eq!(choose(Some("foo/bar, application/xml")), Render::Xml);
        assert_eq!(choose(Some("  application/xml  ")), Render::Xml);
    }

    #[test]
    fn leading_semicolon_is_kept() {
        // gin drops parameters only when ';' is at index > 0.
        assert_eq!(choose(Some(";q=1")), Render::Json);
        assert_eq!(choose(Some(" ;q=1, application/xml")), Render::Xml);
    }
}
