//! Lowering `telemetry/metrics`, `telemetry/influx`, `telemetry/gelf` and `telemetry/logstash`.

use crate::model::namespaces::telemetry_influx::{DEFAULT_DB, DEFAULT_TTL};
use crate::model::namespaces::telemetry_metrics::{
    host_port, listen_address, DEFAULT_COLLECTION_TIME, DEFAULT_LISTEN_ADDRESS,
};
use crate::model::namespaces::telemetry_opentelemetry::DEFAULT_SKIP_PATHS;
use crate::model::{At, Service};
use crate::plan::telemetry::{LoggingPlan, MetricsPlan, Piece, Spec};
use crate::plan::telemetry_stats::{GelfPlan, InfluxPlan, LegacyTelemetry, StatsPlan};

fn millis(v: Option<&At<String>>, default: &str) -> u64 {
    let d = v.map_or(default, |t| t.value.as_str());
    crate::duration::parse(d)
        .or_else(|_| crate::duration::parse(default))
        .map_or(60_000, |d| {
            u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
        })
}

pub(super) fn lower_legacy_telemetry(s: &Service) -> LegacyTelemetry {
    let stats = s.ns.stats.as_ref().map(|m| {
        let (listen_ip, port) = listen_address(
            m.listen_address
                .as_ref()
                .map_or(DEFAULT_LISTEN_ADDRESS, |a| a.value.as_str()),
        )
        .unwrap_or_else(|_| ("0.0.0.0".to_owned(), 8090));
        StatsPlan {
            listen_ip,
            port,
            collection_ms: millis(m.collection_time.as_ref(), DEFAULT_COLLECTION_TIME),
            router: !m.router_disabled,
            proxy: !m.proxy_disabled,
            backend: !m.backend_disabled,
            endpoint: !m.endpoint_disabled,
        }
    });
    // Without `telemetry/metrics` KrakenD's influx pusher has no snapshot to send.
    let influx = s
        .ns
        .influx
        .as_ref()
        .filter(|_| stats.is_some())
        .and_then(|i| {
            let text =
                |v: &Option<At<String>>| v.as_ref().map(|a| a.value.clone()).unwrap_or_default();
            Some(InfluxPlan {
                address: i.address.as_ref()?.value.trim_end_matches('/').to_owned(),
                db: i
                    .db
                    .as_ref()
                    .map_or_else(|| DEFAULT_DB.to_owned(), |d| d.value.clone()),
                username: text(&i.username),
                password: text(&i.password),
                ttl_ms: millis(i.ttl.as_ref(), DEFAULT_TTL),
                buffer_size: i.buffer_size.as_ref().map_or(0, |b| b.value as usize),
            })
        });
    // The GELF writer is an output of `telemetry/logging`: nothing without it.
    let gelf = s.ns.gelf.as_ref().filter(|_| has_logger(s)).and_then(|g| {
        let (host, port) = host_port(&g.address.as_ref()?.value).ok()?;
        Some(GelfPlan {
            host,
            port,
            tcp: g.enable_tcp,
            record: s.ns.logstash.is_some(),
        })
    });
    LegacyTelemetry {
        stats,
        influx,
        gelf,
    }
}

fn has_logger(s: &Service) -> bool {
    s.ns.logging.as_ref().is_some_and(|l| l.level.is_some())
}

/// Whether `/__stats` shows the `pipe` layer (`telemetry/metrics` without `proxy_disabled`).
pub(super) fn measures_pipes(s: &Service) -> bool {
    s.ns.stats.as_ref().is_some_and(|m| !m.proxy_disabled)
}

/// The request metrics `/__stats` reads, when there is no Prometheus exporter to want them.
pub(super) fn metrics_for_stats(s: &Service) -> Option<MetricsPlan> {
    s.ns.stats.as_ref()?;
    Some(MetricsPlan {
        service_name: s
            .name
            .as_ref()
            .map_or_else(String::new, |n| n.value.clone()),
        skip_paths: DEFAULT_SKIP_PATHS.iter().map(|p| (*p).to_owned()).collect(),
        prometheus: Vec::new(),
        otlp: Vec::new(),
        server: true,
    })
}

/// `telemetry/logstash`: every line becomes krakend-logstash's JSON record (keys in Go's
/// sorted order), the logging `prefix` being its `module`.
pub(super) fn with_logstash(mut l: LoggingPlan, s: &Service) -> LoggingPlan {
    if s.ns.logstash.is_none() {
        return l;
    }
    let module =
        s.ns.logging
            .as_ref()
            .and_then(|l| l.prefix.as_ref())
            .map_or_else(|| "KRAKEND".to_owned(), |p| p.value.clone());
    let module = serde_json::to_string(&module).unwrap_or_else(|_| "\"KRAKEND\"".to_owned());
    let lit = |s: &str| Piece::Lit(s.to_owned());
    l.prefix = String::new();
    l.pattern = vec![
        lit(r#"{"@timestamp":""#),
        Piece::Time(crate::logfmt::time_layout(
            "2006-01-02T15:04:05.000000-07:00",
        )),
        lit(r#"","@version":1,"host":""#),
        Piece::Host,
        lit(r#"","level":""#),
        Piece::Level(Spec::default()),
        lit(r#"","message":""#),
        Piece::MessageJson,
        lit(&format!(r#"","module":{module}}}"#)),
    ];
    l
}
