//! Rules on the transport: root `tls`, `client_tls`, `allow_insecure_connections`, and the
//! `krustd/compression` extension.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::{krustd_compression, CompressionOptions};
use crate::model::transport::{
    ClientTlsOptions, KeyPair, TlsCommon, TlsOptions, CLIENT_TLS_KEYS, TLS_KEYS,
};
use crate::model::At;
use crate::tls_ids::{self, Suite};

/// Certificates and keys are read at start-up (they are secrets and rotate): a literal path
/// missing at build time is a warning, since CI often builds before secrets are mounted.
pub(super) fn check_file(d: &mut Diagnostics, path: &At<String>) {
    if d.side_files.exists(&path.value) == Some(false) {
        d.warning(
            &path.pointer,
            format!("`{}` does not exist (yet)", path.value),
            Some("the gateway reads it at start-up, relative to its working directory, and exits if it is missing; here it was looked up beside the contract and in its parent directories".to_owned()),
        );
    }
}

fn check_pair(d: &mut Diagnostics, p: &KeyPair, cert_key: &str) {
    match &p.certificate {
        None => d.error(
            &p.pointer,
            format!("{cert_key} not defined"),
            Some(format!("give the certificate (PEM) file as `{cert_key}`")),
        ),
        Some(c) if c.value.is_empty() => {
            d.error(&c.pointer, format!("{cert_key} not defined"), None)
        }
        Some(c) => check_file(d, c),
    }
    match &p.private_key {
        None => d.error(
            &p.pointer,
            "private key not defined",
            Some("give the private key (PEM) file as `private_key`".to_owned()),
        ),
        Some(k) if k.value.is_empty() => d.error(&k.pointer, "private key not defined", None),
        Some(k) => check_file(d, k),
    }
}

fn check_common(d: &mut Diagnostics, c: &TlsCommon) {
    let versions: Vec<_> = [&c.min_version, &c.max_version]
        .into_iter()
        .map(|v| {
            let v = v.as_ref()?;
            match tls_ids::version(&v.value) {
                Ok(x) => Some(x),
                Err(msg) => {
                    d.error(
                        &v.pointer,
                        msg,
                        Some("use \"TLS12\" or \"TLS13\"".to_owned()),
                    );
                    None
                }
            }
        })
        .collect();
    if let ([Some(min), Some(max)], Some(p)) = (versions.as_slice(), &c.max_version) {
        if min > max {
            d.error(
                &p.pointer,
                "`max_version` is below `min_version`",
                Some("no protocol version would be left".to_owned()),
            );
        }
    }
    check_cipher_suites(d, &c.cipher_suites);
    for c in &c.curve_preferences {
        if let Err(msg) = tls_ids::curve(c.value) {
            d.error(
                &c.pointer,
                msg,
                Some("supported curves: 23 (P-256), 24 (P-384), 29 (X25519)".to_owned()),
            );
        }
    }
    for ca in &c.ca_certs {
        check_file(d, ca);
    }
}

/// Go cipher suite ids: TLS 1.2 suites rustls implements (TLS 1.3 ones are always on: a
/// warning); any other id is an error (also for the JWK client of `auth/validator`/`auth/signer`).
pub(super) fn check_cipher_suites(d: &mut Diagnostics, suites: &[At<i64>]) {
    let mut refused = Vec::new();
    for s in suites {
        match tls_ids::suite(s.value) {
            Suite::Tls12(_) => {}
            Suite::Tls13 => d.warning(
                &s.pointer,
                format!(
                    "cipher suite {} is a TLS 1.3 suite: those are always enabled",
                    s.value
                ),
                Some("`cipher_suites` only chooses TLS 1.2 suites (as in Go)".to_owned()),
            ),
            Suite::Unsupported(name) => refused.push((s, name)),
        }
    }
    if let Some((first, _)) = refused.first() {
        let names: Vec<String> = refused
            .iter()
            .map(|(s, n)| match n {
                Some(n) => format!("{} ({n})", s.value),
                None => s.value.to_string(),
            })
            .collect();
        let supported: Vec<String> = tls_ids::TLS12_SUITES
            .iter()
            .map(|(i, n)| format!("{i} ({n})"))
            .collect();
        d.error(
            &first.pointer,
            format!(
                "cipher suites not supported by rustls: {}",
                names.join(", ")
            ),
            Some(format!(
                "supported TLS 1.2 suites: {}",
                supported.join(", ")
            )),
        );
    }
}

