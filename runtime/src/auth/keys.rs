//! JSON Web Keys: parsing a JWK set (remote, or embedded by codegen) and verifying a JWS
//! signature with one key. ring covers every algorithm but ES512, which uses RustCrypto's p521.

use super::Alg;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use ring::signature::{self, UnparsedPublicKey};
use serde_json::Value;

/// base64url as JOSE writes it (no padding), tolerating padding as go-jose does.
pub(crate) const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A key as codegen embeds it (decoded bytes, checked at build time against `alg`).
#[derive(Debug)]
pub struct StaticJwk {
    pub kid: &'static str,
    /// `x5t` / `x5t#S256` members as written (base64url), empty when absent.
    pub x5t: &'static str,
    pub x5t_s256: &'static str,
    pub material: StaticMaterial,
}

/// The key material of a [`StaticJwk`].
#[derive(Debug)]
pub enum StaticMaterial {
    Oct(&'static [u8]),
    Rsa {
        n: &'static [u8],
        e: &'static [u8],
    },
    /// `crv` is `P-256`, `P-384` or `P-521`.
    Ec {
        crv: &'static str,
        x: &'static [u8],
        y: &'static [u8],
    },
    /// Ed25519 public key.
    Okp(&'static [u8]),
}

/// Key material ready to verify.
pub enum Material {
    /// The secret and its HMAC keys for HS256, HS384, HS512 (boxed: they are large).
    Oct {
        secret: Vec<u8>,
        hmac: Box<[ring::hmac::Key; 3]>,
    },
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// Uncompressed SEC1 point (`04 || x || y`).
    P256(Vec<u8>),
    P384(Vec<u8>),
    P521(Box<p521::ecdsa::VerifyingKey>),
    Ed25519(Vec<u8>),
}

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret.
        f.write_str(match self {
            Material::Oct { .. } => "Oct",
            Material::Rsa { .. } => "Rsa",
            Material::P256(_) => "P256",
            Material::P384(_) => "P384",
            Material::P521(_) => "P521",
            Material::Ed25519(_) => "Ed25519",
        })
    }
}

/// One usable key and its identifiers.
#[derive(Debug)]
pub struct Key {
    pub kid: String,
    pub x5t: String,
    pub x5t_s256: String,
    pub material: Material,
}

impl Key {
    /// The key's identifier under a key-identify strategy (krakend-jose's `KeyIDGetter`).
    pub fn id(&self, strategy: super::KeyStrategy) -> std::borrow::Cow<'_, str> {
        use super::KeyStrategy as S;
        match strategy {
            S::Kid => self.kid.as_str().into(),
            S::X5t => self.x5t.as_str().into(),
            S::X5tS256 => self.x5t_s256.as_str().into(),
            S::KidX5t => format!("{}{}", self.kid, self.x5t).into(),
        }
    }

    /// Verifies `sig` over `msg` for `alg`; a key of another type never verifies.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        use signature as s;
        match (&self.material, alg) {
            (Material::Oct { hmac, .. }, Alg::HS256) => {
                ring::hmac::verify(&hmac[0], msg, sig).is_ok()
            }
            (Material::Oct { hmac, .. }, Alg::HS384) => {
                ring::hmac::verify(&hmac[1], msg, sig).is_ok()
            }
            (Material::Oct { hmac, .. }, Alg::HS512) => {
                ring::hmac::verify(&hmac[2], msg, sig).is_ok()
            }
            (Material::Rsa { n, e }, _) => {
                let params: &s::RsaParameters = match alg {
                    Alg::RS256 => &s::RSA_PKCS1_2048_8192_SHA256,
                    Alg::RS384 => &s::RSA_PKCS1_2048_8192_SHA384,
                    Alg::RS512 => &s::RSA_PKCS1_2048_8192_SHA512,
                    Alg::PS256 => &s::RSA_PSS_2048_8192_SHA256,
                    Alg::PS384 => &s::RSA_PSS_2048_8192_SHA384,
                    Alg::PS512 => &s::RSA_PSS_2048_8192_SHA512,
                    _ => return false,
                };
                s::RsaPublicKeyComponents { n, e }
                    .verify(params, msg, sig)
                    .is_ok()
            }
            (Material::P256(point), Alg::ES256) => {
                UnparsedPublicKey::new(&s::ECDSA_P256_SHA256_FIXED, point)
                    .verify(msg, sig)
                    .is_ok()
            }
            (Material::P384(point), Alg::ES384) => {
                UnparsedPublicKey::new(&s::ECDSA_P384_SHA384_FIXED, point)
                    .verify(msg, sig)
                    .is_ok()
            }
            (Material::P521(vk), Alg::ES512) => {
                use p521::ecdsa::signature::Verifier;
                match p521::ecdsa::Signature::from_slice(sig) {
                    Ok(sig) => vk.verify(msg, &sig).is_ok(),
                    Err(_) => false,
                }
            }
            (Material::Ed25519(x), Alg::EdDSA) => UnparsedPublicKey::new(&s::ED25519, x)
                .verify(msg, sig)
                .is_ok(),
            _ => false,
        }
    }

    /// The HMAC secret of an `oct` key (the signer signs with it).
    pub fn secret(&self) -> Option<&[u8]> {
        match &self.material {
            Material::Oct { secret, .. } => Some(secret),
            _ => None,
        }
    }
}

