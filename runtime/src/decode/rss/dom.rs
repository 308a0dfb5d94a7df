//! A small DOM over the XML tokenizer, with gofeed's text rules (CDATA, entities, base64).

use super::MAX_DEPTH;
use crate::decode::xml::{local_name, Document, Token, Tokenizer, XmlError};

pub(super) struct Elem {
    /// The namespace prefix as written (`""` for none).
    pub(super) prefix: String,
    /// Lower-cased local name (gofeed matches element names case-insensitively).
    pub(super) local: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) children: Vec<Elem>,
    /// Byte range of the element's content in the document text.
    pub(super) inner: (usize, usize),
}

impl Elem {
    pub(super) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| local_name(k).eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(super) fn parse_dom(doc: &Document) -> Result<Elem, XmlError> {
    let mut tokens = Tokenizer::new(doc, false);
    let mut stack: Vec<Elem> = Vec::new();
    loop {
        match tokens.next_token()? {
            Token::Start {
                name,
                attrs,
                content,
            } => {
                if tokens.depth() > MAX_DEPTH {
                    return Err(XmlError::Other(format!(
                        "xml: element nesting deeper than {MAX_DEPTH}"
                    )));
                }
                let prefix = match name.split_once(':') {
                    Some((p, l)) if !p.is_empty() && !l.is_empty() => p.to_owned(),
                    _ => String::new(),
                };
                stack.push(Elem {
                    prefix,
                    local: local_name(name).to_ascii_lowercase(),
                    attrs,
                    children: Vec::new(),
                    inner: (content, content),
                });
            }
            Token::End { at } => {
                let Some(mut elem) = stack.pop() else {
                    continue;
                };
                elem.inner.1 = at.max(elem.inner.0);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(elem),
                    None => return Ok(elem),
                }
            }
            Token::Text(_) | Token::Other => {}
            Token::Eof => return Err(XmlError::Eof),
        }
    }
}

/// Namespace handling: gofeed keys extensions by the canonical prefix of their namespace URI.
pub(super) struct Ctx<'a> {
    pub(super) doc: &'a Document,
    /// Declared prefix → canonical prefix.
    pub(super) prefixes: Vec<(String, &'static str)>,
}

pub(super) const KNOWN_NAMESPACES: [(&str, &str); 7] = [
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://purl.org/rss/1.0/modules/content/", "content"),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"),
    ("http://www.w3.org/2005/Atom", "atom"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"),
    ("http://purl.org/rss/1.0/", "rss"),
    ("http://backend.userland.com/rss2", "rss"),
];

impl<'a> Ctx<'a> {
    pub(super) fn new(doc: &'a Document, root: &Elem) -> Ctx<'a> {
        let mut prefixes = Vec::new();
        let mut pending = vec![root];
        while let Some(e) = pending.pop() {
            for (k, v) in &e.attrs {
                if let Some(p) = k.strip_prefix("xmlns:") {
                    let canonical = KNOWN_NAMESPACES
                        .iter()
                        .find(|(uri, _)| uri.eq_ignore_ascii_case(v.trim()))
                        .map(|(_, c)| *c);
                    if let Some(c) = canonical {
                        prefixes.push((p.to_owned(), c));
                    }
                }
            }
            pending.extend(e.children.iter());
        }
        Ctx { doc, prefixes }
    }

    /// The canonical namespace of an element: `""` for core elements.
    pub(super) fn ns(&self, e: &Elem) -> String {
        if e.prefix.is_empty() {
            return String::new();
        }
        let canonical = self
            .prefixes
            .iter()
            .find(|(p, _)| *p == e.prefix)
            .map_or(e.prefix.to_ascii_lowercase(), |(_, c)| (*c).to_owned());
        match canonical.as_str() {
            "rss" | "rdf" => String::new(),
            _ => canonical,
        }
    }

    pub(super) fn is(&self, e: &Elem, ns: &str, local: &str) -> bool {
        e.local == local && self.ns(e) == ns
    }

    pub(super) fn inner(&self, e: &Elem) -> &str {
        self.doc
            .text()
            .get(e.inner.0..e.inner.1)
            .unwrap_or_default()
    }

    /// gofeed's `shared.ParseText`.
    pub(super) fn text(&self, e: &Elem) -> String {
        let raw = self.inner(e).trim();
        if raw.contains(CDATA_START) {
            strip_cdata(raw)
        } else {
            decode_entities(raw)
        }
    }

    /// gofeed's Atom `parseAtomText`.
    pub(super) fn atom_text(&self, e: &Elem) -> String {
        let raw = self.inner(e).trim();
        let kind = e.attr("type").unwrap_or_default().to_ascii_lowercase();
        let mode = e.attr("mode").unwrap_or_default().to_ascii_lowercase();
        if raw.contains(CDATA_START) {
            return strip_cdata(raw);
        }
        if kind == "text" || kind.starts_with("text/") || (kind.is_empty() && mode.is_empty()) {
            decode_entities(raw)
        } else if kind.contains("xhtml") {
            strip_wrapping_div(raw).to_owned()
        } else if kind == "html" {
            decode_entities(strip_wrapping_div(raw))
        } else {
            base64_decode(raw).unwrap_or_else(|| raw.to_owned())
        }
    }

    pub(super) fn child<'e>(&self, e: &'e Elem, ns: &str, local: &str) -> Option<&'e Elem> {
        e.children.iter().find(|c| self.is(c, ns, local))
    }

    pub(super) fn children<'e>(
        &'e self,
        e: &'e Elem,
        ns: &'e str,
        local: &'e str,
    ) -> impl Iterator<Item = &'e Elem> + 'e {
        e.children.iter().filter(move |c| self.is(c, ns, local))
    }

    /// Text of the first such child, `""` when absent.
    pub(super) fn child_text(&self, e: &Elem, ns: &str, local: &str) -> String {
        self.child(e, ns, local)
            .map(|c| self.text(c))
            .unwrap_or_default()
    }

    /// Texts of all such children.
    pub(super) fn child_texts(&self, e: &Elem, ns: &str, local: &str) -> Vec<String> {
        self.children(e, ns, local).map(|c| self.text(c)).collect()
    }
}

