//! Signing with a private JWK (`auth/signer`): the same JWK/JWS layer as the validator
//! (`keys.rs`: base64url, algorithms), on the signing side of the same crates (ring; p521 for
//! ES512).

use super::keys::B64URL;
use super::Alg;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self as s, EcdsaKeyPair, Ed25519KeyPair, RsaKeyPair};
use serde_json::Value;

/// The private members of a JWK, borrowed (from a static emitted by codegen, or from a
/// downloaded document).
#[derive(Debug)]
pub enum PrivateMaterial<'a> {
    Oct(&'a [u8]),
    Rsa {
        n: &'a [u8],
        e: &'a [u8],
        d: &'a [u8],
        p: &'a [u8],
        q: &'a [u8],
        dp: &'a [u8],
        dq: &'a [u8],
        qi: &'a [u8],
    },
    /// `crv` is `P-256`, `P-384` or `P-521`.
    Ec {
        crv: &'a str,
        x: &'a [u8],
        y: &'a [u8],
        d: &'a [u8],
    },
    /// Ed25519: `x` the public key, `d` the seed.
    Okp {
        x: &'a [u8],
        d: &'a [u8],
    },
}

/// A key ready to sign with one algorithm.
pub struct SigningKey {
    pub kid: String,
    alg: Alg,
    key: Signer,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "SigningKey({}, {})", self.kid, self.alg.name())
    }
}

enum Signer {
    Hmac(ring::hmac::Key),
    Rsa(RsaKeyPair),
    Ecdsa(EcdsaKeyPair),
    P521(Box<p521::ecdsa::SigningKey>),
    Ed25519(Ed25519KeyPair),
}

impl SigningKey {
    /// The key for `alg`; `Err` says why the material cannot sign with it.
    pub fn new(kid: &str, alg: Alg, m: &PrivateMaterial<'_>) -> Result<SigningKey, &'static str> {
        use PrivateMaterial as P;
        let key = match (m, alg) {
            (P::Oct(k), Alg::HS256) => {
                Signer::Hmac(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k))
            }
            (P::Oct(k), Alg::HS384) => {
                Signer::Hmac(ring::hmac::Key::new(ring::hmac::HMAC_SHA384, k))
            }
            (P::Oct(k), Alg::HS512) => {
                Signer::Hmac(ring::hmac::Key::new(ring::hmac::HMAC_SHA512, k))
            }
            (
                P::Rsa {
                    n,
                    e,
                    d,
                    p,
                    q,
                    dp,
                    dq,
                    qi,
                },
                Alg::RS256 | Alg::RS384 | Alg::RS512 | Alg::PS256 | Alg::PS384 | Alg::PS512,
            ) => {
                let c = ring::rsa::KeyPairComponents {
                    public_key: ring::rsa::PublicKeyComponents { n: *n, e: *e },
                    d: *d,
                    p: *p,
                    q: *q,
                    dP: *dp,
                    dQ: *dq,
                    qInv: *qi,
                };
                Signer::Rsa(RsaKeyPair::from_components(&c).map_err(|_| "invalid RSA private key")?)
            }
            (P::Ec { crv, x, y, d }, Alg::ES256 | Alg::ES384) => {
                let (want, ring_alg) = match alg {
                    Alg::ES256 => ("P-256", &s::ECDSA_P256_SHA256_FIXED_SIGNING),
                    _ => ("P-384", &s::ECDSA_P384_SHA384_FIXED_SIGNING),
                };
                if *crv != want {
                    return Err("the EC curve does not match `alg`");
                }
                let mut point = Vec::with_capacity(1 + x.len() + y.len());
                point.push(4);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                Signer::Ecdsa(
                    EcdsaKeyPair::from_private_key_and_public_key(
                        ring_alg,
                        d,
                        &point,
                        &SystemRandom::new(),
                    )
                    .map_err(|_| "invalid EC private key")?,
                )
            }
            (P::Ec { crv, d, .. }, Alg::ES512) => {
                if *crv != "P-521" {
                    return Err("the EC curve does not match `alg`");
                }
                Signer::P521(Box::new(
                    p521::ecdsa::SigningKey::from_slice(d)
                        .map_err(|_| "invalid P-521 private key")?,
                ))
            }
            (P::Okp { x, d }, Alg::EdDSA) => Signer::Ed25519(
                Ed25519KeyPair::from_seed_and_public_key(d, x)
                    .map_err(|_| "invalid Ed25519 private key")?,
            ),
            _ => return Err("the key type does not match `alg`"),
        };
        Ok(SigningKey {
            kid: kid.to_owned(),
            alg,
            key,
        })
    }

