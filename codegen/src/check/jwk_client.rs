//! Rules on the JWK client keys of `auth/validator` and `auth/signer` (krakend-jose
//! `SecretProviderConfig`): `jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`; `secret_url`
//! and `cypher_key` are judged where the file is decrypted (`model::jwk_secret`).

use super::transport::{check_cipher_suites, check_file};
use crate::diag::Diagnostics;
use crate::model::jwk_client::{fingerprint, JwkClientOptions};

/// `remote`: the keys come from a `jwk_url` (the TLS keys apply to its download).
pub(super) fn check(d: &mut Diagnostics, c: &JwkClientOptions, remote: bool) {
    for f in &c.fingerprints {
        if let Err(msg) = fingerprint(&f.value) {
            d.error(
                &f.pointer,
                msg,
                Some("write the base64url (with `=` padding) SHA-256 of the certificate's SubjectPublicKeyInfo".to_owned()),
            );
        }
    }
    check_cipher_suites(d, &c.cipher_suites);
    if let Some(ca) = c.local_ca.as_ref().filter(|p| !p.value.is_empty()) {
        check_file(d, ca);
    }
    if !remote && c.custom_tls() {
        let at = c
            .fingerprints
            .first()
            .map(|f| &f.pointer)
            .or(c.local_ca.as_ref().map(|p| &p.pointer))
            .or(c.cipher_suites.first().map(|s| &s.pointer));
        if let Some(at) = at {
            d.warning(
                at,
                "`jwk_fingerprints`, `jwk_local_ca` and `cipher_suites` only apply to a `jwk_url` download",
                None,
            );
        }
    }
    if remote {
        if let Some(u) = &c.secret_url {
            d.warning(
                &u.pointer,
                "`secret_url` only decrypts a `jwk_local_path`: it has no effect with `jwk_url`",
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(ns: &str, v: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            &format!(r#""extra_config": {{"{ns}": {{{v}}}}}"#),
            "",
        ))
    }

    #[test]
    fn rules() {
        let fp = "\"jwk_fingerprints\": [\"LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE=\"]";
        for (ns, ok) in [
            (
                "auth/validator",
                r#""alg": "HS256", "jwk_url": "https://k/jwk""#,
            ),
            (
                "auth/signer",
                r#""alg": "HS256", "kid": "a", "jwk_url": "https://k/jwk""#,
            ),
        ] {
            let good = format!(r#"{ok}, {fp}, "cipher_suites": [49199, 52393]"#);
            assert!(diags(ns, &good).is_empty(), "{:?}", diags(ns, &good));
            let unpadded = format!(
                r#"{ok}, "jwk_fingerprints": ["LXEWQrcmsEQBYnyp-6wy9chTD7GQPMTbAiWHF5IaSIE"]"#
            );
            assert_eq!(diags(ns, &unpadded).len(), 1, "{ns}");
            let short = format!(r#"{ok}, "jwk_fingerprints": ["AAAA"]"#);
            assert_eq!(diags(ns, &short).len(), 1, "{ns}");
            let suite = format!(r#"{ok}, "cipher_suites": [5]"#);
            assert_eq!(diags(ns, &suite).len(), 1, "{ns}");
            let secret = format!(r#"{ok}, "secret_url": "base64key://x""#);
            assert_eq!(diags(ns, &secret).len(), 1, "{ns}: a warning");
        }
    }
}
