//! `backend/http/client` (backend level): the HTTP client's per-backend options.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "backend/http/client";
pub const KEYS: &[&str] = &["send_body_on_redirect"];

#[derive(Debug, Default)]
pub struct BackendHttpClientOptions {
    pub pointer: String,
    pub send_body_on_redirect: bool,
    pub unknown: Vec<At<String>>,
}

impl BackendHttpClientOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let send_body_on_redirect = r
            .bool(d, "send_body_on_redirect", |k| {
                (format!("`{k}` must be a boolean"), None)
            })
            .is_some_and(|b| b.value);
        BackendHttpClientOptions {
            pointer: pointer.to_owned(),
            send_body_on_redirect,
            unknown: r.finish(),
        }
    }
}
