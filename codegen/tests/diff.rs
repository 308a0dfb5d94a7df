//! The breaking-change gate (`krustd_codegen::diff`): one test per rule, on pairs of small
//! contracts, plus the command line's output and exit codes on the files in `tests/diff/`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use krustd_codegen::diff::{diff, Contract, Severity};
use serde_json::{json, Value};

const HOST: &str = "http://127.0.0.1:9000";

fn contract(v: Value) -> Contract {
    Contract::parse("test.json", &v.to_string()).expect("valid model")
}

/// A one-endpoint contract: `GET /v1/x` with `endpoint` fields merged in, one backend with
/// `backend` fields merged in.
fn one(endpoint: Value, backend: Value) -> Value {
    let mut b = json!({"url_pattern": "/x", "host": [HOST]});
    b.as_object_mut()
        .unwrap()
        .extend(backend.as_object().unwrap().clone());
    let mut e = json!({"endpoint": "/v1/x", "backend": [b]});
    e.as_object_mut()
        .unwrap()
        .extend(endpoint.as_object().unwrap().clone());
    json!({"version": 3, "endpoints": [e]})
}

/// `(severity, rule)` of every change from `old` to `new`.
fn changes(old: Value, new: Value) -> Vec<(Severity, &'static str)> {
    diff(&contract(old), &contract(new))
        .changes
        .iter()
        .map(|c| (c.severity, c.rule))
        .collect()
}

use Severity::{Breaking, Compatible, Versioned};

#[test]
fn identical_contracts_have_no_change() {
    let c = one(json!({"input_headers": ["A"]}), json!({"allow": ["a"]}));
    assert_eq!(changes(c.clone(), c), vec![]);
}

#[test]
fn endpoint_removed_is_breaking() {
    let old = json!({"version": 3, "endpoints": [
        {"endpoint": "/v1/x", "backend": [{"url_pattern": "/x", "host": [HOST]}]},
        {"endpoint": "/v1/y", "backend": [{"url_pattern": "/y", "host": [HOST]}]}]});
    let new = one(json!({}), json!({}));
    assert_eq!(changes(old, new), vec![(Breaking, "endpoint-removed")]);
}

#[test]
fn method_removed_is_breaking_and_names_the_remaining_methods() {
    let old = json!({"version": 3, "endpoints": [
        {"endpoint": "/v1/x", "backend": [{"url_pattern": "/x", "host": [HOST]}]},
        {"endpoint": "/v1/x", "method": "DELETE", "backend": [{"url_pattern": "/x", "host": [HOST]}]}]});
    let new = one(json!({}), json!({}));
    let d = diff(&contract(old), &contract(new));
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].rule, "method-removed");
    assert_eq!(d.changes[0].endpoint, "DELETE /v1/x");
    assert!(
        d.changes[0].message.contains("GET"),
        "{}",
        d.changes[0].message
    );
    assert!(d.fails());
}

#[test]
fn method_is_case_insensitive_and_defaults_to_get() {
    let old = one(json!({}), json!({}));
    let new = one(json!({"method": "get"}), json!({}));
    assert_eq!(changes(old, new), vec![]);
}

#[test]
fn endpoint_added_is_compatible() {
    let old = one(json!({}), json!({}));
    let mut new = old.clone();
    new["endpoints"]
        .as_array_mut()
        .unwrap()
        .push(json!({"endpoint": "/v1/z", "backend": [{"url_pattern": "/z", "host": [HOST]}]}));
    let d = diff(&contract(old), &contract(new));
    assert_eq!(
        d.changes
            .iter()
            .map(|c| (c.severity, c.rule))
            .collect::<Vec<_>>(),
        vec![(Compatible, "endpoint-added")]
    );
    assert!(!d.fails());
}

