//! The backend client's rustls configuration of `client_tls`, built once at start-up.

use super::{pem, provider, roots, versions, ClientTlsSpec};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::Arc;

/// The configuration of `spec` (built on first call, then shared). The trust store is the
/// default one of [`crate::client::tls`] (Mozilla's roots, or the system's with
/// `KRUSTD_TLS_ROOTS=system`) unless `disable_system_ca_pool`, plus `ca_certs`.
pub fn client_config(spec: &ClientTlsSpec) -> &Result<Arc<rustls::ClientConfig>, String> {
    spec.built.0.get_or_init(|| {
        let built = build(spec).map(Arc::new);
        match &built {
            Ok(_) if spec.allow_insecure => crate::log::warning(
                "client_tls: allow_insecure_connections is set: backend TLS certificates are NOT verified (anyone on the path can impersonate a backend)",
            ),
            Ok(_) => {}
            Err(e) => crate::log::error(&format!("client_tls: {e}")),
        }
        built
    })
}

fn build(spec: &ClientTlsSpec) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(provider(&spec.params));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions(&spec.params))
        .map_err(|e| format!("client_tls: {e}"))?;
    let builder = if spec.allow_insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider.clone())))
    } else {
        let store = roots(&spec.params, default_roots)?;
        builder.with_root_certificates(store)
    };
    let keys = spec
        .client_certs
        .iter()
        .map(|(cert, key)| pem::certified_key(cert, key, &provider).map(Arc::new))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(if keys.is_empty() {
        builder.with_no_client_auth()
    } else {
        builder.with_client_cert_resolver(Arc::new(FirstUsable(keys)))
    })
}

/// The default trust store: Mozilla's roots, or the system's with `KRUSTD_TLS_ROOTS=system`
/// (also the JWK client's, `auth::jwk_tls`).
pub(crate) fn default_roots(s: &mut rustls::RootCertStore) {
    match crate::client::tls::Roots::from_env() {
        Ok(crate::client::tls::Roots::System) => {
            s.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        _ => s.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
}

/// The first client certificate whose key can sign with a scheme the backend accepts.
#[derive(Debug)]
struct FirstUsable(Vec<Arc<CertifiedKey>>);

impl ResolvesClientCert for FirstUsable {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.0
            .iter()
            .find(|k| k.key.choose_scheme(sigschemes).is_some())
            .cloned()
    }

    fn has_certs(&self) -> bool {
        !self.0.is_empty()
    }
}

/// `allow_insecure_connections`: any certificate is accepted; the handshake signatures are
/// still checked (the peer holds the key of the certificate it sent).
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