pub(super) const CDATA_START: &str = "<![CDATA[";
pub(super) const CDATA_END: &str = "]]>";

/// gofeed's `StripCDATA` (CDATA contents kept raw; text after the last section decoded; text
/// before a section dropped, as gofeed does).
pub(super) fn strip_cdata(s: &str) -> String {
    let mut out = String::new();
    let mut curr = 0usize;
    while curr < s.len() {
        let Some(start) = s
            .get(curr..)
            .and_then(|r| r.find(CDATA_START))
            .map(|i| i + curr)
        else {
            out.push_str(&decode_entities(s.get(curr..).unwrap_or_default()));
            return out;
        };
        let Some(end) = s
            .get(start..)
            .and_then(|r| r.find(CDATA_END))
            .map(|i| i + start)
        else {
            out.push_str(&decode_entities(s.get(curr..).unwrap_or_default()));
            return out;
        };
        out.push_str(s.get(start + CDATA_START.len()..end).unwrap_or_default());
        curr = curr + end + CDATA_END.len();
    }
    out
}

/// gofeed's `DecodeEntities`, keeping unknown or malformed references as they are.
pub(super) fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let name = &rest[1..semi];
            let c = if let Some(num) = name.strip_prefix('#') {
                let (digits, radix) = match num.strip_prefix('x') {
                    Some(hex) => (hex, 16),
                    None => (num, 10),
                };
                u32::from_str_radix(digits, radix)
                    .ok()
                    .map(|n| char::from_u32(n).unwrap_or('\u{fffd}'))
            } else {
                match name {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    "amp" => Some('&'),
                    _ => None,
                }
            };
            c.map(|c| (c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

pub(super) fn strip_wrapping_div(s: &str) -> &str {
    if s.starts_with("<div") && s.ends_with("</div>") {
        if let Some(gt) = s.find('>') {
            return s.get(gt + 1..s.len() - "</div>".len()).unwrap_or(s);
        }
    }
    s
}

/// Go's `base64.StdEncoding.DecodeString` (padding required, trailing bits ignored), as UTF-8.
pub(super) fn base64_decode(s: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine as _;
    const STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
    );
    String::from_utf8(STD.decode(s).ok()?).ok()
}
