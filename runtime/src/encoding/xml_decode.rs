//! Backend `encoding: "xml"`: the body decoded as KrakenD's krakend-xml decoder does it, that is
//! `mxj.NewMapXmlReader` (github.com/clbanning/mxj/v2) over Go's `encoding/xml` decoder with
//! `golang.org/x/net/html/charset.NewReaderLabel` as the charset reader.
//!
//! Result shape (mxj's `xmlToMapParser`):
//!
//! - `{ <root local name>: <value> }`; with `is_collection`, `{"collection": {<root>: <value>}}`.
//! - An element's value is a string when it has neither attributes nor child elements (its text,
//!   or `""` when empty), otherwise an object: attributes as `"-<local name>"`, child elements by
//!   local name (namespace prefixes dropped; repeated names become an array in document order),
//!   and its text as `"#text"`. All leaf values are strings.
//! - Text is taken per character-data token (text, CDATA section), trimmed of `\t\r\b\n `; an
//!   empty result is ignored; a later non-empty token replaces an earlier one (so a comment or a
//!   CDATA section splits text and the last piece wins), except that text seen before the first
//!   child or attribute wins over text seen after it (mxj's end-of-element rule).
//! - Only the first root element is read: whatever follows it is never parsed. Text, comments,
//!   processing instructions and directives before it are skipped (but must be well-formed).
//!
//! Errors (the backend call then fails) follow Go's decoder in strict mode: unknown entities,
//! unescaped `<` or `]]>`, characters outside the XML range, mismatched or unexpected end tags,
//! unquoted attribute values, invalid names, invalid UTF-8, an unsupported `version` or
//! `encoding` in the XML declaration, an unexpected end of input; an input without any element
//! fails with `EOF`. Nesting deeper than [`MAX_DEPTH`] elements is rejected.
//!
//! Charsets: the `encoding` of a leading XML declaration is looked up as a WHATWG label
//! (`encoding_rs`, as x/net's `htmlindex`; so `ISO-8859-1` decodes as windows-1252); what follows
//! the declaration is decoded with it. Without a declaration (or with `UTF-8`) the body must be
//! UTF-8. A UTF-8 byte-order mark is skipped like any text before the root.

use crate::go;
use serde_json::{Map, Value};

/// Elements nested deeper than this are rejected.
pub const MAX_DEPTH: usize = 128;

/// Decodes an XML backend body into KrakenD's data.
pub fn decode(body: &[u8], is_collection: bool) -> Result<Map<String, Value>, String> {
    let doc = Document::prepare(body).map_err(|e| e.mxj())?;
    let (key, value) = decode_root(&doc).map_err(|e| e.mxj())?;
    let mut root = Map::new();
    root.insert(key, value);
    if is_collection {
        let mut wrapped = Map::new();
        wrapped.insert("collection".to_owned(), Value::Object(root));
        return Ok(wrapped);
    }
    Ok(root)
}

/// mxj's per-element state: `n` (the element's own value when it is simple text) and `na`
/// (attributes, children and `#text`).
struct Frame {
    key: String,
    text: Option<String>,
    na: Map<String, Value>,
}

impl Frame {
    fn new(name: &str, attrs: Vec<(&str, String)>) -> Frame {
        let mut na = Map::new();
        for (attr, value) in attrs {
            na.insert(format!("-{}", local_name(attr)), Value::String(value));
        }
        Frame {
            key: local_name(name).to_owned(),
            text: None,
            na,
        }
    }

    fn char_data(&mut self, data: &str) {
        let trimmed = data.trim_matches(|c| matches!(c, '\t' | '\r' | '\x08' | '\n' | ' '));
        if trimmed.is_empty() {
            return;
        }
        if self.na.is_empty() {
            self.text = Some(trimmed.to_owned());
        } else {
            self.na
                .insert("#text".to_owned(), Value::String(trimmed.to_owned()));
        }
    }