fn oct(secret: &[u8]) -> Material {
    Material::Oct {
        secret: secret.to_vec(),
        hmac: Box::new([
            ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            ring::hmac::Key::new(ring::hmac::HMAC_SHA384, secret),
            ring::hmac::Key::new(ring::hmac::HMAC_SHA512, secret),
        ]),
    }
}

fn ec(crv: &str, x: &[u8], y: &[u8]) -> Option<Material> {
    let size = match crv {
        "P-256" => 32,
        "P-384" => 48,
        "P-521" => 66,
        _ => return None,
    };
    if x.len() != size || y.len() != size {
        return None;
    }
    let mut point = Vec::with_capacity(1 + 2 * size);
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Some(match crv {
        "P-256" => Material::P256(point),
        "P-384" => Material::P384(point),
        _ => Material::P521(Box::new(
            p521::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()?,
        )),
    })
}

impl StaticJwk {
    /// The usable key (codegen checked the material; `None` only for an invalid curve point).
    pub fn key(&self) -> Option<Key> {
        let material = match &self.material {
            StaticMaterial::Oct(k) => oct(k),
            StaticMaterial::Rsa { n, e } => Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            },
            StaticMaterial::Ec { crv, x, y } => ec(crv, x, y)?,
            StaticMaterial::Okp(x) => Material::Ed25519(x.to_vec()),
        };
        Some(Key {
            kid: self.kid.to_owned(),
            x5t: self.x5t.to_owned(),
            x5t_s256: self.x5t_s256.to_owned(),
            material,
        })
    }
}

/// The usable keys of a JWK set document (`{"keys": [...]}`); keys that cannot be used
/// (unknown `kty`, bad encoding, private-only members) are skipped, as go-jose skips them.
pub fn parse_set(doc: &[u8]) -> Option<Vec<Key>> {
    let v: Value = serde_json::from_slice(doc).ok()?;
    let keys = v.get("keys")?.as_array()?;
    Some(keys.iter().filter_map(parse_key).collect())
}

fn parse_key(k: &Value) -> Option<Key> {
    let text = |name: &str| k.get(name).and_then(Value::as_str).unwrap_or_default();
    let bytes = |name: &str| B64URL.decode(text(name)).ok().filter(|b| !b.is_empty());
    let material = match text("kty") {
        "oct" => oct(&bytes("k")?),
        "RSA" => Material::Rsa {
            n: bytes("n")?,
            e: bytes("e")?,
        },
        "EC" => ec(text("crv"), &bytes("x")?, &bytes("y")?)?,
        "OKP" if text("crv") == "Ed25519" => {
            let x = bytes("x")?;
            (x.len() == 32).then_some(Material::Ed25519(x))?
        }
        _ => return None,
    };
    Some(Key {
        kid: text("kid").to_owned(),
        x5t: text("x5t").to_owned(),
        x5t_s256: text("x5t#S256").to_owned(),
        material,
    })
}
