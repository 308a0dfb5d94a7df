//! Rules on `auth/validator` (spec: security-and-traffic.md §1).

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::duration;
use crate::model::jwk_file;
use crate::model::namespaces::auth_validator::{
    AuthValidatorOptions, SharedCacheOptions, KEYS, NAME, SERVICE_KEYS,
};

/// The algorithms KrakenD accepts.
pub const ALGS: &[&str] = &[
    "EdDSA", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
    "PS256", "PS384", "PS512",
];
pub const STRATEGIES: &[&str] = &["kid", "x5t", "x5t#S256", "kid_x5t"];

pub(super) fn check_shared_cache(d: &mut Diagnostics, o: &SharedCacheOptions) {
    check_unknown_keys(d, &o.unknown, SERVICE_KEYS, &[], NAME);
}

pub(super) fn check_validator(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    check_unknown_keys(d, &o.unknown, KEYS, &[], NAME);
    check_alg(d, o);
    check_key_source(d, o);
    check_local_keys(d, o);
    check_durations(d, o);
    check_roles_key(d, o);
    check_header_names(d, o);
    super::jwk_client::check(d, &o.client, o.jwk_url.is_some());
}

fn check_alg(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    match &o.alg {
        None => d.error(
            &o.pointer,
            "`auth/validator` needs `alg`",
            Some(format!("one of {}", ALGS.join(", "))),
        ),
        Some(a) if !ALGS.contains(&a.value.as_str()) => d.error(
            &a.pointer,
            format!("unknown JWT algorithm `{}`", a.value),
            Some(format!("use one of {}", ALGS.join(", "))),
        ),
        Some(_) => {}
    }
    if let Some(s) = &o.key_identify_strategy {
        if !STRATEGIES.contains(&s.value.as_str()) {
            d.error(
                &s.pointer,
                format!("unknown `key_identify_strategy` `{}`", s.value),
                Some(format!("use one of {}", STRATEGIES.join(", "))),
            );
        }
    }
    if let Some(m) = &o.scopes_matcher {
        if m.value != "any" && m.value != "all" {
            d.error(
                &m.pointer,
                format!("unknown `scopes_matcher` `{}`", m.value),
                Some("use \"any\" or \"all\"".to_owned()),
            );
        }
    }
}

fn check_key_source(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    match (&o.jwk_url, &o.jwk_local_path) {
        (None, None) => d.error(
            &o.pointer,
            "`auth/validator` needs `jwk_url` or `jwk_local_path`",
            None,
        ),
        (Some(_), Some(p)) => d.error(
            &p.pointer,
            "`jwk_url` and `jwk_local_path` are both set",
            Some("keep one key source".to_owned()),
        ),
        _ => {}
    }
    if let (Some(c), Some(_)) = (&o.cache, &o.jwk_local_path) {
        d.error(
            &c.pointer,
            "`cache` cannot be used with `jwk_local_path`",
            Some("local keys are embedded at build time; remove `cache`".to_owned()),
        );
    }
    let insecure = match &o.jwk_url {
        Some(u) => !u.value.starts_with("https://"),
        None => true,
    };
    if insecure && !o.disable_jwk_security {
        d.warning(
            &o.pointer,
            "the JWK source is not an https:// URL and `disable_jwk_security` is off: the endpoint answers 401 to every request (as KrakenD)",
            Some("use an https jwk_url or set `disable_jwk_security: true`".to_owned()),
        );
    }
}

fn check_local_keys(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    let (Some(keys), Some(path), Some(alg)) = (&o.local_keys, &o.jwk_local_path, &o.alg) else {
        return;
    };
    if ALGS.contains(&alg.value.as_str()) && !keys.iter().any(|k| jwk_file::fits(&alg.value, k)) {
        d.error(
            &path.pointer,
            format!(
                "`jwk_local_path` {} holds no key usable with `{}`",
                path.value, alg.value
            ),
            Some("HS* need `oct` keys, RS*/PS* RSA keys of 2048 bits or more, ES256/384/512 EC keys on P-256/384/521, EdDSA an Ed25519 OKP key".to_owned()),
        );
    }
}

fn check_durations(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    for at in [&o.leeway, &o.failed_jwk_key_cooldown]
        .into_iter()
        .flatten()
    {
        if let Err(e) = duration::parse(&at.value) {
            d.error(
                &at.pointer,
                e,
                Some("write a Go duration like \"5s\"".to_owned()),
            );
        }
    }
}

fn check_roles_key(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    let Some(roles) = o.roles.as_ref().filter(|r| !r.value.is_empty()) else {
        return;
    };
    let key = o.roles_key.as_ref().map_or("roles", |k| k.value.as_str());
    let at = o.roles_key.as_ref().map_or(&roles.pointer, |k| &k.pointer);
    let nested = o.roles_key_is_nested && !key.starts_with("http");
    if key.is_empty() || (nested && key.split('.').any(str::is_empty)) {
        d.error(
            at,
            format!("`roles` are checked against the claim `{key}`, which cannot be resolved"),
            Some("write a claim name, or with `roles_key_is_nested` a dot path like \"realm_access.roles\"".to_owned()),
        );
    }
}

fn check_header_names(d: &mut Diagnostics, o: &AuthValidatorOptions) {
    let names = o
        .auth_header_name
        .iter()
        .map(|h| (h.value.as_str(), &h.pointer))
        .chain(
            o.propagate_claims
                .iter()
                .map(|p| (p.value.1.as_str(), &p.pointer)),
        );
    for (name, at) in names {
        let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(tchar) {
            d.error(at, format!("`{name}` is not a valid header name"), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(v: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            &format!(r#""extra_config": {{"auth/validator": {{{v}}}}}"#),
            "",
        ))
    }

    const OK: &str = r#""alg": "HS256", "jwk_url": "https://k/jwk""#;

    #[test]
    fn rules() {
        assert!(errors(OK).is_empty(), "{:?}", errors(OK));
        assert_eq!(errors(r#""jwk_url": "https://k""#).len(), 1);
        assert_eq!(errors(r#""alg": "HS257", "jwk_url": "https://k""#).len(), 1);
        let e = errors(&format!(r#"{OK}, "roles": ["a"], "roles_key": """#));
        assert_eq!(e.len(), 1, "{e:?}");
        let e = errors(&format!(
            r#"{OK}, "roles": ["a"], "roles_key": "a..b", "roles_key_is_nested": true"#
        ));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(errors(&format!(r#"{OK}, "leeway": "x""#)).len(), 1);
        assert_eq!(errors(&format!(r#"{OK}, "cypher_keys": "x""#)).len(), 1);
        // Insecure source: a warning, not an error.
        assert_eq!(errors(r#""alg": "HS256", "jwk_url": "http://k""#).len(), 1);
    }
}