#[test]
fn removal_under_a_bumped_version_prefix_does_not_fail_the_gate() {
    let old = one(json!({}), json!({"allow": ["a", "b"]}));
    let new = one(json!({"endpoint": "/v2/x"}), json!({"allow": ["a"]}));
    let d = diff(&contract(old), &contract(new));
    let got: Vec<_> = d.changes.iter().map(|c| (c.severity, c.rule)).collect();
    assert_eq!(
        got,
        vec![
            (Versioned, "endpoint-removed"),
            (Compatible, "endpoint-added")
        ]
    );
    assert!(d.changes[0].message.contains("GET /v2/x"));
    assert!(!d.fails());
}

#[test]
fn a_lower_or_other_path_version_is_not_a_bump() {
    // /v2 → /v1 (a downgrade) and /v1/x → /v2/y (another resource) both fail.
    let old = one(json!({"endpoint": "/v2/x"}), json!({}));
    let new = one(json!({"endpoint": "/v1/x"}), json!({}));
    assert!(changes(old, new).contains(&(Breaking, "endpoint-removed")));
    let old = one(json!({}), json!({}));
    let new = one(json!({"endpoint": "/v2/y"}), json!({}));
    assert!(changes(old, new).contains(&(Breaking, "endpoint-removed")));
}

#[test]
fn output_encoding_change_is_breaking_including_the_inherited_one() {
    let old = one(json!({}), json!({}));
    let new = one(json!({"output_encoding": "negotiate"}), json!({}));
    assert_eq!(
        changes(old.clone(), new),
        vec![(Breaking, "output-encoding-changed")]
    );
    // The service's encoding applies to endpoints without one.
    let mut new = old.clone();
    new["output_encoding"] = json!("string");
    assert_eq!(
        changes(old.clone(), new),
        vec![(Breaking, "output-encoding-changed")]
    );
    // Writing the default explicitly changes nothing.
    let new = one(json!({"output_encoding": "json"}), json!({}));
    assert_eq!(changes(old, new), vec![]);
}

#[test]
fn header_no_longer_forwarded_is_breaking_and_a_new_one_compatible() {
    let old = one(
        json!({"input_headers": ["Authorization", "X-Tenant"]}),
        json!({}),
    );
    let new = one(
        json!({"input_headers": ["authorization", "X-Trace"]}),
        json!({}),
    );
    assert_eq!(
        changes(old, new),
        vec![
            (Breaking, "header-not-forwarded"),
            (Compatible, "header-forwarded")
        ]
    );
}

#[test]
fn wildcard_headers_narrowed_is_breaking_and_widened_compatible() {
    let all = one(json!({"input_headers": ["*"]}), json!({}));
    let some = one(json!({"input_headers": ["A", "B"]}), json!({}));
    assert_eq!(
        changes(all.clone(), some.clone()),
        vec![(Breaking, "header-not-forwarded")]
    );
    assert_eq!(changes(some, all), vec![(Compatible, "header-forwarded")]);
}

#[test]
fn query_string_no_longer_forwarded_is_breaking() {
    let old = one(json!({"input_query_strings": ["page", "lang"]}), json!({}));
    let new = one(json!({"input_query_strings": ["page"]}), json!({}));
    assert_eq!(
        changes(old.clone(), new.clone()),
        vec![(Breaking, "query-not-forwarded")]
    );
    assert_eq!(changes(new, old), vec![(Compatible, "query-forwarded")]);
}

#[test]
fn backend_level_header_and_query_filters_are_compared_too() {
    let old = one(
        json!({"input_headers": ["*"]}),
        json!({"input_headers": ["A", "B"], "input_query_strings": ["q"]}),
    );
    let new = one(
        json!({"input_headers": ["*"]}),
        json!({"input_headers": ["A"]}),
    );
    let d = diff(&contract(old), &contract(new));
    let got: Vec<_> = d.changes.iter().map(|c| (c.severity, c.rule)).collect();
    assert_eq!(
        got,
        vec![
            (Breaking, "header-not-forwarded"),
            (Breaking, "query-not-forwarded")
        ]
    );
    assert!(d.changes[0].message.starts_with("backend 0: "));
    assert_eq!(
        d.changes[0].old_pointer.as_deref(),
        Some("/endpoints/0/backend/0/input_headers")
    );
}

