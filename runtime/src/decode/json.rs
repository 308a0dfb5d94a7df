//! Backend `encoding: "json"` and `"safejson"`: the first JSON value of the body, with the error
//! texts of Go's `encoding/json` for a value of the wrong kind.

use super::wrap;
use crate::shape::Data;
use serde_json::Value;

/// `encoding: "json"` without `is_collection`: the body must be an object.
pub fn object(body: &[u8]) -> Result<Data, String> {
    match first_value(body)? {
        Value::Object(m) => Ok(m),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            kind(&other)
        )),
    }
}

/// `encoding: "json"` with `is_collection`: the body must be an array, kept as `collection`.
pub fn collection(body: &[u8]) -> Result<Data, String> {
    match first_value(body)? {
        Value::Array(a) => Ok(wrap("collection", Value::Array(a))),
        other => Err(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            kind(&other)
        )),
    }
}

/// `encoding: "safejson"`: an object as it is, an array as `collection`, anything else as
/// `content`.
pub fn safe(body: &[u8]) -> Result<Data, String> {
    Ok(match first_value(body)? {
        Value::Object(m) => m,
        Value::Array(a) => wrap("collection", Value::Array(a)),
        other => wrap("content", other),
    })
}

/// The first JSON value of `body` (trailing bytes ignored); `EOF` when there is none.
fn first_value(body: &[u8]) -> Result<Value, String> {
    let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    match stream.next() {
        Some(Ok(v)) => Ok(v),
        Some(Err(e)) => Err(e.to_string()),
        None => Err("EOF".to_owned()),
    }
}

/// The Go name of a JSON value's kind, as `json.UnmarshalTypeError` words it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
