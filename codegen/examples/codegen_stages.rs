//! Times each codegen stage on one contract (the profile behind BENCHMARKS.md's codegen
//! figures): JSON parse, model, check, plan, emit (tokens), print (the builder's way: statics
//! written as text, the rest through `syn` and prettyplease), for comparison all of it
//! through `syn` and prettyplease (parse, pretty), and `Builder::generate` end to end on one
//! thread. Each stage is timed in CPU time of the thread (Linux); the last line is the wall
//! time of `generate` on every core.
//!
//!   scripts/gen-bench-contract.sh 1000 > /tmp/c.json
//!   cargo run --release -p krustd-codegen --example codegen_stages -- /tmp/c.json [ROUNDS]

use krustd_codegen::diag::{Diagnostics, Source};
use krustd_codegen::emit::{self, EmitOptions};
use krustd_codegen::plan::{self, PlanOptions};
use krustd_codegen::{check, model, Builder};
use std::sync::Arc;
use std::time::Duration;

/// The CLI's allocator, so the figures are the CLI's.
#[cfg(feature = "cli-alloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time of this thread (`/proc/thread-self/schedstat`, nanoseconds): the machine may be
/// loaded, so wall time would measure the neighbours too.
#[derive(Clone, Copy)]
struct Instant(u64);

impl Instant {
    fn now() -> Self {
        let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
        Instant(
            text.split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        )
    }
    fn elapsed(&self) -> Duration {
        Duration::from_nanos(Self::now().0.saturating_sub(self.0))
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: codegen_stages <contract.json> [rounds]");
        std::process::exit(2);
    };
    let rounds: u32 = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut totals = [Duration::ZERO; 10];
    let names = [
        "json",
        "model",
        "check",
        "plan",
        "emit",
        "print",
        "syn",
        "pretty",
        "generate 1 thread",
        "generate (wall)",
    ];
    let mut lines = 0;
    for _ in 0..rounds {
        let source = Arc::new(Source {
            name: "contract.json".to_owned(),
            text: text.clone(),
        });
        let mut d = Diagnostics::new(source.clone());
        let mut t = Instant::now();
        let mut lap = |i: usize, t: &mut Instant| {
            totals[i] += t.elapsed();
            *t = Instant::now();
        };
        let root: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        lap(0, &mut t);
        let service = model::read(&mut d, &root).expect("model");
        lap(1, &mut t);
        check::run(&mut d, &service);
        lap(2, &mut t);
        let p = plan::lower(
            &service,
            "sha",
            "0",
            "bench",
            PlanOptions {
                compiled_shaping: true,
            },
        );
        lap(3, &mut t);
        let chunks: Vec<_> = emit::gateway_chunks(&p, EmitOptions::default()).collect();
        lap(4, &mut t);
        let printed: usize = chunks
            .iter()
            .map(|c| {
                krustd_codegen::pretty::unparse(c.clone())
                    .expect("print")
                    .len()
            })
            .sum();
        lap(5, &mut t);
        let files: Vec<syn::File> = chunks
            .into_iter()
            .map(|c| syn::parse2(c).expect("parse"))
            .collect();
        lap(6, &mut t);
        let code: String = files.iter().map(prettyplease::unparse).collect();
        lap(7, &mut t);
        assert_eq!(printed, code.len(), "the two ways print the same");
        lines = code.lines().count();
        let generate = |parallel: bool| {
            Builder::new()
                .contract(path.as_str())
                .parallel(parallel)
                .generate(Source {
                    name: source.name.clone(),
                    text: source.text.clone(),
                })
                .expect("generate")
        };
        let g = generate(false);
        assert!(g.code.len() > code.len() / 2);
        lap(8, &mut t);
        let wall = std::time::Instant::now();
        let g = generate(true);
        assert!(g.code.len() > code.len() / 2);
        totals[9] += wall.elapsed();
    }
    println!("{path}: {lines} lines, mean of {rounds} rounds");
    for (n, t) in names.iter().zip(totals) {
        println!(
            "{n:>17} {:>9.1} ms",
            t.as_secs_f64() * 1e3 / f64::from(rounds)
        );
    }
}