    /// The signature of `msg`; `None` only when the crypto backend fails.
    pub fn sign(&self, msg: &[u8]) -> Option<Vec<u8>> {
        match &self.key {
            Signer::Hmac(k) => Some(ring::hmac::sign(k, msg).as_ref().to_vec()),
            Signer::Rsa(k) => {
                let padding: &'static dyn s::RsaEncoding = match self.alg {
                    Alg::RS256 => &s::RSA_PKCS1_SHA256,
                    Alg::RS384 => &s::RSA_PKCS1_SHA384,
                    Alg::RS512 => &s::RSA_PKCS1_SHA512,
                    Alg::PS256 => &s::RSA_PSS_SHA256,
                    Alg::PS384 => &s::RSA_PSS_SHA384,
                    _ => &s::RSA_PSS_SHA512,
                };
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(padding, &SystemRandom::new(), msg, &mut sig).ok()?;
                Some(sig)
            }
            Signer::Ecdsa(k) => k
                .sign(&SystemRandom::new(), msg)
                .ok()
                .map(|sig| sig.as_ref().to_vec()),
            Signer::P521(k) => {
                use p521::ecdsa::signature::Signer as _;
                let sig: p521::ecdsa::Signature = k.try_sign(msg).ok()?;
                Some(sig.to_bytes().to_vec())
            }
            Signer::Ed25519(k) => Some(k.sign(msg).as_ref().to_vec()),
        }
    }

    /// The protected header go-jose writes: `alg`, `kid`, `typ` (keys sorted).
    fn protected(&self) -> String {
        let mut h = serde_json::Map::new();
        h.insert("alg".into(), self.alg.name().into());
        h.insert("kid".into(), self.kid.clone().into());
        h.insert("typ".into(), "JWT".into());
        B64URL.encode(crate::render::json::to_vec(&Value::Object(h)))
    }

    /// A JWS of `payload`: compact (`header.payload.signature`) or, with `full`, the JSON
    /// serialization (`{"payload","protected","signature"}`, as go-jose's `FullSerialize`).
    pub fn jws(&self, payload: &[u8], full: bool) -> Option<String> {
        let protected = self.protected();
        let payload = B64URL.encode(payload);
        let signed = format!("{protected}.{payload}");
        let sig = B64URL.encode(self.sign(signed.as_bytes())?);
        Some(if full {
            format!(r#"{{"payload":"{payload}","protected":"{protected}","signature":"{sig}"}}"#)
        } else {
            format!("{signed}.{sig}")
        })
    }
}

/// The key `kid` of a downloaded JWK set document, for `alg`. `Err` says why not.
pub fn from_set(doc: &[u8], kid: &str, alg: Alg) -> Result<SigningKey, String> {
    let v: Value = serde_json::from_slice(doc).map_err(|_| "not a JWK set".to_owned())?;
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("not a JWK set")?;
    let k = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str).unwrap_or_default() == kid)
        .ok_or_else(|| format!("key '{kid}' not found in the key set"))?;
    let text = |name: &str| k.get(name).and_then(Value::as_str).unwrap_or_default();
    let b = |name: &str| B64URL.decode(text(name)).unwrap_or_default();
    let (n, e, d, p, q, dp, dq, qi, x, y, kk) = (
        b("n"),
        b("e"),
        b("d"),
        b("p"),
        b("q"),
        b("dp"),
        b("dq"),
        b("qi"),
        b("x"),
        b("y"),
        b("k"),
    );
    let material = match text("kty") {
        "oct" => PrivateMaterial::Oct(&kk),
        "RSA" => PrivateMaterial::Rsa {
            n: &n,
            e: &e,
            d: &d,
            p: &p,
            q: &q,
            dp: &dp,
            dq: &dq,
            qi: &qi,
        },
        "EC" => PrivateMaterial::Ec {
            crv: text("crv"),
            x: &x,
            y: &y,
            d: &d,
        },
        "OKP" if text("crv") == "Ed25519" => PrivateMaterial::Okp { x: &x, d: &d },
        other => return Err(format!("key '{kid}': unsupported key type `{other}`")),
    };
    SigningKey::new(kid, alg, &material).map_err(|why| format!("key '{kid}': {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_compact_and_full() {
        let k = SigningKey::new("k1", Alg::HS256, &PrivateMaterial::Oct(b"secret"))
            .unwrap_or_else(|e| panic!("{e}"));
        let t = k.jws(br#"{"a":1}"#, false).unwrap_or_default();
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            B64URL.decode(parts[0]).unwrap_or_default(),
            br#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#
        );
        let full = k.jws(br#"{"a":1}"#, true).unwrap_or_default();
        let v: Value = serde_json::from_str(&full).unwrap_or_default();
        assert_eq!(v["signature"].as_str(), Some(parts[2]));
        assert!(SigningKey::new("k", Alg::RS256, &PrivateMaterial::Oct(b"s")).is_err());
        assert!(from_set(br#"{"keys":[]}"#, "k", Alg::HS256).is_err());
    }
}
