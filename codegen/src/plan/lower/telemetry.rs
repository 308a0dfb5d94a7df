//! Lowering the `telemetry/*` namespaces.

use crate::logfmt::{self, Piece, Spec};
use crate::model::namespaces::telemetry_opentelemetry::{OtelOptions, DEFAULT_SKIP_PATHS};
use crate::model::namespaces::LoggingOptions;
use crate::model::Service;
use crate::plan::telemetry::{LoggingPlan, MetricsPlan, PrometheusPlan, SyslogPlan, Telemetry};

/// go-logging's pattern of KrakenD's default format (without its terminal colours).
pub const DEFAULT_PATTERN: &str = " %{time:2006/01/02 - 15:04:05.000} ▶ %{level} %{message}";
/// KrakenD's `logstash` pattern; the message is JSON-escaped (KrakenD writes it raw).
pub const LOGSTASH_PATTERN: &str = r#"{"@timestamp":"%{time:2006-01-02T15:04:05.000+00:00}", "@version": 1, "level": "%{level}", "message": "%{message}", "module": "%{module}"}"#;

pub(super) fn lower_telemetry(s: &Service) -> Telemetry {
    Telemetry {
        logging: s
            .ns
            .logging
            .as_ref()
            .and_then(lower_logging)
            .map(|l| super::telemetry_stats::with_logstash(l, s)),
        metrics: s
            .ns
            .opentelemetry
            .as_ref()
            .and_then(|o| lower_metrics(o, s.name.as_ref().map_or("", |n| n.value.as_str())))
            .or_else(|| super::telemetry_otel::opencensus_metrics(s))
            .or_else(|| super::telemetry_stats::metrics_for_stats(s)),
        traces: super::telemetry_otel::lower_traces(s),
    }
}

/// Whether backend calls are measured: metrics on (an exporter or `/__stats` reads them).
pub(super) fn measures_backends(s: &Service) -> bool {
    s.ns.opentelemetry.as_ref().is_some_and(|o| {
        (!o.prometheus.is_empty() || !super::telemetry_otel::otlp_metrics(o).is_empty())
            && super::telemetry_otel::backend_metrics_enabled(o)
    }) || super::telemetry_otel::opencensus_metrics(s).is_some()
        || s.ns.stats.is_some()
}

/// Metrics are kept only when an exporter reads them.
fn lower_metrics(o: &OtelOptions, contract_name: &str) -> Option<MetricsPlan> {
    let otlp = super::telemetry_otel::otlp_metrics(o);
    if o.prometheus.is_empty() && otlp.is_empty() {
        return None;
    }
    Some(MetricsPlan {
        service_name: super::telemetry_otel::service_name(o, contract_name),
        skip_paths: o
            .skip_paths
            .clone()
            .unwrap_or_else(|| DEFAULT_SKIP_PATHS.iter().map(|p| (*p).to_owned()).collect()),
        prometheus: o
            .prometheus
            .iter()
            .map(|p| PrometheusPlan {
                name: p.name.clone(),
                listen_ip: p
                    .listen_ip
                    .as_ref()
                    .map(|i| i.value.clone())
                    .unwrap_or_default(),
                port: p
                    .port
                    .as_ref()
                    .and_then(|p| u16::try_from(p.value).ok())
                    .filter(|p| *p != 0)
                    .unwrap_or(9090),
            })
            .collect(),
        otlp,
        server: !super::telemetry_otel::global_metrics_disabled(o),
    })
}

fn parsed(pattern: &str) -> Vec<Piece> {
    logfmt::parse(pattern).unwrap_or_default()
}

/// `None` without a valid `level`: KrakenD then keeps its default logger.
fn lower_logging(l: &LoggingOptions) -> Option<LoggingPlan> {
    let level = l.level.as_ref()?.value.to_ascii_uppercase();
    let severity = match level.as_str() {
        "DEBUG" => 7,
        "INFO" => 6,
        "WARNING" => 4,
        "ERROR" => 3,
        "CRITICAL" => 2,
        _ => return None,
    };
    let facility = l
        .syslog_facility
        .as_ref()
        .and_then(|f| {
            let f = f.value.to_ascii_lowercase();
            let n = f.strip_prefix("local")?.parse::<u8>().ok()?;
            (n <= 7).then_some(16 + n)
        })
        .unwrap_or(19);
    let prefix = l
        .prefix
        .as_ref()
        .map(|p| p.value.clone())
        .unwrap_or_default();
    let (pattern, keeps_prefix) = match l.format.as_ref().map(|f| f.value.as_str()) {
        Some("logstash") => (json_message(parsed(LOGSTASH_PATTERN)), false),
        Some("elastic") => (ecs(), false),
        Some("custom") => (
            parsed(l.custom_format.as_ref().map_or("", |c| c.value.as_str())),
            false,
        ),
        _ => (parsed(DEFAULT_PATTERN), true),
    };
    Some(LoggingPlan {
        prefix: if keeps_prefix {
            prefix.clone()
        } else {
            String::new()
        },
        stdout: l.stdout,
        syslog: l.syslog.then_some(SyslogPlan {
            facility,
            severity,
            tag: prefix,
        }),
        pattern,
    })
}

/// The message JSON-escaped inside the JSON formats.
fn json_message(pieces: Vec<Piece>) -> Vec<Piece> {
    pieces
        .into_iter()
        .map(|p| match p {
            Piece::Message(_) => Piece::MessageJson,
            other => other,
        })
        .collect()
}

/// Elastic Common Schema (ECS) JSON, one object per line.
fn ecs() -> Vec<Piece> {
    let lit = |s: &str| Piece::Lit(s.to_owned());
    vec![
        lit(r#"{"@timestamp":""#),
        Piece::Time(logfmt::time_layout("2006-01-02T15:04:05.000Z07:00")),
        lit(r#"","log.level":""#),
        Piece::LevelLower,
        lit(r#"","log.logger":""#),
        Piece::Module(Spec::default()),
        lit(r#"","message":""#),
        Piece::MessageJson,
        lit(r#"","ecs.version":"1.6.0"}"#),
    ]
}
