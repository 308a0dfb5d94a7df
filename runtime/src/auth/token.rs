//! A compact JWS from the request: extraction (header or cookie), decoding, and the checks on
//! registered claims (krakend-jose with go-jose's `ValidateWithLeeway`).

use super::keys::B64URL;
use super::{Alg, KeyStrategy, ValidatorSpec};
use base64::Engine;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The token text: header `auth_header_name` (an optional `Bearer ` prefix, any case, removed
/// when the value is longer than 7 bytes), else cookie `cookie_key`. A present header is used
/// even when it holds no valid token (no fallback to the cookie).
pub fn extract<'a>(spec: &ValidatorSpec, headers: &'a HeaderMap) -> Option<&'a str> {
    if let Some(v) = headers.get(&spec.header_name) {
        let v = v.to_str().ok()?;
        if !v.is_empty() {
            let b = v.as_bytes();
            if b.len() > 7 && b[..7].eq_ignore_ascii_case(b"bearer ") {
                return Some(&v[7..]);
            }
            return Some(v);
        }
    }
    cookie(headers, spec.cookie_key)
}

/// The value of cookie `name` (Go's `Request.Cookie`: the first match across `Cookie` headers).
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"'))
        })
        .filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    x5t: Option<String>,
    #[serde(default, rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

/// A decoded, not yet verified token.
pub struct Parsed<'a> {
    /// `header.payload`, the signed bytes.
    pub signed: &'a str,
    pub signature: Vec<u8>,
    /// The key id the strategy reads from the header.
    pub key_id: String,
    pub payload: &'a str,
}

/// Splits and decodes the token; the header `alg` must be exactly `alg`.
pub fn parse(token: &str, alg: Alg, strategy: KeyStrategy) -> Option<Parsed<'_>> {
    let (signed, sig) = token.rsplit_once('.')?;
    let (header, payload) = signed.split_once('.')?;
    if payload.contains('.') {
        return None;
    }
    let header: Header = serde_json::from_slice(&B64URL.decode(header).ok()?).ok()?;
    if header.alg != alg.name() {
        return None;
    }
    let kid = header.kid.unwrap_or_default();
    let x5t = header.x5t.unwrap_or_default();
    let key_id = match strategy {
        KeyStrategy::Kid => kid,
        KeyStrategy::X5t => x5t,
        KeyStrategy::X5tS256 => header.x5t_s256.unwrap_or_default(),
        KeyStrategy::KidX5t => kid + &x5t,
    };
    Some(Parsed {
        signed,
        signature: B64URL.decode(sig).ok()?,
        key_id,
        payload,
    })
}

/// The claims of a verified payload.
pub fn claims(payload: &str) -> Option<Map<String, Value>> {
    serde_json::from_slice(&B64URL.decode(payload).ok()?).ok()
}

/// `iss`, `aud` (every configured audience present), `exp` (optional), `nbf`, `iat`, with the
/// leeway, against `now` (Unix seconds).
pub fn registered_claims_ok(spec: &ValidatorSpec, c: &Map<String, Value>, now: i64) -> bool {
    if let Some(iss) = spec.issuer {
        if c.get("iss").and_then(Value::as_str) != Some(iss) {
            return false;
        }
    }
    if !spec.audience.is_empty() {
        let aud: Vec<&str> = match c.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => return false,
        };
        if !spec.audience.iter().all(|want| aud.contains(want)) {
            return false;
        }
    }
    let leeway = spec.leeway_secs;
    let date = |name: &str| -> Result<Option<i64>, ()> {
        match c.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_f64().map(|f| Some(f as i64)).ok_or(()),
        }
    };
    let (Ok(exp), Ok(nbf), Ok(iat)) = (date("exp"), date("nbf"), date("iat")) else {
        return false;
    };
    if exp.is_some_and(|exp| now - leeway > exp) {
        return false;
    }
    if nbf.is_some_and(|nbf| now + leeway < nbf) {
        return false;
    }
    iat.is_none_or(|iat| now + leeway >= iat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rejects_other_algs_and_shapes() {
        let h = B64URL.encode(br#"{"alg":"none","kid":"a"}"#);
        let p = B64URL.encode(br#"{}"#);
        assert!(parse(&format!("{h}.{p}."), Alg::HS256, KeyStrategy::Kid).is_none());
        let h = B64URL.encode(br#"{"alg":"HS256","kid":"a"}"#);
        assert!(parse(&format!("{h}.{p}.AA"), Alg::HS256, KeyStrategy::Kid).is_some());
        assert!(parse(&format!("{h}.{p}.AA.x"), Alg::HS256, KeyStrategy::Kid).is_none());
        assert!(parse("a.bad.token", Alg::HS256, KeyStrategy::Kid).is_none());
    }
}
