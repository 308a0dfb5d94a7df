//! TLS to https backends: rustls with the ring provider. The trust store is Mozilla's roots
//! (webpki-roots) unless `KRUSTD_TLS_ROOTS=system` asks for the system store, as Go's
//! `crypto/x509` uses, for backends behind a private CA.

use std::sync::{Arc, OnceLock};

/// The environment variable that chooses the trust store: `webpki` (default) or `system`.
pub const ROOTS_ENV: &str = "KRUSTD_TLS_ROOTS";

/// Which certificates a backend's chain may end at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roots {
    /// Mozilla's roots, compiled in.
    Webpki,
    /// The operating system's trust store (`rustls-native-certs`), read once at start-up.
    System,
}

impl Roots {
    /// The choice of `KRUSTD_TLS_ROOTS`; an unknown value is an error, not a silent default.
    pub fn from_env() -> Result<Roots, String> {
        match std::env::var(ROOTS_ENV) {
            Err(std::env::VarError::NotPresent) => Roots::parse(None),
            Ok(v) => Roots::parse(Some(&v)),
            Err(e) => Err(format!("{ROOTS_ENV}: {e}")),
        }
    }

    /// A `KRUSTD_TLS_ROOTS` value (`None`: unset).
    pub fn parse(value: Option<&str>) -> Result<Roots, String> {
        match value {
            None => Ok(Roots::Webpki),
            Some(v) if v.is_empty() || v.eq_ignore_ascii_case("webpki") => Ok(Roots::Webpki),
            Some(v) if v.eq_ignore_ascii_case("system") => Ok(Roots::System),
            Some(v) => Err(format!(
                "{ROOTS_ENV}={v:?} is not a trust store (use \"webpki\" or \"system\")"
            )),
        }
    }
}

/// The process-wide TLS configuration, built once (loading the system store is slow) and
/// shared by every core's client. `Err` says why https backends cannot be called.
pub fn config() -> &'static Result<Arc<rustls::ClientConfig>, String> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG.get_or_init(|| Roots::from_env().and_then(build).map(Arc::new))
}

/// A client configuration trusting `roots`, TLS 1.2 and 1.3.
pub fn build(roots: Roots) -> Result<rustls::ClientConfig, String> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        Roots::Webpki => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        Roots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(format!(
                    "{ROOTS_ENV}=system: no usable certificate in the system trust store{}",
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(" ({why})")
                    }
                ));
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // hyper-rustls sets ALPN (`http/1.1`) itself.
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn webpki_roots_build() {
        assert!(build(Roots::Webpki).is_ok());
    }

    #[test]
    fn the_trust_store_is_chosen_explicitly() {
        assert_eq!(Roots::parse(None), Ok(Roots::Webpki));
        assert_eq!(Roots::parse(Some("SYSTEM")), Ok(Roots::System));
        let err = Roots::parse(Some("mozilla")).unwrap_err();
        assert!(err.contains("KRUSTD_TLS_ROOTS=\"mozilla\""), "{err}");
    }
}