#[test]
fn allow_narrowed_is_breaking_and_widened_compatible() {
    let old = one(json!({}), json!({"allow": ["a", "b"]}));
    let new = one(json!({}), json!({"allow": ["a", "c"]}));
    assert_eq!(
        changes(old, new),
        vec![(Breaking, "allow-narrowed"), (Compatible, "allow-widened")]
    );
}

#[test]
fn allow_added_narrows_and_allow_removed_widens() {
    let none = one(json!({}), json!({}));
    let some = one(json!({}), json!({"allow": ["a"]}));
    assert_eq!(
        changes(none.clone(), some.clone()),
        vec![(Breaking, "allow-narrowed")]
    );
    assert_eq!(changes(some, none), vec![(Compatible, "allow-widened")]);
}

#[test]
fn deny_widened_is_breaking_and_narrowed_compatible() {
    let old = one(json!({}), json!({"deny": ["secret"]}));
    let new = one(json!({}), json!({"deny": ["secret", "email"]}));
    assert_eq!(
        changes(old.clone(), new.clone()),
        vec![(Breaking, "deny-widened")]
    );
    assert_eq!(changes(new, old), vec![(Compatible, "deny-narrowed")]);
}

#[test]
fn mapping_renamed_added_or_removed_is_breaking() {
    let plain = one(json!({}), json!({}));
    let mapped = one(json!({}), json!({"mapping": {"a": "b"}}));
    let renamed = one(json!({}), json!({"mapping": {"a": "c"}}));
    // `a` was produced, now `b`; `b` was produced, now `a`; `b` now `c`.
    for (old, new) in [
        (plain.clone(), mapped.clone()),
        (mapped.clone(), plain),
        (mapped, renamed),
    ] {
        assert_eq!(changes(old, new), vec![(Breaking, "mapping-changed")]);
    }
}

#[test]
fn group_target_and_collection_changes_are_breaking() {
    let base = one(json!({}), json!({}));
    for (field, value, rule) in [
        ("group", json!("user"), "group-changed"),
        ("target", json!("data"), "target-changed"),
        ("is_collection", json!(true), "collection-changed"),
    ] {
        let mut b = serde_json::Map::new();
        b.insert(field.to_owned(), value);
        let new = one(json!({}), Value::Object(b));
        assert_eq!(changes(base.clone(), new.clone()), vec![(Breaking, rule)]);
        assert_eq!(changes(new, base.clone()), vec![(Breaking, rule)]);
    }
    let g1 = one(json!({}), json!({"group": "a"}));
    let g2 = one(json!({}), json!({"group": "b"}));
    assert_eq!(changes(g1, g2), vec![(Breaking, "group-changed")]);
}

#[test]
fn backend_removed_is_breaking_and_added_compatible() {
    let one_backend = one(json!({}), json!({"group": "a"}));
    let mut two = one_backend.clone();
    two["endpoints"][0]["backend"]
        .as_array_mut()
        .unwrap()
        .push(json!({"url_pattern": "/y", "host": [HOST], "group": "b"}));
    assert_eq!(
        changes(one_backend.clone(), two.clone()),
        vec![(Compatible, "backend-added")]
    );
    assert_eq!(
        changes(two, one_backend),
        vec![(Breaking, "backend-removed")]
    );
}

fn auth(v: Value) -> Value {
    json!({"extra_config": {"auth/validator": v}})
}

#[test]
fn auth_added_is_breaking_and_removed_compatible() {
    let open = one(json!({}), json!({}));
    let closed = one(
        auth(json!({"alg": "RS256", "jwk_url": "http://127.0.0.1:1/k"})),
        json!({}),
    );
    assert_eq!(
        changes(open.clone(), closed.clone()),
        vec![(Breaking, "auth-added")]
    );
    assert_eq!(changes(closed, open), vec![(Compatible, "auth-removed")]);
}

#[test]
fn auth_under_its_legacy_namespace_name_is_the_same_auth() {
    let short = one(auth(json!({"alg": "RS256", "roles": ["a"]})), json!({}));
    let legacy = one(
        json!({"extra_config": {"github.com/devopsfaith/krakend-jose/validator": {"alg": "RS256", "roles": ["a"]}}}),
        json!({}),
    );
    assert_eq!(changes(short, legacy), vec![]);
}

