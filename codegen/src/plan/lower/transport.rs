//! Lowering of the root transport keys and `krustd/compression` (defaults: spec operations §3).

use crate::model::namespaces::CompressionOptions;
use crate::model::transport::{KeyPair, TlsCommon};
use crate::model::Service;
use crate::plan::transport_ir::*;
use crate::tls_ids::{self, Suite, Version};

/// Default `min_size` of `krustd/compression`: smaller answers gain little.
pub const DEFAULT_MIN_SIZE: u16 = 1024;

fn params(c: &TlsCommon) -> Params {
    // lura: an absent (or unknown) version is TLS 1.3, for the minimum as for the maximum.
    let v = |v: &Option<crate::model::At<String>>| {
        v.as_ref()
            .and_then(|v| tls_ids::version(&v.value).ok())
            .unwrap_or(Version::Tls13)
    };
    let cipher_suites = tls12_suites(&c.cipher_suites);
    let mut curves: Vec<u16> = c
        .curve_preferences
        .iter()
        .filter_map(|c| tls_ids::curve(c.value).ok())
        .collect();
    if c.curve_preferences.is_empty() {
        curves = tls_ids::DEFAULT_CURVES.to_vec();
    }
    Params {
        min_version: v(&c.min_version),
        max_version: v(&c.max_version),
        cipher_suites,
        curves,
        ca_certs: c.ca_certs.iter().map(|c| c.value.clone()).collect(),
        system_ca_pool: !c.disable_system_ca_pool,
    }
}

/// The TLS 1.2 suites of a Go `cipher_suites` list (Go's defaults when empty; TLS 1.3 ids are
/// always on). Also the JWK client's of `auth/validator`/`auth/signer`.
pub(crate) fn tls12_suites(list: &[crate::model::At<i64>]) -> Vec<u16> {
    if list.is_empty() {
        return tls_ids::TLS12_SUITES
            .iter()
            .map(|(i, _)| *i as u16)
            .collect();
    }
    list.iter()
        .filter_map(|s| match tls_ids::suite(s.value) {
            Suite::Tls12(id) => Some(id),
            _ => None,
        })
        .collect()
}

fn pairs(list: &[KeyPair]) -> Vec<(String, String)> {
    list.iter()
        .filter_map(|p| {
            Some((
                p.certificate.as_ref()?.value.clone(),
                p.private_key.as_ref()?.value.clone(),
            ))
        })
        .collect()
}

fn compression(c: &CompressionOptions) -> Compression {
    let has = |name: &str| {
        c.algorithms
            .as_ref()
            .is_none_or(|l| l.iter().any(|a| a.value == name))
    };
    Compression {
        gzip: has("gzip"),
        br: has("br"),
        min_size: c.min_size.as_ref().map_or(DEFAULT_MIN_SIZE, |m| {
            m.value.clamp(0, i64::from(u16::MAX)) as u16
        }),
    }
}

pub(super) fn lower_transport(s: &Service) -> Transport {
    let t = &s.transport;
    let tls = t.tls.as_ref().filter(|t| !t.disabled).map(|t| ServerTls {
        keys: pairs(&t.keys),
        enable_mtls: t.enable_mtls,
        params: params(&t.common),
    });
    let root_insecure = t
        .allow_insecure_connections
        .as_ref()
        .is_some_and(|a| a.value);
    let client_tls = match &t.client_tls {
        Some(c) => Some(ClientTls {
            allow_insecure: c.allow_insecure_connections || root_insecure,
            client_certs: pairs(&c.client_certs),
            params: params(&c.common),
        }),
        // lura turns the root flag into a `client_tls` with defaults (TLS 1.3 only).
        None if root_insecure => Some(ClientTls {
            allow_insecure: true,
            client_certs: Vec::new(),
            params: params(&TlsCommon::default()),
        }),
        None => None,
    };
    Transport {
        tls,
        h2c: t.use_h2c.as_ref().is_some_and(|h| h.value)
            || s.ns.router.as_ref().is_some_and(|r| r.use_h2c),
        client_tls,
        compression: s.ns.compression.as_ref().map(compression),
    }
}
