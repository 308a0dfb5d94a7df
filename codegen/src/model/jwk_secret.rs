//! `secret_url` + `cypher_key`: an encrypted `jwk_local_path` (krakend-jose `secrets.Cypher`),
//! decrypted at build time so the gateway embeds the plain key set.
//!
//! krakend-jose opens the gocloud keeper of `secret_url`, decrypts `cypher_key` (the data key,
//! standard base64 as Go encodes a `[]byte` in JSON) with it, and opens the file with AES-256-GCM
//! under the key `hex(md5(data key))`, the file being `nonce (12 bytes) || ciphertext || tag`.
//! The only keeper that works without a cloud is `base64key://<key>` (gocloud localsecrets: a
//! 32-byte key in padded URL-safe base64; NaCl secretbox, `nonce (24 bytes) || tag || box`).

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use md5::{Digest, Md5};

use super::jwk_client::JwkClientOptions;
use super::At;
use crate::diag::Diagnostics;

/// Which key the error is about (for the diagnostic's position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blame {
    SecretUrl,
    CypherKey,
    File,
}

/// The keeper's key of a `secret_url`.
pub fn keeper_key(secret_url: &str) -> Result<[u8; 32], String> {
    let Some((scheme, rest)) = secret_url.split_once("://") else {
        return Err(format!("`secret_url` `{secret_url}` is not a URL"));
    };
    match scheme {
        "base64key" => {}
        "awskms" | "azurekeyvault" | "gcpkms" | "hashivault" => {
            return Err(format!(
                "`secret_url` scheme `{scheme}://` needs a key service at start-up; Krustd decrypts `jwk_local_path` at build time and supports only `base64key://`"
            ))
        }
        other => {
            return Err(format!(
                "unknown `secret_url` scheme `{other}://` (gocloud knows awskms, azurekeyvault, gcpkms, hashivault, base64key)"
            ))
        }
    }
    let (host, tail) = rest
        .find(['/', '?', '#'])
        .map_or((rest, ""), |i| rest.split_at(i));
    if tail.starts_with('?') {
        return Err("`base64key://` takes no query parameters".to_owned());
    }
    if host.is_empty() {
        return Err(
            "`base64key://` without a key makes a random key: nothing could be decrypted"
                .to_owned(),
        );
    }
    let key = URL_SAFE
        .decode(host)
        .map_err(|e| format!("the `base64key://` key is not padded URL-safe base64: {e}"))?;
    <[u8; 32]>::try_from(key.as_slice())
        .map_err(|_| format!("the `base64key://` key has {} bytes, not 32", key.len()))
}

/// The plain data key: `cypher_key` opened with the keeper's key.
pub fn data_key(keeper: &[u8; 32], cypher_key: &str) -> Result<Vec<u8>, String> {
    let sealed = STANDARD
        .decode(cypher_key)
        .map_err(|e| format!("`cypher_key` is not standard base64: {e}"))?;
    if sealed.len() < 24 {
        return Err(format!(
            "`cypher_key` has {} bytes: too short for a secretbox (24-byte nonce, 16-byte tag)",
            sealed.len()
        ));
    }
    let (nonce, boxed) = sealed.split_at(24);
    XSalsa20Poly1305::new(keeper.into())
        .decrypt(nonce.into(), boxed)
        .map_err(|_| "`cypher_key` cannot be opened with the `secret_url` key".to_owned())
}

/// The plain file: AES-256-GCM under `hex(md5(data_key))`.
pub fn open_file(data_key: &[u8], file: &[u8]) -> Result<Vec<u8>, String> {
    use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
    let hex: String = Md5::digest(data_key)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = UnboundKey::new(&AES_256_GCM, hex.as_bytes())
        .map_err(|_| "cannot make the AES-256 key".to_owned())?;
    if file.len() < 12 + 16 {
        return Err("the file is too short to be AES-GCM encrypted".to_owned());
    }
    let (nonce, sealed) = file.split_at(12);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| "bad nonce".to_owned())?;
    let mut buf = sealed.to_vec();
    let plain = LessSafeKey::new(key)
        .open_in_place(nonce, Aad::empty(), &mut buf)
        .map_err(|_| {
            "the file cannot be decrypted with `cypher_key` (wrong key, or not an encrypted key set)"
                .to_owned()
        })?;
    Ok(plain.to_vec())
}

