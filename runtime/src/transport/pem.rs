//! Certificates and keys read from PEM files at start-up, with errors naming the file.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Every certificate of the PEM file `path` (at least one).
pub(super) fn certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read certificates from `{path}`: {e}"))?;
    if certs.is_empty() {
        return Err(format!("no certificate in `{path}`"));
    }
    Ok(certs)
}

/// The private key of the PEM file `path` (PKCS#8, PKCS#1 or SEC1).
pub(super) fn key(path: &str) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| format!("cannot read the private key `{path}`: {e}"))
}

/// A certificate chain and its key, ready to sign with `provider`.
pub(super) fn certified_key(
    cert: &str,
    key_file: &str,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<rustls::sign::CertifiedKey, String> {
    let chain = certs(cert)?;
    let key = key(key_file)?;
    rustls::sign::CertifiedKey::from_der(chain, key, provider)
        .map_err(|e| format!("`{cert}` and `{key_file}` are not a key pair: {e}"))
}
