//! Rules on the `router` namespace (its types are checked while reading it).

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::router::{RouterOptions, IGNORED, KEYS, NAME};

pub(super) fn check_router(d: &mut Diagnostics, r: &RouterOptions) {
    check_unknown_keys(d, &r.unknown, KEYS, IGNORED, NAME);
    check_trusted_proxies(d, r);
}

/// gin drops an invalid trusted proxy and every entry after it: reject it instead.
fn check_trusted_proxies(d: &mut Diagnostics, r: &RouterOptions) {
    if let Some(first) = r.trusted_proxies.as_ref().and_then(|t| t.first_dropped()) {
        d.error(
            &first,
            "invalid trusted proxy: KrakenD drops it and every entry after it",
            Some("write IPs or CIDRs such as \"10.0.0.0/8\"".to_owned()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(router: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{"router": {{{router}}}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn unknown_and_ignored_keys() {
        assert_eq!(
            errors(r#""nope": 1"#),
            ["`router.nope` is not supported by Krustd yet @/extra_config/router/nope"]
        );
        assert_eq!(errors(r#""max_payload": 1"#), ["`router.max_payload` has no effect in KrakenD CE @/extra_config/router/max_payload"]);
    }

    #[test]
    fn trusted_proxies() {
        assert_eq!(
            errors(r#""trusted_proxies": ["10.0.0.0/8", "1.2.3.4/40", "::1"]"#),
            ["invalid trusted proxy: KrakenD drops it and every entry after it @/extra_config/router/trusted_proxies/1"]
        );
        assert!(errors(r#""trusted_proxies": ["10.0.0.0/8", "::1"]"#).is_empty());
    }

    #[test]
    fn types_are_the_model_s_job() {
        assert_eq!(errors(r#""auto_options": "yes""#), ["router option `auto_options` has the wrong type @/extra_config/router/auto_options"]);
        assert_eq!(errors(r#""health_path": "x""#).len(), 1);
        assert_eq!(errors(r#""remote_ip_headers": ["X Forwarded"]"#).len(), 1);
    }
}
