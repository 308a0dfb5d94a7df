//! `backend/http` (backend level): how backend errors reach the client (spec: errors.md).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "backend/http";
pub const KEYS: &[&str] = &["return_error_code", "return_error_details"];

#[derive(Debug, Default)]
pub struct BackendHttpOptions {
    pub pointer: String,
    pub return_error_code: bool,
    /// The alias of the error object, as written (`check` rejects an empty one).
    pub return_error_details: Option<At<String>>,
    pub unknown: Vec<At<String>>,
}

impl BackendHttpOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let return_error_code = r
            .bool(d, "return_error_code", |k| {
                (format!("`{k}` must be a boolean"), None)
            })
            .is_some_and(|b| b.value);
        let return_error_details = match r.get("return_error_details") {
            Some((Value::String(s), pointer)) => Some(At {
                value: s.clone(),
                pointer,
            }),
            Some((_, p)) => {
                d.error(&p, DETAILS_MESSAGE, None);
                None
            }
            None => None,
        };
        BackendHttpOptions {
            pointer: pointer.to_owned(),
            return_error_code,
            return_error_details,
            unknown: r.finish(),
        }
    }
}

/// The error for a `return_error_details` that is not a non-empty string.
pub const DETAILS_MESSAGE: &str =
    "`return_error_details` must be a non-empty string (the alias of the error object)";
