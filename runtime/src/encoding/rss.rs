//! Backend `encoding: "rss"`: krakend-rss's decoder, i.e. gofeed's universal `Feed` (v1.2 shape)
//! reduced to the keys KrakenD keeps:
//!
//! `{"items", "author", "categories", "custom", "copyright", "description", "type", "language",
//! "title", "published", "updated"}` plus `"img_url"` when the feed has an image.
//!
//! Values are what Go's `encoding/json` makes of gofeed's structs, since that is what a client
//! sees: `items` is an array of objects with gofeed's `Item` JSON names (`title`, `description`,
//! `content`, `link`, `links`, `updated`, `updatedParsed`, `published`, `publishedParsed`,
//! `author` `{name,email}`, `authors`, `guid`, `image` `{url,title}`, `categories`, `enclosures`
//! `[{url,length,type}]`), empty fields omitted; `author` is a person object or `null`;
//! `categories` an array of strings or `null`; `custom` is always `null` (gofeed never fills the
//! feed-level map); `type` is `rss`, `atom` or `json`; the rest are strings (`""` when absent).
//! `*Parsed` dates are RFC 3339 strings in UTC (gofeed converts parsed RSS/Atom dates to UTC;
//! Dublin Core dates keep their offset).
//!
//! Covered: RSS 0.9x/2.0 and RSS 1.0 (RDF) with the Dublin Core (`dc:`), `content:encoded` and
//! iTunes (`itunes:author`, `itunes:image`, `itunes:keywords`, `itunes:category`) fallbacks that
//! gofeed's translator uses; Atom 1.0 (text constructs by `type`, links, persons, categories,
//! enclosures); JSON Feed 1.x (basic fields). Text follows gofeed's `ParseText` (inner XML
//! trimmed, CDATA unwrapped, the five XML entities and numeric references decoded; unknown
//! entities are kept as they are). Dates: RFC 3339 / ISO 8601 forms and RFC 822/1123 forms
//! (optional weekday, 2- or 4-digit year, optional seconds, numeric or named zone; named zones
//! other than a numeric offset count as UTC, as Go does for abbreviations it does not know).
//! Not covered: extension objects (`dcExt`, `itunesExt`, `extensions`), per-item `custom`,
//! `xml:base` resolution of relative links.

use crate::go::{civil_from_days, days_from_civil};
use serde_json::{Map, Value};

use super::xml_decode::{local_name, Document, Token, Tokenizer, XmlError};

/// Elements nested deeper than this are rejected.
const MAX_DEPTH: usize = 128;

/// gofeed's `ErrFeedTypeNotDetected`.
const NOT_DETECTED: &str = "Failed to detect feed type";

/// Decodes an RSS, Atom or JSON feed body into KrakenD's data.
pub fn decode(body: &[u8]) -> Result<Map<String, Value>, String> {
    let trimmed = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .and_then(|i| body.get(i..))
        .unwrap_or_default();
    let trimmed = trimmed.strip_prefix(b"\xef\xbb\xbf").unwrap_or(trimmed);
    let feed = if trimmed.first() == Some(&b'{') {
        json_feed(trimmed)?
    } else {
        let doc = Document::prepare(body).map_err(|e| e.go())?;
        let root = parse_dom(&doc).map_err(|e| match e {
            XmlError::Eof => NOT_DETECTED.to_owned(),
            other => other.go(),
        })?;
        let ctx = Ctx::new(&doc, &root);
        match root.local.as_str() {
            "rss" | "rdf" => rss_feed(&ctx, &root),
            "feed" => atom_feed(&ctx, &root),
            _ => return Err(NOT_DETECTED.to_owned()),
        }
    };
    Ok(feed.into_krakend())
}

// ---------------------------------------------------------------------------------------------
// gofeed's universal feed

#[derive(Default)]
struct Person {
    name: String,
    email: String,
}

impl Person {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_str(&mut m, "name", &self.name);
        put_str(&mut m, "email", &self.email);
        Value::Object(m)
    }
}

#[derive(Default)]
struct Image {
    url: String,
    title: String,
}

#[derive(Default)]
struct Enclosure {
    url: String,
    length: String,
    kind: String,
}

#[derive(Default)]
struct Item {
    title: String,
    description: String,
    content: String,
    link: String,
    links: Vec<String>,
    updated: String,
    updated_parsed: Option<GoTime>,
    published: String,
    published_parsed: Option<GoTime>,
    author: Option<Person>,
    authors: Vec<Person>,
    guid: String,
    image: Option<Image>,
    categories: Vec<String>,
    enclosures: Vec<Enclosure>,
}

