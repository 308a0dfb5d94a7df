//! The transport of a generated gateway: TLS on the listener (rustls, ring provider) with
//! HTTP/2 by ALPN, cleartext HTTP/2 (`use_h2c`), TLS to backends (`client_tls`) and response
//! compression (`krustd/compression`). Codegen emits a [`TransportSpec`] only for contracts
//! that use one of them; certificates and keys are files read at start-up, never compiled in.

pub(crate) mod client_tls;
mod compression;
pub mod drain;
pub mod listener;
mod pem;
mod server_tls;

pub use client_tls::client_config;
pub use compression::layer as compression_layer;
pub use listener::Listener;
pub use server_tls::server_config;

use std::sync::{Arc, OnceLock};

/// The transport settings of a contract.
#[derive(Debug)]
pub struct TransportSpec {
    /// `tls`, when present and not `disabled`: the port serves HTTPS only.
    pub tls: Option<&'static ServerTlsSpec>,
    /// `use_h2c`: HTTP/2 with prior knowledge beside HTTP/1.1 on a cleartext port.
    pub h2c: bool,
    /// `client_tls` (or the root `allow_insecure_connections`): TLS to https backends.
    pub client_tls: Option<&'static ClientTlsSpec>,
    /// `krustd/compression`.
    pub compression: Option<&'static CompressionSpec>,
}

impl TransportSpec {
    /// Plain HTTP/1.1, no compression, backends with the default TLS client.
    pub const NONE: TransportSpec = TransportSpec {
        tls: None,
        h2c: false,
        client_tls: None,
        compression: None,
    };
}

/// A TLS protocol version rustls implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

/// What the listener's and the client's TLS share.
#[derive(Debug)]
pub struct TlsParams {
    pub min_version: TlsVersion,
    pub max_version: TlsVersion,
    /// IANA ids of the TLS 1.2 suites, in preference order (TLS 1.3 suites are always on).
    pub cipher_suites: &'static [u16],
    /// IANA named groups, in preference order.
    pub curves: &'static [u16],
    /// PEM files of extra trusted CAs.
    pub ca_certs: &'static [&'static str],
    /// Trust the system's CAs too (not `disable_system_ca_pool`).
    pub system_ca_pool: bool,
}

/// Root `tls`.
#[derive(Debug)]
pub struct ServerTlsSpec {
    /// (certificate chain PEM, private key PEM) files; chosen by SNI, the first by default.
    pub keys: &'static [(&'static str, &'static str)],
    /// Require a client certificate signed by a trusted CA.
    pub enable_mtls: bool,
    pub params: TlsParams,
}

/// Root `client_tls`.
#[derive(Debug)]
pub struct ClientTlsSpec {
    /// Accept any backend certificate (logged as a warning at start-up).
    pub allow_insecure: bool,
    /// (certificate chain PEM, private key PEM) files presented to backends asking for one.
    pub client_certs: &'static [(&'static str, &'static str)],
    pub params: TlsParams,
    /// The configuration, built once per process from the files.
    pub built: &'static ClientTlsCell,
}

/// A client configuration built on first use (the files are read once, at start-up).
#[derive(Debug)]
pub struct ClientTlsCell(OnceLock<Result<Arc<rustls::ClientConfig>, String>>);

impl ClientTlsCell {
    pub const fn new() -> Self {
        ClientTlsCell(OnceLock::new())
    }
}

impl Default for ClientTlsCell {
    fn default() -> Self {
        ClientTlsCell::new()
    }
}

/// `krustd/compression`.
#[derive(Debug)]
pub struct CompressionSpec {
    pub gzip: bool,
    pub br: bool,
    /// Answers with a known size below this are sent as they are.
    pub min_size: u16,
}

/// The ring provider restricted to `p`'s suites and groups.
pub(crate) fn provider(p: &TlsParams) -> rustls::crypto::CryptoProvider {
    use rustls::crypto::ring;
    let base = ring::default_provider();
    let tls12 =
        |s: &rustls::SupportedCipherSuite| matches!(s, rustls::SupportedCipherSuite::Tls12(_));
    let mut suites: Vec<_> = ring::ALL_CIPHER_SUITES
        .iter()
        .filter(|s| !tls12(s))
        .copied()
        .collect();
    for id in p.cipher_suites {
        suites.extend(
            ring::ALL_CIPHER_SUITES
                .iter()
                .filter(|s| tls12(s) && u16::from(s.suite()) == *id)
                .copied(),
        );
    }
    let kx_groups = p
        .curves
        .iter()
        .filter_map(|id| {
            ring::ALL_KX_GROUPS
                .iter()
                .find(|g| u16::from(g.name()) == *id)
                .copied()
        })
        .collect();
    rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        kx_groups,
        ..base
    }
}

/// The protocol versions between `p.min_version` and `p.max_version`.
pub(crate) fn versions(p: &TlsParams) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let mut v = Vec::new();
    if p.min_version <= TlsVersion::Tls12 && p.max_version >= TlsVersion::Tls12 {
        v.push(&rustls::version::TLS12);
    }
    if p.max_version >= TlsVersion::Tls13 {
        v.push(&rustls::version::TLS13);
    }
    v
}

/// The trust store of `p`: the system's CAs unless disabled, then `ca_certs`.
pub(crate) fn roots(
    p: &TlsParams,
    system: impl FnOnce(&mut rustls::RootCertStore),
) -> Result<rustls::RootCertStore, String> {
    let mut store = rustls::RootCertStore::empty();
    if p.system_ca_pool {
        system(&mut store);
    }
    for file in p.ca_certs {
        for cert in pem::certs(file)? {
            store
                .add(cert)
                .map_err(|e| format!("ca_certs `{file}`: {e}"))?;
        }
    }
    Ok(store)
}
