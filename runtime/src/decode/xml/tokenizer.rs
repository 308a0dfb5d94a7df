//! Go's `encoding/xml` `Decoder.Token` over quick-xml.
//!
//! quick-xml splits the document into markup events (tags, text, CDATA, comments, processing
//! instructions, doctype) and parses attributes. This layer adds what Go checks and quick-xml
//! leaves to its caller (names, entity references, characters outside the XML range, `]]>` and
//! `<` where Go rejects them, end tags matching their start tags) and words every failure like
//! Go's `*xml.SyntaxError`, so that the error a client sees is KrakenD's.

use super::Document;
use super::XmlError;
use quick_xml::errors::{Error as QxError, IllFormedError, SyntaxError};
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;

/// One token of the document.
#[derive(Debug)]
pub(crate) enum Token<'a> {
    /// A start tag (a self-closing tag is followed by its [`Token::End`]). `content` is the byte
    /// offset right after the tag.
    Start {
        name: &'a str,
        attrs: Vec<(String, String)>,
        content: usize,
    },
    /// An end tag; `at` is the byte offset of its `<` (of the start tag's end when self-closing).
    End { at: usize },
    /// Character data: text (entities decoded) or a CDATA section, line ends normalised.
    Text(Cow<'a, str>),
    /// A comment, processing instruction or directive.
    Other,
    /// End of input with no element open.
    Eof,
}

/// A pull tokenizer with Go's `encoding/xml` `Decoder.Token` checks, over quick-xml's reader.
pub(crate) struct Tokenizer<'a> {
    s: &'a str,
    reader: Reader<&'a [u8]>,
    invalid_tail: bool,
    /// Unknown entities are errors (Go's `Strict`); otherwise they are kept as text.
    strict: bool,
    open: Vec<&'a str>,
    /// What was read after character data (an event with the offset where it starts, or an
    /// error), to be returned next.
    ahead: Option<Result<(usize, Event<'a>), QxError>>,
}

/// A failure inside character data or an attribute value: Go's message, or running out of input.
enum CharDataError {
    Eof,
    Msg(String),
}

