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
//! fails with `EOF`. Nesting deeper than [`MAX_DEPTH`] elements is rejected. The tokenizer is
//! quick-xml's reader with Go's checks and wording added (`tokenizer.rs`); one known difference:
//! a `<!` directive other than `<!DOCTYPE`, a comment or CDATA (say `<!ENTITY x>` outside a
//! doctype) is an error here, while Go skips it.
//!
//! Charsets: the `encoding` of a leading XML declaration is looked up as a WHATWG label
//! (`encoding_rs`, as x/net's `htmlindex`; so `ISO-8859-1` decodes as windows-1252); what follows
//! the declaration is decoded with it. Without a declaration (or with `UTF-8`) the body must be
//! UTF-8. A UTF-8 byte-order mark is skipped like any text before the root.

mod document;
#[cfg(test)]
mod tests;
mod tokenizer;

pub(crate) use document::{Document, XmlError};
pub(crate) use tokenizer::{local_name, Token, Tokenizer};

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
    fn new(name: &str, attrs: Vec<(String, String)>) -> Frame {
        let mut na = Map::new();
        for (attr, value) in attrs {
            na.insert(format!("-{}", local_name(&attr)), Value::String(value));
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