    fn child(&mut self, key: String, value: Value) {
        match self.na.get_mut(&key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = std::mem::take(existing);
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                self.na.insert(key, value);
            }
        }
    }

    fn finish(self) -> (String, Value) {
        let Frame { key, text, mut na } = self;
        let value = match text {
            None if na.is_empty() => Value::String(String::new()),
            None => Value::Object(na),
            Some(text) if na.is_empty() => Value::String(text),
            Some(text) => {
                na.insert("#text".to_owned(), Value::String(text));
                Value::Object(na)
            }
        };
        (key, value)
    }
}

fn decode_root(doc: &Document) -> Result<(String, Value), XmlError> {
    let mut tokens = Tokenizer::new(doc, true);
    let mut frames: Vec<Frame> = Vec::new();
    loop {
        match tokens.next_token()? {
            Token::Start { name, attrs, .. } => {
                if frames.len() >= MAX_DEPTH {
                    return Err(XmlError::Other(format!(
                        "xml: element nesting deeper than {MAX_DEPTH}"
                    )));
                }
                frames.push(Frame::new(name, attrs));
            }
            Token::End { .. } => {
                let Some(frame) = frames.pop() else {
                    // The tokenizer reports unexpected end tags; nothing open here means the
                    // root is not reached yet, which cannot end an element.
                    continue;
                };
                let (key, value) = frame.finish();
                match frames.last_mut() {
                    Some(parent) => parent.child(key, value),
                    None => return Ok((key, value)),
                }
            }
            Token::Text(text) => {
                if let Some(frame) = frames.last_mut() {
                    frame.char_data(&text);
                }
            }
            Token::Other => {}
            Token::Eof => return Err(XmlError::Eof),
        }
    }
}

/// The local part of a qualified name (Go's `Name.Local`).
pub(crate) fn local_name(qname: &str) -> &str {
    match qname.split_once(':') {
        Some((space, local)) if !space.is_empty() && !local.is_empty() => local,
        _ => qname,
    }
}

/// A decoding failure, worded like Go's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// No element at all (`io.EOF`).
    Eof,
    /// `*xml.SyntaxError`.
    Syntax { line: usize, msg: String },
    /// Any other error (`xml: ...`).
    Other(String),
}

impl XmlError {
    /// The message mxj returns (`xml.Decoder.Token() - ...`, or `EOF`).
    pub(crate) fn mxj(&self) -> String {
        match self {
            XmlError::Eof => "EOF".to_owned(),
            other => format!("xml.Decoder.Token() - {}", other.go()),
        }
    }

    /// The message of Go's error itself.
    pub(crate) fn go(&self) -> String {
        match self {
            XmlError::Eof => "EOF".to_owned(),
            XmlError::Syntax { line, msg } => format!("XML syntax error on line {line}: {msg}"),
            XmlError::Other(msg) => msg.clone(),
        }
    }
}

/// The document as UTF-8 text, after the charset of its XML declaration was applied.
pub(crate) struct Document {
    text: String,
    /// The body had invalid UTF-8 from the end of `text` on.
    invalid_tail: bool,
}

