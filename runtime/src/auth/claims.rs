//! What an endpoint does with verified claims: roles and scopes (403), `propagate_claims`
//! headers, and the text of a claim (krakend-jose's formatting).

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// The validated claims of the request, in its extensions after `auth/validator` accepted it
/// (later stages, e.g. CEL rules on `JWT`, read them from there).
#[derive(Debug, Clone)]
pub struct Claims(pub std::sync::Arc<Map<String, Value>>);

/// The claim at `path`: dot-separated unless `nested` is off or the name starts with `http`.
pub fn lookup<'a>(c: &'a Map<String, Value>, path: &str, nested: bool) -> Option<&'a Value> {
    if !nested || path.starts_with("http") || !path.contains('.') {
        return c.get(path);
    }
    let mut parts = path.split('.');
    let mut cur = c.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_object()?.get(p)?;
    }
    Some(cur)
}

/// The values of a roles/scopes claim: an array of strings or a space-separated string.
/// `None` when it has another type (an array item that is not a string included).
fn words(v: &Value) -> Option<Vec<&str>> {
    match v {
        Value::Array(items) => items.iter().map(Value::as_str).collect(),
        Value::String(s) => Some(s.split(' ').collect()),
        _ => None,
    }
}

/// At least one of `required` in the claim.
pub fn any_of(v: Option<&Value>, required: &[&str]) -> bool {
    v.and_then(words)
        .is_some_and(|have| required.iter().any(|r| have.contains(r)))
}

/// Every one of `required` in the claim.
pub fn all_of(v: Option<&Value>, required: &[&str]) -> bool {
    v.and_then(words)
        .is_some_and(|have| required.iter().all(|r| have.contains(r)))
}

/// A claim as text: strings as they are, integral numbers as integers, other numbers with six
/// decimals, arrays joined by `,` (items formatted alike), anything else as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    format!("{}", f as i64)
                } else {
                    format!("{f:.6}")
                }
            }
        },
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// `propagate_claims`: sets each header (replacing client values); a missing claim sets an
/// empty value; with `preserve_array` an array claim becomes one header value per item.
pub fn propagate(
    c: &Map<String, Value>,
    list: &[(&str, HeaderName)],
    preserve_array: bool,
    headers: &mut HeaderMap,
) {
    for (path, name) in list {
        headers.remove(name);
        let value = lookup(c, path, true);
        match value {
            Some(Value::Array(items)) if preserve_array => {
                for item in items {
                    if let Ok(v) = HeaderValue::from_str(&text(item)) {
                        headers.append(name.clone(), v);
                    }
                }
            }
            _ => {
                let t = value.map(text).unwrap_or_default();
                if let Ok(v) = HeaderValue::from_str(&t) {
                    headers.insert(name.clone(), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn formatting() {
        assert_eq!(text(&json!("a")), "a");
        assert_eq!(text(&json!(12)), "12");
        assert_eq!(text(&json!(1.5)), "1.500000");
        assert_eq!(text(&json!(["a", 2])), "a,2");
        assert_eq!(text(&json!({"a": true})), r#"{"a":true}"#);
    }

    #[test]
    fn roles_and_nesting() {
        let c = map(json!({"realm": {"roles": ["a", "b"]}, "s": "x y", "bad": [1]}));
        assert!(any_of(lookup(&c, "realm.roles", true), &["b"]));
        assert!(!any_of(lookup(&c, "realm.roles", false), &["b"]));
        assert!(all_of(lookup(&c, "s", true), &["x", "y"]));
        assert!(!all_of(lookup(&c, "s", true), &["x", "z"]));
        assert!(!any_of(lookup(&c, "bad", true), &["1"]));
    }
}
