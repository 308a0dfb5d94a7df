//! `auth/client-credentials` (backend level; spec: security-and-traffic.md §13).

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "auth/client-credentials";
pub const KEYS: &[&str] = &[
    "client_id",
    "client_secret",
    "token_url",
    "scopes",
    "endpoint_params",
];

#[derive(Debug, Default)]
pub struct ClientCredentialsOptions {
    pub pointer: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_url: Option<At<String>>,
    pub scopes: String,
    /// `endpoint_params`: each value a string or a list of strings, in contract order.
    pub endpoint_params: Vec<(String, String)>,
    pub unknown: Vec<At<String>>,
}

impl ClientCredentialsOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let text = |d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str| r.string(d, "", key);
        let client_id = text(d, &mut r, "client_id")
            .map(|a| a.value)
            .unwrap_or_default();
        let client_secret = text(d, &mut r, "client_secret")
            .map(|a| a.value)
            .unwrap_or_default();
        let token_url = text(d, &mut r, "token_url");
        let scopes = text(d, &mut r, "scopes")
            .map(|a| a.value)
            .unwrap_or_default();
        let mut endpoint_params = Vec::new();
        if let Some((v, p)) = r.get("endpoint_params") {
            match v {
                Value::Object(m) => {
                    for (k, v) in m {
                        match v {
                            Value::String(s) => endpoint_params.push((k.clone(), s.clone())),
                            Value::Array(items) if items.iter().all(Value::is_string) => {
                                for i in items {
                                    endpoint_params.push((
                                        k.clone(),
                                        i.as_str().unwrap_or_default().to_owned(),
                                    ));
                                }
                            }
                            _ => d.error(
                                &format!("{p}/{k}"),
                                "an endpoint param must be a string or a list of strings",
                                None,
                            ),
                        }
                    }
                }
                _ => d.error(&p, "`endpoint_params` must be an object", None),
            }
        }
        ClientCredentialsOptions {
            pointer: pointer.to_owned(),
            client_id,
            client_secret,
            token_url,
            scopes,
            endpoint_params,
            unknown: r.finish(),
        }
    }
}
