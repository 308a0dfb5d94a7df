//! The cost of `validation/json-schema` and `validation/cel` through real HTTP, each against
//! the same endpoint without it, in the same run: a schema-validated POST vs an unvalidated
//! POST, a CEL-guarded GET vs an unguarded GET (`contracts/features/validation_plain.json`,
//! mock backend on 127.0.0.1). Then the checks alone, without HTTP. `cargo bench --bench
//! validation`; the medians and ratios go to BENCHMARKS.md.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::Criterion;
use krustd_runtime::validation::cel::{RequestView, Rules, REQ_PARAMS};
use krustd_runtime::validation::json_schema::JsonSchema;
use std::hint::black_box;
use std::time::Duration;

const BODY: &str = r#"{"a": 1, "name": "ann", "tags": ["x", "y"], "nested": {"k": true}}"#;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let gw = rt.block_on(async {
        let mock_url = common::start(common::mock()).await;
        let gw = krustd_macros::gateway!(
            "contracts/features/validation_plain.json",
            common::hosts(&[("http://mock", mock_url.as_str())])
        );
        common::start(gw).await
    });
    let client = common::client();
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(50)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));

    let rt = &rt;
    let post = |path: &'static str| {
        let url = format!("{gw}{path}");
        let client = client.clone();
        move || {
            rt.block_on(async {
                let r = client.post(&url).body(BODY).send().await.expect("answer");
                assert_eq!(r.status(), 200);
                black_box(r.bytes().await.expect("body"))
            })
        }
    };
    let get = |path: &'static str| {
        let url = format!("{gw}{path}");
        let client = client.clone();
        move || {
            rt.block_on(async {
                let r = client.get(&url).send().await.expect("answer");
                assert_eq!(r.status(), 200);
                black_box(r.bytes().await.expect("body"))
            })
        }
    };
    let mut g = c.benchmark_group("http");
    let f = post("/unvalidated");
    g.bench_function("post_unvalidated", |b| b.iter(&f));
    let f = post("/schema");
    g.bench_function("post_json_schema", |b| b.iter(&f));
    let f = get("/unguarded/ok");
    g.bench_function("get_unguarded", |b| b.iter(&f));
    let f = get("/cel/ok");
    g.bench_function("get_cel_guarded", |b| b.iter(&f));
    g.finish();

    static SCHEMA: JsonSchema = JsonSchema::new(
        r#"{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["a"]}"#,
    );
    static RULES: Rules = Rules::new(&["req_params.Id == 'ok'"], REQ_PARAMS);
    let headers = http::HeaderMap::new();
    let params = ["ok".to_owned()];
    let mut g = c.benchmark_group("check");
    g.bench_function("json_schema", |b| {
        b.iter(|| black_box(SCHEMA.check(black_box(BODY.as_bytes()))))
    });
    g.bench_function("cel_pre_rule", |b| {
        b.iter(|| {
            let view = RequestView {
                method: "GET",
                path: "/cel/ok",
                param_names: &["Id"],
                params: &params,
                seq_params: &[],
                headers: &headers,
                query: "",
            };
            black_box(RULES.check_request(black_box(&view)))
        })
    });
    g.finish();
    c.final_summary();
}
