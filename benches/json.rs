//! Micro-benchmarks of the generic JSON path every backend answer takes today: decode the body
//! into a `Value` map, shape it, render it the way Go's `encoding/json` does.
//!
//! References measured in the same run: `serde_json::to_vec` for rendering (what the Go-compatible
//! escaping costs on top), and decoding alone for the 1 MB `allow` case (what shaping and
//! rendering add to parsing). `cargo bench --bench json`.

#[path = "support/bodies.rs"]
mod bodies;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use krustd_runtime::decode::decode;
use krustd_runtime::render::{canonical, json};
use krustd_runtime::shape;
use krustd_runtime::spec::Decode;
use serde_json::Value;
use std::hint::black_box;

fn decode_object(body: &[u8]) -> shape::Data {
    decode(Decode::JsonObject, body).unwrap_or_default()
}

fn render_1kb(c: &mut Criterion) {
    let body = bodies::catalogue(bodies::KB);
    let value = Value::Object(decode_object(&body));
    let mut group = c.benchmark_group("json_1kb");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("render_go_compatible", |b| {
        b.iter(|| json::to_vec(black_box(&value)))
    });
    group.bench_function("render_serde_json_reference", |b| {
        b.iter(|| serde_json::to_vec(black_box(&value)).unwrap_or_default())
    });
    group.bench_function("decode", |b| b.iter(|| decode_object(black_box(&body))));
    group.bench_function("decode_render", |b| {
        b.iter(|| {
            let data = decode_object(black_box(&body));
            let mut out = Vec::with_capacity(body.len());
            json::write_map(&mut out, &data);
            out
        })
    });
    // What an unshaped endpoint does since issue 9: the client body straight from the bytes.
    group.bench_function("canonical", |b| {
        b.iter(|| canonical::render(Decode::JsonObject, black_box(&body)))
    });
    // The same with the backend's keys out of order (each object reordered).
    let unsorted = reversed_keys(&body);
    group.bench_function("canonical_unsorted_keys", |b| {
        b.iter(|| canonical::render(Decode::JsonObject, black_box(&unsorted)))
    });
    group.finish();
}

/// `body` with every object's keys written in descending order.
fn reversed_keys(body: &[u8]) -> Vec<u8> {
    fn write(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(m) => {
                out.push(b'{');
                for (i, (k, v)) in m.iter().rev().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json::write_str(out, k);
                    out.push(b':');
                    write(v, out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write(v, out);
                }
                out.push(b']');
            }
            other => json::write(out, other),
        }
    }
    let mut out = Vec::with_capacity(body.len());
    write(&Value::Object(decode_object(body)), &mut out);
    out
}

fn allow_3_fields_1mb(c: &mut Criterion) {
    let body = bodies::catalogue(bodies::MB);
    let mut group = c.benchmark_group("json_1mb_allow_3");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("decode_reference", |b| {
        b.iter(|| decode_object(black_box(&body)))
    });
    group.bench_function("decode_allow_render", |b| {
        b.iter(|| {
            let data = decode_object(black_box(&body));
            let data = shape::allow(data, &[&["id"], &["name"], &["status"]]);
            let mut out = Vec::with_capacity(64);
            json::write_map(&mut out, &data);
            out
        })
    });
    group.finish();
}

criterion_group!(benches, render_1kb, allow_3_fields_1mb);
criterion_main!(benches);