#[test]
fn roles_required_or_narrowed_are_breaking_and_widened_compatible() {
    let none = one(auth(json!({"alg": "RS256"})), json!({}));
    let admin = one(auth(json!({"alg": "RS256", "roles": ["admin"]})), json!({}));
    let both = one(
        auth(json!({"alg": "RS256", "roles": ["admin", "ops"]})),
        json!({}),
    );
    assert_eq!(
        changes(none.clone(), admin.clone()),
        vec![(Breaking, "roles-changed")]
    );
    assert_eq!(
        changes(both.clone(), admin.clone()),
        vec![(Breaking, "roles-changed")]
    );
    assert_eq!(changes(admin.clone(), both), vec![]);
    assert_eq!(changes(admin, none), vec![]);
    let key = one(
        auth(json!({"alg": "RS256", "roles": ["admin"], "roles_key": "groups"})),
        json!({}),
    );
    let admin = one(auth(json!({"alg": "RS256", "roles": ["admin"]})), json!({}));
    assert_eq!(changes(admin, key), vec![(Breaking, "roles-changed")]);
}

#[test]
fn scopes_follow_the_matcher() {
    let s = |scopes: Value, matcher: &str| {
        one(
            auth(json!({"alg": "RS256", "scopes": scopes, "scopes_matcher": matcher})),
            json!({}),
        )
    };
    let none = one(auth(json!({"alg": "RS256"})), json!({}));
    // any: one of them suffices, so a new one widens and a removed one narrows.
    assert_eq!(
        changes(none, s(json!(["r"]), "any")),
        vec![(Breaking, "scopes-changed")]
    );
    assert_eq!(
        changes(s(json!(["r"]), "any"), s(json!(["r", "w"]), "any")),
        vec![]
    );
    assert_eq!(
        changes(s(json!(["r", "w"]), "any"), s(json!(["r"]), "any")),
        vec![(Breaking, "scopes-changed")]
    );
    // all: every one is needed, so a new one narrows and a removed one widens.
    assert_eq!(
        changes(s(json!(["r"]), "all"), s(json!(["r", "w"]), "all")),
        vec![(Breaking, "scopes-changed")]
    );
    assert_eq!(
        changes(s(json!(["r", "w"]), "all"), s(json!(["r"]), "all")),
        vec![]
    );
    assert_eq!(
        changes(s(json!(["r", "w"]), "any"), s(json!(["r", "w"]), "all")),
        vec![(Breaking, "scopes-changed")]
    );
}

#[test]
fn new_audience_or_issuer_is_breaking() {
    let base = one(auth(json!({"alg": "RS256", "audience": ["a"]})), json!({}));
    let aud = one(
        auth(json!({"alg": "RS256", "audience": ["a", "b"]})),
        json!({}),
    );
    let iss = one(
        auth(json!({"alg": "RS256", "audience": ["a"], "issuer": "https://idp"})),
        json!({}),
    );
    assert_eq!(
        changes(base.clone(), aud.clone()),
        vec![(Breaking, "audience-changed")]
    );
    assert_eq!(changes(aud, base.clone()), vec![]);
    assert_eq!(changes(base, iss), vec![(Breaking, "issuer-changed")]);
}

fn router_rate(v: Value) -> Value {
    json!({"extra_config": {"qos/ratelimit/router": v}})
}

#[test]
fn endpoint_rate_limit_lowered_is_breaking_and_raised_compatible() {
    let r10 = one(router_rate(json!({"max_rate": 10})), json!({}));
    let r5 = one(router_rate(json!({"max_rate": 5})), json!({}));
    assert_eq!(
        changes(r10.clone(), r5.clone()),
        vec![(Breaking, "ratelimit-lowered")]
    );
    assert_eq!(
        changes(r5, r10.clone()),
        vec![(Compatible, "ratelimit-raised")]
    );
    // A new limit lowers from unlimited; a removed one raises.
    let open = one(json!({}), json!({}));
    assert_eq!(
        changes(open.clone(), r10.clone()),
        vec![(Breaking, "ratelimit-lowered")]
    );
    assert_eq!(changes(r10, open), vec![(Compatible, "ratelimit-raised")]);
}

