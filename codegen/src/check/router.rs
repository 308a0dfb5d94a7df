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
