//! The TLS settings of a contract as Go's `crypto/tls` numbers them (IANA ids), and which of them
//! rustls (ring provider) implements. Shared by `check` (what to reject) and `plan`.

/// A protocol version Krustd can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    Tls12,
    Tls13,
}

/// A contract's version string: `Ok(version)`, or `Err(why not)`.
pub fn version(s: &str) -> Result<Version, String> {
    match s {
        "TLS12" => Ok(Version::Tls12),
        "TLS13" => Ok(Version::Tls13),
        "SSL3.0" | "TLS10" | "TLS11" => Err(format!(
            "TLS version `{s}` is not supported: rustls implements TLS 1.2 and 1.3 only"
        )),
        _ => Err(format!(
            "unknown TLS version `{s}` (KrakenD would silently use TLS13)"
        )),
    }
}

/// The TLS 1.2 suites rustls' ring provider implements (Go's default list, all six).
pub const TLS12_SUITES: &[(i64, &str)] = &[
    (0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"),
    (0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
    (0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
    (0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    (0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
    (0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
];

/// TLS 1.3 suites: always enabled (Go does not let them be configured either).
pub const TLS13_SUITES: &[(i64, &str)] = &[
    (0x1301, "TLS_AES_128_GCM_SHA256"),
    (0x1302, "TLS_AES_256_GCM_SHA384"),
    (0x1303, "TLS_CHACHA20_POLY1305_SHA256"),
];

/// Suites Go knows and rustls refuses to implement (CBC, RC4, 3DES, static RSA key exchange).
const REFUSED_SUITES: &[(i64, &str)] = &[
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"),
    (0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"),
    (0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"),
    (0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
    (0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"),
    (0xc007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xc011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
    (0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"),
    (0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"),
    (0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"),
];

/// What a cipher suite id is to Krustd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suite {
    Tls12(u16),
    Tls13,
    /// Not implemented by rustls; its Go name when known.
    Unsupported(Option<&'static str>),
}

pub fn suite(id: i64) -> Suite {
    if TLS12_SUITES.iter().any(|(i, _)| *i == id) {
        return Suite::Tls12(id as u16);
    }
    if TLS13_SUITES.iter().any(|(i, _)| *i == id) {
        return Suite::Tls13;
    }
    Suite::Unsupported(
        REFUSED_SUITES
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| *n),
    )
}

/// Key-exchange groups (Go's `CurveID`, IANA named groups) rustls' ring provider implements.
pub const CURVES: &[(i64, &str)] = &[(23, "P-256"), (24, "P-384"), (29, "X25519")];

/// KrakenD's default `curve_preferences` (P-521, P-384, P-256) without P-521, which ring lacks.
pub const DEFAULT_CURVES: &[u16] = &[24, 23];

/// `Ok(id)` for a supported curve, else why not.
pub fn curve(id: i64) -> Result<u16, String> {
    if CURVES.iter().any(|(i, _)| *i == id) {
        return Ok(id as u16);
    }
    Err(match id {
        25 => "curve 25 (P-521) is not supported: rustls' ring provider has no P-521 key exchange"
            .to_owned(),
        4588 => "curve 4588 (X25519MLKEM768) is not supported by rustls' ring provider".to_owned(),
        _ => format!("unknown curve id {id}"),
    })
}