impl<'a> Tokenizer<'a> {
    pub(crate) fn new(doc: &'a Document, strict: bool) -> Tokenizer<'a> {
        let mut reader = Reader::from_str(&doc.text);
        let config = reader.config_mut();
        config.expand_empty_elements = true;
        // Go's wording and rules for these are applied here.
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.allow_dangling_amp = true;
        config.check_comments = true;
        config.trim_text(false);
        Tokenizer {
            s: &doc.text,
            reader,
            invalid_tail: doc.invalid_tail,
            strict,
            open: Vec::new(),
            ahead: None,
        }
    }

    /// Number of elements open.
    pub(crate) fn depth(&self) -> usize {
        self.open.len()
    }

    fn pos(&self) -> usize {
        usize::try_from(self.reader.buffer_position()).unwrap_or(usize::MAX)
    }

    fn syntax_at(&self, at: usize, msg: impl Into<String>) -> XmlError {
        let upto = at.min(self.s.len());
        let line = 1 + self.s.as_bytes()[..upto]
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        XmlError::Syntax {
            line,
            msg: msg.into(),
        }
    }

    fn syntax(&self, msg: impl Into<String>) -> XmlError {
        self.syntax_at(self.pos(), msg)
    }

    /// The error for running out of input inside a construct.
    fn eof(&self) -> XmlError {
        let msg = if self.invalid_tail {
            "invalid UTF-8"
        } else {
            "unexpected EOF"
        };
        self.syntax_at(self.s.len(), msg)
    }

    fn read(&mut self) -> Result<(usize, Event<'a>), QxError> {
        if let Some(ahead) = self.ahead.take() {
            return ahead;
        }
        let at = self.pos();
        Ok((at, self.reader.read_event()?))
    }

    /// quick-xml's failures in Go's words.
    fn reader_error(&self, e: QxError) -> XmlError {
        let at = usize::try_from(self.reader.error_position()).unwrap_or(usize::MAX);
        let rest = self.s.get(at..).unwrap_or_default();
        match e {
            QxError::Syntax(_) if rest.starts_with("<![") && !rest.starts_with("<![CDATA[") => {
                self.syntax_at(at, "invalid <![ sequence")
            }
            QxError::Syntax(_) if rest.starts_with("<!-") && !rest.starts_with("<!--") => {
                self.syntax_at(at, "invalid sequence <!- not part of <!--")
            }
            QxError::Syntax(SyntaxError::InvalidBangMarkup) => {
                // Go reads any `<!` directive up to its `>`; quick-xml knows DOCTYPE only.
                self.syntax_at(at, "invalid <! directive")
            }
            QxError::Syntax(_) | QxError::IllFormed(IllFormedError::MissingEndTag(_)) => self.eof(),
            QxError::IllFormed(IllFormedError::DoubleHyphenInComment) => {
                self.syntax_at(at, r#"invalid sequence "--" not allowed in comments"#)
            }
            other => self.syntax_at(at, other.to_string()),
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token<'a>, XmlError> {
        loop {
            let (at, event) = match self.read() {
                Ok(read) => read,
                // `<!DOCTYPE>` without a name is a directive Go accepts.
                Err(QxError::IllFormed(IllFormedError::MissingDoctypeName)) => continue,
                Err(e) => return Err(self.reader_error(e)),
            };
            return match event {
                Event::Start(start) => self.start_tag(at, &start),
                Event::End(_) => self.end_tag(at),
                Event::Text(_) | Event::GeneralRef(_) => self.text(at),
                Event::CData(_) => {
                    // `<![CDATA[` ... `]]>`, borrowed from the document.
                    let end = self.pos().saturating_sub(3);
                    let raw = self.s.get(at + 9..end).unwrap_or_default();
                    let text = if raw.contains('\r') {
                        Cow::Owned(normalize_newlines(raw))
                    } else {
                        Cow::Borrowed(raw)
                    };
                    if let Some(bad) = text.chars().find(|&c| !is_xml_char(c)) {
                        return Err(
                            self.syntax_at(at, format!("illegal character code {}", go_u(bad)))
                        );
                    }
                    Ok(Token::Text(text))
                }
                Event::PI(_) | Event::Decl(_) => {
                    let target = self.s.get(at + 2..).unwrap_or_default();
                    if target
                        .bytes()
                        .next()
                        .is_none_or(|c| c < 0x80 && !is_name_byte(c))
                    {
                        return Err(self.syntax("expected target name after <?"));
                    }
                    let (name, _) = split_name(target);
                    if !is_name(name) {
                        return Err(self.syntax(format!("invalid XML name: {name}")));
                    }
                    Ok(Token::Other)
                }
                Event::Comment(_) | Event::DocType(_) => Ok(Token::Other),
                Event::Eof => {
                    if self.invalid_tail || !self.open.is_empty() {
                        Err(self.eof())
                    } else {
                        Ok(Token::Eof)
                    }
                }
                // Empty elements are expanded by the reader's configuration.
                Event::Empty(_) => Ok(Token::Other),
            };
        }
    }

    /// Character data: consecutive text and reference events, decoded as one token.
    fn text(&mut self, start: usize) -> Result<Token<'a>, XmlError> {
        let mut end = self.pos();
        loop {
            let at = self.pos();
            match self.reader.read_event() {
                Ok(Event::Text(_) | Event::GeneralRef(_)) => end = self.pos(),
                Ok(other) => {
                    self.ahead = Some(Ok((at, other)));
                    break;
                }
                // Reported by the next call, after this text (as Go does).
                Err(e) => {
                    self.ahead = Some(Err(e));
                    break;
                }
            }
        }
        let raw = self.s.get(start..end).unwrap_or_default();
        let at_end = end >= self.s.len();
        match char_data(raw, None, self.strict, at_end && !self.invalid_tail) {
            Ok(text) => Ok(Token::Text(text)),
            Err((_, CharDataError::Eof)) => Err(self.eof()),
            Err((offset, CharDataError::Msg(msg))) => Err(self.syntax_at(start + offset, msg)),
        }
    }

    fn start_tag(&mut self, at: usize, start: &BytesStart<'a>) -> Result<Token<'a>, XmlError> {
        let content = self.pos();
        let inner = self
            .s
            .get(at + 1..content.saturating_sub(1))
            .unwrap_or_default();
        let (name, rest) = split_name(inner);
        if name.is_empty() {
            return Err(self.syntax("expected element name after <"));
        }
        if !is_name(name) {
            return Err(self.syntax(format!("invalid XML name: {name}")));
        }
        if name.matches(':').count() > 1 {
            return Err(self.syntax("expected element name after <"));
        }
        let self_closing = self.s.get(..content).is_some_and(|t| t.ends_with("/>"));
        let rest = if self_closing {
            rest.strip_suffix('/').unwrap_or(rest)
        } else {
            rest
        };
        if rest.trim_end().ends_with('/') {
            return Err(self.syntax("expected /> in element"));
        }
        if rest.starts_with(|c: char| !matches!(c, ' ' | '\t' | '\r' | '\n')) {
            return Err(self.syntax("expected attribute name in element"));
        }
        let mut attrs = Vec::new();
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| match e {
                AttrError::ExpectedEq(_) => self.syntax("attribute name without = in element"),
                AttrError::ExpectedValue(_) | AttrError::UnquotedValue(_) => {
                    self.syntax("unquoted or missing attribute value in element")
                }
                AttrError::ExpectedQuote(..) => self.eof(),
                other => self.syntax(other.to_string()),
            })?;
            let key = std::str::from_utf8(attr.key.as_ref()).unwrap_or_default();
            let (key_name, key_rest) = split_name(key);
            if key_name.is_empty() || !key_rest.is_empty() {
                return Err(self.syntax("expected attribute name in element"));
            }
            if !is_name(key_name) {
                return Err(self.syntax(format!("invalid XML name: {key_name}")));
            }
            if key_name.matches(':').count() > 1 {
                return Err(self.syntax("expected attribute name in element"));
            }
            let raw = std::str::from_utf8(&attr.value).unwrap_or_default();
            let value = match char_data(raw, Some(()), self.strict, false) {
                Ok(value) => value.into_owned(),
                Err((_, CharDataError::Eof)) => return Err(self.eof()),
                Err((_, CharDataError::Msg(msg))) => return Err(self.syntax(msg)),
            };
            attrs.push((key_name.to_owned(), value));
        }
        self.open.push(name);
        Ok(Token::Start {
            name,
            attrs,
            content,
        })
    }

    fn end_tag(&mut self, at: usize) -> Result<Token<'a>, XmlError> {
        let end = self.pos();
        let raw = self.s.get(at..end).unwrap_or_default();
        let Some(inner) = raw.strip_prefix("</") else {
            // The end of an expanded `<a/>`: it closes the element just opened.
            self.open.pop();
            return Ok(Token::End { at });
        };
        let inner = inner.strip_suffix('>').unwrap_or(inner);
        let (name, rest) = split_name(inner);
        if name.is_empty() || name.matches(':').count() > 1 {
            return Err(self.syntax("expected element name after </"));
        }
        if !is_name(name) {
            return Err(self.syntax(format!("invalid XML name: {name}")));
        }
        if !rest.trim_start_matches([' ', '\t', '\r', '\n']).is_empty() {
            return Err(self.syntax(format!(
                "invalid characters between </{} and >",
                local_name(name)
            )));
        }
        match self.open.pop() {
            None => Err(self.syntax(format!("unexpected end element </{}>", local_name(name)))),
            Some(open) if local_name(open) != local_name(name) => Err(self.syntax(format!(
                "element <{}> closed by </{}>",
                local_name(open),
                local_name(name)
            ))),
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
}

/// Go's `nsname` scan: the leading name bytes of `s`, and what follows them.
fn split_name(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|c| c < 0x80 && !is_name_byte(c))
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Go's `Decoder.text`: decodes references in raw character data (`quote`: an attribute
/// value) with Go's checks. `eof_after`: the data runs to the end of the input, so a reference
/// left open at its end is an unexpected EOF. Errors carry their byte offset in `raw`.
fn char_data(
    raw: &str,
    quote: Option<()>,
    strict: bool,
    eof_after: bool,
) -> Result<Cow<'_, str>, (usize, CharDataError)> {
    let b = raw.as_bytes();
    // Allocated at the first reference only: most text is borrowed as it is.
    let mut out: Option<String> = None;
    let mut run = 0;
    let mut pos = 0;
    // The last two bytes of raw text seen, for the "]]>" check.
    let (mut b0, mut b1) = (0u8, 0u8);
    while let Some(&c) = b.get(pos) {
        match c {
            b'<' if quote.is_some() => {
                return Err((
                    pos,
                    CharDataError::Msg("unescaped < inside quoted string".into()),
                ))
            }
            b'>' if b0 == b']' && b1 == b']' => {
                return Err((
                    pos,
                    CharDataError::Msg("unescaped ]]> not in CDATA section".into()),
                ))
            }
            b'&' => {
                let buf = out.get_or_insert_with(|| String::with_capacity(raw.len()));
                buf.push_str(raw.get(run..pos).unwrap_or_default());
                pos = entity(raw, pos, strict, eof_after, buf)?;
                run = pos;
                (b0, b1) = (0, 0);
                continue;
            }
            _ => {}
        }
        (b0, b1) = (b1, c);
        pos += 1;
    }
    let out = match out {
        None => Cow::Borrowed(raw),
        Some(mut buf) => {
            buf.push_str(raw.get(run..).unwrap_or_default());
            Cow::Owned(buf)
        }
    };
    let out = if out.contains('\r') {
        Cow::Owned(normalize_newlines(&out))
    } else {
        out
    };
    if let Some(bad) = out.chars().find(|&c| !is_xml_char(c)) {
        return Err((
            raw.len(),
            CharDataError::Msg(format!("illegal character code {}", go_u(bad))),
        ));
    }
    Ok(out)
}

/// At the `&` at `start`: appends the decoded reference (or, when not strict, the raw text of
/// an unknown one) and returns the offset past it.
fn entity(
    raw: &str,
    start: usize,
    strict: bool,
    eof_after: bool,
    out: &mut String,
) -> Result<usize, (usize, CharDataError)> {
    let b = raw.as_bytes();
    let peek = |i: usize| b.get(i).copied();
    let mut pos = start + 1;
    let mut decoded: Option<char> = None;
    if peek(pos) == Some(b'#') {
        pos += 1;
        let hex = peek(pos) == Some(b'x');
        if hex {
            pos += 1;
        }
        let digits_start = pos;
        while peek(pos).is_some_and(|c| c.is_ascii_digit() || (hex && c.is_ascii_hexdigit())) {
            pos += 1;
        }
        if peek(pos) == Some(b';') {
            let digits = raw.get(digits_start..pos).unwrap_or_default();
            pos += 1;
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
        let name_start = pos;
        while peek(pos).is_some_and(|c| c >= 0x80 || is_name_byte(c)) {
            pos += 1;
        }
        if peek(pos) == Some(b';') {
            let name = raw.get(name_start..pos).unwrap_or_default();
            pos += 1;
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
    if let Some(c) = decoded {
        out.push(c);
        return Ok(pos);
    }
    if eof_after && pos >= b.len() {
        // Go reads one byte past the reference; at the end of input that is an EOF.
        return Err((pos, CharDataError::Eof));
    }
    let text = raw.get(start..pos).unwrap_or_default();
    if !strict {
        out.push_str(text);
        return Ok(pos);
    }
    let mut ent = text.to_owned();
    if !ent.ends_with(';') {
        ent.push_str(" (no semicolon)");
    }
    Err((
        pos,
        CharDataError::Msg(format!("invalid character entity {ent}")),
    ))
}

/// The local part of a qualified name (Go's `Name.Local`).
pub(crate) fn local_name(qname: &str) -> &str {
    match qname.split_once(':') {
        Some((space, local)) if !space.is_empty() && !local.is_empty() => local,
        _ => qname,
    }
}

fn prefix(qname: &str) -> &str {
    match qname.split_once(':') {
        Some((space, local)) if !space.is_empty() && !local.is_empty() => space,
        _ => "",
    }
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