pub(super) fn check_tls(d: &mut Diagnostics, t: &TlsOptions) {
    check_unknown_keys(d, &t.unknown, TLS_KEYS, &[], "tls");
    if t.disabled {
        return;
    }
    if t.keys.is_empty() {
        d.error(
            &t.pointer,
            "public key not defined",
            Some("add \"keys\": [{\"public_key\": \"cert.pem\", \"private_key\": \"key.pem\"}], or \"disabled\": true".to_owned()),
        );
    }
    for p in &t.keys {
        check_pair(d, p, "public key");
    }
    check_common(d, &t.common);
    if !t.enable_mtls && (!t.common.ca_certs.is_empty() || t.common.disable_system_ca_pool) {
        let p = t
            .common
            .ca_certs
            .first()
            .map_or(t.pointer.as_str(), |c| c.pointer.as_str());
        d.warning(
            p,
            "`ca_certs` and `disable_system_ca_pool` only matter with `enable_mtls`",
            None,
        );
    }
}

pub(super) fn check_client_tls(d: &mut Diagnostics, t: &ClientTlsOptions) {
    check_unknown_keys(d, &t.unknown, CLIENT_TLS_KEYS, &[], "client_tls");
    for p in &t.client_certs {
        check_pair(d, p, "certificate");
    }
    check_common(d, &t.common);
}

pub(super) fn check_compression(d: &mut Diagnostics, c: &CompressionOptions) {
    check_unknown_keys(
        d,
        &c.unknown,
        krustd_compression::KEYS,
        &[],
        krustd_compression::NAME,
    );
    if let Some(list) = &c.algorithms {
        for a in list {
            if !matches!(a.value.as_str(), "gzip" | "br") {
                d.error(
                    &a.pointer,
                    format!("unknown compression algorithm `{}`", a.value),
                    Some("use \"gzip\" and/or \"br\"".to_owned()),
                );
            }
        }
        if list.is_empty() {
            d.error(
                &c.pointer,
                "`algorithms` is empty: nothing would be compressed",
                Some("list \"br\" and/or \"gzip\", or remove the namespace".to_owned()),
            );
        }
    }
    if let Some(m) = &c.min_size {
        if m.value < 0 {
            d.error(&m.pointer, "`min_size` must not be negative", None);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(root: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(root, "", ""))
    }

    const KEYS: &str =
        r#""keys": [{"public_key": "/nonexistent/c.pem", "private_key": "/nonexistent/k.pem"}]"#;

    #[test]
    fn a_key_pair_is_required() {
        assert_eq!(diags(r#""tls": {}"#), ["public key not defined @/tls"]);
        assert_eq!(
            diags(r#""tls": {"public_key": "/nonexistent/c.pem"}"#),
            [
                "`/nonexistent/c.pem` does not exist (yet) @/tls/public_key",
                "private key not defined @/tls"
            ]
        );
        assert!(diags(r#""tls": {"disabled": true}"#).is_empty());
    }

    #[test]
    fn versions_rustls_lacks_are_refused() {
        let d = diags(&format!(r#""tls": {{{KEYS}, "min_version": "TLS11"}}"#));
        assert!(
            d.contains(&"TLS version `TLS11` is not supported: rustls implements TLS 1.2 and 1.3 only @/tls/min_version".to_owned()),
            "{d:?}"
        );
        let d = diags(&format!(
            r#""tls": {{{KEYS}, "min_version": "TLS13", "max_version": "TLS12"}}"#
        ));
        assert!(d.iter().any(|m| m.contains("below")), "{d:?}");
    }

    #[test]
    fn cipher_suites_and_curves() {
        let d = diags(
            r#""client_tls": {"cipher_suites": [49199, 47, 5], "curve_preferences": [23, 25]}"#,
        );
        assert_eq!(
            d,
            [
                "cipher suites not supported by rustls: 47 (TLS_RSA_WITH_AES_128_CBC_SHA), 5 (TLS_RSA_WITH_RC4_128_SHA) @/client_tls/cipher_suites/1",
                "curve 25 (P-521) is not supported: rustls' ring provider has no P-521 key exchange @/client_tls/curve_preferences/1"
            ]
        );
    }

    #[test]
    fn compression() {
        let d = diags(
            r#""extra_config": {"krustd/compression": {"algorithms": ["zstd"], "min_size": -1}}"#,
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(diags(r#""extra_config": {"krustd/compression": {}}"#).is_empty());
    }
}