#[test]
fn client_rate_limit_and_the_period_are_compared_per_second() {
    let a = one(
        router_rate(json!({"client_max_rate": 60, "every": "1m"})),
        json!({}),
    );
    let same = one(router_rate(json!({"client_max_rate": 1})), json!({}));
    let lower = one(
        router_rate(json!({"client_max_rate": 60, "every": "2m"})),
        json!({}),
    );
    assert_eq!(changes(a.clone(), same), vec![]);
    let d = diff(&contract(a), &contract(lower));
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].rule, "ratelimit-lowered");
    assert!(d.changes[0].message.contains("client_max_rate"));
}

#[test]
fn service_and_backend_rate_limits_are_compared_too() {
    let mut old = one(
        json!({}),
        json!({"extra_config": {"qos/ratelimit/proxy": {"max_rate": 100, "capacity": 100}}}),
    );
    let mut new = one(
        json!({}),
        json!({"extra_config": {"qos/ratelimit/proxy": {"max_rate": 50, "capacity": 50}}}),
    );
    old["extra_config"] = router_rate(json!({"max_rate": 1000}))["extra_config"].clone();
    new["extra_config"] = router_rate(json!({"max_rate": 999}))["extra_config"].clone();
    let d = diff(&contract(old), &contract(new));
    let got: Vec<_> = d
        .changes
        .iter()
        .map(|c| (c.endpoint.as_str(), c.rule))
        .collect();
    assert_eq!(
        got,
        vec![
            ("", "ratelimit-lowered"),
            ("GET /v1/x", "ratelimit-lowered")
        ]
    );
    assert!(d.changes[1].message.starts_with("backend 0: "));
}

#[test]
fn an_invalid_contract_is_an_error_not_a_diff() {
    let e = Contract::parse("bad.json", "{\"version\": 3, \"endpoints\": 7}")
        .err()
        .expect("a type error");
    assert!(e.to_string().contains("endpoints"), "{e}");
    assert!(Contract::parse("bad.json", "{").is_err());
}

fn cli(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_krustd-contract"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn cli_fails_on_breaking_changes_with_a_readable_report() {
    let (code, out, _) = cli(&["diff", "tests/diff/v1.json", "tests/diff/v2-breaking.json"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("allow-narrowed"), "{out}");
    assert!(
        out.contains("GET /v1/users/{id}: backend 0: fields no longer allowed: `email`"),
        "{out}"
    );
    assert!(out.contains("header-not-forwarded"), "{out}");
    assert!(
        out.ends_with("FAIL: breaking changes outside a version bump\n"),
        "{out}"
    );
}

#[test]
fn cli_passes_a_version_bump_and_prints_json() {
    let (code, out, _) = cli(&[
        "diff",
        "--json",
        "tests/diff/v1.json",
        "tests/diff/v2-versioned.json",
    ]);
    assert_eq!(code, Some(0), "{out}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["breaking"], 0);
    assert_eq!(v["versioned"], 1);
    assert_eq!(v["compatible"], 2);
    assert_eq!(v["fails"], false);
    assert_eq!(v["changes"][0]["rule"], "endpoint-removed");
    assert_eq!(v["changes"][0]["old_pointer"], "/endpoints/0");
}

#[test]
fn cli_usage_and_unreadable_files_exit_2() {
    assert_eq!(cli(&["diff", "tests/diff/v1.json"]).0, Some(2));
    assert_eq!(
        cli(&["diff", "--yaml", "tests/diff/v1.json", "tests/diff/v1.json"]).0,
        Some(2)
    );
    let (code, _, err) = cli(&["diff", "tests/diff/v1.json", "tests/diff/missing.json"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot read tests/diff/missing.json"), "{err}");
    assert_eq!(
        cli(&["diff", "tests/diff/v1.json", "tests/diff/v1.json"]).0,
        Some(0)
    );
}
