//! `KRAKEND_<ROOTKEY>` environment overrides (spec: operations.md §5) for a compiled contract.
//!
//! KrakenD applies `KRAKEND_<KEY>` to any root key at start. Krustd's binary *is* its contract
//! (its sha256 is printed by `--version` and served by `/__health`), so only the keys that say
//! where the process listens, which depend on where it is deployed and not on what it does, are
//! honoured: `KRAKEND_PORT` and `KRAKEND_LISTEN_IP`. Every other root key's override is refused
//! at start with an error naming it, rather than silently ignored: a deployment that expects
//! `KRAKEND_TIMEOUT=500ms` to apply must rebuild with it in the contract.

/// Root keys whose override changes the listen address: honoured.
pub const HONOURED: &[&str] = &["PORT", "LISTEN_IP"];

/// KrakenD's root keys (contract.md), upper-cased: an override of any of them is refused.
pub const REFUSED: &[&str] = &[
    "VERSION",
    "NAME",
    "HOST",
    "TIMEOUT",
    "CACHE_TTL",
    "OUTPUT_ENCODING",
    "ENDPOINTS",
    "EXTRA_CONFIG",
    "DEBUG_ENDPOINT",
    "ECHO_ENDPOINT",
    "DISABLE_REST",
    "READ_TIMEOUT",
    "WRITE_TIMEOUT",
    "IDLE_TIMEOUT",
    "READ_HEADER_TIMEOUT",
    "MAX_HEADER_BYTES",
    "MAX_SHUTDOWN_WAIT_TIME",
    "DISABLE_KEEP_ALIVES",
    "DISABLE_COMPRESSION",
    "MAX_IDLE_CONNECTIONS",
    "MAX_IDLE_CONNECTIONS_PER_HOST",
    "IDLE_CONNECTION_TIMEOUT",
    "RESPONSE_HEADER_TIMEOUT",
    "EXPECT_CONTINUE_TIMEOUT",
    "DIALER_TIMEOUT",
    "DIALER_KEEP_ALIVE",
    "DIALER_FALLBACK_DELAY",
    "DNS_CACHE_TTL",
    "TLS",
    "CLIENT_TLS",
    "PLUGIN",
    "ALLOW_INSECURE_CONNECTIONS",
    "USE_H2C",
    "SEQUENTIAL_START",
    "ASYNC_AGENT",
];

/// The refused overrides present in `vars`, sorted; `Err` names them and says why.
pub fn check(vars: impl IntoIterator<Item = (String, String)>) -> Result<(), String> {
    let mut refused: Vec<String> = vars
        .into_iter()
        .filter_map(|(k, _)| {
            let key = k.strip_prefix("KRAKEND_")?;
            REFUSED.contains(&key).then_some(k)
        })
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    refused.sort();
    Err(format!(
        "{} cannot override a compiled contract (only KRAKEND_PORT and KRAKEND_LISTEN_IP are honoured): put the value in the contract and rebuild, or unset it",
        refused.join(", ")
    ))
}

/// `check` over the process environment.
pub fn check_env() -> Result<(), String> {
    check(
        std::env::vars_os().filter_map(|(k, v)| {
            Some((k.into_string().ok()?, v.into_string().unwrap_or_default()))
        }),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn vars(names: &[&str]) -> Vec<(String, String)> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), "x".to_owned()))
            .collect()
    }

    #[test]
    fn listen_keys_and_unrelated_variables_pass() {
        assert_eq!(
            check(vars(&[
                "KRAKEND_PORT",
                "KRAKEND_LISTEN_IP",
                "KRAKEND_FOO",
                "PORT",
                "FC_ENABLE"
            ])),
            Ok(())
        );
    }

    #[test]
    fn behaviour_keys_are_refused_by_name() {
        let e = check(vars(&[
            "KRAKEND_TIMEOUT",
            "KRAKEND_PORT",
            "KRAKEND_DEBUG_ENDPOINT",
        ]))
        .unwrap_err();
        assert!(
            e.starts_with("KRAKEND_DEBUG_ENDPOINT, KRAKEND_TIMEOUT cannot override"),
            "{e}"
        );
    }

    #[test]
    fn honoured_and_refused_do_not_overlap() {
        assert!(HONOURED.iter().all(|h| !REFUSED.contains(h)));
    }
}
