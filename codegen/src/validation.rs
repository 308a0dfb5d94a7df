//! What `check` and `plan` both need to know of `validation/json-schema` and `validation/cel`:
//! the default draft of a schema, how KrakenD classifies a CEL expression, and what an
//! expression references (parsed with the same `cel` crate the runtime evaluates with).

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use serde_json::Value;

/// The draft a schema without `$schema` is validated with: draft 7, the newest of the drafts
/// gojsonschema mixes when none is named (the `jsonschema` crate would pick 2020-12).
pub const DEFAULT_DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// The schema as it is embedded: `$schema` added when an object schema names none.
pub fn with_default_draft(schema: &Value) -> Value {
    let mut s = schema.clone();
    if let Value::Object(m) = &mut s {
        if !m.contains_key("$schema") {
            m.insert(
                "$schema".to_owned(),
                Value::String(DEFAULT_DRAFT.to_owned()),
            );
        }
    }
    s
}

/// When a rule runs, decided as KrakenD does: by substring of the expression text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Contains `req`: before the call.
    Pre,
    /// Contains `resp`: after the call.
    Post,
    /// Contains `JWT`: in the token validator.
    Jwt,
}

/// Every class of an expression (one expression may be in several).
pub fn classes(expr: &str) -> Vec<Class> {
    let mut out = Vec::new();
    if expr.contains("req") {
        out.push(Class::Pre);
    }
    if expr.contains("resp") {
        out.push(Class::Post);
    }
    if expr.contains("JWT") {
        out.push(Class::Jwt);
    }
    out
}

/// The variables KrakenD declares, with the runtime's bit for each (`validation::cel`).
pub const VARIABLES: &[(&str, u16)] = &[
    ("req_method", 1),
    ("req_path", 1 << 1),
    ("req_params", 1 << 2),
    ("req_headers", 1 << 3),
    ("req_querystring", 1 << 4),
    ("resp_completed", 1 << 5),
    ("resp_metadata_status", 1 << 6),
    ("resp_metadata_headers", 1 << 7),
    ("resp_data", 1 << 8),
    ("JWT", 1 << 9),
    ("now", 1 << 10),
];

/// Identifiers that name CEL types, not variables.
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

/// What every CEL error says after the parser's message.
pub const HELP: &str = "expressions are parsed at build time; KrakenD would drop the whole \
                        `validation/cel` list of this level silently";

/// Parses an expression: `Ok` with the bits of the variables it references, or the message
/// for a syntax error or an undeclared variable.
pub fn analyse(expr: &str) -> Result<u16, String> {
    let program = cel::Env::stdlib().compile(expr).map_err(|e| {
        let text = e.to_string().replace("<input>", "expression");
        format!("invalid CEL expression: {}", text.trim_end())
    })?;
    let mut free = Vec::new();
    free_idents(program.expression(), &mut Vec::new(), &mut free);
    let mut uses = 0;
    for name in free {
        match VARIABLES.iter().find(|(v, _)| *v == name) {
            Some((_, bit)) => uses |= bit,
            None if TYPE_NAMES.contains(&name.as_str()) => {}
            None => {
                return Err(format!(
                    "invalid CEL expression: undeclared variable `{name}` (declared: {})",
                    VARIABLES
                        .iter()
                        .map(|(v, _)| *v)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
    }
    Ok(uses)
}

/// The identifiers of `e` not bound by an enclosing comprehension (`all`, `exists`, `map` …).
fn free_idents(e: &IdedExpr, bound: &mut Vec<String>, out: &mut Vec<String>) {
    match &e.expr {
        Expr::Ident(name) => {
            if !bound.contains(name) && !out.contains(name) {
                out.push(name.clone());
            }
        }
        Expr::Call(c) => {
            if let Some(t) = &c.target {
                free_idents(t, bound, out);
            }
            for a in &c.args {
                free_idents(a, bound, out);
            }
        }
        Expr::Select(s) => free_idents(&s.operand, bound, out),
        Expr::List(l) => {
            for x in &l.elements {
                free_idents(x, bound, out);
            }
        }
        Expr::Map(m) => entries(&m.entries, bound, out),
        Expr::Struct(s) => entries(&s.entries, bound, out),
        Expr::Comprehension(c) => {
            free_idents(&c.iter_range, bound, out);
            free_idents(&c.accu_init, bound, out);
            let n = bound.len();
            bound.push(c.iter_var.clone());
            if let Some(v) = &c.iter_var2 {
                bound.push(v.clone());
            }
            bound.push(c.accu_var.clone());
            free_idents(&c.loop_cond, bound, out);
            free_idents(&c.loop_step, bound, out);
            free_idents(&c.result, bound, out);
            bound.truncate(n);
        }
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn entries(
    list: &[cel::common::ast::IdedEntryExpr],
    bound: &mut Vec<String>,
    out: &mut Vec<String>,
) {
    for entry in list {
        match &entry.expr {
            EntryExpr::MapEntry(m) => {
                free_idents(&m.key, bound, out);
                free_idents(&m.value, bound, out);
            }
            EntryExpr::StructField(f) => free_idents(&f.value, bound, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_substring() {
        assert_eq!(classes("req_method == 'GET'"), [Class::Pre]);
        assert_eq!(classes("resp_data.required"), [Class::Pre, Class::Post]);
        assert_eq!(classes("size(JWT.roles) > 1"), [Class::Jwt]);
        assert!(classes("1 == 1").is_empty());
    }

    #[test]
    fn references() {
        assert_eq!(analyse("int(req_params.Id) % 2 == 0"), Ok(1 << 2));
        assert_eq!(
            analyse("resp_data.items.all(x, x.id > 0) && now != ''"),
            Ok((1 << 8) | (1 << 10))
        );
        assert_eq!(analyse("type(req_path) == string"), Ok(1 << 1));
        let e = analyse("req_foo == 1").unwrap_err();
        assert!(e.contains("undeclared variable `req_foo`"), "{e}");
        let e = analyse("req_method == ").unwrap_err();
        assert!(e.starts_with("invalid CEL expression: "), "{e}");
    }
}
