//! `auth/signer.jwk_local_path`: the builder reads the file (relative to the contract's
//! directory) and decodes the private key `kid` into the model; `check` judges it against `alg`
//! and the generated gateway embeds it (the runtime never reads the file).

use super::namespaces::auth_signer::PrivateJwk;
use super::Service;
use crate::diag::Diagnostics;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::Value;

const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads the `jwk_local_path` of every `auth/signer` (`side_files` finds it).
pub fn load(d: &mut Diagnostics, s: &mut Service) {
    for e in &mut s.endpoints {
        let Some(o) = e.ns.auth_signer.as_mut() else {
            continue;
        };
        let Some(path) = &o.jwk_local_path else {
            continue;
        };
        if let Some(bytes) = super::jwk_secret::read(d, path, &o.client) {
            let kid = o.kid.as_ref().map_or("", |k| k.value.as_str());
            o.local_key = Some(private_key(&bytes, kid));
        }
    }
}

/// The private key `kid` of a JWK set document.
pub fn private_key(bytes: &[u8], kid: &str) -> Result<PrivateJwk, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("not a JWK set (no `keys` list)")?;
    let k = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str).unwrap_or_default() == kid)
        .ok_or_else(|| format!("the key set has no key with kid `{kid}`"))?;
    let text = |name: &str| k.get(name).and_then(Value::as_str).unwrap_or_default();
    let bytes = |name: &str| -> Result<Vec<u8>, String> {
        match B64URL.decode(text(name)) {
            Ok(b) if !b.is_empty() => Ok(b),
            _ => Err(format!(
                "key `{kid}` has no private `{name}` member (a public key cannot sign)"
            )),
        }
    };
    Ok(match text("kty") {
        "oct" => PrivateJwk::Oct(bytes("k")?),
        "RSA" => PrivateJwk::Rsa([
            bytes("n")?,
            bytes("e")?,
            bytes("d")?,
            bytes("p")?,
            bytes("q")?,
            bytes("dp")?,
            bytes("dq")?,
            bytes("qi")?,
        ]),
        "EC" => PrivateJwk::Ec {
            crv: text("crv").to_owned(),
            x: bytes("x")?,
            y: bytes("y")?,
            d: bytes("d")?,
        },
        "OKP" if text("crv") == "Ed25519" => PrivateJwk::Okp {
            x: bytes("x")?,
            d: bytes("d")?,
        },
        other => return Err(format!("key `{kid}` has an unsupported key type `{other}`")),
    })
}

/// Whether `key` can sign tokens of `alg` (sizes as the runtime's crypto needs them).
pub fn fits(alg: &str, key: &PrivateJwk) -> bool {
    match (key, alg) {
        (PrivateJwk::Oct(_), "HS256" | "HS384" | "HS512") => true,
        (PrivateJwk::Rsa(m), "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512") => {
            m[0].len() >= 256
        }
        (PrivateJwk::Ec { crv, x, y, d }, "ES256" | "ES384" | "ES512") => {
            let (want, size) = match alg {
                "ES256" => ("P-256", 32),
                "ES384" => ("P-384", 48),
                _ => ("P-521", 66),
            };
            crv == want && x.len() == size && y.len() == size && d.len() == size
        }
        (PrivateJwk::Okp { x, d }, "EdDSA") => x.len() == 32 && d.len() == 32,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_private_keys() {
        let doc = br#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"},{"kty":"OKP","crv":"Ed25519","kid":"p","x":"AA"}]}"#;
        let k = private_key(doc, "a").unwrap_or_else(|e| panic!("{e}"));
        assert!(fits("HS256", &k) && !fits("RS256", &k));
        assert!(private_key(doc, "b").is_err());
        assert!(private_key(doc, "p").is_err_and(|e| e.contains("public key")));
        assert!(private_key(b"{", "a").is_err());
    }
}
