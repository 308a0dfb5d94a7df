//! Diagnostics about a contract, rendered like rustc's (`error: … --> krakend.json:12:7`).
//!
//! `Diagnostics` collects every problem (checking goes on past the first one) and must be
//! consumed with `finish`; dropping it unfinished panics in debug builds, so a code path that
//! forgets to look at its errors fails in its first test (serde_derive's `Ctxt`).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{Level, Renderer, Snippet};

use crate::json_pointer::locate;

/// The contract text and the name to show for it (a path relative to the workspace).
#[derive(Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, at a JSON pointer (RFC 6901, `""` = the whole document).
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub pointer: String,
    /// 1-based line and column of the value (or key) the pointer designates, when found.
    pub line_col: Option<(usize, usize)>,
    pub message: String,
    pub help: Option<String>,
    source: Arc<Source>,
    /// False for `error_at` (a position, not a pointer): no `note: at …` line.
    has_pointer: bool,
}

/// Where a diagnostic points inside the object at `pointer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The value at the pointer.
    Value,
    /// The key of the last pointer segment (for unknown or misplaced keys).
    Key,
}

pub struct Diagnostics {
    source: Arc<Source>,
    items: Vec<Diagnostic>,
    finished: bool,
    /// The files the contract names beside itself, read while reading the model.
    pub side_files: crate::side_files::SideFiles,
}

/// The outcome of `Diagnostics::finish`: diagnostics in the order they were reported.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(source: Arc<Source>) -> Self {
        Diagnostics {
            source,
            items: Vec::new(),
            finished: false,
            side_files: crate::side_files::SideFiles::default(),
        }
    }
    pub fn source(&self) -> &Arc<Source> {
        &self.source
    }
    /// Reports an error at the value designated by `pointer`.
    pub fn error(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        self.report(Severity::Error, pointer, Target::Value, message, help);
    }
    pub fn warning(&mut self, pointer: &str, message: impl Into<String>, help: Option<String>) {
        self.report(Severity::Warning, pointer, Target::Value, message, help);
    }
    /// Like `error`/`warning`, choosing what the location points at.
    pub fn report(
        &mut self,
        severity: Severity,
        pointer: &str,
        target: Target,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let text = &self.source.text;
        let line_col =
            locate(text, pointer, target == Target::Key).map(|offset| line_col(text, offset));
        self.items.push(Diagnostic {
            severity,
            pointer: pointer.to_string(),
            line_col,
            message: message.into(),
            help,
            source: Arc::clone(&self.source),
            has_pointer: true,
        });
    }
    /// An error at an explicit 1-based line and column (used for JSON syntax errors).
    pub fn error_at(
        &mut self,
        line: usize,
        column: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.items.push(Diagnostic {
            severity: Severity::Error,
            pointer: String::new(),
            line_col: Some((line.max(1), column.max(1))),
            message: message.into(),
            help,
            source: Arc::clone(&self.source),
            has_pointer: false,
        });
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }
    /// `Ok(warnings)` when there is no error, else `Err(everything)`.
    pub fn finish(mut self) -> Result<Report, Report> {
        self.finished = true;
        let has_errors = self.has_errors();
        let items = std::mem::take(&mut self.items);
        if has_errors {
            Err(Report { items })
        } else {
            Ok(Report { items })
        }
    }
}

impl Drop for Diagnostics {
    fn drop(&mut self) {
        if cfg!(debug_assertions) && !self.finished && !std::thread::panicking() {
            panic!(
                "Diagnostics for {} dropped without calling finish() ({} unreported)",
                self.source.name,
                self.items.len()
            );
        }
    }
}

impl Diagnostic {
    /// The source line holding `line_col` (without its line break) and the byte range to
    /// underline in it: the whole token when it is a string, number or literal, else one char.
    /// Tabs become single spaces: annotate-snippets 0.11 shows a tab as 4 columns but gives it
    /// no width when placing the carets, and one space keeps the caret under the reported column.
    fn snippet_line(&self) -> Option<(usize, String, Range<usize>)> {
        let (line, col) = self.line_col?;
        let text = self.source.text.split('\n').nth(line.checked_sub(1)?)?;
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.is_empty() {
            // annotate-snippets renders an empty source as nothing (and a wrong `--> :1:1`).
            return None;
        }
        // Column in chars → byte offset; one past the end of the line is allowed (EOF errors).
        let start = match text.char_indices().nth(col.checked_sub(1)?) {
            Some((i, _)) => i,
            None if text.chars().count() + 1 == col => text.len(),
            None => return None,
        };
        let end = token_end(text, start);
        Some((line, text.replace('\t', " "), start..end))
    }

