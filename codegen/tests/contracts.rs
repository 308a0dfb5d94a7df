//! The checker and the planner on small contracts: every rule reports where it should, and
//! defaults and inheritance are resolved once, in the plan.

use krustd_codegen::plan::{Decode, ErrorHandling, Output, ShapeStep};
use krustd_codegen::{Builder, Generated, Report, Severity, Source};
use std::time::Duration;

fn generate(text: &str) -> Result<Generated, Report> {
    Builder::new().generate(Source {
        name: "krakend.json".to_owned(),
        text: text.to_owned(),
    })
}

fn errors(text: &str) -> Vec<String> {
    match generate(text) {
        Ok(_) => panic!("expected errors for {text}"),
        Err(r) => r
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("{} @{}", d.message, d.pointer))
            .collect(),
    }
}

fn contract(endpoints: &str) -> String {
    format!(r#"{{"version": 3, "host": ["http://b:8080"], "endpoints": [{endpoints}]}}"#)
}

#[test]
fn every_error_is_reported_with_its_pointer() {
    let errs = errors(
        r#"{"version": 2, "listen_ip": "nope", "timeout": "2 s",
            "endpoints": [
              {"endpoint": "/a/{id}", "backend": [{"url_pattern": "/x/{other}", "encoding": "protobuf"}]},
              {"endpoint": "/b", "backend": []}
            ]}"#,
    );
    let expect = [
        "unsupported version: 2 (want: 3) @/version",
        "invalid ip address nope @/listen_ip",
        "@/timeout",
        "undefined output param 'other'! endpoint: GET /a/{id}, backend: 0 @/endpoints/0/backend/0/url_pattern",
        "unknown backend encoding `protobuf` @/endpoints/0/backend/0/encoding",
        "the endpoint `/b` has 0 backends defined @/endpoints/1",
    ];
    for e in expect {
        assert!(
            errs.iter().any(|x| x.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
}

#[test]
fn unknown_keys_are_warnings_and_annotations_are_silent() {
    let g = generate(&contract(
        r#"{"endpoint": "/a", "@comment": "x", "timout": "1s", "backend": [{"url_pattern": "/a", "$ref": 1}]}"#,
    ))
    .expect("valid");
    let warnings: Vec<_> = g
        .warnings
        .items
        .iter()
        .map(|d| (d.severity, d.pointer.clone()))
        .collect();
    assert_eq!(
        warnings,
        vec![(Severity::Warning, "/endpoints/0/timout".to_owned())]
    );
}

#[test]
fn unimplemented_namespaces_are_errors_unknown_ones_warnings() {
    let errs = errors(&contract(
        r#"{"endpoint": "/a", "extra_config": {"github_com/devopsfaith/bloomfilter": {}, "modifier/jmespath": {}},
            "backend": [{"url_pattern": "/a", "extra_config": {"backend/lambda": {}}}]}"#,
    ));
    assert!(
        errs.iter().any(|e| e.contains("`auth/revoker`")),
        "{errs:#?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("`modifier/jmespath`")),
        "{errs:#?}"
    );
    assert!(
        errs.iter().any(|e| e.contains("`backend/lambda`")),
        "{errs:#?}"
    );
    let g = generate(&contract(
        r#"{"endpoint": "/a", "extra_config": {"my/own": {}}, "backend": [{"url_pattern": "/a"}]}"#,
    ))
    .expect("valid");
    assert_eq!(g.warnings.items.len(), 1);
}

#[test]
fn route_rules() {
    let errs = errors(&contract(
        r#"{"endpoint": "/u/{id}", "backend": [{"url_pattern": "/u"}]},
           {"endpoint": "u/{id}", "method": "get", "backend": [{"url_pattern": "/u"}]},
           {"endpoint": "/u/{name}/x", "backend": [{"url_pattern": "/u"}]},
           {"endpoint": "/__health", "backend": [{"url_pattern": "/u"}]},
           {"endpoint": "/h", "method": "HEAD", "backend": [{"url_pattern": "/u"}]},
           {"endpoint": "/w/*", "backend": [{"url_pattern": "/u"}]}"#,
    ));
    for e in [
        "already registered",
        "route conflict",
        "reserved segment",
        "cannot be routed",
        "wildcard",
    ] {
        assert!(
            errs.iter().any(|x| x.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
}

#[test]
fn no_op_rules() {
    let errs = errors(&contract(
        r#"{"endpoint": "/a", "output_encoding": "no-op", "backend": [{"url_pattern": "/a", "allow": ["x"]}, {"url_pattern": "/b"}]}"#,
    ));
    assert!(errs
        .iter()
        .any(|e| e.contains("NoOp encoding with more than one")));
    assert!(errs
        .iter()
        .any(|e| e.contains("manipulation has no effect")));
}

#[test]
fn plan_applies_inheritance_and_defaults() {
    let g = generate(
        r#"{"version": 3, "host": "localhost:9000", "timeout": "10s", "cache_ttl": "90s", "output_encoding": "string",
            "port": "9090",
            "endpoints": [
              {"endpoint": "/a", "backend": [{"url_pattern": "a"}, {"url_pattern": "/b", "host": ["https://x.io/"], "method": "post"}]},
              {"endpoint": "/c/{id}", "timeout": "1s", "cache_ttl": "0s", "output_encoding": "json",
               "input_headers": ["X-Id", "*"], "input_query_strings": ["Page"],
               "backend": [{"url_pattern": "/c/{id}", "is_collection": true, "target": "a.b", "deny": ["x"],
                            "mapping": {"m": "n.o"}, "group": "g",
                            "extra_config": {"backend/http": {"return_error_code": true, "return_error_details": "c"}}}]}
            ]}"#,
    )
    .expect("valid");
    let p = &g.plan;
    assert_eq!(p.service.port, 9090);
    let a = &p.endpoints[0];
    assert_eq!(a.timeout, Duration::from_secs(10));
    assert_eq!(
        a.backend_timeout,
        Duration::from_millis(8500),
        "85 % with several backends"
    );
    assert_eq!(a.cache_max_age, Some(90));
    assert_eq!(a.output, Output::String);
    assert_eq!(a.backends[0].hosts, vec!["http://localhost:9000"]);
    assert_eq!(a.backends[0].method, "GET");
    assert_eq!(a.backends[1].hosts, vec!["https://x.io"]);
    assert_eq!(a.backends[1].method, "POST");
    let c = &p.endpoints[1];
    assert_eq!(c.timeout, Duration::from_secs(1));
    assert_eq!(c.backend_timeout, Duration::from_secs(1));
    assert_eq!(
        c.cache_max_age,
        Some(90),
        "0s cannot switch off the root cache_ttl"
    );
    assert_eq!(c.param_segments, vec![1]);
    let h = c.input_headers.as_ref().expect("headers");
    assert!(h.all);
    assert_eq!(h.names, vec!["x-id"]);
    assert_eq!(c.input_query.as_ref().expect("query").names, vec!["Page"]);
    let b = &c.backends[0];
    assert_eq!(b.decode, Decode::JsonCollection);
    assert_eq!(
        b.errors,
        ErrorHandling::Details("c".into()),
        "details win over the code"
    );
    assert_eq!(
        b.steps,
        vec![
            ShapeStep::Target(vec!["a".into(), "b".into()]),
            ShapeStep::Deny(vec![vec!["x".into()]]),
            ShapeStep::Mapping(vec![("m".into(), "n".into())]),
            ShapeStep::Group("g".into()),
        ]
    );
    assert_eq!(b.url_display, "/c/{{.Id}}");
    let methods: Vec<_> = p
        .routes
        .iter()
        .map(|r| (r.pattern.as_str(), r.methods.clone()))
        .collect();
    assert_eq!(methods[0].0, "/__health");
}

#[test]
fn identifiers_are_unique_and_deterministic() {
    let g = generate(&contract(
        r#"{"endpoint": "/a-b", "backend": [{"url_pattern": "/"}]},
           {"endpoint": "/a_b", "backend": [{"url_pattern": "/"}]}"#,
    ))
    .expect("valid");
    let ids: Vec<_> = g.plan.endpoints.iter().map(|e| e.ident.clone()).collect();
    assert_eq!(ids, vec!["get_a_b", "get_a_b_2"]);
}

#[test]
fn allow_wins_over_deny_and_no_host_still_builds() {
    let g = generate(
        r#"{"version": 3, "endpoints": [{"endpoint": "/a", "backend": [{"url_pattern": "/a", "allow": ["x"], "deny": ["y"]}]}]}"#,
    )
    .expect("valid");
    let b = &g.plan.endpoints[0].backends[0];
    assert_eq!(b.steps, vec![ShapeStep::Allow(vec![vec!["x".into()]])]);
    assert!(
        b.hosts.is_empty(),
        "calls fail at run time with `no hosts available`"
    );
}

#[test]
fn sequential_references_are_checked() {
    let errs = errors(&contract(
        r#"{"endpoint": "/s/{id}", "extra_config": {"proxy": {"sequential": true}},
            "backend": [{"url_pattern": "/a/{resp1_id}"}, {"url_pattern": "/b/{resp0_id}"}, {"url_pattern": "/c/{resp7_x}"}]}"#,
    ));
    assert!(
        errs.iter()
            .any(|e| e.contains("refers to backend 1, which runs after this one")),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("refers to backend 7, which does not exist")),
        "{errs:#?}"
    );
    assert_eq!(errs.len(), 2, "{errs:#?}");
    let g = generate(&contract(
        r#"{"endpoint": "/s/{id}", "backend": [{"url_pattern": "/a"}, {"url_pattern": "/b/{resp0_id}"}]}"#,
    ))
    .expect("without sequential the placeholder is only a warning");
    assert_eq!(g.warnings.items.len(), 1);
}

#[test]
fn flatmap_and_static_are_validated() {
    let errs = errors(&contract(
        r#"{"endpoint": "/f", "extra_config": {"proxy": {"static": {"data": [1]}}},
            "backend": [{"url_pattern": "/a", "extra_config": {"proxy": {"flatmap_filter": [
              {"type": "move", "args": ["a"]}, {"type": "rename", "args": ["a", "b"]}, {"args": ["x"]}]}}}]}"#,
    ));
    for e in [
        "must be a JSON object",
        "needs exactly two string args",
        "unknown type",
        "needs a string `type`",
    ] {
        assert!(
            errs.iter().any(|x| x.contains(e)),
            "missing {e:?} in {errs:#?}"
        );
    }
}