impl Item {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        put_str(&mut m, "title", &self.title);
        put_str(&mut m, "description", &self.description);
        put_str(&mut m, "content", &self.content);
        put_str(&mut m, "link", &self.link);
        put_strs(&mut m, "links", &self.links);
        put_str(&mut m, "updated", &self.updated);
        put_time(&mut m, "updatedParsed", self.updated_parsed);
        put_str(&mut m, "published", &self.published);
        put_time(&mut m, "publishedParsed", self.published_parsed);
        if let Some(author) = &self.author {
            m.insert("author".to_owned(), author.to_json());
        }
        if !self.authors.is_empty() {
            let authors = self.authors.iter().map(Person::to_json).collect();
            m.insert("authors".to_owned(), Value::Array(authors));
        }
        put_str(&mut m, "guid", &self.guid);
        if let Some(image) = &self.image {
            let mut i = Map::new();
            put_str(&mut i, "url", &image.url);
            put_str(&mut i, "title", &image.title);
            m.insert("image".to_owned(), Value::Object(i));
        }
        put_strs(&mut m, "categories", &self.categories);
        if !self.enclosures.is_empty() {
            let list = self
                .enclosures
                .iter()
                .map(|e| {
                    let mut o = Map::new();
                    put_str(&mut o, "url", &e.url);
                    put_str(&mut o, "length", &e.length);
                    put_str(&mut o, "type", &e.kind);
                    Value::Object(o)
                })
                .collect();
            m.insert("enclosures".to_owned(), Value::Array(list));
        }
        Value::Object(m)
    }
}

#[derive(Default)]
struct Feed {
    kind: &'static str,
    title: String,
    description: String,
    updated: String,
    published: String,
    author: Option<Person>,
    language: String,
    image: Option<Image>,
    copyright: String,
    categories: Vec<String>,
    items: Vec<Item>,
}

impl Feed {
    fn into_krakend(self) -> Map<String, Value> {
        let mut m = Map::new();
        let items = self.items.iter().map(Item::to_json).collect();
        m.insert("items".to_owned(), Value::Array(items));
        m.insert(
            "author".to_owned(),
            self.author.as_ref().map_or(Value::Null, Person::to_json),
        );
        m.insert(
            "categories".to_owned(),
            if self.categories.is_empty() {
                Value::Null
            } else {
                Value::Array(self.categories.into_iter().map(Value::String).collect())
            },
        );
        m.insert("custom".to_owned(), Value::Null);
        m.insert("copyright".to_owned(), Value::String(self.copyright));
        m.insert("description".to_owned(), Value::String(self.description));
        m.insert("type".to_owned(), Value::String(self.kind.to_owned()));
        m.insert("language".to_owned(), Value::String(self.language));
        m.insert("title".to_owned(), Value::String(self.title));
        m.insert("published".to_owned(), Value::String(self.published));
        m.insert("updated".to_owned(), Value::String(self.updated));
        if let Some(image) = self.image {
            m.insert("img_url".to_owned(), Value::String(image.url));
        }
        m
    }
}

