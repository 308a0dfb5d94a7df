//! A pull tokenizer reproducing the checks of Go's `encoding/xml` `Decoder.Token`.

use super::Document;
use super::XmlError;

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
