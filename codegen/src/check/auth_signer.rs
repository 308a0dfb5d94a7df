//! Rules on `auth/signer` (spec: security-and-traffic.md §2).

use super::auth_validator::ALGS;
use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::auth_signer::{AuthSignerOptions, KEYS, NAME};
use crate::model::signer_jwk;
use crate::model::Endpoint;

pub(super) fn check_signer(d: &mut Diagnostics, e: &Endpoint, no_op: bool, o: &AuthSignerOptions) {
    check_unknown_keys(d, &o.unknown, KEYS, &[], NAME);
    match &o.alg {
        None => d.error(
            &o.pointer,
            "`auth/signer` needs `alg`",
            Some(format!("one of {}", ALGS.join(", "))),
        ),
        Some(a) if !ALGS.contains(&a.value.as_str()) => d.error(
            &a.pointer,
            format!("unknown JWT algorithm `{}`", a.value),
            Some(format!("use one of {}", ALGS.join(", "))),
        ),
        Some(_) => {}
    }
    match (&o.jwk_url, &o.jwk_local_path) {
        (None, None) => d.error(
            &o.pointer,
            "`auth/signer` needs `jwk_url` or `jwk_local_path`",
            None,
        ),
        (Some(_), Some(p)) => d.error(
            &p.pointer,
            "`jwk_url` and `jwk_local_path` are both set",
            Some("keep one key source".to_owned()),
        ),
        _ => {}
    }
    super::jwk_client::check(d, &o.client, o.jwk_url.is_some());
    if let (Some(key), Some(path)) = (&o.local_key, &o.jwk_local_path) {
        let alg = o.alg.as_ref().map_or("", |a| a.value.as_str());
        match key {
            Err(why) => d.error(
                &path.pointer,
                format!("`jwk_local_path` {}: {why}", path.value),
                Some("`kid` must name a private key of the set (`k`, or `d` and the other private members)".to_owned()),
            ),
            Ok(k) if ALGS.contains(&alg) && !signer_jwk::fits(alg, k) => d.error(
                &path.pointer,
                format!("the key `{}` of `jwk_local_path` {} cannot sign `{alg}`", o.kid.as_ref().map_or("", |k| k.value.as_str()), path.value),
                Some("HS* need `oct` keys, RS*/PS* RSA keys of 2048 bits or more, ES256/384/512 EC keys on P-256/384/521, EdDSA an Ed25519 OKP key".to_owned()),
            ),
            Ok(_) => {}
        }
    }
    let https = o
        .jwk_url
        .as_ref()
        .is_some_and(|u| u.value.starts_with("https://"));
    if !https && !o.disable_jwk_security {
        d.warning(
            &o.pointer,
            "the JWK source is not an https:// URL and `disable_jwk_security` is off: the endpoint answers 401 to every request (as KrakenD)",
            Some("use an https jwk_url or set `disable_jwk_security: true`".to_owned()),
        );
    }
    if no_op {
        d.error(
            &o.pointer,
            "`auth/signer` signs keys of the endpoint's JSON answer: it cannot be used on a `no-op` endpoint",
            None,
        );
    }
    if let Some(r) = &e.ns.rate_limit {
        d.warning(
            &r.pointer,
            "`qos/ratelimit/router` has no effect on an endpoint with `auth/signer` (KrakenD's signer replaces the rate-limited handler)",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(v: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            &format!(r#""extra_config": {{"auth/signer": {{{v}}}}}"#),
            "",
        ))
    }

    #[test]
    fn rules() {
        let ok = r#""alg": "HS256", "kid": "a", "jwk_url": "https://k/jwk""#;
        assert!(diags(ok).is_empty(), "{:?}", diags(ok));
        assert_eq!(diags(r#""kid": "a", "jwk_url": "https://k""#).len(), 1);
        assert_eq!(diags(r#""alg": "XX", "jwk_url": "https://k""#).len(), 1);
        assert_eq!(diags(r#""alg": "HS256""#).len(), 2, "no source, not https");
        assert_eq!(diags(&format!(r#"{ok}, "typo": 1"#)).len(), 1);
    }
}