fn put_str(m: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.is_empty() {
        m.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

fn put_strs(m: &mut Map<String, Value>, key: &str, values: &[String]) {
    if !values.is_empty() {
        let list = values.iter().cloned().map(Value::String).collect();
        m.insert(key.to_owned(), Value::Array(list));
    }
}

fn put_time(m: &mut Map<String, Value>, key: &str, t: Option<GoTime>) {
    if let Some(text) = t.and_then(GoTime::rfc3339) {
        m.insert(key.to_owned(), Value::String(text));
    }
}

// ---------------------------------------------------------------------------------------------
// A small DOM over the tokenizer

struct Elem {
    /// The namespace prefix as written (`""` for none).
    prefix: String,
    /// Lower-cased local name (gofeed matches element names case-insensitively).
    local: String,
    attrs: Vec<(String, String)>,
    children: Vec<Elem>,
    /// Byte range of the element's content in the document text.
    inner: (usize, usize),
}

impl Elem {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| local_name(k).eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn parse_dom(doc: &Document) -> Result<Elem, XmlError> {
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
                    attrs: attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
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
struct Ctx<'a> {
    doc: &'a Document,
    /// Declared prefix → canonical prefix.
    prefixes: Vec<(String, &'static str)>,
}

const KNOWN_NAMESPACES: [(&str, &str); 7] = [
    ("http://purl.org/dc/elements/1.1/", "dc"),
    ("http://purl.org/rss/1.0/modules/content/", "content"),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd", "itunes"),
    ("http://www.w3.org/2005/Atom", "atom"),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"),
    ("http://purl.org/rss/1.0/", "rss"),
    ("http://backend.userland.com/rss2", "rss"),
];

impl<'a> Ctx<'a> {
    fn new(doc: &'a Document, root: &Elem) -> Ctx<'a> {
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
    fn ns(&self, e: &Elem) -> String {
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

    fn is(&self, e: &Elem, ns: &str, local: &str) -> bool {
        e.local == local && self.ns(e) == ns
    }

    fn inner(&self, e: &Elem) -> &str {
        self.doc
            .text()
            .get(e.inner.0..e.inner.1)
            .unwrap_or_default()
    }

    /// gofeed's `shared.ParseText`.
    fn text(&self, e: &Elem) -> String {
        let raw = self.inner(e).trim();
        if raw.contains(CDATA_START) {
            strip_cdata(raw)
        } else {
            decode_entities(raw)
        }
    }

    /// gofeed's Atom `parseAtomText`.
    fn atom_text(&self, e: &Elem) -> String {
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

    fn child<'e>(&self, e: &'e Elem, ns: &str, local: &str) -> Option<&'e Elem> {
        e.children.iter().find(|c| self.is(c, ns, local))
    }

    fn children<'e>(
        &'e self,
        e: &'e Elem,
        ns: &'e str,
        local: &'e str,
    ) -> impl Iterator<Item = &'e Elem> + 'e {
        e.children.iter().filter(move |c| self.is(c, ns, local))
    }

    /// Text of the first such child, `""` when absent.
    fn child_text(&self, e: &Elem, ns: &str, local: &str) -> String {
        self.child(e, ns, local)
            .map(|c| self.text(c))
            .unwrap_or_default()
    }

    /// Texts of all such children.
    fn child_texts(&self, e: &Elem, ns: &str, local: &str) -> Vec<String> {
        self.children(e, ns, local).map(|c| self.text(c)).collect()
    }
}

const CDATA_START: &str = "<![CDATA[";
const CDATA_END: &str = "]]>";

/// gofeed's `StripCDATA` (CDATA contents kept raw; text after the last section decoded; text
/// before a section dropped, as gofeed does).
fn strip_cdata(s: &str) -> String {
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
fn decode_entities(s: &str) -> String {
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

fn strip_wrapping_div(s: &str) -> &str {
    if s.starts_with("<div") && s.ends_with("</div>") {
        if let Some(gt) = s.find('>') {
            return s.get(gt + 1..s.len() - "</div>".len()).unwrap_or(s);
        }
    }
    s
}

/// Go's `base64.StdEncoding.DecodeString` (padding required, trailing bits ignored), as UTF-8.
fn base64_decode(s: &str) -> Option<String> {
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

// ---------------------------------------------------------------------------------------------
// RSS

fn rss_feed(ctx: &Ctx, root: &Elem) -> Feed {
    let channel = ctx.child(root, "", "channel");
    let empty = Elem {
        prefix: String::new(),
        local: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
        inner: (0, 0),
    };
    let ch = channel.unwrap_or(&empty);
    let dc = |local: &str| ctx.child_texts(ch, "dc", local);
    let first = |v: Vec<String>| v.into_iter().next();

    let mut feed = Feed {
        kind: "rss",
        ..Feed::default()
    };
    feed.title = non_empty(ctx.child_text(ch, "", "title"))
        .or_else(|| first(dc("title")))
        .unwrap_or_default();
    feed.description = ctx.child_text(ch, "", "description");
    feed.published = ctx.child_text(ch, "", "pubdate");
    feed.updated = non_empty(ctx.child_text(ch, "", "lastbuilddate"))
        .or_else(|| first(dc("date")))
        .unwrap_or_default();
    feed.language = non_empty(ctx.child_text(ch, "", "language"))
        .or_else(|| first(dc("language")))
        .unwrap_or_default();
    feed.copyright = non_empty(ctx.child_text(ch, "", "copyright"))
        .or_else(|| first(dc("rights")))
        .unwrap_or_default();
    let itunes_author = ctx.child_text(ch, "itunes", "author");
    feed.author = [
        ctx.child_text(ch, "", "managingeditor"),
        ctx.child_text(ch, "", "webmaster"),
        first(dc("author")).unwrap_or_default(),
        first(dc("creator")).unwrap_or_default(),
        itunes_author,
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(|s| person(&s));
    feed.image = match ctx.child(ch, "", "image") {
        Some(img) => Some(Image {
            url: ctx.child_text(img, "", "url"),
            title: ctx.child_text(img, "", "title"),
        }),
        None => itunes_image(ctx, ch).map(|url| Image {
            url,
            title: String::new(),
        }),
    };
    let mut cats = ctx.child_texts(ch, "", "category");
    cats.extend(itunes_keywords(ctx, ch));
    for c in ctx.children(ch, "itunes", "category") {
        cats.push(c.attr("text").unwrap_or_default().to_owned());
        if let Some(sub) = ctx.child(c, "itunes", "category") {
            cats.push(sub.attr("text").unwrap_or_default().to_owned());
        }
    }
    cats.extend(dc("subject"));
    feed.categories = cats;

    // RSS 2.0 items live in the channel, RSS 1.0 items next to it.
    let items = ch
        .children
        .iter()
        .chain(root.children.iter())
        .filter(|e| ctx.is(e, "", "item"));
    feed.items = items.map(|e| rss_item(ctx, e)).collect();
    feed
}

fn rss_item(ctx: &Ctx, e: &Elem) -> Item {
    let dc = |local: &str| ctx.child_texts(e, "dc", local);
    let first = |v: Vec<String>| v.into_iter().next();
    let mut item = Item {
        title: non_empty(ctx.child_text(e, "", "title"))
            .or_else(|| first(dc("title")))
            .unwrap_or_default(),
        description: non_empty(ctx.child_text(e, "", "description"))
            .or_else(|| first(dc("description")))
            .unwrap_or_default(),
        content: ctx.child_text(e, "content", "encoded"),
        link: ctx.child_text(e, "", "link"),
        links: ctx.child_texts(e, "", "link"),
        ..Item::default()
    };
    let pub_date = ctx.child_text(e, "", "pubdate");
    let dc_date = first(dc("date"));
    if !pub_date.is_empty() {
        item.published_parsed = parse_date(&pub_date).map(GoTime::utc);
        item.published = pub_date;
    } else if let Some(date) = dc_date {
        item.published_parsed = parse_date(&date);
        item.published = date;
    }
    let author = [
        ctx.child_text(e, "", "author"),
        first(dc("author")).unwrap_or_default(),
        first(dc("creator")).unwrap_or_default(),
        ctx.child_text(e, "itunes", "author"),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .map(|s| person(&s));
    if let Some(a) = &author {
        item.authors = vec![Person {
            name: a.name.clone(),
            email: a.email.clone(),
        }];
    }
    item.author = author;
    item.guid = ctx.child_text(e, "", "guid");
    item.image = itunes_image(ctx, e).map(|url| Image {
        url,
        title: String::new(),
    });
    let mut cats = ctx.child_texts(e, "", "category");
    cats.extend(itunes_keywords(ctx, e));
    cats.extend(dc("subject"));
    item.categories = cats;
    item.enclosures = ctx
        .children(e, "", "enclosure")
        .map(|enc| Enclosure {
            url: enc.attr("url").unwrap_or_default().to_owned(),
            length: enc.attr("length").unwrap_or_default().to_owned(),
            kind: enc.attr("type").unwrap_or_default().to_owned(),
        })
        .collect();
    item
}

fn itunes_image(ctx: &Ctx, e: &Elem) -> Option<String> {
    let img = ctx.child(e, "itunes", "image")?;
    let href = img
        .attr("href")
        .map(str::to_owned)
        .unwrap_or_else(|| ctx.text(img));
    non_empty(href)
}

fn itunes_keywords(ctx: &Ctx, e: &Elem) -> Vec<String> {
    let keywords = ctx.child_text(e, "itunes", "keywords");
    if keywords.is_empty() {
        return Vec::new();
    }
    keywords.split(',').map(str::to_owned).collect()
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// gofeed's `ParseNameAddress`.
fn person(text: &str) -> Person {
    let (name, email) = parse_name_address(text);
    Person { name, email }
}

fn parse_name_address(s: &str) -> (String, String) {
    // Go's RE2 `\s` is ASCII white space.
    let ws = |c: char| c.is_ascii_whitespace();
    let no = |t: &str, chars: &[char]| !t.is_empty() && !t.contains(chars);
    if let Some(inner) = s.strip_suffix(')') {
        // ^([^@]+@[^\s]+)\s+\(([^@]+)\)$
        if let Some(at) = s.find('@').filter(|&at| at > 0) {
            let after = s.get(at + 1..).unwrap_or_default();
            if let Some(w) = after.find(ws).filter(|&w| w > 0) {
                let addr_end = at + 1 + w;
                let rest = s.get(addr_end..).unwrap_or_default().trim_start_matches(ws);
                if let Some(name) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                    if no(name, &['@']) {
                        let addr = s.get(..addr_end).unwrap_or_default();
                        return (name.to_owned(), addr.to_owned());
                    }
                }
            }
        }
        // ^([^@]+)\s+\(([^@]+@[^)]+)\)$ — the greedy name keeps all but one white space
        // character before the last workable '('.
        for (open, _) in inner.char_indices().rev().filter(|&(_, c)| c == '(') {
            let name_part = s.get(..open).unwrap_or_default();
            let Some(name) = name_part.strip_suffix(ws) else {
                continue;
            };
            let addr = inner.get(open + 1..).unwrap_or_default();
            let valid_addr = addr
                .find('@')
                .is_some_and(|at| at > 0 && addr.get(at + 1..).is_some_and(|t| no(t, &[')'])));
            if no(name, &['@']) && valid_addr {
                return (name.to_owned(), addr.to_owned());
            }
        }
    }
    // ^([^@()]+)$
    if no(s, &['@', '(', ')']) {
        return (s.to_owned(), String::new());
    }
    // ^([^@()]+@[^@()]+)$
    if let Some((a, b)) = s.split_once('@') {
        if no(a, &['@', '(', ')']) && no(b, &['@', '(', ')']) {
            return (String::new(), s.to_owned());
        }
    }
    (String::new(), String::new())
}

// ---------------------------------------------------------------------------------------------
// Atom

fn atom_feed(ctx: &Ctx, root: &Elem) -> Feed {
    let mut feed = Feed {
        kind: "atom",
        ..Feed::default()
    };
    feed.title = ctx
        .child(root, "", "title")
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.description = ctx
        .child(root, "", "subtitle")
        .or_else(|| ctx.child(root, "", "tagline"))
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.updated = ctx
        .child(root, "", "updated")
        .or_else(|| ctx.child(root, "", "modified"))
        .map(|e| ctx.text(e))
        .unwrap_or_default();
    feed.author = ctx.child(root, "", "author").map(|a| atom_person(ctx, a));
    feed.language = root.attr("lang").unwrap_or_default().to_owned();
    feed.image = ctx.child(root, "", "logo").map(|l| Image {
        url: ctx.text(l),
        title: String::new(),
    });
    feed.copyright = ctx
        .child(root, "", "rights")
        .or_else(|| ctx.child(root, "", "copyright"))
        .map(|e| ctx.atom_text(e))
        .unwrap_or_default();
    feed.categories = ctx
        .children(root, "", "category")
        .map(|c| c.attr("term").unwrap_or_default().to_owned())
        .collect();
    feed.items = ctx
        .children(root, "", "entry")
        .map(|e| atom_entry(ctx, e))
        .collect();
    feed
}

fn atom_entry(ctx: &Ctx, e: &Elem) -> Item {
    let mut item = Item {
        title: ctx
            .child(e, "", "title")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        description: ctx
            .child(e, "", "summary")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        content: ctx
            .child(e, "", "content")
            .map(|t| ctx.atom_text(t))
            .unwrap_or_default(),
        guid: ctx.child_text(e, "", "id"),
        ..Item::default()
    };
    for link in ctx.children(e, "", "link") {
        let href = link.attr("href").unwrap_or_default().to_owned();
        let rel = link.attr("rel").unwrap_or("alternate");
        let rel = if rel.is_empty() { "alternate" } else { rel };
        if rel == "alternate" && item.link.is_empty() {
            item.link = href.clone();
        }
        if rel == "alternate" || rel == "self" {
            item.links.push(href.clone());
        }
        if rel == "enclosure" {
            item.enclosures.push(Enclosure {
                url: href,
                length: link.attr("length").unwrap_or_default().to_owned(),
                kind: link.attr("type").unwrap_or_default().to_owned(),
            });
        }
    }
    if let Some(updated) = ctx
        .child(e, "", "updated")
        .or_else(|| ctx.child(e, "", "modified"))
    {
        item.updated = ctx.text(updated);
        item.updated_parsed = parse_date(&item.updated).map(GoTime::utc);
    }
    if let Some(published) = ctx
        .child(e, "", "published")
        .or_else(|| ctx.child(e, "", "issued"))
    {
        item.published = ctx.text(published);
        item.published_parsed = parse_date(&item.published).map(GoTime::utc);
    }
    item.authors = ctx
        .children(e, "", "author")
        .map(|a| atom_person(ctx, a))
        .collect();
    item.author = item.authors.first().map(|a| Person {
        name: a.name.clone(),
        email: a.email.clone(),
    });
    item.categories = ctx
        .children(e, "", "category")
        .map(|c| c.attr("term").unwrap_or_default().to_owned())
        .collect();
    item
}

fn atom_person(ctx: &Ctx, e: &Elem) -> Person {
    Person {
        name: ctx.child_text(e, "", "name"),
        email: ctx.child_text(e, "", "email"),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON Feed

fn json_feed(body: &[u8]) -> Result<Feed, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Value::Object(obj) = v else {
        return Err(NOT_DETECTED.to_owned());
    };
    let version = str_of(&obj, "version");
    if !version.contains("jsonfeed.org/version/") {
        return Err(NOT_DETECTED.to_owned());
    }
    let mut feed = Feed {
        kind: "json",
        title: str_of(&obj, "title"),
        description: str_of(&obj, "description"),
        language: str_of(&obj, "language"),
        ..Feed::default()
    };
    feed.author = json_author(&obj);
    let icon = str_of(&obj, "icon");
    let favicon = str_of(&obj, "favicon");
    feed.image = non_empty(icon)
        .or_else(|| non_empty(favicon))
        .map(|url| Image {
            url,
            title: String::new(),
        });
    if let Some(Value::Array(items)) = obj.get("items") {
        feed.items = items
            .iter()
            .filter_map(Value::as_object)
            .map(json_item)
            .collect();
    }
    Ok(feed)
}

fn json_item(o: &Map<String, Value>) -> Item {
    let content = non_empty(str_of(o, "content_html")).unwrap_or_else(|| str_of(o, "content_text"));
    let mut item = Item {
        title: str_of(o, "title"),
        description: str_of(o, "summary"),
        content,
        link: str_of(o, "url"),
        guid: str_of(o, "id"),
        published: str_of(o, "date_published"),
        updated: str_of(o, "date_modified"),
        ..Item::default()
    };
    item.published_parsed = parse_date(&item.published);
    item.updated_parsed = parse_date(&item.updated);
    item.author = json_author(o);
    if let Some(a) = &item.author {
        item.authors = vec![Person {
            name: a.name.clone(),
            email: a.email.clone(),
        }];
    }
    let image = non_empty(str_of(o, "image")).or_else(|| non_empty(str_of(o, "banner_image")));
    item.image = image.map(|url| Image {
        url,
        title: String::new(),
    });
    if let Some(Value::Array(tags)) = o.get("tags") {
        item.categories = tags
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    if let Some(Value::Array(atts)) = o.get("attachments") {
        item.enclosures = atts
            .iter()
            .filter_map(Value::as_object)
            .map(|a| Enclosure {
                url: str_of(a, "url"),
                length: a
                    .get("size_in_bytes")
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_default(),
                kind: str_of(a, "mime_type"),
            })
            .collect();
    }
    item
}

fn json_author(o: &Map<String, Value>) -> Option<Person> {
    let author = o.get("author").and_then(Value::as_object).or_else(|| {
        o.get("authors")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_object)
    })?;
    Some(Person {
        name: str_of(author, "name"),
        email: String::new(),
    })
}

fn str_of(o: &Map<String, Value>, key: &str) -> String {
    o.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Dates

/// A parsed instant: Unix seconds, nanoseconds and the zone offset it was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct GoTime {
    unix: i64,
    nanos: u32,
    offset: i32,
}

impl GoTime {
    fn utc(self) -> GoTime {
        GoTime { offset: 0, ..self }
    }

    /// Go's `time.Time.MarshalJSON` (RFC 3339 with nanoseconds); `None` outside years 0–9999,
    /// where Go fails.
    fn rfc3339(self) -> Option<String> {
        let local = self.unix.checked_add(i64::from(self.offset))?;
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let mut out = format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        if self.nanos > 0 {
            let frac = format!("{:09}", self.nanos);
            out.push('.');
            out.push_str(frac.trim_end_matches('0'));
        }
        if self.offset == 0 {
            out.push('Z');
        } else {
            let sign = if self.offset < 0 { '-' } else { '+' };
            let abs = self.offset.unsigned_abs();
            out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs / 60 % 60));
        }
        Some(out)
    }
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    nanos: u32,
    offset: i32,
}

impl Civil {
    fn to_time(&self) -> Option<GoTime> {
        if !(1..=12).contains(&self.month)
            || self.day == 0
            || self.day > days_in_month(self.year, self.month)
            || self.hour > 23
            || self.min > 59
            || self.sec > 59
        {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let local = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.min) * 60
            + i64::from(self.sec);
        Some(GoTime {
            unix: local - i64::from(self.offset),
            nanos: self.nanos,
            offset: self.offset,
        })
    }
}

/// gofeed's `shared.ParseDate`, for the common RFC 3339 / ISO 8601 and RFC 822/1123 forms.
fn parse_date(s: &str) -> Option<GoTime> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    parse_iso(s).or_else(|| parse_rfc822(s))
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v: u32 = 0;
        while self.i - start < max {
            match self.b.get(self.i) {
                Some(&c @ b'0'..=b'9') => {
                    v = v * 10 + u32::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while matches!(self.b.get(self.i), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i - start
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }

    /// Fraction after `.`/`,`: nanoseconds.
    fn fraction(&mut self) -> u32 {
        if matches!(self.b.get(self.i), Some(b'.' | b','))
            && matches!(self.b.get(self.i + 1), Some(b'0'..=b'9'))
        {
            self.i += 1;
            let mut nanos = 0u32;
            let mut n = 0;
            while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
                if n < 9 {
                    nanos = nanos * 10 + u32::from(c - b'0');
                    n += 1;
                }
                self.i += 1;
            }
            while n < 9 {
                nanos *= 10;
                n += 1;
            }
            return nanos;
        }
        0
    }

    /// `Z`, `±hh:mm`, `±hhmm`, `±hh`, or a zone name (counted as UTC).
    fn zone(&mut self) -> Option<i32> {
        match self.b.get(self.i) {
            None => Some(0),
            Some(b'Z' | b'z') if self.i + 1 == self.b.len() => {
                self.i += 1;
                Some(0)
            }
            Some(&sign @ (b'+' | b'-')) => {
                self.i += 1;
                let hh = self.digits(2, 2)?;
                self.eat(b':');
                let mm = if self.done() { 0 } else { self.digits(2, 2)? };
                if hh > 24 || mm > 60 {
                    return None;
                }
                let off = i32::try_from(hh * 3600 + mm * 60).ok()?;
                Some(if sign == b'-' { -off } else { off })
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let start = self.i;
                while self.b.get(self.i).is_some_and(u8::is_ascii_alphabetic) {
                    self.i += 1;
                }
                let name = &self.b[start..self.i];
                // "GMT+0100"-style suffixes.
                if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                    return self.zone();
                }
                (name.len() <= 5).then_some(0)
            }
            Some(_) => None,
        }
    }
}

fn parse_iso(s: &str) -> Option<GoTime> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4, 4)?;
    if !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2, 2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2, 2)?;
    let mut civil = Civil {
        year: i64::from(year),
        month,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nanos: 0,
        offset: 0,
    };
    if !c.done() {
        if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
            return None;
        }
        civil.hour = c.digits(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        civil.min = c.digits(2, 2)?;
        if c.eat(b':') {
            civil.sec = c.digits(2, 2)?;
            civil.nanos = c.fraction();
        }
        c.spaces();
        civil.offset = c.zone()?;
    }
    if !c.done() {
        return None;
    }
    civil.to_time()
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn parse_rfc822(s: &str) -> Option<GoTime> {
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    // Optional weekday, with or without a comma.
    if c.b.first().is_some_and(u8::is_ascii_alphabetic) {
        while c.b.get(c.i).is_some_and(u8::is_ascii_alphabetic) {
            c.i += 1;
        }
        c.eat(b',');
        c.spaces();
    }
    let day = c.digits(1, 2)?;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let start = c.i;
    while c.b.get(c.i).is_some_and(u8::is_ascii_alphabetic) {
        c.i += 1;
    }
    let month_name = s.get(start..c.i)?.to_ascii_lowercase();
    let month = MONTHS
        .iter()
        .position(|m| month_name.len() >= 3 && month_name.starts_with(m))?;
    if c.spaces() == 0 && !c.eat(b'-') {
        return None;
    }
    let ystart = c.i;
    let year = c.digits(2, 4)?;
    let year = match c.i - ystart {
        2 if year >= 69 => 1900 + i64::from(year),
        2 => 2000 + i64::from(year),
        4 => i64::from(year),
        _ => return None,
    };
    let mut civil = Civil {
        year,
        month: u32::try_from(month).ok()? + 1,
        day,
        hour: 0,
        min: 0,
        sec: 0,
        nanos: 0,
        offset: 0,
    };
    if c.spaces() > 0 && !c.done() {
        civil.hour = c.digits(1, 2)?;
        if !c.eat(b':') {
            return None;
        }
        civil.min = c.digits(2, 2)?;
        if c.eat(b':') {
            civil.sec = c.digits(2, 2)?;
            civil.nanos = c.fraction();
        }
        c.spaces();
        civil.offset = c.zone()?;
    }
    c.spaces();
    if !c.done() {
        return None;
    }
    civil.to_time()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    const W3SCHOOLS: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0">

<channel>
  <title>W3Schools Home Page</title>
  <link>https://www.w3schools.com</link>
  <description>Free web building tutorials</description>
  <image>
    <url>https://www.w3schools.com/pretty_image.png</url>
    <description>Free web building tutorials</description>
  </image>
  <language>en_us</language>
  <item>
    <title>RSS Tutorial</title>
    <link>https://www.w3schools.com/xml/xml_rss.asp</link>
    <description>New RSS tutorial on W3Schools</description>
  </item>
  <item>
    <title>XML Tutorial</title>
    <link>https://www.w3schools.com/xml</link>
    <description>New XML tutorial on W3Schools</description>
  </item>
</channel>

</rss>"#;

    #[test]
    fn krakend_rss_test_feed() {
        let got = Value::Object(decode(W3SCHOOLS.as_bytes()).unwrap());
        assert_eq!(
            got,
            json!({
                "items": [
                    {"title":"RSS Tutorial","link":"https://www.w3schools.com/xml/xml_rss.asp",
                     "links":["https://www.w3schools.com/xml/xml_rss.asp"],
                     "description":"New RSS tutorial on W3Schools"},
                    {"title":"XML Tutorial","link":"https://www.w3schools.com/xml",
                     "links":["https://www.w3schools.com/xml"],
                     "description":"New XML tutorial on W3Schools"}
                ],
                "author": null, "categories": null, "custom": null, "copyright": "",
                "description": "Free web building tutorials", "type": "rss", "language": "en_us",
                "title": "W3Schools Home Page", "published": "", "updated": "",
                "img_url": "https://www.w3schools.com/pretty_image.png"
            })
        );
    }

    #[test]
    fn empty_and_unknown_inputs_fail() {
        assert_eq!(decode(b"").unwrap_err(), NOT_DETECTED);
        assert_eq!(decode(b"   ").unwrap_err(), NOT_DETECTED);
        assert_eq!(decode(b"<html><body/></html>").unwrap_err(), NOT_DETECTED);
        assert!(decode(b"<rss><channel>")
            .unwrap_err()
            .contains("unexpected EOF"));
        assert!(decode(b"{\"a\":1}").is_err());
        assert!(decode(b"{not json").is_err());
    }

    #[test]
    fn rss_details() {
        let xml = r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
            xmlns:content="http://purl.org/rss/1.0/modules/content/"
            xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
          <channel>
            <title><![CDATA[My <b>feed</b>]]></title>
            <description>A &amp; B &lt;x&gt; &nbsp;</description>
            <managingEditor>editor@example.com (Ed Itor)</managingEditor>
            <pubDate>Mon, 02 Jan 2006 15:04:05 -0700</pubDate>
            <lastBuildDate>Tue, 03 Jan 2006 10:00:00 GMT</lastBuildDate>
            <category>one</category>
            <category>two</category>
            <dc:rights>CC</dc:rights>
            <itunes:image href="https://img/x.png"/>
            <item>
              <title>Hello</title>
              <description><p>raw &amp; html</p></description>
              <content:encoded><![CDATA[<p>full</p>]]></content:encoded>
              <author>Jane Doe</author>
              <guid isPermaLink="false">abc-1</guid>
              <pubDate>Wed, 4 Jan 2006 08:00 +0100</pubDate>
              <category>c1</category>
              <dc:subject>s1</dc:subject>
              <enclosure url="https://x/a.mp3" length="123" type="audio/mpeg"/>
            </item>
            <item>
              <dc:title>DC title</dc:title>
              <dc:creator>John (john@example.com)</dc:creator>
              <dc:date>2006-01-05T10:00:00+02:00</dc:date>
            </item>
          </channel>
        </rss>"#;
        let got = Value::Object(decode(xml.as_bytes()).unwrap());
        assert_eq!(
            got,
            json!({
                "items": [
                    {"title":"Hello","description":"<p>raw & html</p>","content":"<p>full</p>",
                     "author":{"name":"Jane Doe"},"authors":[{"name":"Jane Doe"}],
                     "guid":"abc-1","published":"Wed, 4 Jan 2006 08:00 +0100",
                     "publishedParsed":"2006-01-04T07:00:00Z","categories":["c1","s1"],
                     "enclosures":[{"url":"https://x/a.mp3","length":"123","type":"audio/mpeg"}]},
                    {"title":"DC title",
                     "author":{"name":"John","email":"john@example.com"},
                     "authors":[{"name":"John","email":"john@example.com"}],
                     "published":"2006-01-05T10:00:00+02:00",
                     "publishedParsed":"2006-01-05T10:00:00+02:00"}
                ],
                "author": {"name":"Ed Itor","email":"editor@example.com"},
                "categories": ["one","two"], "custom": null, "copyright": "CC",
                "description": "A & B <x> &nbsp;", "type": "rss", "language": "",
                "title": "My <b>feed</b>", "published": "Mon, 02 Jan 2006 15:04:05 -0700",
                "updated": "Tue, 03 Jan 2006 10:00:00 GMT", "img_url": "https://img/x.png"
            })
        );
    }

    #[test]
    fn rdf_items_next_to_the_channel() {
        let xml = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
          <channel><title>T</title></channel>
          <item><title>I1</title><link>http://l/1</link></item>
        </rdf:RDF>"#;
        let got = decode(xml.as_bytes()).unwrap();
        assert_eq!(got["title"], json!("T"));
        assert_eq!(
            got["items"],
            json!([{"title":"I1","link":"http://l/1","links":["http://l/1"]}])
        );
    }

    #[test]
    fn atom_feed_is_translated() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
          <title>Example Feed</title>
          <subtitle type="html">&lt;b&gt;Sub&lt;/b&gt;</subtitle>
          <updated>2003-12-13T18:30:02Z</updated>
          <author><name>John Doe</name><email>j@d.com</email></author>
          <rights>(c) me</rights>
          <logo>http://example.org/logo.png</logo>
          <category term="tech"/>
          <entry>
            <title>Atom-Powered Robots Run Amok</title>
            <link href="http://example.org/2003/12/13/atom03"/>
            <link rel="enclosure" href="http://e/f.mp3" length="9" type="audio/mpeg"/>
            <id>urn:uuid:1225c695</id>
            <updated>2003-12-13T18:30:02.25+01:00</updated>
            <summary>Some text.</summary>
            <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>
          </entry>
        </feed>"#;
        let got = Value::Object(decode(xml.as_bytes()).unwrap());
        assert_eq!(
            got,
            json!({
                "items": [{
                    "title": "Atom-Powered Robots Run Amok",
                    "description": "Some text.",
                    "content": "<p>Hi</p>",
                    "link": "http://example.org/2003/12/13/atom03",
                    "links": ["http://example.org/2003/12/13/atom03"],
                    "updated": "2003-12-13T18:30:02.25+01:00",
                    "updatedParsed": "2003-12-13T17:30:02.25Z",
                    "guid": "urn:uuid:1225c695",
                    "enclosures": [{"url":"http://e/f.mp3","length":"9","type":"audio/mpeg"}]
                }],
                "author": {"name":"John Doe","email":"j@d.com"},
                "categories": ["tech"], "custom": null, "copyright": "(c) me",
                "description": "<b>Sub</b>", "type": "atom", "language": "en",
                "title": "Example Feed", "published": "", "updated": "2003-12-13T18:30:02Z",
                "img_url": "http://example.org/logo.png"
            })
        );
    }

    #[test]
    fn json_feed_is_translated() {
        let body = br#"{"version":"https://jsonfeed.org/version/1.1","title":"J","icon":"http://i",
            "items":[{"id":"1","url":"http://u","content_text":"txt","date_published":"2020-01-02T03:04:05Z","tags":["a"]}]}"#;
        let got = Value::Object(decode(body).unwrap());
        assert_eq!(got["type"], json!("json"));
        assert_eq!(got["img_url"], json!("http://i"));
        assert_eq!(
            got["items"],
            json!([{"guid":"1","link":"http://u","content":"txt","published":"2020-01-02T03:04:05Z",
                    "publishedParsed":"2020-01-02T03:04:05Z","categories":["a"]}])
        );
    }

    #[test]
    fn name_address_forms() {
        let cases = [
            ("joe@x.com (Joe Smith)", ("Joe Smith", "joe@x.com")),
            ("Joe Smith (joe@x.com)", ("Joe Smith", "joe@x.com")),
            ("Joe Smith", ("Joe Smith", "")),
            ("joe@x.com", ("", "joe@x.com")),
            ("a@b@c", ("", "")),
        ];
        for (input, (name, email)) in cases {
            assert_eq!(
                parse_name_address(input),
                (name.to_owned(), email.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn dates() {
        let cases = [
            (
                "Mon, 02 Jan 2006 15:04:05 MST",
                Some("2006-01-02T15:04:05Z"),
            ),
            (
                "Mon, 02 Jan 2006 15:04:05 -0700",
                Some("2006-01-02T15:04:05-07:00"),
            ),
            ("2 Jan 06 15:04 +0000", Some("2006-01-02T15:04:00Z")),
            ("02 January 2006", Some("2006-01-02T00:00:00Z")),
            ("2006-01-02", Some("2006-01-02T00:00:00Z")),
            (
                "2006-01-02T15:04:05.123456789+05:30",
                Some("2006-01-02T15:04:05.123456789+05:30"),
            ),
            ("2006-02-30", None),
            ("yesterday", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_date(input).and_then(GoTime::rfc3339).as_deref(),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        for end in 0..=W3SCHOOLS.len() {
            let _ = decode(&W3SCHOOLS.as_bytes()[..end]);
        }
    }
}
