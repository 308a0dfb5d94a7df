//! Response shaping: the generic path (decode the whole body into a map, run the `shape` steps,
//! render) against the shaping compiled into the parse (`projection::decode`, render), on
//! bodies of 1 KB, 100 KB and 1 MB.
//!
//! Cases: (a) `allow` of 3 nested fields; (b) `target` of a small object + `mapping`;
//! (b2) `target` of the object holding nearly the whole body + `mapping` (the worst case: what is
//! kept must be parsed either way); (c) `deny` of one big subtree; (d) a 3-backend merge with
//! groups (each backend answers the same body, shaped differently, then merged and rendered).
//!
//! A counting global allocator (switched on only while measuring allocations, so it costs
//! nothing in the timed runs) gives the bytes each path allocates per call. After criterion's
//! runs, a summary table with median times, allocated bytes and the ratios is printed; it is
//! what BENCHMARKS.md records. `cargo bench --bench shaping`.

use criterion::{BenchmarkId, Criterion, Throughput};
use krustd_runtime::backend::BackendResult;
use krustd_runtime::decode;
use krustd_runtime::projection::{self, Field, Projection, Select};
use krustd_runtime::render::json;
use krustd_runtime::respond;
use krustd_runtime::shape::{self, Data};
use krustd_runtime::spec::Decode;
use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

