//! The document as UTF-8 text (the charset of its XML declaration applied) and the errors of
//! decoding it, worded like Go's.

use crate::go;

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
    pub(super) text: String,
    /// The body had invalid UTF-8 from the end of `text` on.
    pub(super) invalid_tail: bool,
}

impl Document {
    /// A leading UTF-8 byte-order mark is left out of the text: Go reads it as character data
    /// before the root, which the decoders ignore.
    pub(crate) fn prepare(body: &[u8]) -> Result<Document, XmlError> {
        let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
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
