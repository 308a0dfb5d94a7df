//! The transport of a gateway, resolved: the listener's TLS, h2c, TLS to backends and response
//! compression. Certificate and key files stay paths: the gateway reads them at start-up.

use crate::tls_ids::Version;

#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// `tls` present and not `disabled`.
    pub tls: Option<ServerTls>,
    /// Root `use_h2c`: cleartext HTTP/2 with prior knowledge beside HTTP/1.1.
    pub h2c: bool,
    /// `client_tls`, or the root `allow_insecure_connections`.
    pub client_tls: Option<ClientTls>,
    pub compression: Option<Compression>,
}

impl Transport {
    /// Anything to emit at all.
    pub fn any(&self) -> bool {
        self.tls.is_some() || self.h2c || self.client_tls.is_some() || self.compression.is_some()
    }
}

/// Versions, suites and groups, defaults applied.
#[derive(Debug, Clone)]
pub struct Params {
    pub min_version: Version,
    pub max_version: Version,
    /// IANA ids of the TLS 1.2 suites, in preference order.
    pub cipher_suites: Vec<u16>,
    /// IANA named groups, in preference order.
    pub curves: Vec<u16>,
    pub ca_certs: Vec<String>,
    pub system_ca_pool: bool,
}

#[derive(Debug, Clone)]
pub struct ServerTls {
    /// (certificate chain file, private key file), the first one the default.
    pub keys: Vec<(String, String)>,
    pub enable_mtls: bool,
    pub params: Params,
}

#[derive(Debug, Clone)]
pub struct ClientTls {
    pub allow_insecure: bool,
    pub client_certs: Vec<(String, String)>,
    pub params: Params,
}

#[derive(Debug, Clone)]
pub struct Compression {
    pub gzip: bool,
    pub br: bool,
    pub min_size: u16,
}
