//! The root transport keys: `tls` (the listener), `client_tls` and the legacy root
//! `allow_insecure_connections` (backend calls), `use_h2c` (spec: operations.md §2, §3).
//! Read as lura's config structs read them (exact key names); every type error reported.

use super::namespaces::NsReader;
use super::{child, At};
use crate::diag::Diagnostics;
use serde_json::Value;

pub const TLS_KEYS: &[&str] = &[
    "disabled",
    "public_key",
    "private_key",
    "keys",
    "ca_certs",
    "min_version",
    "max_version",
    "curve_preferences",
    "prefer_server_cipher_suites",
    "cipher_suites",
    "enable_mtls",
    "disable_system_ca_pool",
];

pub const CLIENT_TLS_KEYS: &[&str] = &[
    "allow_insecure_connections",
    "ca_certs",
    "disable_system_ca_pool",
    "min_version",
    "max_version",
    "curve_preferences",
    "cipher_suites",
    "client_certs",
];

/// A certificate (chain) file and its private key file.
#[derive(Debug, Clone)]
pub struct KeyPair {
    pub pointer: String,
    pub certificate: Option<At<String>>,
    pub private_key: Option<At<String>>,
}

/// What `tls` and `client_tls` share.
#[derive(Debug, Default)]
pub struct TlsCommon {
    pub ca_certs: Vec<At<String>>,
    pub disable_system_ca_pool: bool,
    pub min_version: Option<At<String>>,
    pub max_version: Option<At<String>>,
    pub curve_preferences: Vec<At<i64>>,
    pub cipher_suites: Vec<At<i64>>,
}

/// Root `tls`.
#[derive(Debug, Default)]
pub struct TlsOptions {
    pub pointer: String,
    pub disabled: bool,
    /// `keys`, then the legacy `public_key`/`private_key` pair (as lura appends it).
    pub keys: Vec<KeyPair>,
    pub enable_mtls: bool,
    pub common: TlsCommon,
    pub unknown: Vec<At<String>>,
}

/// Root `client_tls`.
#[derive(Debug, Default)]
pub struct ClientTlsOptions {
    pub pointer: String,
    pub allow_insecure_connections: bool,
    pub client_certs: Vec<KeyPair>,
    pub common: TlsCommon,
    pub unknown: Vec<At<String>>,
}

/// The transport keys of the root object.
#[derive(Debug, Default)]
pub struct TransportOptions {
    pub tls: Option<TlsOptions>,
    pub client_tls: Option<ClientTlsOptions>,
    pub allow_insecure_connections: Option<At<bool>>,
    pub use_h2c: Option<At<bool>>,
}

fn bool_key(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> bool {
    r.bool(d, key, |k| (format!("`{k}` must be a boolean"), None))
        .is_some_and(|b| b.value)
}

fn string_key(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<String>> {
    r.string(d, "", key)
}

pub(crate) fn list<T>(
    d: &mut Diagnostics,
    r: &mut NsReader<'_>,
    key: &str,
    what: &str,
    item: impl Fn(&Value) -> Option<T>,
) -> Vec<At<T>> {
    let Some((v, pointer)) = r.get(key) else {
        return Vec::new();
    };
    let Value::Array(items) = v else {
        d.error(&pointer, format!("`{key}` must be a list of {what}"), None);
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let p = child(&pointer, &i.to_string());
        match item(v) {
            Some(value) => out.push(At { value, pointer: p }),
            None => d.error(&p, format!("`{key}` must be a list of {what}"), None),
        }
    }
    out
}

fn strings(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Vec<At<String>> {
    list(d, r, key, "file paths", |v| v.as_str().map(str::to_owned))
}

fn numbers(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Vec<At<i64>> {
    list(d, r, key, "numeric ids", Value::as_i64)
}

fn common(d: &mut Diagnostics, r: &mut NsReader<'_>) -> TlsCommon {
    TlsCommon {
        ca_certs: strings(d, r, "ca_certs"),
        disable_system_ca_pool: bool_key(d, r, "disable_system_ca_pool"),
        min_version: string_key(d, r, "min_version"),
        max_version: string_key(d, r, "max_version"),
        curve_preferences: numbers(d, r, "curve_preferences"),
        cipher_suites: numbers(d, r, "cipher_suites"),
    }
}

/// The objects of a list of key pairs (`keys`, `client_certs`), `cert_key` naming the
/// certificate's key.
fn key_pairs(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str, cert_key: &str) -> Vec<KeyPair> {
    let Some((v, pointer)) = r.get(key) else {
        return Vec::new();
    };
    let Value::Array(items) = v else {
        d.error(&pointer, format!("`{key}` must be a list of objects"), None);
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        let p = child(&pointer, &i.to_string());
        let mut pr = NsReader::new(d, key, v, &p);
        let certificate = string_key(d, &mut pr, cert_key);
        let private_key = string_key(d, &mut pr, "private_key");
        for k in pr.finish() {
            d.warning(
                &k.pointer,
                format!("unknown key `{}` in `{key}`", k.value),
                Some(format!("a key pair has `{cert_key}` and `private_key`")),
            );
        }
        out.push(KeyPair {
            pointer: p,
            certificate,
            private_key,
        });
    }
    out
}

impl TlsOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, "tls", value, pointer);
        let disabled = bool_key(d, &mut r, "disabled");
        let mut keys = key_pairs(d, &mut r, "keys", "public_key");
        let public_key = string_key(d, &mut r, "public_key");
        let private_key = string_key(d, &mut r, "private_key");
        if public_key.is_some() || private_key.is_some() {
            keys.push(KeyPair {
                pointer: pointer.to_owned(),
                certificate: public_key,
                private_key,
            });
        }
        let enable_mtls = bool_key(d, &mut r, "enable_mtls");
        // Go ignores it since 1.17 (the server's order is chosen by the library).
        bool_key(d, &mut r, "prefer_server_cipher_suites");
        let common = common(d, &mut r);
        TlsOptions {
            pointer: pointer.to_owned(),
            disabled,
            keys,
            enable_mtls,
            common,
            unknown: r.finish(),
        }
    }
}

impl ClientTlsOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, "client_tls", value, pointer);
        let allow_insecure_connections = bool_key(d, &mut r, "allow_insecure_connections");
        let client_certs = key_pairs(d, &mut r, "client_certs", "certificate");
        let common = common(d, &mut r);
        ClientTlsOptions {
            pointer: pointer.to_owned(),
            allow_insecure_connections,
            client_certs,
            common,
            unknown: r.finish(),
        }
    }
}
