//! Rules on KrakenD's pre-OpenTelemetry telemetry namespaces: `telemetry/metrics`,
//! `telemetry/influx`, `telemetry/gelf` and `telemetry/logstash`.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::telemetry_metrics::{host_port, listen_address};
use crate::model::namespaces::{telemetry_gelf, telemetry_influx, telemetry_metrics};
use crate::model::{At, Service};

pub(super) fn check_stats(d: &mut Diagnostics, s: &Service) {
    if let Some(m) = &s.ns.stats {
        check_unknown_keys(
            d,
            &m.unknown,
            telemetry_metrics::KEYS,
            &[],
            telemetry_metrics::NAME,
        );
        if let Some(t) = &m.collection_time {
            positive_duration(d, t, "collection_time");
        }
        if let Some(a) = &m.listen_address {
            if let Err(e) = listen_address(&a.value) {
                d.error(
                    &a.pointer,
                    format!("invalid `listen_address`: {e}"),
                    Some("use \":8090\" or \"127.0.0.1:8090\"".to_owned()),
                );
            }
        }
    }
    if let Some(i) = &s.ns.influx {
        check_unknown_keys(
            d,
            &i.unknown,
            telemetry_influx::KEYS,
            &[],
            telemetry_influx::NAME,
        );
        match &i.address {
            None => d.error(
                &i.pointer,
                "`telemetry/influx` needs an `address`",
                Some("e.g. \"address\": \"http://influxdb:8086\"".to_owned()),
            ),
            Some(a) if !(a.value.starts_with("http://") || a.value.starts_with("https://")) => d
                .error(
                    &a.pointer,
                    "invalid InfluxDB `address`: expected an http:// or https:// URL",
                    Some("e.g. \"address\": \"http://influxdb:8086\"".to_owned()),
                ),
            Some(_) => {}
        }
        if let Some(t) = &i.ttl {
            positive_duration(d, t, "ttl");
        }
        if let Some(b) = &i.buffer_size {
            if b.value < 0.0 || b.value.fract() != 0.0 || b.value > 1e6 {
                d.error(
                    &b.pointer,
                    "`buffer_size` must be a whole number from 0 to 1000000",
                    None,
                );
            }
        }
        if s.ns.stats.is_none() {
            d.warning(
                &i.pointer,
                "`telemetry/influx` without `telemetry/metrics` sends nothing (KrakenD pushes the metrics snapshot); so does Krustd",
                Some("add \"telemetry/metrics\": {}".to_owned()),
            );
        }
    }
    let level =
        s.ns.logging
            .as_ref()
            .and_then(|l| l.level.as_ref())
            .is_some();
    if let Some(g) = &s.ns.gelf {
        check_unknown_keys(
            d,
            &g.unknown,
            telemetry_gelf::KEYS,
            &[],
            telemetry_gelf::NAME,
        );
        match &g.address {
            None => d.error(
                &g.pointer,
                "`telemetry/gelf` needs an `address`",
                Some("e.g. \"address\": \"graylog:12201\"".to_owned()),
            ),
            Some(a) => {
                if let Err(e) = host_port(&a.value) {
                    d.error(
                        &a.pointer,
                        format!("invalid GELF `address`: {e}"),
                        Some("use host:port, e.g. \"graylog:12201\"".to_owned()),
                    );
                }
            }
        }
        if !level {
            d.warning(
                &g.pointer,
                "`telemetry/gelf` without `telemetry/logging` (and its `level`) sends nothing in KrakenD; so does Krustd",
                None,
            );
        }
    }
    if let Some(l) = &s.ns.logstash {
        check_unknown_keys(
            d,
            &l.unknown,
            telemetry_gelf::LOGSTASH_KEYS,
            &[],
            telemetry_gelf::LOGSTASH,
        );
        if let Some(p) = &l.disabled {
            d.warning(
                p,
                "KrakenD enables `telemetry/logstash` whenever the namespace is present, `enabled: false` included; so does Krustd",
                Some("remove the namespace to disable it".to_owned()),
            );
        }
        if !level {
            d.warning(
                &l.pointer,
                "`telemetry/logstash` without `telemetry/logging` (and its `level`) changes nothing in KrakenD; so does Krustd",
                None,
            );
        }
    }
}

fn positive_duration(d: &mut Diagnostics, t: &At<String>, key: &str) {
    match crate::duration::parse(&t.value) {
        Ok(v) if v.is_zero() => d.error(&t.pointer, format!("`{key}` must be positive"), None),
        Ok(_) => {}
        Err(e) => d.error(&t.pointer, format!("invalid `{key}`: {e}"), None),
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(ns: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{{ns}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn valid_namespaces_pass() {
        let d = diags(
            r#""telemetry/logging": {"level": "INFO", "stdout": true},
               "telemetry/metrics": {"collection_time": "30s", "listen_address": "127.0.0.1:8090", "proxy_disabled": true},
               "telemetry/influx": {"address": "http://influx:8086", "ttl": "25s", "buffer_size": 100, "db": "k"},
               "telemetry/gelf": {"address": "graylog:12201", "enable_tcp": false},
               "telemetry/logstash": {"enabled": true}"#,
        );
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn invalid_values_are_reported() {
        let d = diags(
            r#""telemetry/metrics": {"collection_time": "soon", "listen_address": "host:80"}"#,
        );
        assert_eq!(d.len(), 2, "{d:#?}");
        let d = diags(r#""telemetry/metrics": {}, "telemetry/influx": {"buffer_size": -1}"#);
        assert_eq!(d.len(), 2, "{d:#?}");
        let d = diags(
            r#""telemetry/logging": {"level": "INFO"}, "telemetry/gelf": {"address": "graylog"}"#,
        );
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(crate::model::namespaces::telemetry_metrics::listen_address(":8090").is_ok());
        assert_eq!(
            crate::model::namespaces::telemetry_metrics::host_port("[::1]:9").map(|h| h.1),
            Ok(9)
        );
    }
}
