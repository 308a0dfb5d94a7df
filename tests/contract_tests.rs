//! The contract tests codegen emits, compiled and run for every contract in `contracts/`
//! (not `contracts/invalid`): one module per contract, each with one `#[test]` per endpoint
//! and per `@test` example (see `gateway!`'s `contract_tests` option).

use krustd_macros::gateway;

gateway!("contracts/krakend.json", contract_tests);

gateway!("contracts/features/backend_headers.json", contract_tests);
gateway!("contracts/features/bot_detector.json", contract_tests);
gateway!("contracts/features/canonical_json.json", contract_tests);
gateway!("contracts/features/circuit_breaker.json", contract_tests);
gateway!("contracts/features/client_credentials.json", contract_tests);
gateway!("contracts/features/client_tls.json", contract_tests);
gateway!(
    "contracts/features/client_tls_insecure.json",
    contract_tests
);
gateway!("contracts/features/compression.json", contract_tests);
gateway!("contracts/features/cors.json", contract_tests);
gateway!("contracts/features/cors_passthrough.json", contract_tests);
gateway!("contracts/features/cors_strict.json", contract_tests);
gateway!("contracts/features/encodings.json", contract_tests);
gateway!("contracts/features/forwarding.json", contract_tests);
gateway!("contracts/features/graphql.json", contract_tests);
gateway!("contracts/features/http_cache.json", contract_tests);
gateway!("contracts/features/http_secure.json", contract_tests);
gateway!("contracts/features/http_secure_dev.json", contract_tests);
gateway!("contracts/features/http_secure_regex.json", contract_tests);
gateway!("contracts/features/jwt.json", contract_tests);
gateway!("contracts/features/jwt_tls.json", contract_tests);
gateway!("contracts/features/krakend_specs.json", contract_tests);
gateway!("contracts/features/lua.json", contract_tests);
gateway!("contracts/features/lua_http.json", contract_tests);
gateway!("contracts/features/lua_http_service.json", contract_tests);
gateway!("contracts/features/lua_more.json", contract_tests);
gateway!("contracts/features/lua_no_op.json", contract_tests);
gateway!("contracts/features/lua_service.json", contract_tests);
gateway!("contracts/features/lua_service_guard.json", contract_tests);
gateway!("contracts/features/martian.json", contract_tests);
gateway!("contracts/features/opencensus.json", contract_tests);
gateway!("contracts/features/otel_grpc.json", contract_tests);
gateway!("contracts/features/otel_unsampled.json", contract_tests);
gateway!("contracts/features/plain_errors.json", contract_tests);
gateway!("contracts/features/proxy.json", contract_tests);
gateway!("contracts/features/ratelimit.json", contract_tests);
gateway!("contracts/features/ratelimit_bench.json", contract_tests);
gateway!("contracts/features/ratelimit_redis.json", contract_tests);
gateway!("contracts/features/ratelimit_service.json", contract_tests);
gateway!("contracts/features/responses.json", contract_tests);
gateway!("contracts/features/router.json", contract_tests);
gateway!("contracts/features/router_options.json", contract_tests);
gateway!("contracts/features/shaping.json", contract_tests);
gateway!("contracts/features/signer.json", contract_tests);
gateway!("contracts/features/telemetry_logging.json", contract_tests);
gateway!("contracts/features/telemetry_metrics.json", contract_tests);
gateway!("contracts/features/tls.json", contract_tests);
gateway!("contracts/features/tls_mtls.json", contract_tests);
gateway!("contracts/features/telemetry_otel.json", contract_tests);
gateway!("contracts/features/telemetry_stats.json", contract_tests);
gateway!("contracts/features/validation.json", contract_tests);
gateway!("contracts/features/validation_plain.json", contract_tests);

gateway!("contracts/bench/aggregate.json", contract_tests);
gateway!("contracts/bench/jwt.json", contract_tests);
gateway!("contracts/bench/large.json", contract_tests);
gateway!("contracts/bench/lua.json", contract_tests);
gateway!("contracts/bench/noop.json", contract_tests);
gateway!("contracts/bench/proxy-metrics.json", contract_tests);
gateway!("contracts/bench/proxy-nolog.json", contract_tests);
gateway!("contracts/bench/proxy.json", contract_tests);
gateway!("contracts/bench/ratelimit.json", contract_tests);
gateway!("contracts/bench/reference-log.json", contract_tests);
gateway!("contracts/bench/reference.json", contract_tests);
gateway!("contracts/bench/stats.json", contract_tests);
gateway!("contracts/bench/tls.json", contract_tests);
gateway!("contracts/bench/tracing.json", contract_tests);
gateway!("contracts/bench/tracing0.json", contract_tests);
gateway!("contracts/bench/validation.json", contract_tests);

/// Every contract outside `contracts/invalid` is listed above.
#[test]
fn every_contract_is_tested() {
    // Whitespace-normalised: rustfmt wraps a long `gateway!(…)` over several lines.
    let this = include_str!("contract_tests.rs")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for dir in ["contracts", "contracts/features", "contracts/bench"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("contracts directory");
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{dir}/{name}");
            if name.ends_with(".json") && !this.contains(&format!("\"{rel}\", contract_tests")) {
                missing.push(rel);
            }
        }
    }
    let subdirs: Vec<String> = std::fs::read_dir(root.join("contracts"))
        .expect("contracts directory")
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["features", "bench", "invalid"].contains(&n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "contracts without contract tests: {missing:?}"
    );
    assert!(
        subdirs.is_empty(),
        "contract folders not covered: {subdirs:?}"
    );
}