impl Document {
    pub(crate) fn prepare(body: &[u8]) -> Result<Document, XmlError> {
        if let Some((decl_end, decl)) = xml_declaration(body) {
            if let Some(version) = pseudo_attr(decl, "version") {
                if version != "1.0" {
                    return Err(XmlError::Other(format!(
                        "xml: unsupported version {}; only version 1.0 is supported",
                        go::quote(version)
                    )));
                }
            }
            if let Some(label) = pseudo_attr(decl, "encoding") {
                if !label.is_empty() && !label.eq_ignore_ascii_case("utf-8") {
                    let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
                        let quoted = go::quote(label);
                        return Err(XmlError::Other(format!(
                            "xml: opening charset {quoted}: unsupported charset: {quoted}"
                        )));
                    };
                    let (head, rest) = body.split_at(decl_end.min(body.len()));
                    let head = String::from_utf8_lossy(head);
                    let (rest, _) = encoding.decode_without_bom_handling(rest);
                    let mut text = String::with_capacity(head.len() + rest.len());
                    text.push_str(&head);
                    text.push_str(&rest);
                    return Ok(Document {
                        text,
                        invalid_tail: false,
                    });
                }
            }
        }
        Ok(match std::str::from_utf8(body) {
            Ok(text) => Document {
                text: text.to_owned(),
                invalid_tail: false,
            },
            Err(e) => Document {
                text: String::from_utf8_lossy(body.get(..e.valid_up_to()).unwrap_or_default())
                    .into_owned(),
                invalid_tail: true,
            },
        })
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }
}

/// A leading `<?xml ...?>` (after an optional UTF-8 BOM and white space): its end offset and
/// its content.
fn xml_declaration(body: &[u8]) -> Option<(usize, &str)> {
    let mut i = if body.starts_with(b"\xef\xbb\xbf") {
        3
    } else {
        0
    };
    while matches!(body.get(i), Some(b' ' | b'\t' | b'\r' | b'\n')) {
        i += 1;
    }
    let rest = body.get(i..)?;
    let after = rest.strip_prefix(b"<?xml")?;
    if !matches!(after.first(), Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')) {
        return None;
    }
    let close = after.windows(2).position(|w| w == b"?>")?;
    let content = std::str::from_utf8(after.get(..close)?).ok()?;
    Some((i + 5 + close + 2, content))
}

/// Go's `procInst`: the value of `name="..."` / `name='...'` in a declaration.
fn pseudo_attr<'a>(content: &'a str, name: &str) -> Option<&'a str> {
    let pattern = format!("{name}=");
    let mut i = 0;
    while let Some(k) = content.get(i..)?.find(&pattern) {
        let at = i + k + pattern.len();
        let quote = *content.as_bytes().get(at)?;
        i = at + 1;
        if quote == b'"' || quote == b'\'' {
            let rest = content.get(i..)?;
            let end = rest.find(char::from(quote))?;
            return rest.get(..end);
        }
    }
    None
}

/// One token of the document.
#[derive(Debug)]
pub(crate) enum Token<'a> {
    /// A start tag (a self-closing tag is followed by its [`Token::End`]). `content` is the byte
    /// offset right after the tag.
    Start {
        name: &'a str,
        attrs: Vec<(&'a str, String)>,
        content: usize,
    },
    /// An end tag; `at` is the byte offset of its `<` (of the start tag's end when self-closing).
    End { at: usize },
    /// Character data: text (entities decoded) or a CDATA section, line ends normalised.
    Text(String),
    /// A comment, processing instruction or directive.
    Other,
    /// End of input with no element open.
    Eof,
}

/// A pull tokenizer reproducing Go's `encoding/xml` `Decoder.Token` checks.
pub(crate) struct Tokenizer<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    invalid_tail: bool,
    /// Unknown entities are errors (Go's `Strict`); otherwise they are kept as text.
    strict: bool,
    open: Vec<&'a str>,
    pending_end: Option<usize>,
}