/// The plain content of an encrypted `jwk_local_path`; the error says which key is to blame.
pub fn decrypt(
    secret_url: &str,
    cypher_key: &str,
    file: &[u8],
) -> Result<Vec<u8>, (Blame, String)> {
    let keeper = keeper_key(secret_url).map_err(|e| (Blame::SecretUrl, e))?;
    let key = data_key(&keeper, cypher_key).map_err(|e| (Blame::CypherKey, e))?;
    open_file(&key, file).map_err(|e| (Blame::File, e))
}

/// Reads a `jwk_local_path` (`path`, looked up by `side_files`), decrypted when `secret_url`
/// is set. Errors are reported at the key to blame; `None` then.
pub fn read(d: &mut Diagnostics, path: &At<String>, client: &JwkClientOptions) -> Option<Vec<u8>> {
    let bytes = match d.side_files.read_bytes(&path.value) {
        Ok(b) => b,
        Err(err) => {
            d.error(
                &path.pointer,
                format!("cannot read `jwk_local_path` {}: {err}", path.value),
                Some(
                    "the path is relative to the contract's directory (or to a parent directory); the file must be a JWK set ({\"keys\": [...]})"
                        .to_owned(),
                ),
            );
            return None;
        }
    };
    let Some(url) = &client.secret_url else {
        if let Some(k) = &client.cypher_key {
            d.warning(
                &k.pointer,
                "`cypher_key` has no effect without `secret_url`",
                None,
            );
        }
        return Some(bytes);
    };
    let key = client.cypher_key.as_ref();
    match decrypt(&url.value, key.map_or("", |k| k.value.as_str()), &bytes) {
        Ok(plain) => Some(plain),
        Err((blame, msg)) => {
            let at = match (blame, key) {
                (Blame::SecretUrl, _) | (Blame::CypherKey, None) => &url.pointer,
                (Blame::CypherKey, Some(k)) => &k.pointer,
                (Blame::File, _) => &path.pointer,
            };
            let help = match blame {
                Blame::File => format!("`jwk_local_path` {}", path.value),
                _ => "`cypher_key` is the data key sealed by the `secret_url` keeper, in standard base64".to_owned(),
            };
            d.error(at, msg, Some(help));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made outside Rust by tests/fixtures/jwt/make_encrypted.py (gocloud's and krakend-jose's
    // layouts); the same values as contracts/features/jwt_encrypted.json.
    const URL: &str = "base64key://kozjG1zr__7o8xfKrtswMNvUO-KXMV50eHQcdqbeP3w=";
    const KEY: &str =
        "ZU4sh9eCDL6xtbVQ9DFmVJWCtbNT4A4nFLgl4jKEEttFDimKaFzYBCYQjj0+w3RTyoCYpq6MCuEZOuGg3QrABFmMoMIt/muB";
    const FILE: &[u8] = include_bytes!("../../../tests/fixtures/jwt/encrypted.jwk.bin");

    #[test]
    fn decrypts_what_go_layouts_encrypt() {
        let plain = decrypt(URL, KEY, FILE).expect("decrypts");
        let v: serde_json::Value = serde_json::from_slice(&plain).expect("a JSON key set");
        assert_eq!(v["keys"][0]["kid"], "enc1");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            decrypt("awskms://x", KEY, FILE).unwrap_err().0,
            Blame::SecretUrl
        );
        assert_eq!(
            decrypt("base64key://", KEY, FILE).unwrap_err().0,
            Blame::SecretUrl
        );
        assert_eq!(
            decrypt("base64key://AAAA", KEY, FILE).unwrap_err().0,
            Blame::SecretUrl
        );
        let other = format!("base64key://{}", URL_SAFE.encode([7u8; 32]));
        assert_eq!(decrypt(&other, KEY, FILE).unwrap_err().0, Blame::CypherKey);
        let mut bad = FILE.to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(decrypt(URL, KEY, &bad).unwrap_err().0, Blame::File);
    }
}
