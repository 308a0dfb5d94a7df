//! Which namespaces may appear where, and keys a namespace does not implement.

use crate::diag::Diagnostics;
use crate::model::{At, ExtraConfig};

/// KrakenD namespaces Krustd knows of, and whether they are implemented at each level.
const KNOWN_NAMESPACES: &[&str] = &[
    "router",
    "proxy",
    "backend/http",
    "backend/http/client",
    "auth/validator",
    "auth/signer",
    "auth/revoker",
    "auth/client-credentials",
    "security/cors",
    "security/http",
    "security/bot-detector",
    "validation/cel",
    "validation/json-schema",
    "qos/ratelimit/router",
    "qos/ratelimit/proxy",
    "qos/circuit-breaker",
    "qos/http-cache",
    "modifier/martian",
    "modifier/lua-endpoint",
    "modifier/lua-proxy",
    "modifier/lua-backend",
    "modifier/jmespath",
    "modifier/request-body-generator",
    "modifier/response-body-generator",
    "plugin/http-server",
    "plugin/http-client",
    "plugin/req-resp-modifier",
    "telemetry/logging",
    "telemetry/metrics",
    "telemetry/opentelemetry",
    "telemetry/influx",
    "telemetry/opencensus",
    "telemetry/gelf",
    "telemetry/logstash",
    "telemetry/newrelic",
    "telemetry/moesif",
    "backend/graphql",
    "backend/grpc",
    "backend/lambda",
    "backend/amqp/consumer",
    "backend/amqp/producer",
    "backend/pubsub/publisher",
    "backend/pubsub/subscriber",
    "backend/soap",
    "backend/static-filesystem",
    "async/amqp",
    "server/static-filesystem",
    "documentation/openapi",
    "grpc",
    "krustd/ratelimit/redis",
];

/// Reports namespaces that are not implemented at this level (error) or unknown (warning).
pub(super) fn check_namespaces(
    d: &mut Diagnostics,
    ec: &ExtraConfig,
    implemented: &[&str],
    level: &str,
) {
    for ns in &ec.namespaces {
        if implemented.contains(&ns.name.as_str()) {
            continue;
        }
        if KNOWN_NAMESPACES.contains(&ns.name.as_str()) {
            d.error(
                &ns.pointer,
                format!("namespace `{}` is not supported by Krustd yet (at {level} level)", ns.name),
                Some("remove it or wait for Krustd to implement it; an ignored namespace could leave the gateway less protected than the contract says".to_owned()),
            );
        } else {
            d.warning(
                &ns.pointer,
                format!("unknown namespace `{}`; KrakenD ignores it", ns.name),
                Some("check the spelling of the namespace".to_owned()),
            );
        }
    }
}

/// Keys of namespace `what` that Krustd does not implement: an error, or a warning for the
/// keys in `ignored` (no effect in KrakenD CE either).
pub(super) fn check_unknown_keys(
    d: &mut Diagnostics,
    unknown: &[At<String>],
    supported: &[&str],
    ignored: &[&str],
    what: &str,
) {
    for k in unknown {
        if ignored.contains(&k.value.as_str()) {
            d.warning(
                &k.pointer,
                format!("`{what}.{}` has no effect in KrakenD CE", k.value),
                None,
            );
        } else {
            d.error(
                &k.pointer,
                format!("`{what}.{}` is not supported by Krustd yet", k.value),
                Some(format!("supported keys: {}", supported.join(", "))),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    #[test]
    fn namespaces_per_level() {
        let d = diagnostics_of(&one_endpoint(r#""extra_config": {"proxy": {}}"#, "", ""));
        assert_eq!(d.len(), 1);
        assert!(
            d[0].contains("`proxy` is not supported by Krustd yet (at service level)"),
            "{d:#?}"
        );
        let d = diagnostics_of(&one_endpoint("", r#""extra_config": {"my/own": {}}"#, ""));
        assert_eq!(
            d,
            ["unknown namespace `my/own`; KrakenD ignores it @/endpoints/0/extra_config/my~1own"]
        );
    }
}
