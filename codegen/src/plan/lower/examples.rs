//! `@test` examples → [`Example`]: defaults filled in (method, backend answers), bodies as
//! text, the query encoded.

use crate::model::examples::{Example as ModelExample, ExampleAnswer as ModelAnswer};
use crate::plan::ir::{Example, ExampleAnswer};
use serde_json::Value;

pub fn lower_examples(
    examples: &[ModelExample],
    method: &str,
    n_backends: usize,
    pointer: &str,
) -> Vec<Example> {
    examples
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let default = ModelAnswer::default();
            Example {
                name: x
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("example {i} at {pointer}/@test")),
                method: x
                    .request
                    .method
                    .as_deref()
                    .unwrap_or(method)
                    .to_ascii_uppercase(),
                path: x.request.path.clone(),
                query: x
                    .request
                    .query
                    .iter()
                    .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
                headers: x.request.headers.clone(),
                body: x.request.body.as_ref().map(text).unwrap_or_default(),
                backends: (0..n_backends)
                    .map(|b| answer(x.backends.get(b).unwrap_or(&default), Some("{}")))
                    .collect(),
                response: answer(&x.response, None),
            }
        })
        .collect()
}

/// A string as it is, any other value as JSON text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn answer(a: &ModelAnswer, default_body: Option<&str>) -> ExampleAnswer {
    let headers: Vec<(String, String)> = a
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    let is_text = matches!(a.body, Some(Value::String(_)));
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| {
            if is_text {
                "text/plain"
            } else {
                "application/json"
            }
            .to_owned()
        });
    let body = match (&a.body, default_body) {
        // Backend answers are sent as written; expected answers are compared as JSON.
        (Some(v), Some(_)) => Some(text(v)),
        (Some(v), None) => Some(if is_text { text(v) } else { v.to_string() }),
        (None, d) => d.map(str::to_owned),
    };
    ExampleAnswer {
        status: a
            .status
            .as_ref()
            .and_then(|s| u16::try_from(s.value).ok())
            .unwrap_or(200),
        content_type,
        body,
        body_is_text: is_text,
        headers,
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