    /// The rendering without a source line: title, `--> name[:line:col]`, note and help.
    fn fmt_without_snippet(&self, f: &mut fmt::Formatter<'_>, note: Option<&str>) -> fmt::Result {
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{level}: {}\n --> {}", self.message, self.source.name)?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        let footers = [
            note.map(|n| ("note", n)),
            self.help.as_deref().map(|h| ("help", h)),
        ];
        for (i, (kind, text)) in footers.into_iter().flatten().enumerate() {
            if i == 0 {
                write!(f, "\n  |")?;
            }
            write!(f, "\n  = {kind}: ")?;
            for (i, part) in text.split('\n').enumerate() {
                if i > 0 {
                    write!(f, "\n{:10}", "")?;
                }
                write!(f, "{part}")?;
            }
        }
        Ok(())
    }
}

/// End (byte offset) of the JSON token starting at `start` in one line of text.
fn token_end(line: &str, start: usize) -> usize {
    let rest = &line[start..];
    let Some(first) = rest.chars().next() else {
        return start;
    };
    let len = match first {
        '"' => {
            let b = rest.as_bytes();
            let mut i = 1;
            loop {
                match b.get(i) {
                    None => break rest.len(),
                    Some(b'"') => break i + 1,
                    Some(b'\\') => i += 2,
                    Some(_) => i += 1,
                }
            }
            .min(rest.len())
        }
        '-' | '0'..='9' => rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
            .count(),
        c if c.is_ascii_alphabetic() => rest.bytes().take_while(u8::is_ascii_alphanumeric).count(),
        c => c.len_utf8(),
    };
    // Stay on a char boundary (an escape at the very end of a string could overshoot).
    let mut end = start + len;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    end
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let note = if !self.has_pointer {
            None
        } else if self.pointer.is_empty() {
            Some("at (document root)".to_string())
        } else {
            Some(format!("at {}", self.pointer))
        };
        let Some((line, text, range)) = self.snippet_line() else {
            return self.fmt_without_snippet(f, note.as_deref());
        };
        let level = match self.severity {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
        };
        // The span is always drawn as a primary (`^^^`) one, as rustc does for warnings too;
        // annotate-snippets would draw a warning span with `---`.
        let snippet = Snippet::source(&text)
            .line_start(line)
            .origin(&self.source.name)
            .fold(true)
            .annotation(Level::Error.span(range));
        let mut message = level.title(&self.message).snippet(snippet);
        if let Some(note) = &note {
            message = message.footer(Level::Note.title(note));
        }
        if let Some(help) = &self.help {
            message = message.footer(Level::Help.title(help));
        }
        let renderer = Renderer::plain();
        let rendered = renderer.render(message);
        write!(f, "{rendered}")
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            writeln!(f, "{item}")?;
            writeln!(f)?;
        }
        let errors = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        let warnings = self.items.len() - errors;
        let plural = |n: usize, what: &str| {
            if n == 1 {
                format!("{n} {what}")
            } else {
                format!("{n} {what}s")
            }
        };
        if errors > 0 {
            write!(
                f,
                "error: could not compile the contract due to {}",
                plural(errors, "error")
            )?;
            // Not rustc's "N warnings emitted": cargo drops a compiler message ending that way
            // (it prints its own summary), which hid the whole report of a `gateway!` that had
            // both errors and warnings.
            if warnings > 0 {
                write!(f, " and {}", plural(warnings, "warning"))?;
            }
        } else if warnings > 0 {
            write!(
                f,
                "warning: the contract compiled with {}",
                plural(warnings, "warning")
            )?;
        }
        Ok(())
    }
}

