//! `krustd-fuzz <target|all> [--runs N] [--seconds S] [--seed X]`: mutation fuzzing on stable
//! Rust (`all`: every target in turn, each with the given budget).
//!
//! Each target runs its corpus (`fuzz/corpus/<target>/`), then `N` mutated inputs (default
//! 1,000,000), stopping early after `S` seconds when given. A panic (a crash, or a broken
//! property) saves the input under `target/fuzz-crashes/` and exits 1. Targets:
//!
//! - `contract`: `krustd_codegen::Builder::generate` (reader, checker, planner, emitter) on
//!   any text;
//! - `json`: the backend decoders (`object`, `collection`, `safejson`, `string`); property:
//!   `decode_guard`'s value estimate bounds what a decode produced;
//! - `xml`, `rss`: the XML and RSS/Atom decoders;
//! - `projection`: the shaping compiled into the parse; property: it gives exactly what the
//!   generic path (`projection::reference`) gives, errors included;
//! - `router`: `clean_path` and `canonical_path`; properties: rooted, idempotent;
//! - `canonical`: the client body written straight from a JSON answer
//!   (`render::canonical`); property: exactly the generic path's bytes, errors included.

mod mutate;

use krustd_runtime::projection::{self, Field, Projection, Select};
use krustd_runtime::spec::Decode;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TARGETS: &[&str] = &[
    "contract",
    "json",
    "xml",
    "rss",
    "projection",
    "router",
    "canonical",
];

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("krustd-fuzz: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Args {
    target: String,
    runs: u64,
    seconds: Option<u64>,
    seed: u64,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let target = it.next().ok_or_else(|| {
        format!(
            "usage: krustd-fuzz <{}|all> [--runs N] [--seconds S] [--seed X]",
            TARGETS.join("|")
        )
    })?;
    if target != "all" && !TARGETS.contains(&target.as_str()) {
        return Err(format!(
            "unknown target {target:?} (one of {})",
            TARGETS.join(", ")
        ));
    }
    let mut a = Args {
        target,
        runs: 1_000_000,
        seconds: None,
        seed: 1,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value:?}"))?;
        match flag.as_str() {
            "--runs" => a.runs = n,
            "--seconds" => a.seconds = Some(n),
            "--seed" => a.seed = n,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(a)
}

fn run() -> Result<(), String> {
    let a = args()?;
    // Panics are reported by the loop, with the input that caused them.
    std::panic::set_hook(Box::new(|_| {}));
    if a.target != "all" {
        return fuzz(&a);
    }
    for t in TARGETS {
        fuzz(&Args {
            target: (*t).to_owned(),
            ..a
        })?;
    }
    Ok(())
}

/// One target: its corpus, then mutated inputs within the budget.
fn fuzz(a: &Args) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = load_corpus(&root.join("corpus").join(&a.target))?;
    let tokens = tokens(&a.target);
    let exec = executor(&a.target);
    for (i, input) in corpus.iter().enumerate() {
        check(a, exec, input, &format!("corpus-{i}"))?;
    }
    let mut rng = mutate::Rng::new(a.seed);
    let started = Instant::now();
    let deadline = a.seconds.map(|s| started + Duration::from_secs(s));
    let mut done = 0u64;
    while done < a.runs {
        let input = mutate::mutate(&mut rng, &corpus, tokens);
        check(a, exec, &input, &format!("run-{done}"))?;
        done += 1;
        if done % 1024 == 0 && deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    println!(
        "{}: {} corpus inputs + {done} mutated runs in {:.1} s (seed {}), no crash",
        a.target,
        corpus.len(),
        started.elapsed().as_secs_f64(),
        a.seed
    );
    Ok(())
}

fn load_corpus(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("corpus {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect()
}

type Exec = fn(&[u8]);

fn check(a: &Args, exec: Exec, input: &[u8], label: &str) -> Result<(), String> {
    let outcome = std::panic::catch_unwind(|| exec(input));
    let Err(panic) = outcome else {
        return Ok(());
    };
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("fuzz-crashes");
    let file = dir.join(format!("{}-seed{}-{label}.bin", a.target, a.seed));
    let saved = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&file, input))
        .map_or_else(
            |e| format!("(not saved: {e})"),
            |()| file.display().to_string(),
        );
    Err(format!(
        "{} crashed on {label} (seed {}): {message}\ninput saved to {saved}",
        a.target, a.seed
    ))
}

fn executor(target: &str) -> Exec {
    match target {
        "contract" => contract,
        "json" => json,
        "xml" => xml,
        "rss" => rss,
        "projection" => projection,
        "canonical" => canonical,
        _ => router,
    }
}

fn contract(input: &[u8]) {
    let source = krustd_codegen::Source {
        name: "fuzz.json".to_owned(),
        text: String::from_utf8_lossy(input).into_owned(),
    };
    let _ = krustd_codegen::Builder::new().generate(source);
}

/// Values and keys in a decoded tree.
fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(|v| 1 + count(v)).sum::<usize>(),
        _ => 1,
    }
}

fn json(input: &[u8]) {
    for how in [
        Decode::JsonObject,
        Decode::JsonCollection,
        Decode::SafeJson,
        Decode::String,
    ] {
        if let Ok(data) = krustd_runtime::decode::decode(how, input) {
            if how == Decode::String {
                continue;
            }
            // The wrapper object (`collection`/`content`) adds one value and one key.
            let got = count(&Value::Object(data)) - 1;
            let estimate = krustd_runtime::decode_guard::estimate_values(how, input) + 1;
            assert!(
                got <= estimate,
                "{how:?}: decoded {got} values, estimate {estimate}"
            );
        }
    }
}

