//! Rules on the `telemetry/opentelemetry` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::telemetry_opentelemetry::{
    OtelOptions, KEYS, NAME, NOT_YET, PROMETHEUS_KEYS,
};

pub(super) fn check_opentelemetry(d: &mut Diagnostics, o: &OtelOptions) {
    let supported: Vec<&str> = KEYS.iter().chain(NOT_YET).copied().collect();
    check_unknown_keys(d, &o.unknown, &supported, &[], NAME);
    for k in &o.not_yet {
        d.warning(
            &k.pointer,
            format!(
                "`{NAME}.{}` is not implemented by Krustd yet: ignored",
                k.value
            ),
            None,
        );
    }
    super::telemetry_otel::check_traces(d, o);
    for p in &o.prometheus {
        check_unknown_keys(
            d,
            &p.unknown,
            PROMETHEUS_KEYS,
            &[],
            "exporters.prometheus[]",
        );
        if let Some(port) = &p.port {
            if !(0..=65535).contains(&port.value) {
                d.error(
                    &port.pointer,
                    "invalid port",
                    Some("use 1 to 65535 (0: 9090)".to_owned()),
                );
            }
        }
        if let Some(ip) = &p.listen_ip {
            if !ip.value.is_empty() && ip.value.parse::<std::net::IpAddr>().is_err() {
                d.error(&ip.pointer, "invalid ip address", None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(otel: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{"telemetry/opentelemetry": {{{otel}}}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn prometheus_exporter() {
        assert!(diags(r#""service_name": "gw", "exporters": {"prometheus": [{"name": "p", "port": 9091, "listen_ip": "127.0.0.1", "go_metrics": true}]}"#).is_empty());
        assert_eq!(
            diags(r#""exporters": {"prometheus": [{"port": 70000}]}"#),
            ["invalid port @/extra_config/telemetry~1opentelemetry/exporters/prometheus/0/port"]
        );
        // krakend-otel's `host` key is the listen address too.
        assert!(diags(r#""exporters": {"prometheus": [{"host": "127.0.0.1"}]}"#).is_empty());
        assert_eq!(
            diags(r#""exporters": {"prometheus": [{"host": "gw", "listen_ip": "127.0.0.1"}]}"#),
            ["invalid ip address @/extra_config/telemetry~1opentelemetry/exporters/prometheus/0/host"]
        );
        let d = diags(
            r#""exporters": {"otlp": [{"host": "x", "port": 4318, "use_http": true}]}, "histograms": {}"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
    }
}