// ---- counting allocator ----

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            BYTES.fetch_add(layout.size(), Relaxed);
            CALLS.fetch_add(1, Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            BYTES.fetch_add(layout.size(), Relaxed);
            CALLS.fetch_add(1, Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            BYTES.fetch_add(new_size.saturating_sub(layout.size()), Relaxed);
            CALLS.fetch_add(1, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes and allocations of one call of `f`.
fn allocations<T>(f: &dyn Fn() -> T) -> (usize, usize) {
    BYTES.store(0, Relaxed);
    CALLS.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let out = f();
    COUNTING.store(false, Relaxed);
    drop(black_box(out));
    (BYTES.load(Relaxed), CALLS.load(Relaxed))
}

// ---- bodies ----

const SIZES: [(&str, usize); 3] = [("1KB", 1024), ("100KB", 100 * 1024), ("1MB", 1024 * 1024)];

const HEAD: &str = r#""meta":{"request_id":"3f2a9c1e-7b4d-4e8a-9c0f-5d6e7f8a9b0c","page":3,"per_page":50,"generated_at":"2025-06-07T08:09:10Z"},"user":{"id":7,"name":"Ada Lovelace","email":"ada@example.com","address":{"street":"12 St James's Square","city":"London","zip":"SW1Y 4JH"},"roles":["admin","author"]},"links":{"self":"/v1/catalogue?page=3","next":"/v1/catalogue?page=4"}"#;

/// A catalogue record: strings (with escapes and non-ASCII), numbers, booleans, nesting.
fn item(i: usize) -> String {
    format!(
        r#"{{"id":{i},"sku":"SKU-{i:07}","title":"Catalogue item number {i}","description":"A \"deterministic\" item of the Krustd catalogue, café-grade text.","price":{}.{:02},"currency":"EUR","qty":{},"available":{},"tags":["bench","kitchen"],"dimensions":{{"w":{},"h":{},"d":1.5e1}},"ratings":[4,5,3]}}"#,
        i * 37 % 500,
        i % 100,
        i % 17,
        i % 3 != 0,
        i % 50,
        i * 7 % 90
    )
}

/// `{meta, user, links, items: [...], count}` of about `size` bytes.
fn document(size: usize) -> Vec<u8> {
    let mut items = String::new();
    let mut n = 0;
    while HEAD.len() + items.len() + 40 < size {
        if n > 0 {
            items.push(',');
        }
        items.push_str(&item(n));
        n += 1;
    }
    format!(r#"{{{HEAD},"items":[{items}],"count":{n}}}"#).into_bytes()
}

/// The same, wrapped: `{"data": {...}, "status": "ok"}`.
fn wrapped(size: usize) -> Vec<u8> {
    let inner = document(size.saturating_sub(32));
    let mut out = br#"{"status":"ok","data":"#.to_vec();
    out.extend_from_slice(&inner);
    out.push(b'}');
    out
}

// ---- the shaping of each case, as codegen emits it ----

static A_ALLOW: Projection = Projection {
    decode: Decode::JsonObject,
    target: &[],
    select: Select::Allow(&[
        Field {
            key: "meta",
            below: &[Field {
                key: "page",
                below: &[],
            }],
        },
        Field {
            key: "user",
            below: &[
                Field {
                    key: "address",
                    below: &[Field {
                        key: "city",
                        below: &[],
                    }],
                },
                Field {
                    key: "name",
                    below: &[],
                },
            ],
        },
    ]),
    mapping: &[],
    group: None,
};
const A_PATHS: &[&[&str]] = &[
    &["meta", "page"],
    &["user", "name"],
    &["user", "address", "city"],
];

static B_TARGET: Projection = Projection {
    decode: Decode::JsonObject,
    target: &["user"],
    select: Select::All,
    mapping: &[("name", "full_name"), ("email", "contact")],
    group: None,
};

static B2_TARGET: Projection = Projection {
    decode: Decode::JsonObject,
    target: &["data"],
    select: Select::All,
    mapping: &[("items", "products")],
    group: None,
};

static C_DENY: Projection = Projection {
    decode: Decode::JsonObject,
    target: &[],
    select: Select::Deny(&[Field {
        key: "items",
        below: &[],
    }]),
    mapping: &[],
    group: None,
};

static D_USER: Projection = Projection {
    decode: Decode::JsonObject,
    target: &["user"],
    select: Select::Allow(&[
        Field {
            key: "address",
            below: &[Field {
                key: "city",
                below: &[],
            }],
        },
        Field {
            key: "email",
            below: &[],
        },
        Field {
            key: "name",
            below: &[],
        },
    ]),
    mapping: &[],
    group: Some("user"),
};
static D_META: Projection = Projection {
    decode: Decode::JsonObject,
    target: &["meta"],
    select: Select::All,
    mapping: &[],
    group: Some("meta"),
};
static D_SUMMARY: Projection = Projection {
    decode: Decode::JsonObject,
    target: &[],
    select: Select::Deny(&[
        Field {
            key: "items",
            below: &[],
        },
        Field {
            key: "user",
            below: &[],
        },
    ]),
    mapping: &[("count", "total")],
    group: Some("summary"),
};

// ---- the two paths ----

fn decode_generic(body: &[u8]) -> Data {
    decode::decode(Decode::JsonObject, body).unwrap_or_default()
}

fn render(data: &Data) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    json::write_map(&mut out, data);
    out
}

fn generic_a(body: &[u8]) -> Vec<u8> {
    render(&shape::allow(decode_generic(body), A_PATHS))
}

fn generic_b(body: &[u8]) -> Vec<u8> {
    let mut d = shape::target(decode_generic(body), &["user"]);
    shape::mapping(&mut d, &[("name", "full_name"), ("email", "contact")]);
    render(&d)
}

fn generic_b2(body: &[u8]) -> Vec<u8> {
    let mut d = shape::target(decode_generic(body), &["data"]);
    shape::mapping(&mut d, &[("items", "products")]);
    render(&d)
}

fn generic_c(body: &[u8]) -> Vec<u8> {
    let mut d = decode_generic(body);
    shape::deny(&mut d, &[&["items"]]);
    render(&d)
}

fn ok(data: Data) -> BackendResult {
    BackendResult::Ok(data)
}

fn render_merged(results: [BackendResult; 3]) -> Vec<u8> {
    let merged = respond::merge(results);
    let mut out = Vec::with_capacity(512);
    if let Some(v) = &merged.data {
        json::write(&mut out, v);
    }
    out
}

fn generic_d(body: &[u8]) -> Vec<u8> {
    let user = shape::target(decode_generic(body), &["user"]);
    let user = shape::allow(user, &[&["name"], &["email"], &["address", "city"]]);
    let user = shape::group(user, "user");
    let meta = shape::group(shape::target(decode_generic(body), &["meta"]), "meta");
    let mut summary = decode_generic(body);
    shape::deny(&mut summary, &[&["items"], &["user"]]);
    shape::mapping(&mut summary, &[("count", "total")]);
    let summary = shape::group(summary, "summary");
    render_merged([ok(user), ok(meta), ok(summary)])
}

fn projected(body: &[u8], p: &Projection) -> Vec<u8> {
    render(&projection::decode(body, p).unwrap_or_default())
}

fn projected_d(body: &[u8]) -> Vec<u8> {
    let run = |p: &Projection| ok(projection::decode(body, p).unwrap_or_default());
    render_merged([run(&D_USER), run(&D_META), run(&D_SUMMARY)])
}

type PathFn = Box<dyn Fn(&[u8]) -> Vec<u8>>;

struct Case {
    name: &'static str,
    body: fn(usize) -> Vec<u8>,
    generic: PathFn,
    specialised: PathFn,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "a_allow_3_nested",
            body: document,
            generic: Box::new(generic_a),
            specialised: Box::new(|b| projected(b, &A_ALLOW)),
        },
        Case {
            name: "b_target_small_mapping",
            body: document,
            generic: Box::new(generic_b),
            specialised: Box::new(|b| projected(b, &B_TARGET)),
        },
        Case {
            name: "b2_target_most_mapping",
            body: wrapped,
            generic: Box::new(generic_b2),
            specialised: Box::new(|b| projected(b, &B2_TARGET)),
        },
        Case {
            name: "c_deny_big_subtree",
            body: document,
            generic: Box::new(generic_c),
            specialised: Box::new(|b| projected(b, &C_DENY)),
        },
        Case {
            name: "d_merge_3_groups",
            body: document,
            generic: Box::new(generic_d),
            specialised: Box::new(projected_d),
        },
    ]
}

fn criterion_runs(c: &mut Criterion, cases: &[Case]) {
    for case in cases {
        let mut group = c.benchmark_group(format!("shaping_{}", case.name));
        group.sample_size(10);
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(1));
        for (label, size) in SIZES {
            let body = (case.body)(size);
            // Same bytes out of both paths, or the comparison means nothing.
            assert_eq!(
                (case.generic)(&body),
                (case.specialised)(&body),
                "{}",
                case.name
            );
            group.throughput(Throughput::Bytes(body.len() as u64));
            group.bench_with_input(BenchmarkId::new("generic", label), &body, |b, body| {
                b.iter(|| (case.generic)(black_box(body)))
            });
            group.bench_with_input(BenchmarkId::new("specialised", label), &body, |b, body| {
                b.iter(|| (case.specialised)(black_box(body)))
            });
        }
        group.finish();
    }
}

