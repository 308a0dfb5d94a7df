//! Rules on the `qos/http-cache` namespace.

use super::endpoint::endpoint_output;
use super::namespaces::check_unknown_keys;
use super::qos_circuit_breaker::in_range;
use crate::diag::Diagnostics;
use crate::model::namespaces::qos_http_cache::{HttpCacheOptions, KEYS, NAME};
use crate::model::{Backend, Endpoint, Service};

pub(super) fn check_http_cache(
    d: &mut Diagnostics,
    s: &Service,
    e: &Endpoint,
    b: &Backend,
    o: &HttpCacheOptions,
) {
    check_unknown_keys(d, &o.unknown, KEYS, &[], NAME);
    in_range(d, o.max_items.as_ref(), "max_items", i64::MAX, "entries");
    in_range(d, o.max_size.as_ref(), "max_size", i64::MAX, "bytes");
    if endpoint_output(s, e) == "no-op" {
        d.error(
            &o.pointer,
            "`qos/http-cache` on a `no-op` endpoint is not supported by Krustd yet",
            Some("cache a backend of an endpoint with another output_encoding".to_owned()),
        );
    }
    let method = b
        .method
        .as_ref()
        .or(e.method.as_ref())
        .map_or("GET".to_owned(), |m| m.value.to_ascii_uppercase());
    if method != "GET" && method != "HEAD" {
        d.warning(
            &o.pointer,
            format!("`qos/http-cache` has no effect on a {method} backend: only GET and HEAD answers are cached"),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(endpoint: &str, cache: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            endpoint,
            &format!(r#""extra_config": {{"qos/http-cache": {{{cache}}}}}"#),
        ))
    }

    #[test]
    fn keys_types_and_ranges() {
        assert!(diags("", "").is_empty());
        assert!(diags("", r#""shared": true, "max_items": 10, "max_size": 1024"#).is_empty());
        assert_eq!(diags("", r#""shared": "yes""#).len(), 1);
        assert_eq!(diags("", r#""max_size": -1"#).len(), 1);
        assert_eq!(diags("", r#""max_items": "10""#).len(), 1);
        assert_eq!(diags("", r#""ttl": 10"#).len(), 1);
    }

    #[test]
    fn no_op_and_methods() {
        assert_eq!(diags(r#""output_encoding": "no-op""#, "").len(), 1);
        let d = diags(r#""method": "POST""#, "");
        assert!(d.len() == 1 && d[0].contains("no effect"), "{d:?}");
    }
}
