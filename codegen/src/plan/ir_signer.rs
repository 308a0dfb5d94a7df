//! IR of `auth/signer`: everything the emitter needs, defaults applied.

/// One endpoint's signer.
#[derive(Debug, Clone)]
pub struct Signer {
    /// A variant name of the runtime's `Alg`.
    pub alg: String,
    pub kid: String,
    pub keys_to_sign: Vec<String>,
    pub full: bool,
    /// Non-https source without `disable_jwk_security`: every request gets 401 (KrakenD).
    pub insecure: bool,
    pub key: SignerKey,
}

/// Where the signing key comes from.
#[derive(Debug, Clone)]
pub enum SignerKey {
    /// The private key `kid` of `jwk_local_path`, embedded.
    Local(SignerMaterial),
    Remote {
        url: String,
        insecure_tls: bool,
        /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`.
        tls: Option<crate::plan::ir_auth::JwkTls>,
    },
}

/// A private key's members (base64url-decoded).
#[derive(Debug, Clone)]
pub enum SignerMaterial {
    Oct(Vec<u8>),
    /// n, e, d, p, q, dp, dq, qi.
    Rsa([Vec<u8>; 8]),
    Ec {
        crv: String,
        x: Vec<u8>,
        y: Vec<u8>,
        d: Vec<u8>,
    },
    Okp {
        x: Vec<u8>,
        d: Vec<u8>,
    },
}
