//! Rules on `qos/ratelimit/router` at service level: the endpoint rules, and no `param`
//! strategy (a service has no endpoint parameters to key on).

use super::qos_ratelimit::check_router_rate_limit;
use crate::diag::Diagnostics;
use crate::model::namespaces::qos_ratelimit_router::{RateLimitOptions, NAME};
use crate::model::Endpoint;

pub(super) fn check_service_rate_limit(d: &mut Diagnostics, o: &RateLimitOptions) {
    let on = o.client_max_rate.as_ref().is_some_and(|v| v.value > 0.0);
    match &o.strategy {
        Some(s) if on && s.value.eq_ignore_ascii_case("param") => d.error(
            &s.pointer,
            format!("`{NAME}` at service level cannot use the `param` strategy"),
            Some("a service has no endpoint parameters; use \"ip\" or \"header\", or move the limit to the endpoints".to_owned()),
        ),
        _ => check_router_rate_limit(d, &Endpoint::default(), o),
    }
}

#[cfg(test)]
mod tests {
    use crate::check::diagnostics_of;

    fn errors(ns: &str) -> Vec<String> {
        diagnostics_of(&format!(
            r#"{{"version": 3, "host": ["http://b"], "extra_config": {{"qos/ratelimit/router": {{{ns}}}}},
                "endpoints": [{{"endpoint": "/a", "backend": [{{"url_pattern": "/a"}}]}}]}}"#
        ))
    }

    #[test]
    fn rules() {
        assert!(errors(r#""max_rate": 10, "client_max_rate": 1, "strategy": "ip""#).is_empty());
        assert_eq!(
            errors(r#""client_max_rate": 1, "strategy": "param", "key": "id""#).len(),
            1
        );
        assert_eq!(errors(r#""client_max_rate": 1"#).len(), 1, "no strategy");
    }
}