/// 1-based line and column (in chars) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, pointer: &str) -> Option<(usize, usize)> {
        locate(text, pointer, false).map(|o| line_col(text, o))
    }

    fn key_at(text: &str, pointer: &str) -> Option<(usize, usize)> {
        locate(text, pointer, true).map(|o| line_col(text, o))
    }

    fn diags(text: &str) -> Diagnostics {
        Diagnostics::new(Arc::new(Source {
            name: "contracts/test.json".into(),
            text: text.into(),
        }))
    }

    const NESTED: &str = r#"{
  "version": 3,
  "endpoints": [
    {
      "endpoint": "/a",
      "backend": [ { "host": ["h1", "h2"] }, {"url_pattern": "/x"} ]
    },
    {"endpoint": "/b", "extra_config": {"a/b": {"c~d": null}}}
  ]
}"#;

    #[test]
    fn locates_nested_values() {
        assert_eq!(at(NESTED, ""), Some((1, 1)));
        assert_eq!(at(NESTED, "/version"), Some((2, 14)));
        assert_eq!(at(NESTED, "/endpoints"), Some((3, 16)));
        assert_eq!(at(NESTED, "/endpoints/0"), Some((4, 5)));
        assert_eq!(at(NESTED, "/endpoints/0/endpoint"), Some((5, 19)));
        assert_eq!(at(NESTED, "/endpoints/0/backend/0/host/1"), Some((6, 37)));
        assert_eq!(
            at(NESTED, "/endpoints/0/backend/1/url_pattern"),
            Some((6, 62))
        );
        assert_eq!(at(NESTED, "/endpoints/1"), Some((8, 5)));
        assert_eq!(at(NESTED, "/endpoints/1/endpoint"), Some((8, 18)));
        // `~1` is `/` and `~0` is `~`.
        assert_eq!(at(NESTED, "/endpoints/1/extra_config/a~1b"), Some((8, 48)));
        assert_eq!(
            at(NESTED, "/endpoints/1/extra_config/a~1b/c~0d"),
            Some((8, 56))
        );
    }

    #[test]
    fn locates_keys() {
        assert_eq!(key_at(NESTED, "/version"), Some((2, 3)));
        assert_eq!(
            key_at(NESTED, "/endpoints/1/extra_config/a~1b/c~0d"),
            Some((8, 49))
        );
        // An array index has no key: the element itself.
        assert_eq!(key_at(NESTED, "/endpoints/1"), Some((8, 5)));
        assert_eq!(key_at(NESTED, ""), Some((1, 1)));
    }

    #[test]
    fn falls_back_to_nearest_ancestor() {
        assert_eq!(at(NESTED, "/nope"), Some((1, 1)));
        assert_eq!(at(NESTED, "/endpoints/7"), Some((3, 16)));
        assert_eq!(at(NESTED, "/endpoints/-"), Some((3, 16)));
        assert_eq!(at(NESTED, "/endpoints/01"), Some((3, 16)));
        assert_eq!(at(NESTED, "/endpoints/x"), Some((3, 16)));
        assert_eq!(at(NESTED, "/version/deeper"), Some((2, 14)));
        assert_eq!(at(NESTED, "/endpoints/0/missing/x"), Some((4, 5)));
        assert_eq!(key_at(NESTED, "/endpoints/0/missing"), Some((4, 5)));
        // Not even a root value, or a malformed pointer.
        assert_eq!(at("", ""), None);
        assert_eq!(at("  \n ", "/a"), None);
        assert_eq!(at("{}", "a"), None);
        assert_eq!(at("{}", "/a~2"), None);
    }

    #[test]
    fn escaped_keys_are_decoded() {
        let text = r#"{"a\"b": 1, "\u00e9t\u00e9": 2, "x\/y": 3, "\ud83d\ude00": 4, "t\tn\n": 5}"#;
        assert_eq!(at(text, "/a\"b"), Some((1, 10)));
        assert_eq!(at(text, "/été"), Some((1, 30)));
        assert_eq!(at(text, "/x~1y"), Some((1, 41)));
        assert_eq!(at(text, "/\u{1F600}"), Some((1, 60)));
        assert_eq!(at(text, "/t\tn\n"), Some((1, 73)));
        // Strings containing brackets and escaped quotes are skipped correctly.
        let text = r#"{"s": "}]\"{[", "a": [{"k": "]"}, "[\\"], "b": true}"#;
        assert_eq!(at(text, "/b"), Some((1, 48)));
        assert_eq!(at(text, "/a/1"), Some((1, 35)));
    }

    #[test]
    fn duplicate_keys_point_at_the_last() {
        let text = "{\n  \"a\": {\"b\": 1},\n  \"a\": {\"c\": 2},\n  \"a\": {\"b\": 3}\n}";
        assert_eq!(at(text, "/a"), Some((4, 8)));
        assert_eq!(key_at(text, "/a"), Some((4, 3)));
        assert_eq!(at(text, "/a/b"), Some((4, 14)));
        // The last `a` has no `c`: falls back to it, as serde_json would have dropped the others.
        assert_eq!(at(text, "/a/c"), Some((4, 8)));
    }

    #[test]
    fn columns_count_chars() {
        let text = "{\"ñame\": \"日本語\", \"x\": 1,\r\n\t\"é\": [\"€\", 2]}";
        assert_eq!(at(text, "/x"), Some((1, 22)));
        assert_eq!(key_at(text, "/é"), Some((2, 2)));
        assert_eq!(at(text, "/é/1"), Some((2, 13)));
        // A BOM and leading whitespace before the root.
        assert_eq!(at("\u{feff} \n [1, 2]", "/1"), Some((2, 6)));
    }

    #[test]
    fn invalid_json_keeps_what_was_found() {
        let text = "{\"a\": {\"b\": 1, \"c\" 2}, \"d\": 3";
        assert_eq!(at(text, "/a/b"), Some((1, 13)));
        assert_eq!(at(text, "/a/c"), Some((1, 7)));
        // Skipped values are only bracket-matched, so the walk goes on past the broken `a`.
        assert_eq!(at(text, "/d"), Some((1, 29)));
        assert_eq!(at("[1, 2,", "/2"), Some((1, 1)));
        assert_eq!(at("{\"a\": [1, }", "/a/0"), Some((1, 8)));
        assert_eq!(at("{\"a\": tru}", "/a"), Some((1, 7)));
        assert_eq!(at("{\"a\": tru, \"b\": 1}", "/b"), Some((1, 1)));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep = format!(
            "{{\"a\": {}1{}, \"b\": 2}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(at(&deep, "/b"), Some((1, 200_015)));
    }

    #[test]
    fn renders_like_rustc() {
        let mut d = diags("{\n  \"version\": 2,\n  \"name\": \"héllo\"\n}\n");
        d.error(
            "/version",
            "unsupported version: 2 (want: 3)",
            Some("set \"version\": 3".into()),
        );
        assert!(d.has_errors());
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        let shown = report.items[0].to_string();
        assert_eq!(
            shown,
            "error: unsupported version: 2 (want: 3)\n \
             --> contracts/test.json:2:14\n  \
             |\n\
             2 |   \"version\": 2,\n  \
             |              ^\n  \
             |\n  \
             = note: at /version\n  \
             = help: set \"version\": 3"
        );
    }

    #[test]
    fn renders_spans_keys_and_warnings() {
        let mut d = diags("{\n  \"name\": \"héllo\",\n\t\"extra\": [true]\n}");
        d.warning("/name", "odd name", None);
        d.report(
            Severity::Warning,
            "/extra",
            Target::Key,
            "unknown key",
            None,
        );
        d.error("/extra/0", "not a string", None);
        assert!(d.has_errors());
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        let name = report.items[0].to_string();
        assert!(name.starts_with("warning: odd name\n"), "{name}");
        assert!(name.contains("--> contracts/test.json:2:11\n"), "{name}");
        assert!(name.contains("  |           ^^^^^^^\n"), "{name}");
        assert!(name.contains("= note: at /name"), "{name}");
        assert!(!name.contains("help:"), "{name}");
        let key = report.items[1].to_string();
        assert_eq!(report.items[1].line_col, Some((3, 2)));
        assert!(key.contains("--> contracts/test.json:3:2\n"), "{key}");
        // The tab is shown as one space so that the carets stay under the reported column.
        assert!(
            key.contains("3 |  \"extra\": [true]\n  |  ^^^^^^^\n"),
            "{key}"
        );
        let value = report.items[2].to_string();
        assert!(value.contains("--> contracts/test.json:3:12\n"), "{value}");
        assert!(value.contains("  |            ^^^^\n"), "{value}");
        assert!(value.contains("= note: at /extra/0"), "{value}");
    }

    #[test]
    fn renders_without_location() {
        let mut d = diags("{}");
        d.error("not-a-pointer", "bad", Some("fix it".into()));
        d.error("", "at root", None);
        d.error_at(9, 3, "EOF while parsing an object", None);
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        assert_eq!(report.items[0].line_col, None);
        assert_eq!(
            report.items[0].to_string(),
            "error: bad\n --> contracts/test.json\n  |\n  = note: at not-a-pointer\n  = help: fix it"
        );
        let root = report.items[1].to_string();
        assert!(root.contains("--> contracts/test.json:1:1\n"), "{root}");
        assert!(root.contains("= note: at (document root)"), "{root}");
        assert_eq!(
            report.items[2].to_string(),
            "error: EOF while parsing an object\n --> contracts/test.json:9:3"
        );
    }

    #[test]
    fn error_at_points_at_the_given_position() {
        let mut d = diags("{\n  \"a\": 1,\n}\n");
        d.error_at(3, 1, "trailing comma", None);
        d.error_at(2, 10, "past the end of the line", None);
        d.error_at(4, 0, "EOF", None);
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        let comma = report.items[0].to_string();
        assert!(comma.contains("--> contracts/test.json:3:1\n"), "{comma}");
        assert!(comma.contains("3 | }\n  | ^\n"), "{comma}");
        // A syntax error has a position, not a pointer.
        assert!(!comma.contains("note:"), "{comma}");
        assert_eq!(report.items[0].pointer, "");
        let eol = report.items[1].to_string();
        assert!(eol.contains("--> contracts/test.json:2:10\n"), "{eol}");
        assert!(eol.contains("  |          ^\n"), "{eol}");
        // Line 4 is the empty line after the final newline; column 0 is clamped to 1.
        assert_eq!(report.items[2].line_col, Some((4, 1)));
        assert_eq!(
            report.items[2].to_string(),
            "error: EOF\n --> contracts/test.json:4:1"
        );
    }

    #[test]
    fn finish_ok_with_warnings_only() {
        let mut d = diags("{\"a\": 1}");
        assert!(!d.has_errors());
        d.warning("/a", "w1", None);
        d.warning("/b", "w2", Some("h".into()));
        assert!(!d.has_errors());
        let Ok(report) = d.finish() else {
            panic!("no errors expected");
        };
        assert_eq!(report.items.len(), 2);
        let shown = report.to_string();
        assert!(shown.starts_with("warning: w1\n"), "{shown}");
        assert!(shown.contains("\n\nwarning: w2\n"), "{shown}");
        assert!(
            shown.ends_with("\n\nwarning: the contract compiled with 2 warnings"),
            "{shown}"
        );
    }

    #[test]
    fn finish_err_keeps_everything_in_order() {
        let mut d = diags("{\"a\": 1}");
        d.warning("/a", "w", None);
        d.error("/a", "e1", None);
        d.error("/b", "e2", None);
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        let messages: Vec<_> = report.items.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(messages, ["w", "e1", "e2"]);
        let shown = report.to_string();
        assert!(
            shown.ends_with(
                "\n\nerror: could not compile the contract due to 2 errors and 1 warning"
            ),
            "{shown}"
        );
    }

    #[test]
    fn report_summaries() {
        assert_eq!(Report::default().to_string(), "");
        let mut d = diags("{}");
        d.error("", "only", None);
        let Err(report) = d.finish() else {
            panic!("errors expected");
        };
        assert!(report
            .to_string()
            .ends_with("\n\nerror: could not compile the contract due to 1 error"));
        let mut d = diags("{}");
        d.warning("", "only", None);
        let Ok(report) = d.finish() else {
            panic!("no errors expected");
        };
        assert!(report
            .to_string()
            .ends_with("\n\nwarning: the contract compiled with 1 warning"));
        let Ok(empty) = diags("{}").finish() else {
            panic!("no errors expected");
        };
        assert!(empty.items.is_empty());
        assert_eq!(empty.to_string(), "");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "without calling finish")]
    fn drop_without_finish_panics_in_debug() {
        let mut d = diags("{}");
        d.error("", "forgotten", None);
        drop(d);
    }

    #[test]
    fn drop_while_panicking_does_not_panic_again() {
        // A second panic during unwinding would abort the whole test binary.
        let result = std::panic::catch_unwind(|| {
            let _d = diags("{}");
            panic!("first");
        });
        assert!(result.is_err());
    }
}
