//! Test-only keys and token signing for tests/jwt.rs (no real secret anywhere): the RSA key is
//! tests/fixtures/jwt/rsa2048_test_only.pk1.b64, EC keys are generated per process, the
//! Ed25519 seed below matches tests/fixtures/jwt/local_keys.jwk.json.
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// The HMAC secret the JWK server publishes as `sym1` (test only).
pub const SECRET: &[u8] = b"test-only-hmac-secret-for-krustd-jwt-tests";
/// The `oct` key of local_keys.jwk.json (`local-hs`), decoded (test only).
pub const LOCAL_SECRET: &[u8] = b"test-only-local-secret-not-a-real-one";
/// The seed of the Ed25519 key of local_keys.jwk.json (`local-ed`) (test only).
const LOCAL_ED_SEED: &str = "17abf4d0f98ab1f8e1c009502dd0ffa5cbd9c759e6b0495a475784d9936e125d";
/// A fixed P-521 scalar (test only).
const P521_SCALAR: [u8; 66] = {
    let mut k = [7u8; 66];
    k[0] = 0;
    k
};

pub struct Keys {
    pub rsa: RsaKeyPair,
    pub es256: EcdsaKeyPair,
    pub es384: EcdsaKeyPair,
    pub es512: p521::ecdsa::SigningKey,
    pub ed: Ed25519KeyPair,
    pub local_ed: Ed25519KeyPair,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rng = SystemRandom::new();
        let der = STANDARD
            .decode(
                include_str!("../fixtures/jwt/rsa2048_test_only.pk1.b64")
                    .trim()
                    .as_bytes(),
            )
            .expect("rsa fixture");
        let ec = |alg: &'static signature::EcdsaSigningAlgorithm| {
            let pk8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).expect("ec key");
            EcdsaKeyPair::from_pkcs8(alg, pk8.as_ref(), &rng).expect("ec key")
        };
        let seed: [u8; 32] = hex(LOCAL_ED_SEED).try_into().expect("seed");
        Keys {
            rsa: RsaKeyPair::from_der(&der).expect("rsa key"),
            es256: ec(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
            es384: ec(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
            es512: p521::ecdsa::SigningKey::from_slice(&P521_SCALAR).expect("p521 key"),
            ed: Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).expect("ed key"),
            local_ed: Ed25519KeyPair::from_seed_unchecked(&seed).expect("ed key"),
        }
    })
}

pub fn b64(b: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(b)
}

/// The RSA public key as a JWK with `kid`.
pub fn rsa_jwk(kid: &str) -> Value {
    let p = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(keys().rsa.public());
    json!({"kty": "RSA", "kid": kid, "n": b64(&p.n), "e": b64(&p.e)})
}

/// The RSA modulus bytes (what an HS/RS confusion attack uses as the HMAC secret).
pub fn rsa_modulus() -> Vec<u8> {
    ring::rsa::PublicKeyComponents::<Vec<u8>>::from(keys().rsa.public()).n
}

fn ec_jwk(kid: &str, crv: &str, point: &[u8]) -> Value {
    let n = (point.len() - 1) / 2;
    json!({"kty": "EC", "crv": crv, "kid": kid, "x": b64(&point[1..1 + n]), "y": b64(&point[1 + n..])})
}

/// The symmetric set (`sym1`) plus an RSA public key (`rsa1`, for confusion tests).
pub fn sym_set() -> Value {
    json!({"keys": [
        {"kty": "oct", "kid": "sym0", "alg": "A128KW", "k": b64(b"0123456789abcdef")},
        {"kty": "oct", "kid": "sym1", "k": b64(SECRET)},
        rsa_jwk("rsa1"),
    ]})
}

/// One key per algorithm family.
pub fn all_set() -> Value {
    let k = keys();
    let p521 = p521::ecdsa::VerifyingKey::from(&k.es512).to_encoded_point(false);
    json!({"keys": [
        {"kty": "oct", "kid": "hs", "k": b64(SECRET)},
        rsa_jwk("rsa"),
        ec_jwk("es256", "P-256", k.es256.public_key().as_ref()),
        ec_jwk("es384", "P-384", k.es384.public_key().as_ref()),
        ec_jwk("es512", "P-521", p521.as_bytes()),
        {"kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": b64(k.ed.public_key().as_ref())},
    ]})
}

/// Signs `msg` as `alg` with the test key of that family (`secret` for HS*).
pub fn sign(alg: &str, secret: &[u8], msg: &[u8]) -> Vec<u8> {
    let k = keys();
    let rng = SystemRandom::new();
    let hmac = |a| {
        ring::hmac::sign(&ring::hmac::Key::new(a, secret), msg)
            .as_ref()
            .to_vec()
    };
    let rsa = |pad: &'static dyn signature::RsaEncoding| {
        let mut sig = vec![0; k.rsa.public().modulus_len()];
        k.rsa.sign(pad, &rng, msg, &mut sig).expect("rsa sign");
        sig
    };
    match alg {
        "HS256" => hmac(ring::hmac::HMAC_SHA256),
        "HS384" => hmac(ring::hmac::HMAC_SHA384),
        "HS512" => hmac(ring::hmac::HMAC_SHA512),
        "RS256" => rsa(&signature::RSA_PKCS1_SHA256),
        "RS384" => rsa(&signature::RSA_PKCS1_SHA384),
        "RS512" => rsa(&signature::RSA_PKCS1_SHA512),
        "PS256" => rsa(&signature::RSA_PSS_SHA256),
        "PS384" => rsa(&signature::RSA_PSS_SHA384),
        "PS512" => rsa(&signature::RSA_PSS_SHA512),
        "ES256" => k.es256.sign(&rng, msg).expect("sign").as_ref().to_vec(),
        "ES384" => k.es384.sign(&rng, msg).expect("sign").as_ref().to_vec(),
        "ES512" => {
            use p521::ecdsa::signature::Signer;
            let sig: p521::ecdsa::Signature = k.es512.sign(msg);
            sig.to_bytes().to_vec()
        }
        "EdDSA" => k.ed.sign(msg).as_ref().to_vec(),
        "EdDSA-local" => k.local_ed.sign(msg).as_ref().to_vec(),
        other => panic!("no test key for {other}"),
    }
}

/// A compact JWS of `claims` with header `{"alg", "kid"}`, signed by [`sign`] (`sign_as` names
/// the key; usually equal to `alg`).
pub fn token_with(alg: &str, sign_as: &str, kid: &str, secret: &[u8], claims: &Value) -> String {
    let header = b64(json!({"alg": alg, "kid": kid, "typ": "JWT"})
        .to_string()
        .as_bytes());
    let payload = b64(claims.to_string().as_bytes());
    let signed = format!("{header}.{payload}");
    let sig = sign(sign_as, secret, signed.as_bytes());
    format!("{signed}.{}", b64(&sig))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
