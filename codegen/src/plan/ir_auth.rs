//! IR of `auth/validator`: everything the emitter needs, defaults applied.

use std::time::Duration;

/// One endpoint's validator.
#[derive(Debug, Clone)]
pub struct Validator {
    /// The `alg` (a variant name of the runtime's `Alg`).
    pub alg: String,
    pub keys: ValidatorKeys,
    /// The runtime's `KeyStrategy` variant name.
    pub key_strategy: &'static str,
    /// Non-https source without `disable_jwk_security`: every request gets 401.
    pub insecure: bool,
    pub issuer: Option<String>,
    pub audience: Vec<String>,
    pub leeway_secs: i64,
    pub roles_key: String,
    pub roles_key_is_nested: bool,
    pub roles: Vec<String>,
    pub scopes: Option<(String, Vec<String>)>,
    pub scopes_all: bool,
    /// Lower-case.
    pub header_name: String,
    pub cookie_key: String,
    /// (claim path, lower-case header name).
    pub propagate: Vec<(String, String)>,
    pub propagate_preserve_array: bool,
    /// Claims of `{JWT.<claim>}` placeholders in the endpoint's url_patterns, in the order the
    /// backends' `UrlPart::Param` indexes follow the endpoint's own parameters.
    pub url_claims: Vec<String>,
}

/// Where the keys come from.
#[derive(Debug, Clone)]
pub enum ValidatorKeys {
    /// Read at build time from `jwk_local_path`.
    Local(Vec<EmbeddedJwk>),
    Remote {
        url: String,
        cache: bool,
        ttl: Duration,
        shared: bool,
        cooldown: Option<Duration>,
        insecure_tls: bool,
        /// `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`.
        tls: Option<JwkTls>,
    },
}

/// The TLS of a JWK download when the contract sets any of its keys.
#[derive(Debug, Clone)]
pub struct JwkTls {
    /// SHA-256 of accepted SubjectPublicKeyInfos (empty: no pinning).
    pub fingerprints: Vec<[u8; 32]>,
    pub params: crate::plan::transport_ir::Params,
}

/// A key embedded in the gateway.
#[derive(Debug, Clone)]
pub struct EmbeddedJwk {
    pub kid: String,
    pub x5t: String,
    pub x5t_s256: String,
    pub material: EmbeddedMaterial,
}

#[derive(Debug, Clone)]
pub enum EmbeddedMaterial {
    Oct(Vec<u8>),
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ec { crv: String, x: Vec<u8>, y: Vec<u8> },
    Okp(Vec<u8>),
}
