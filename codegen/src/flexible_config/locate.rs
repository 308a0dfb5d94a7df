//! Parsing and executing the templates, with errors at file:line. gtmpl's parse errors carry
//! the template and line; its execution errors carry neither. So when an execution fails, the
//! same templates are rendered again with a marker call at the start of every text line
//! (`{{__krustd_line F L}}`, outside actions) that records the last line reached: the failing
//! action is on that line. Only the failed rendering pays for this second pass.

use super::{funcs, FcError, Input};
use gtmpl::error::{ParseError, TemplateError};
use gtmpl::{Context, FuncError, Template, Value};
use std::cell::Cell;

const MARKER: &str = "__krustd_line";

thread_local! {
    static LAST: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

fn marker(args: &[Value]) -> Result<Value, FuncError> {
    let num = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_u64().map(|n| n as usize),
        _ => None,
    };
    if let (Some(f), Some(l)) = (num(args.first()), num(args.get(1))) {
        LAST.with(|c| c.set(Some((f, l))));
    }
    Ok(Value::String(String::new()))
}

/// Renders `inputs[0]` with the others as sub-templates and `data` as dot.
pub(super) fn execute(inputs: &[Input], data: &Value) -> Result<String, FcError> {
    let tmpl = parse(inputs, false)?;
    match tmpl.render(&Context::from(data.clone())) {
        Ok(text) => Ok(text),
        Err(e) => Err(locate(inputs, data, &e.to_string())),
    }
}

fn parse(inputs: &[Input], instrumented: bool) -> Result<Template, FcError> {
    let mut tmpl = Template::with_name(inputs[0].name.clone());
    tmpl.add_funcs(&funcs::table());
    if instrumented {
        tmpl.add_func(MARKER, marker);
    }
    for (i, input) in inputs.iter().enumerate() {
        let text = if instrumented {
            instrument(&input.text, i)
        } else {
            input.text.clone()
        };
        let result = if i == 0 {
            tmpl.parse(text).map_err(TemplateError::from)
        } else {
            tmpl.add_template(input.name.clone(), text)
        };
        result.map_err(|e| parse_error(inputs, i, e))?;
    }
    Ok(tmpl)
}

/// `file:line: message`, naming an unsupported function as such.
fn parse_error(inputs: &[Input], i: usize, e: TemplateError) -> FcError {
    let TemplateError::ParseError(ParseError::WithContext(ctx, msg)) = &e else {
        return FcError(format!("{}: template: {e}", inputs[i].shown));
    };
    let shown = inputs
        .iter()
        .find(|inp| inp.name == ctx.name)
        .map_or(inputs[i].shown.as_str(), |inp| inp.shown.as_str());
    let msg = match msg
        .strip_prefix("function ")
        .and_then(|m| m.strip_suffix(" not defined"))
    {
        Some(name) => format!(
            "function `{name}` is not supported (Go's builtins and the functions listed in README, \
             \"Flexible configuration\", are)"
        ),
        None => msg.clone(),
    };
    FcError(format!("{shown}:{}: template: {msg}", ctx.line))
}

/// Runs the instrumented templates to find the line of an execution error.
fn locate(inputs: &[Input], data: &Value, msg: &str) -> FcError {
    LAST.with(|c| c.set(None));
    let located = parse(inputs, true)
        .ok()
        .and_then(|t| t.render(&Context::from(data.clone())).err())
        .and_then(|_| LAST.with(Cell::get));
    match located.and_then(|(f, l)| inputs.get(f).map(|inp| (inp, l))) {
        Some((input, line)) => FcError(format!(
            "{}:{line}: error executing the template: {msg}",
            input.shown
        )),
        None => FcError(format!(
            "{}: error executing the template: {msg}",
            inputs[0].shown
        )),
    }
}

/// `text` with `{{__krustd_line file line}}` at the start of each line that does not begin
/// inside an action (strings, raw strings and comments in actions are skipped).
pub(super) fn instrument(text: &str, file: usize) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut i = 0;
    let mut in_action = false;
    let mut at_line_start = true;
    while i < bytes.len() {
        if at_line_start && !in_action {
            out.push_str(&format!("{{{{{MARKER} {file} {line}}}}}"));
        }
        at_line_start = false;
        if !in_action && text[i..].starts_with("{{") {
            in_action = true;
            out.push_str("{{");
            i += 2;
            // A comment `{{/* … */}}` (optionally `{{- /*`) may hold `}}`.
            let rest = &text[i..];
            let trimmed = rest.strip_prefix("- ").unwrap_or(rest);
            if trimmed.starts_with("/*") {
                if let Some(end) = rest.find("*/") {
                    let chunk = &rest[..end + 2];
                    line += chunk.matches('\n').count();
                    out.push_str(chunk);
                    i += end + 2;
                }
            }
            continue;
        }
        if in_action {
            if text[i..].starts_with("}}") {
                in_action = false;
                out.push_str("}}");
                i += 2;
                continue;
            }
            let c = bytes[i];
            if c == b'"' || c == b'`' || c == b'\'' {
                // Skip the literal (a `"…"` or `'…'` ends at its unescaped quote).
                let mut j = i + 1;
                while j < bytes.len() && bytes[j] != c {
                    if c != b'`' && bytes[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = (j + 1).min(bytes.len());
                let chunk = &text[i..end];
                line += chunk.matches('\n').count();
                out.push_str(chunk);
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\0');
        out.push(ch);
        i += ch.len_utf8().max(1);
        if ch == '\n' {
            line += 1;
            at_line_start = true;
        }
    }
    out
}
