//! `validation/json-schema` (endpoint level): the namespace value is the JSON schema the
//! request body must satisfy (spec: security-and-traffic.md §10).

use serde_json::Value;

pub const NAME: &str = "validation/json-schema";

#[derive(Debug, Clone)]
pub struct JsonSchemaOptions {
    /// Where the schema is written (the namespace value).
    pub pointer: String,
    /// The schema, as written.
    pub schema: Value,
}

impl JsonSchemaOptions {
    /// Any JSON value is read; `check` compiles it and reports what makes it invalid.
    pub fn read(value: &Value, pointer: &str) -> Self {
        JsonSchemaOptions {
            pointer: pointer.to_owned(),
            schema: value.clone(),
        }
    }
}
