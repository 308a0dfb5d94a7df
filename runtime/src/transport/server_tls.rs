//! The listener's rustls configuration, built from the contract's files at start-up.

use super::{pem, provider, roots, versions, ServerTlsSpec};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::sync::Arc;

/// The server configuration of `spec`: its key pairs (chosen by SNI), versions, suites,
/// groups, client certificates when `enable_mtls`, and ALPN `h2`, `http/1.1`. An unreadable or
/// mismatched file is an error naming it (the gateway exits).
pub fn server_config(spec: &ServerTlsSpec) -> Result<Arc<rustls::ServerConfig>, String> {
    let provider = Arc::new(provider(&spec.params));
    if spec.keys.is_empty() {
        return Err("tls: public key not defined".to_owned());
    }
    let keys = spec
        .keys
        .iter()
        .map(|(cert, key)| pem::certified_key(cert, key, &provider).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(&spec.params))
        .map_err(|e| format!("tls: {e}"))?;
    let builder = if spec.enable_mtls {
        // Go's pool: the system's CAs, `ca_certs`, and the server's own certificate files.
        let mut store = roots(&spec.params, |s| {
            s.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        })?;
        for (cert, _) in spec.keys {
            store.add_parsable_certificates(pem::certs(cert)?);
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(|e| format!("tls: client certificate verifier: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder.with_cert_resolver(Arc::new(BySni { keys }));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The key pair whose certificate is valid for the client's SNI name, else the first (Go's
/// `tls.Config.Certificates` choice).
#[derive(Debug)]
struct BySni {
    keys: Vec<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if self.keys.len() > 1 {
            if let Some(name) = hello
                .server_name()
                .and_then(|n| rustls::pki_types::ServerName::try_from(n).ok())
            {
                let fits = |k: &&Arc<CertifiedKey>| {
                    k.end_entity_cert().ok().is_some_and(|c| {
                        webpki::EndEntityCert::try_from(c)
                            .is_ok_and(|e| e.verify_is_valid_for_subject_name(&name).is_ok())
                    })
                };
                if let Some(k) = self.keys.iter().find(fits) {
                    return Some(k.clone());
                }
            }
        }
        self.keys.first().cloned()
    }
}
