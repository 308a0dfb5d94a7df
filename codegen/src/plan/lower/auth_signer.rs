//! Lowering of `auth/signer` (spec: security-and-traffic.md §2).

use crate::model::namespaces::auth_signer::{AuthSignerOptions, PrivateJwk};
use crate::plan::ir_signer::{Signer, SignerKey, SignerMaterial};

pub(super) fn lower_signer(o: &AuthSignerOptions) -> Signer {
    let key = match (&o.jwk_url, &o.local_key) {
        (None, Some(Ok(k))) => SignerKey::Local(match k.clone() {
            PrivateJwk::Oct(k) => SignerMaterial::Oct(k),
            PrivateJwk::Rsa(m) => SignerMaterial::Rsa(m),
            PrivateJwk::Ec { crv, x, y, d } => SignerMaterial::Ec { crv, x, y, d },
            PrivateJwk::Okp { x, d } => SignerMaterial::Okp { x, d },
        }),
        _ => SignerKey::Remote {
            url: o
                .jwk_url
                .as_ref()
                .map(|u| u.value.clone())
                .unwrap_or_default(),
            insecure_tls: o.disable_jwk_security,
            tls: super::auth_validator::jwk_tls(&o.client),
        },
    };
    let https = o
        .jwk_url
        .as_ref()
        .is_some_and(|u| u.value.starts_with("https://"));
    Signer {
        alg: o.alg.as_ref().map(|a| a.value.clone()).unwrap_or_default(),
        kid: o.kid.as_ref().map(|k| k.value.clone()).unwrap_or_default(),
        keys_to_sign: o.keys_to_sign.clone(),
        full: o.full,
        insecure: !https && !o.disable_jwk_security,
        key,
    }
}
