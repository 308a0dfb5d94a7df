//! `auth/validator.jwk_local_path`: the one side file a contract names. The builder reads it
//! after the model (through `side_files`), decodes its keys into the model, and
//! `check` judges them against `alg`; the generated gateway embeds them and never reads it.

use super::namespaces::auth_validator::{LocalJwk, LocalMaterial};
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

/// Reads every `jwk_local_path` of the service (`side_files` finds it).
pub fn load(d: &mut Diagnostics, s: &mut Service) {
    for e in &mut s.endpoints {
        let Some(v) = e.ns.auth_validator.as_mut() else {
            continue;
        };
        let Some(path) = &v.jwk_local_path else {
            continue;
        };
        let Some(bytes) = super::jwk_secret::read(d, path, &v.client) else {
            continue;
        };
        let keys = parse(&bytes).map_err(|why| format!("`jwk_local_path` {}: {why}", path.value));
        match keys {
            Ok(keys) => v.local_keys = Some(keys),
            Err(msg) => d.error(
                &path.pointer,
                msg,
                Some(
                    "the path is relative to the contract's directory (or to a parent directory); the file must be a JWK set ({\"keys\": [...]})"
                        .to_owned(),
                ),
            ),
        }
    }
}

/// The keys of a JWK set document. Keys of an unknown `kty` are skipped (go-jose skips them);
/// a known key with missing or badly encoded members is an error.
pub fn parse(bytes: &[u8]) -> Result<Vec<LocalJwk>, String> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no `keys` list")?;
    let mut out = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let text = |name: &str| k.get(name).and_then(Value::as_str).unwrap_or_default();
        let bytes = |name: &str| -> Result<Vec<u8>, String> {
            let raw = text(name);
            match B64URL.decode(raw) {
                Ok(b) if !b.is_empty() => Ok(b),
                _ => Err(format!("key {i}: `{name}` is not a base64url value")),
            }
        };
        let material = match text("kty") {
            "oct" => LocalMaterial::Oct(bytes("k")?),
            "RSA" => LocalMaterial::Rsa {
                n: bytes("n")?,
                e: bytes("e")?,
            },
            "EC" => {
                let crv = text("crv").to_owned();
                let size = match crv.as_str() {
                    "P-256" => 32,
                    "P-384" => 48,
                    "P-521" => 66,
                    other => return Err(format!("key {i}: unknown EC curve `{other}`")),
                };
                let (x, y) = (bytes("x")?, bytes("y")?);
                if x.len() != size || y.len() != size {
                    return Err(format!("key {i}: coordinates do not fit curve {crv}"));
                }
                LocalMaterial::Ec { crv, x, y }
            }
            "OKP" => {
                let x = bytes("x")?;
                if text("crv") == "Ed25519" && x.len() != 32 {
                    return Err(format!("key {i}: an Ed25519 key has 32 bytes"));
                }
                LocalMaterial::Okp {
                    crv: text("crv").to_owned(),
                    x,
                }
            }
            _ => continue,
        };
        out.push(LocalJwk {
            kid: text("kid").to_owned(),
            x5t: text("x5t").to_owned(),
            x5t_s256: text("x5t#S256").to_owned(),
            material,
        });
    }
    Ok(out)
}

/// Whether `key` can verify tokens of `alg`.
pub fn fits(alg: &str, key: &LocalJwk) -> bool {
    match (&key.material, alg) {
        (LocalMaterial::Oct(_), "HS256" | "HS384" | "HS512") => true,
        (
            LocalMaterial::Rsa { n, .. },
            "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512",
        ) => n.len() >= 256,
        (LocalMaterial::Ec { crv, .. }, "ES256") => crv == "P-256",
        (LocalMaterial::Ec { crv, .. }, "ES384") => crv == "P-384",
        (LocalMaterial::Ec { crv, .. }, "ES512") => crv == "P-521",
        (LocalMaterial::Okp { crv, .. }, "EdDSA") => crv == "Ed25519",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let keys = parse(br#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"},{"kty":"weird"}]}"#)
            .unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert!(fits("HS256", &keys[0]) && !fits("RS256", &keys[0]));
        assert!(parse(b"{").is_err());
        assert!(parse(br#"{"keys":[{"kty":"oct","k":"!!"}]}"#).is_err());
        assert!(parse(br#"{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}"#).is_err());
    }
}
