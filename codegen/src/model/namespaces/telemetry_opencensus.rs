//! `telemetry/opencensus` (service level; legacy `github_com/devopsfaith/krakend-opencensus`):
//! KrakenD's deprecated OpenCensus integration. Krustd maps it onto the OpenTelemetry pipeline
//! (`check/telemetry_otel.rs` says how, in a warning); exporters that cannot be mapped are
//! build errors there.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "telemetry/opencensus";
/// Keys of the namespace.
pub const KEYS: &[&str] = &[
    "sample_rate",
    "reporting_period",
    "enabled_layers",
    "exporters",
];
/// Exporters Krustd maps onto its pipeline.
pub const MAPPED: &[&str] = &["prometheus", "jaeger"];

#[derive(Debug, Default)]
pub struct OpencensusOptions {
    pub pointer: String,
    /// `sample_rate`, a percentage (0 to 100).
    pub sample_rate: Option<At<i64>>,
    /// `reporting_period`, seconds.
    pub reporting_period: Option<At<i64>>,
    /// `enabled_layers` (router, pipe, backend), each defaulting to false when the object is
    /// given, all true without it.
    pub enabled_layers: Option<(bool, bool, bool)>,
    pub prometheus: Option<OcPrometheus>,
    pub jaeger: Option<OcJaeger>,
    /// Exporters present that are not mapped (`zipkin`, `influxdb`, ...), with their pointer.
    pub unmapped: Vec<At<String>>,
    pub unknown: Vec<At<String>>,
}

/// `exporters.prometheus`.
#[derive(Debug, Default)]
pub struct OcPrometheus {
    pub pointer: String,
    pub port: Option<At<i64>>,
}

/// `exporters.jaeger`.
#[derive(Debug, Default)]
pub struct OcJaeger {
    pub pointer: String,
    /// The collector URL (`endpoint`, e.g. `http://jaeger:14268/api/traces`).
    pub endpoint: Option<At<String>>,
    /// The agent's UDP address (`agent_endpoint`, e.g. `jaeger:6831`).
    pub agent_endpoint: Option<At<String>>,
    pub service_name: Option<At<String>>,
}

fn int(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<i64>> {
    match r.get(key)? {
        (Value::Number(n), pointer) if n.as_i64().is_some() => Some(At {
            value: n.as_i64().unwrap_or_default(),
            pointer,
        }),
        (_, p) => {
            d.error(&p, format!("`{key}` must be an integer"), None);
            None
        }
    }
}

fn string(d: &mut Diagnostics, r: &mut NsReader<'_>, key: &str) -> Option<At<String>> {
    r.string(d, "", key)
}

impl OpencensusOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let sample_rate = int(d, &mut r, "sample_rate");
        let reporting_period = int(d, &mut r, "reporting_period");
        let enabled_layers = r.get("enabled_layers").map(|(v, p)| {
            let mut l = NsReader::new(d, "enabled_layers", v, &p);
            let mut flag = |k: &str| {
                l.bool(d, k, |k| (format!("`{k}` must be a boolean"), None))
                    .is_some_and(|b| b.value)
            };
            let layers = (flag("router"), flag("pipe"), flag("backend"));
            let unknown = l.finish();
            for u in unknown {
                d.warning(
                    &u.pointer,
                    format!("unknown layer `{}`: ignored", u.value),
                    None,
                );
            }
            layers
        });
        let (mut prometheus, mut jaeger, mut unmapped) = (None, None, Vec::new());
        if let Some((v, p)) = r.get("exporters") {
            let mut e = NsReader::new(d, "exporters", v, &p);
            if let Some((v, p)) = e.get("prometheus") {
                let mut pr = NsReader::new(d, "exporters.prometheus", v, &p);
                let port = int(d, &mut pr, "port");
                // Labels and namespace of OpenCensus' exporter: Krustd's series have their own.
                let _ = pr.finish();
                prometheus = Some(OcPrometheus { pointer: p, port });
            }
            if let Some((v, p)) = e.get("jaeger") {
                let mut j = NsReader::new(d, "exporters.jaeger", v, &p);
                let endpoint = string(d, &mut j, "endpoint");
                let agent_endpoint = string(d, &mut j, "agent_endpoint");
                let service_name = string(d, &mut j, "service_name");
                let _ = j.finish();
                jaeger = Some(OcJaeger {
                    pointer: p,
                    endpoint,
                    agent_endpoint,
                    service_name,
                });
            }
            unmapped = e.finish();
        }
        OpencensusOptions {
            pointer: pointer.to_owned(),
            sample_rate,
            reporting_period,
            enabled_layers,
            prometheus,
            jaeger,
            unmapped,
            unknown: r.finish(),
        }
    }
}

/// Jaeger's thrift-over-HTTP collector port (`/api/traces`), which does not speak OTLP.
pub const JAEGER_THRIFT_PORT: u16 = 14268;
/// The OTLP/HTTP port of a collector (Jaeger's too).
pub const OTLP_HTTP_PORT: u16 = 4318;

/// Where a Jaeger exporter's traces go once mapped: OTLP/HTTP to the collector's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JaegerTarget {
    /// `http://host:port` the spans are posted to (`/v1/traces` appended).
    pub base_url: String,
    /// The port the contract named, when it is not the one used.
    pub replaced_port: Option<u16>,
    /// The contract named the agent's UDP endpoint only.
    pub from_agent: bool,
}

/// `scheme`, `host` and `port` of `http://host:port/path` or `host:port`.
pub fn split_address(address: &str) -> Result<(String, String, Option<u16>), String> {
    let (scheme, rest) = match address.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("http".to_owned(), address),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => {
            let port = p
                .parse::<u16>()
                .map_err(|_| format!("invalid port in {address:?}"))?;
            (h.to_owned(), Some(port))
        }
        _ => (authority.to_owned(), None),
    };
    if host.is_empty() {
        return Err(format!("no host in {address:?}"));
    }
    Ok((scheme, host, port))
}

impl OcJaeger {
    /// The OTLP target of this exporter: the collector `endpoint`'s host on its port, Jaeger's
    /// thrift port (or no port) replaced by 4318; else the agent's host on 4318.
    pub fn target(&self) -> Result<JaegerTarget, String> {
        let (address, from_agent) = match (&self.endpoint, &self.agent_endpoint) {
            (Some(e), _) if !e.value.is_empty() => (e.value.as_str(), false),
            (_, Some(a)) if !a.value.is_empty() => (a.value.as_str(), true),
            _ => return Err("the Jaeger exporter names no `endpoint`".to_owned()),
        };
        let (scheme, host, port) = split_address(address)?;
        if scheme != "http" {
            return Err(format!(
                "{scheme}:// collectors are not supported: Krustd exports over plain HTTP"
            ));
        }
        let (port, replaced_port) = match port {
            Some(p) if !from_agent && p != JAEGER_THRIFT_PORT => (p, None),
            other => (OTLP_HTTP_PORT, other),
        };
        Ok(JaegerTarget {
            base_url: format!("http://{host}:{port}"),
            replaced_port,
            from_agent,
        })
    }
}
