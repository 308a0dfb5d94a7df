//! Settings files → template values, and values → JSON as Go's `encoding/json` writes them
//! (`marshal`, `toJson`): keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped.

use super::FcError;
use gtmpl::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Every `*.json` of `dir` as `.<basename>`: each must hold a JSON object, as in KrakenD.
pub(super) fn load_settings(
    dir: &Path,
    shown: &dyn Fn(&Path) -> String,
    files: &mut Vec<PathBuf>,
) -> Result<Value, FcError> {
    let mut vars = HashMap::new();
    let mut errors = Vec::new();
    for path in super::files_with_suffix(dir, ".json", shown)? {
        let name = super::base_name(&path);
        let key = name.trim_end_matches(".json").to_owned();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{}: {e}", shown(&path)));
                continue;
            }
        };
        files.push(path.clone());
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v @ serde_json::Value::Object(_)) => {
                vars.insert(key, from_json(&v));
            }
            Ok(_) => errors.push(format!(
                "{}:1:1: a settings file must hold a JSON object",
                shown(&path)
            )),
            Err(e) => {
                let msg = e.to_string();
                let msg = msg.rfind(" at line ").map_or(&msg[..], |i| &msg[..i]);
                errors.push(format!(
                    "{}:{}:{}: invalid JSON: {msg}",
                    shown(&path),
                    e.line(),
                    e.column()
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(Value::Map(vars))
    } else {
        Err(FcError(format!(
            "loading flexible-config settings:\n\t- {}",
            errors.join("\n\t- ")
        )))
    }
}

pub(super) fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(from_json).collect()),
        serde_json::Value::Object(o) => {
            Value::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// `v` as Go's `json.Marshal` writes it (`indent`: `json.MarshalIndent(v, "", indent)`).
pub(super) fn to_go_json(v: &Value, indent: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v, indent, 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(ind);
        }
    }
}

fn write_json(
    out: &mut String,
    v: &Value,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    match v {
        Value::Nil | Value::NoValue => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push_str(&u.to_string());
            } else if let Some(i) = n.as_i64() {
                out.push_str(&i.to_string());
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if !f.is_finite() {
                    return Err(format!("json: unsupported value: {f}"));
                }
                out.push_str(&go_float(f));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_json(out, item, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Value::Map(m) | Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_string(out, k);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, &m[k], indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push('}');
        }
        Value::Function(_) => return Err("json: unsupported type: func".to_owned()),
    }
    Ok(())
}

/// A float as Go's encoding/json writes it ('f' format below 1e21, else 'e' with a 2-digit
/// exponent at least).
fn go_float(f: f64) -> String {
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        let s = format!("{f}");
        return s;
    }
    let s = format!("{f:e}");
    // Rust: 1e21, 1.5e-7; Go: 1e+21, 1.5e-07.
    match s.split_once('e') {
        Some((mant, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mant}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
