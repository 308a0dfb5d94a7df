//! `validation/json-schema`: the request body must be non-empty, valid JSON and valid against
//! the endpoint's schema, else 400 (krakend-jsonschema). The schema text is embedded by codegen
//! (already compiled once there, so it is known to be valid) and compiled here once, at first
//! use.

use crate::backend::BackendError;
use crate::ctx::EndpointCtx;
use crate::respond::error_response;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use serde_json::Value;
use std::sync::OnceLock;

/// KrakenD's message for a request without a body.
pub const EMPTY_BODY: &str = "could not validate an empty body";

/// One endpoint's schema: the JSON text codegen embedded and its validator, built on first use.
#[derive(Debug)]
pub struct JsonSchema {
    pub schema: &'static str,
    compiled: OnceLock<Result<jsonschema::Validator, String>>,
}

impl JsonSchema {
    /// A schema compiled at first use (codegen puts this in a `static`).
    pub const fn new(schema: &'static str) -> Self {
        JsonSchema {
            schema,
            compiled: OnceLock::new(),
        }
    }

    fn validator(&self) -> &Result<jsonschema::Validator, String> {
        self.compiled.get_or_init(|| {
            let schema: Value = serde_json::from_str(self.schema).map_err(|e| e.to_string())?;
            jsonschema::validator_for(&schema).map_err(|e| e.to_string())
        })
    }

    /// Why `body` is refused (the text `return_error_msg` shows), or `None` when it passes.
    pub fn check(&self, body: &[u8]) -> Option<String> {
        if body.is_empty() {
            return Some(EMPTY_BODY.to_owned());
        }
        let instance: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Some(e.to_string()),
        };
        let validator = match self.validator() {
            Ok(v) => v,
            // Codegen compiled the same text; a failure here is a crate mismatch.
            Err(e) => return Some(format!("invalid schema: {e}")),
        };
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("- {}: {}", field(&e.instance_path().to_string()), e))
            .collect();
        if errors.is_empty() {
            None
        } else {
            Some(errors.join("\n"))
        }
    }
}

/// gojsonschema's field name for a JSON pointer: `(root)`, else the tokens joined with `.`.
fn field(pointer: &str) -> String {
    if pointer.is_empty() {
        return "(root)".to_owned();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect::<Vec<_>>()
        .join(".")
}

/// The endpoint's check on the buffered body: `Err` is the 400 to send.
pub fn validate(ctx: &EndpointCtx, schema: &'static JsonSchema) -> Result<(), Response> {
    match schema.check(&ctx.body) {
        None => Ok(()),
        Some(message) => Err(error_response(
            ctx,
            BackendError {
                body: bytes::Bytes::from(message.clone()),
                message,
                status: Some(StatusCode::BAD_REQUEST),
                content_type: Some(HeaderValue::from_static("text/plain; charset=utf-8")),
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn messages() {
        static S: JsonSchema = JsonSchema::new(
            r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}, "b": {"type": "array", "items": {"type": "string"}}}}"#,
        );
        assert_eq!(S.check(b"").unwrap(), EMPTY_BODY);
        assert!(S.check(b"{").unwrap().contains("EOF"));
        assert_eq!(S.check(br#"{"a": 1, "b": ["x"]}"#), None);
        let m = S.check(br#"{"b": ["x", 2]}"#).unwrap();
        assert!(m.starts_with("- "), "{m}");
        assert!(m.contains("(root): \"a\" is a required property"), "{m}");
        assert!(m.contains("- b.1: 2 is not of type \"string\""), "{m}");
    }
}