impl<'a> Tokenizer<'a> {
    pub(crate) fn new(doc: &'a Document, strict: bool) -> Tokenizer<'a> {
        Tokenizer {
            s: &doc.text,
            b: doc.text.as_bytes(),
            pos: 0,
            invalid_tail: doc.invalid_tail,
            strict,
            open: Vec::new(),
            pending_end: None,
        }
    }

    /// Number of elements open.
    pub(crate) fn depth(&self) -> usize {
        self.open.len()
    }

    fn syntax(&self, msg: impl Into<String>) -> XmlError {
        let upto = self.pos.min(self.b.len());
        let line = 1 + self.b[..upto].iter().filter(|&&c| c == b'\n').count();
        XmlError::Syntax {
            line,
            msg: msg.into(),
        }
    }

    /// The error for running out of input inside a construct.
    fn eof(&self) -> XmlError {
        if self.invalid_tail {
            self.syntax("invalid UTF-8")
        } else {
            self.syntax("unexpected EOF")
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn starts_with(&self, prefix: &[u8]) -> bool {
        self.b
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(prefix))
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\r' | b'\n' | b'\t')) {
            self.pos += 1;
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, XmlError> {
        if let Some(at) = self.pending_end.take() {
            self.open.pop();
            return Ok(Token::End { at });
        }
        if self.pos >= self.b.len() {
            if self.invalid_tail || !self.open.is_empty() {
                return Err(self.eof());
            }
            return Ok(Token::Eof);
        }
        if self.peek() != Some(b'<') {
            return self.text(None).map(Token::Text);
        }
        self.pos += 1;
        match self.peek() {
            None => Err(self.eof()),
            Some(b'/') => {
                self.pos += 1;
                let at = self.pos - 2;
                let Some(name) = self.qname()? else {
                    return Err(self.syntax("expected element name after </"));
                };
                self.space();
                match self.peek() {
                    None => return Err(self.eof()),
                    Some(b'>') => self.pos += 1,
                    Some(_) => {
                        return Err(self.syntax(format!(
                            "invalid characters between </{} and >",
                            local_name(name)
                        )))
                    }
                }
                match self.open.pop() {
                    None => {
                        Err(self.syntax(format!("unexpected end element </{}>", local_name(name))))
                    }
                    Some(open) if local_name(open) != local_name(name) => {
                        Err(self.syntax(format!(
                            "element <{}> closed by </{}>",
                            local_name(open),
                            local_name(name)
                        )))
                    }
                    Some(open) if prefix(open) != prefix(name) => Err(self.syntax(format!(
                        "element <{}> in space {} closed by </{}> in space {}",
                        local_name(open),
                        prefix(open),
                        local_name(name),
                        if prefix(name).is_empty() {
                            "\"\""
                        } else {
                            prefix(name)
                        }
                    ))),
                    Some(_) => Ok(Token::End { at }),
                }
            }
            Some(b'?') => {
                self.pos += 1;
                if self.qname()?.is_none() {
                    return Err(self.syntax("expected target name after <?"));
                }
                match find(self.b, self.pos, b"?>") {
                    Some(end) => {
                        self.pos = end + 2;
                        Ok(Token::Other)
                    }
                    None => {
                        self.pos = self.b.len();
                        Err(self.eof())
                    }
                }
            }
            Some(b'!') => {
                self.pos += 1;
                self.bang()
            }
            Some(_) => self.start_tag(),
        }
    }

    /// After `<!`: comment, CDATA section or directive.
    fn bang(&mut self) -> Result<Token<'a>, XmlError> {
        if self.starts_with(b"--") {
            self.pos += 2;
            let Some(dash) = find(self.b, self.pos, b"--") else {
                self.pos = self.b.len();
                return Err(self.eof());
            };
            self.pos = dash + 2;
            return match self.peek() {
                None => Err(self.eof()),
                Some(b'>') => {
                    self.pos += 1;
                    Ok(Token::Other)
                }
                Some(_) => Err(self.syntax(r#"invalid sequence "--" not allowed in comments"#)),
            };
        }
        if self.peek() == Some(b'-') {
            return Err(self.syntax("invalid sequence <!- not part of <!--"));
        }
        if self.peek() == Some(b'[') {
            if !self.starts_with(b"[CDATA[") {
                return Err(self.syntax("invalid <![ sequence"));
            }
            self.pos += 7;
            let Some(end) = find(self.b, self.pos, b"]]>") else {
                self.pos = self.b.len();
                return Err(self.eof());
            };
            let raw = self.s.get(self.pos..end).unwrap_or_default();
            let start = self.pos;
            self.pos = end + 3;
            let text = normalize_newlines(raw);
            if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
                self.pos = start;
                return Err(self.syntax(format!("illegal character code {}", go_u(bad))));
            }
            return Ok(Token::Text(text));
        }
        // A directive (<!DOCTYPE ...>): up to the matching '>', minding quotes and nesting.
        let mut depth = 1usize;
        let mut quote: Option<u8> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    b'"' | b'\'' => quote = Some(c),
                    b'<' => depth += 1,
                    b'>' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(Token::Other);
                        }
                    }
                    _ => {}
                },
            }
        }
        Err(self.eof())
    }

    fn start_tag(&mut self) -> Result<Token<'a>, XmlError> {
        let Some(name) = self.qname()? else {
            return Err(self.syntax("expected element name after <"));
        };
        let mut attrs = Vec::new();
        loop {
            self.space();
            match self.peek() {
                None => return Err(self.eof()),
                Some(b'/') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(self.eof()),
                        Some(b'>') => self.pos += 1,
                        Some(_) => return Err(self.syntax("expected /> in element")),
                    }
                    self.open.push(name);
                    self.pending_end = Some(self.pos);
                    return Ok(Token::Start {
                        name,
                        attrs,
                        content: self.pos,
                    });
                }
                Some(b'>') => {
                    self.pos += 1;
                    self.open.push(name);
                    return Ok(Token::Start {
                        name,
                        attrs,
                        content: self.pos,
                    });
                }
                Some(_) => {}
            }
            let Some(attr) = self.qname()? else {
                return Err(self.syntax("expected attribute name in element"));
            };
            self.space();
            match self.peek() {
                None => return Err(self.eof()),
                Some(b'=') => self.pos += 1,
                Some(_) => return Err(self.syntax("attribute name without = in element")),
            }
            self.space();
            let quote = match self.peek() {
                None => return Err(self.eof()),
                Some(q @ (b'"' | b'\'')) => q,
                Some(_) => {
                    return Err(self.syntax("unquoted or missing attribute value in element"))
                }
            };
            self.pos += 1;
            let value = self.text(Some(quote))?;
            attrs.push((attr, value));
        }
    }

    /// A qualified name (Go's `nsname`): `None` when no name starts here.
    fn qname(&mut self) -> Result<Option<&'a str>, XmlError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c < 0x80 && !is_name_byte(c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            return Ok(None);
        }
        let name = self.s.get(start..self.pos).unwrap_or_default();
        if !is_name(name) {
            return Err(self.syntax(format!("invalid XML name: {name}")));
        }
        if name.matches(':').count() > 1 {
            return Ok(None);
        }
        Ok(Some(name))
    }

    /// Character data up to `<` (`quote: None`) or up to the closing quote of an attribute
    /// value (which is consumed).
    fn text(&mut self, quote: Option<u8>) -> Result<String, XmlError> {
        let mut out = String::new();
        let mut run = self.pos;
        // The last two bytes of raw text seen, for the "]]>" check.
        let (mut b0, mut b1) = (0u8, 0u8);
        loop {
            let Some(c) = self.peek() else {
                if quote.is_some() || self.invalid_tail {
                    return Err(self.eof());
                }
                break;
            };
            if Some(c) == quote {
                out.push_str(self.s.get(run..self.pos).unwrap_or_default());
                self.pos += 1;
                break;
            }
            match c {
                b'<' if quote.is_some() => {
                    return Err(self.syntax("unescaped < inside quoted string"))
                }
                b'<' => break,
                b'>' if b0 == b']' && b1 == b']' => {
                    return Err(self.syntax("unescaped ]]> not in CDATA section"))
                }
                b'&' => {
                    out.push_str(self.s.get(run..self.pos).unwrap_or_default());
                    self.entity(&mut out)?;
                    run = self.pos;
                    (b0, b1) = (0, 0);
                    continue;
                }
                _ => {}
            }
            (b0, b1) = (b1, c);
            self.pos += 1;
        }
        if quote.is_none() {
            out.push_str(self.s.get(run..self.pos).unwrap_or_default());
        }
        let out = normalize_newlines(&out);
        if let Some(bad) = out.chars().find(|&c| !is_xml_char(c)) {
            return Err(self.syntax(format!("illegal character code {}", go_u(bad))));
        }
        Ok(out)
    }

    /// At `&`: appends the decoded reference (or, when not strict, the raw text of an unknown
    /// one) and moves past it.
    fn entity(&mut self, out: &mut String) -> Result<(), XmlError> {
        let start = self.pos;
        self.pos += 1;
        let mut decoded: Option<char> = None;
        if self.peek() == Some(b'#') {
            self.pos += 1;
            let hex = self.peek() == Some(b'x');
            if hex {
                self.pos += 1;
            }
            let digits_start = self.pos;
            while self
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || (hex && c.is_ascii_hexdigit()))
            {
                self.pos += 1;
            }
            if self.peek() == Some(b';') {
                let digits = self.s.get(digits_start..self.pos).unwrap_or_default();
                self.pos += 1;
                if let Ok(n) = u64::from_str_radix(digits, if hex { 16 } else { 10 }) {
                    if n <= 0x10ffff {
                        // Go: string(rune(n)), surrogates become U+FFFD.
                        decoded = Some(
                            u32::try_from(n)
                                .ok()
                                .and_then(char::from_u32)
                                .unwrap_or('\u{fffd}'),
                        );
                    }
                }
            }
        } else {
            let name_start = self.pos;
            while self.peek().is_some_and(|c| c >= 0x80 || is_name_byte(c)) {
                self.pos += 1;
            }
            if self.peek() == Some(b';') {
                let name = self.s.get(name_start..self.pos).unwrap_or_default();
                self.pos += 1;
                decoded = match name {
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "amp" => Some('&'),
                    "apos" => Some('\''),
                    "quot" => Some('"'),
                    _ => None,
                };
            }
        }
        if self.pos >= self.b.len() && decoded.is_none() && self.peek().is_none() {
            // Go reads one byte past the reference; at the end of input that is an EOF.
            return Err(self.eof());
        }
        if let Some(c) = decoded {
            out.push(c);
            return Ok(());
        }
        let raw = self.s.get(start..self.pos).unwrap_or_default();
        if !self.strict {
            out.push_str(raw);
            return Ok(());
        }
        let mut ent = raw.to_owned();
        if !ent.ends_with(';') {
            ent.push_str(" (no semicolon)");
        }
        Err(self.syntax(format!("invalid character entity {ent}")))
    }
}