fn xml(input: &[u8]) {
    let _ = krustd_runtime::decode::xml::decode(input, false);
    let _ = krustd_runtime::decode::xml::decode(input, true);
}

fn rss(input: &[u8]) {
    let _ = krustd_runtime::decode::rss::decode(input);
}

static PROJECTIONS: &[Projection] = &[
    Projection {
        decode: Decode::JsonObject,
        target: &[],
        select: Select::Allow(&[
            Field {
                key: "a",
                below: &[Field {
                    key: "c",
                    below: &[],
                }],
            },
            Field {
                key: "x",
                below: &[],
            },
        ]),
        mapping: &[("x", "renamed")],
        group: None,
    },
    Projection {
        decode: Decode::JsonObject,
        target: &["data", "user"],
        select: Select::Deny(&[Field {
            key: "secret",
            below: &[],
        }]),
        mapping: &[],
        group: Some("g"),
    },
    Projection {
        decode: Decode::JsonCollection,
        target: &[],
        select: Select::All,
        mapping: &[("collection", "items")],
        group: None,
    },
    Projection {
        decode: Decode::SafeJson,
        target: &["a"],
        select: Select::Allow(&[Field {
            key: "b",
            below: &[],
        }]),
        mapping: &[],
        group: Some("h"),
    },
];

fn projection(input: &[u8]) {
    for p in PROJECTIONS {
        let fast = projection::decode(input, p);
        let reference = projection::reference(input, p);
        assert_eq!(
            fast, reference,
            "projection {p:?} differs from the generic path"
        );
    }
}

fn canonical(input: &[u8]) {
    use krustd_runtime::render::canonical;
    for how in [Decode::JsonObject, Decode::JsonCollection, Decode::SafeJson] {
        let reference = canonical::reference(how, input);
        assert_eq!(
            canonical::render(how, input),
            reference,
            "{how:?}: the canonical render differs from the generic path"
        );
        if let Some(fast) = canonical::fast(how, input) {
            assert_eq!(
                Ok(fast),
                reference,
                "{how:?}: the fast reader took a body wrongly"
            );
        }
    }
}

fn router(input: &[u8]) {
    use krustd_runtime::router::{canonical_path, clean_path};
    let path = String::from_utf8_lossy(input);
    let clean = clean_path(&path);
    assert!(clean.starts_with('/'), "clean_path({path:?}) = {clean:?}");
    assert_eq!(
        clean_path(&clean),
        clean,
        "clean_path is not idempotent on {path:?}"
    );
    let canonical = canonical_path(&path);
    assert_eq!(
        canonical_path(&canonical),
        canonical,
        "canonical_path is not idempotent on {path:?}"
    );
}

fn tokens(target: &str) -> &'static [&'static [u8]] {
    match target {
        "json" | "projection" | "canonical" => &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b":",
            b",",
            b"\\u",
            b"\\ud800",
            b"\\\"",
            b"1e999",
            b"-0",
            b"0.1e-5",
            b"null",
            b"true",
            b"false",
            b"\"a\":",
            b"\"data\":",
            b"\"user\":",
            b"\"secret\":",
            b"\"collection\":",
            b"[[[[",
            b"{\"a\":{\"b\":",
        ],
        "xml" | "rss" => &[
            b"<",
            b">",
            b"</",
            b"/>",
            b"<![CDATA[",
            b"]]>",
            b"&amp;",
            b"&#x0;",
            b"&#65;",
            b"&bogus;",
            b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
            b"<!DOCTYPE x>",
            b"=\"",
            b" xmlns:a=\"x\"",
            b"<item>",
            b"</item>",
            b"<channel>",
            b"<entry>",
            b"<rss version=\"2.0\">",
            b"<feed>",
            b"<title>",
            b"<link href=\"h\"/>",
            b"<!-- c -->",
        ],
        "contract" => &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b":",
            b",",
            b"null",
            b"true",
            b"0",
            b"-1",
            b"\"endpoint\":",
            b"\"backend\":",
            b"\"url_pattern\":",
            b"\"/{id}\"",
            b"\"/{*x}\"",
            b"\"extra_config\":",
            b"{\"proxy\":{\"sequential\":true}}",
            b"\"timeout\":",
            b"\"1ms\"",
            b"\"encoding\":",
            b"\"no-op\"",
            b"\"xml\"",
            b"\"allow\":",
            b"\"deny\":",
            b"\"mapping\":",
            b"\"group\":",
            b"\"target\":",
            b"\"host\":",
            b"\"method\":",
            b"\"input_headers\":",
            b"[\"*\"]",
            b"\"concurrent_calls\":",
            b"\"flatmap_filter\":",
            b"\"/x/{resp0_a.b}\"",
            b"\"/__health\"",
            b"\"output_encoding\":",
            b"\"version\":3",
            b"\"is_collection\":",
            b"\"router\":",
            b"\"health_path\":",
        ],
        _ => &[
            b"/",
            b".",
            b"..",
            b"%2e",
            b"%2E",
            b"%2F",
            b"%2f",
            b"%25",
            b"//",
            b"%",
            b"?",
            b"#",
            b"\xc3\xa9",
            b"%C3",
            b"%C3%A9",
            b"\\",
            b"%00",
            b"/./",
            b"/../",
        ],
    }
}