/// Median time per call over `batches` batches of about 20 ms each.
fn median_time(f: &dyn Fn() -> Vec<u8>, batches: usize) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_millis(20) || n < 3 {
        black_box(f());
        n += 1;
    }
    let mut times: Vec<Duration> = (0..batches)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                black_box(f());
            }
            t.elapsed() / n
        })
        .collect();
    times.sort();
    times[batches / 2]
}

fn fmt_time(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

fn fmt_bytes(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.2} MiB", b as f64 / f64::from(1u32 << 20))
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

fn summary(cases: &[Case]) {
    let mut table = String::from(
        "| case | body | generic time | specialised time | time ratio | generic alloc (calls) | specialised alloc (calls) | alloc ratio |\n|---|---|---|---|---|---|---|---|\n",
    );
    for case in cases {
        for (label, size) in SIZES {
            let body = (case.body)(size);
            let g = || (case.generic)(&body);
            let s = || (case.specialised)(&body);
            let (tg, ts) = (median_time(&g, 9), median_time(&s, 9));
            let ((bg, cg), (bs, cs)) = (allocations(&g), allocations(&s));
            let _ = writeln!(
                table,
                "| {} | {} ({}) | {} | {} | {:.1}x | {} ({}) | {} ({}) | {:.1}x |",
                case.name,
                label,
                fmt_bytes(body.len()),
                fmt_time(tg),
                fmt_time(ts),
                tg.as_secs_f64() / ts.as_secs_f64(),
                fmt_bytes(bg),
                cg,
                fmt_bytes(bs),
                cs,
                bg as f64 / bs.max(1) as f64,
            );
        }
    }
    println!("\nShaping summary (median of 9 batches; allocations of one call):\n\n{table}");
}

fn main() {
    let cases = cases();
    let mut c = Criterion::default().configure_from_args();
    criterion_runs(&mut c, &cases);
    c.final_summary();
    // Under `cargo bench` (not `cargo test --benches`, nor criterion's `--profile-time`), also
    // the table BENCHMARKS.md records.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") {
        summary(&cases);
    }
}