fn prefix(qname: &str) -> &str {
    match qname.split_once(':') {
        Some((space, local)) if !space.is_empty() && !local.is_empty() => space,
        _ => "",
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn normalize_newlines(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_owned();
    }
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Go's `isNameByte`.
fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b':' | b'.' | b'-')
}

/// Go's `isName` (approximated with Unicode alphabetic/alphanumeric classes).
fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_' || first == ':')
        && chars.all(|c| {
            c.is_alphanumeric() || matches!(c, '_' | ':' | '.' | '-' | '\u{b7}') || !c.is_ascii()
        })
}

/// XML 1.0 `Char`.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
}

/// Go's `%U`.
fn go_u(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn ok(xml: &str) -> Value {
        Value::Object(decode(xml.as_bytes(), false).unwrap())
    }

    fn err(xml: &[u8]) -> String {
        decode(xml, false).unwrap_err()
    }

    #[test]
    fn root_is_the_key_and_leaves_are_strings() {
        assert_eq!(
            ok(r#"<?xml version="1.0"?><user><id>42</id><ok>true</ok><name>x</name></user>"#),
            json!({"user":{"id":"42","ok":"true","name":"x"}})
        );
        assert_eq!(ok("<a>1</a>"), json!({"a":"1"}));
        assert_eq!(ok("<a/>"), json!({"a":""}));
        assert_eq!(ok("<a>  \n </a>"), json!({"a":""}));
    }

    #[test]
    fn collection_wraps_the_object() {
        let got = decode(b"<a><b>1</b></a>", true).unwrap();
        assert_eq!(Value::Object(got), json!({"collection":{"a":{"b":"1"}}}));
    }

    #[test]
    fn attributes_and_text() {
        assert_eq!(
            ok(r#"<a id="7" x:lang='en'>hello</a>"#),
            json!({"a":{"-id":"7","-lang":"en","#text":"hello"}})
        );
        assert_eq!(ok(r#"<a id="7"/>"#), json!({"a":{"-id":"7"}}));
        assert_eq!(
            ok(r#"<a><b k="v">t</b><c/></a>"#),
            json!({"a":{"b":{"-k":"v","#text":"t"},"c":""}})
        );
    }

    #[test]
    fn repeated_siblings_become_arrays() {
        assert_eq!(
            ok("<r><i>1</i><j>x</j><i>2</i><i><k>3</k></i></r>"),
            json!({"r":{"i":["1","2",{"k":"3"}],"j":"x"}})
        );
    }

    #[test]
    fn mixed_content_follows_mxj() {
        // Text before the first child wins.
        assert_eq!(ok("<a>x<b>1</b>y</a>"), json!({"a":{"#text":"x","b":"1"}}));
        // Text after a child only.
        assert_eq!(ok("<a><b>1</b>y</a>"), json!({"a":{"#text":"y","b":"1"}}));
        // Comments and CDATA split text; the last piece wins.
        assert_eq!(ok("<a>x<!-- c -->y</a>"), json!({"a":"y"}));
        assert_eq!(ok("<a>x<![CDATA[<y>]]></a>"), json!({"a":"<y>"}));
        assert_eq!(ok("<a><![CDATA[ raw & ]]></a>"), json!({"a":"raw &"}));
    }

    #[test]
    fn namespaces_use_local_names() {
        assert_eq!(
            ok(r#"<ns:a xmlns:ns="u" xmlns="d"><ns:b>1</ns:b></ns:a>"#),
            json!({"a":{"-ns":"u","-xmlns":"d","b":"1"}})
        );
    }

    #[test]
    fn entities_and_newlines() {
        assert_eq!(
            ok("<a>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;\r\nz\rw</a>"),
            json!({"a":"<>&'\"AB\nz\nw"})
        );
        assert_eq!(
            ok(r#"<a v="1 &amp; 2&#10;"/>"#),
            json!({"a":{"-v":"1 & 2\n"}})
        );
    }

    #[test]
    fn only_the_first_root_is_read() {
        assert_eq!(
            ok("junk <a>1</a><b>2</b> trailing <<< garbage"),
            json!({"a":"1"})
        );
        assert_eq!(
            ok("\u{feff}<?xml version='1.0'?><!DOCTYPE a [<!ELEMENT a ANY>]><!-- c --><a>1</a>"),
            json!({"a":"1"})
        );
    }

    #[test]
    fn malformed_documents_fail() {
        assert_eq!(err(b""), "EOF");
        assert_eq!(err(b"   only text"), "EOF");
        assert_eq!(
            err(b"<a>\n<b></a>"),
            "xml.Decoder.Token() - XML syntax error on line 2: element <b> closed by </a>"
        );
        assert_eq!(
            err(b"<a>"),
            "xml.Decoder.Token() - XML syntax error on line 1: unexpected EOF"
        );
        assert_eq!(
            err(b"<a>&nbsp;</a>"),
            "xml.Decoder.Token() - XML syntax error on line 1: invalid character entity &nbsp;"
        );
        assert_eq!(
            err(b"<a>& b</a>"),
            "xml.Decoder.Token() - XML syntax error on line 1: invalid character entity & (no semicolon)"
        );
        assert!(err(b"</a>").contains("unexpected end element </a>"));
        assert!(err(b"<a b=1/>").contains("unquoted or missing attribute value"));
        assert!(err(b"<a b/>").contains("attribute name without = in element"));
        assert!(err(b"<a b=\"<\"/>").contains("unescaped < inside quoted string"));
        assert!(err(b"<a>]]></a>").contains("unescaped ]]> not in CDATA section"));
        assert!(err(b"<a>\x01</a>").contains("illegal character code U+0001"));
        assert!(err(b"<a>&#0;</a>").contains("illegal character code U+0000"));
        assert!(err(b"<a><!-- a -- b --></a>").contains("not allowed in comments"));
        assert!(err(b"<1a/>").contains("invalid XML name: 1a"));
        assert!(err(b"< a/>").contains("expected element name after <"));
        assert!(err(b"<a>\xff</a>").contains("invalid UTF-8"));
        assert!(err(b"<a:b:c/>").contains("expected element name after <"));
        assert!(err(b"<a><![CDATA[x</a>").contains("unexpected EOF"));
    }

    #[test]
    fn declaration_version_and_charset() {
        assert_eq!(
            err(b"<?xml version=\"1.1\"?><a/>"),
            "xml.Decoder.Token() - xml: unsupported version \"1.1\"; only version 1.0 is supported"
        );
        assert_eq!(
            err(b"<?xml version=\"1.0\" encoding=\"bogus\"?><a/>"),
            "xml.Decoder.Token() - xml: opening charset \"bogus\": unsupported charset: \"bogus\""
        );
        // ISO-8859-1 is windows-1252 for WHATWG: 0xE9 = é, 0x80 = €.
        let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9 \x80</a>";
        assert_eq!(
            Value::Object(decode(latin1, false).unwrap()),
            json!({"a":"café €"})
        );
        let utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>café</a>";
        assert_eq!(ok(utf8), json!({"a":"café"}));
        let utf8_alias = "<?xml version=\"1.0\" encoding='utf8'?><a>café</a>";
        assert_eq!(ok(utf8_alias), json!({"a":"café"}));
    }

    #[test]
    fn invalid_utf8_after_the_root_is_never_read() {
        assert_eq!(
            Value::Object(decode(b"<a>1</a>\xff", false).unwrap()),
            json!({"a":"1"})
        );
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(err(deep.as_bytes()).contains("nesting deeper"));
        let fine = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(decode(fine.as_bytes(), false).is_ok());
    }

    #[test]
    fn never_panics_on_noise() {
        // Deterministic pseudo-random documents built from XML-ish fragments and raw bytes.
        let pieces: [&[u8]; 16] = [
            b"<a>",
            b"</a>",
            b"<b x='1'/>",
            b"&amp;",
            b"&#x",
            b";",
            b"<![CDATA[",
            b"]]>",
            b"<!--",
            b"-->",
            b"<?xml version=\"1.0\" encoding=\"latin1\"?>",
            b"\xff\xfe",
            b"\r\n",
            b"text",
            b"<",
            b">",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            let mut doc = Vec::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                doc.extend_from_slice(pieces[(seed % 16) as usize]);
            }
            let _ = decode(&doc, seed % 2 == 0);
            let _ = crate::encoding::rss::decode(&doc);
        }
    }

    #[test]
    fn never_panics_on_prefixes() {
        let doc = r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE x><r a="1" b='&amp;'><![CDATA[c]]><!--d--><?pi x?><e>&#x41;&lt;</e><f/></r>"#;
        for end in 0..=doc.len() {
            let _ = decode(&doc.as_bytes()[..end], false);
            let _ = decode(&doc.as_bytes()[end..], true);
        }
    }
}
