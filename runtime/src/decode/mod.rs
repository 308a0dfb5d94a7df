//! Backend response decoding: a body in the backend's `encoding` becomes KrakenD's data
//! (spec: responses.md §5).

pub mod json;
pub mod rss;
pub mod xml;

use crate::shape::Data;
use crate::spec::Decode;
use serde_json::Value;

/// Decodes a backend body according to its `encoding`. For JSON only the first value is read;
/// trailing bytes are ignored, as KrakenD's decoder does.
pub fn decode(how: Decode, body: &[u8]) -> Result<Data, String> {
    match how {
        Decode::Discard => Ok(Data::new()),
        Decode::String => Ok(wrap(
            "content",
            Value::String(String::from_utf8_lossy(body).into_owned()),
        )),
        Decode::JsonObject => json::object(body),
        Decode::JsonCollection => json::collection(body),
        Decode::Xml { collection } => xml::decode(body, collection),
        Decode::Rss => rss::decode(body),
        Decode::SafeJson => json::safe(body),
    }
}

/// `{key: v}`.
fn wrap(key: &str, v: Value) -> Data {
    let mut d = Data::new();
    d.insert(key.to_owned(), v);
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decodes_each_encoding() {
        assert_eq!(
            Value::Object(decode(Decode::JsonObject, br#"{"a":1.0} trailing"#).unwrap()),
            serde_json::json!({"a": 1.0})
        );
        assert!(decode(Decode::JsonObject, b"[1]").is_err());
        assert_eq!(decode(Decode::JsonObject, b"").unwrap_err(), "EOF");
        let c = decode(Decode::JsonCollection, b"[1,2]").unwrap();
        assert_eq!(c["collection"], serde_json::json!([1, 2]));
        assert!(decode(Decode::JsonCollection, b"{}").is_err());
        assert_eq!(
            decode(Decode::SafeJson, b"3").unwrap()["content"],
            serde_json::json!(3)
        );
        assert_eq!(
            decode(Decode::SafeJson, b"[true]").unwrap()["collection"],
            serde_json::json!([true])
        );
        assert_eq!(
            decode(Decode::String, b"").unwrap()["content"],
            serde_json::json!("")
        );
        assert!(decode(Decode::Discard, b"junk").unwrap().is_empty());
    }
}
