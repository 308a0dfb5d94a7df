//! The TLS of a JWK download when the contract sets `jwk_fingerprints`, `jwk_local_ca` or
//! `cipher_suites` (krakend-jose's JWK client): TLS 1.2 at least, the given TLS 1.2 suites (TLS
//! 1.3 ones always on, as in Go), the default trust store plus the local CA (a PEM file read on
//! first use, like `client_tls`' CAs), and certificate pinning: the chain is verified as usual
//! (unless `disable_jwk_security`), then accepted only when the SHA-256 of the
//! SubjectPublicKeyInfo of one certificate the server presented is a pinned fingerprint.

use crate::transport::{client_tls::default_roots, provider, roots, versions, TlsParams};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::sync::{Arc, OnceLock};

/// One JWK source's TLS, as codegen emits it.
#[derive(Debug)]
pub struct JwkTls {
    /// SHA-256 of accepted SubjectPublicKeyInfos (empty: no pinning).
    pub fingerprints: &'static [[u8; 32]],
    pub params: TlsParams,
    /// Built on first use: (verified, `disable_jwk_security`).
    built: [OnceLock<Result<Arc<rustls::ClientConfig>, String>>; 2],
}

impl JwkTls {
    pub const fn new(fingerprints: &'static [[u8; 32]], params: TlsParams) -> Self {
        JwkTls {
            fingerprints,
            params,
            built: [OnceLock::new(), OnceLock::new()],
        }
    }

    /// The client configuration (`insecure`: the chain is not verified; pins still are).
    pub(crate) fn config(&self, insecure: bool) -> Result<Arc<rustls::ClientConfig>, String> {
        self.built[usize::from(insecure)]
            .get_or_init(|| self.build(insecure).map(Arc::new))
            .clone()
    }

    fn build(&self, insecure: bool) -> Result<rustls::ClientConfig, String> {
        let provider = Arc::new(provider(&self.params));
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions(&self.params))
            .map_err(|e| format!("JWK client TLS: {e}"))?;
        let chain = if insecure {
            None
        } else {
            let store = roots(&self.params, default_roots)?;
            let verifier =
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| format!("JWK client TLS: {e}"))?;
            Some(verifier)
        };
        let config = match chain {
            Some(v) if self.fingerprints.is_empty() => {
                builder.with_webpki_verifier(v).with_no_client_auth()
            }
            chain => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned {
                    chain,
                    pins: self.fingerprints,
                    provider,
                }))
                .with_no_client_auth(),
        };
        Ok(config)
    }
}

/// The chain's verification (when any), then the pins (when any).
#[derive(Debug)]
struct Pinned {
    chain: Option<Arc<WebPkiServerVerifier>>,
    pins: &'static [[u8; 32]],
    provider: Arc<CryptoProvider>,
}

/// Whether the SubjectPublicKeyInfo of one of `certs` hashes to one of `pins`.
fn pinned(pins: &[[u8; 32]], certs: &[&CertificateDer<'_>]) -> bool {
    certs.iter().any(|c| {
        webpki::EndEntityCert::try_from(*c).is_ok_and(|cert| {
            let spki = cert.subject_public_key_info();
            let hash = ring::digest::digest(&ring::digest::SHA256, spki.as_ref());
            pins.iter().any(|p| p.as_slice() == hash.as_ref())
        })
    })
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(chain) = &self.chain {
            chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        }
        let presented: Vec<&CertificateDer<'_>> =
            std::iter::once(end_entity).chain(intermediates).collect();
        if !self.pins.is_empty() && !pinned(self.pins, &presented) {
            return Err(rustls::Error::General(
                "JWK client did not find a pinned key".to_owned(),
            ));
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
