//! `generated/` holds the code generated for every contract under `contracts/` (except
//! `contracts/invalid/`). This test fails when it is out of date; `KRUSTD_BLESS=1 cargo test`
//! rewrites it, so a contract or codegen change shows up in review as a diff of shipped code.

use krustd_codegen::builder::hex_sha256;
use krustd_codegen::Builder;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn contracts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "invalid") {
                contracts(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn generate(root: &Path, rel: &Path) -> String {
    let mut b = Builder::new();
    b.root(root).contract(rel).emit_contract_tests(true);
    let source = b.read_source().expect("readable contract");
    match b.generate(source) {
        Ok(g) => g.code.replace("\r\n", "\n"),
        Err(report) => panic!("{} does not compile:\n{report}", rel.display()),
    }
}

#[test]
fn generated_code_is_up_to_date() {
    let root = workspace();
    let mut files = Vec::new();
    contracts(&root.join("contracts"), &mut files);
    assert!(!files.is_empty(), "no contracts found");
    let bless = std::env::var_os("KRUSTD_BLESS").is_some_and(|v| v != "0");
    let mut stale = Vec::new();
    for abs in files {
        let rel = abs
            .strip_prefix(&root)
            .expect("under the workspace")
            .to_path_buf();
        let code = generate(&root, &rel);
        let golden = root
            .join("generated")
            .join(rel.strip_prefix("contracts").expect("under contracts/"))
            .with_extension("rs");
        let current = std::fs::read_to_string(&golden)
            .unwrap_or_default()
            .replace("\r\n", "\n");
        if current != code {
            if bless {
                std::fs::create_dir_all(golden.parent().expect("has a parent")).expect("mkdir");
                std::fs::write(&golden, &code).expect("write golden file");
            } else {
                stale.push(
                    golden
                        .strip_prefix(&root)
                        .expect("relative")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated code is out of date for: {stale:?}\nrun `KRUSTD_BLESS=1 cargo test` and review the diff of generated/"
    );
}

/// The same contract with its object keys reordered (and reformatted) gives identical code,
/// apart from the header line that names the contract's sha256.
#[test]
fn generation_is_deterministic() {
    let root = workspace();
    let rel = Path::new("contracts/krakend.json");
    let text = std::fs::read_to_string(root.join(rel)).expect("demo contract");
    let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let dir = std::env::temp_dir().join(format!("krustd-golden-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("contracts")).expect("temp dir");
    let reversed = reversed_json(&value);
    std::fs::write(dir.join(rel), &reversed).expect("write");
    // The contract's sha256 differs with its bytes; everything else must not.
    let strip = |code: String| {
        code.replace(&hex_sha256(text.as_bytes()), "SHA")
            .replace(&hex_sha256(reversed.as_bytes()), "SHA")
    };
    let a = strip(generate(&root, rel));
    let b = strip(generate(&dir, rel));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(a, b);
    assert_eq!(a, strip(generate(&root, rel)), "two runs differ");
}

/// JSON text with the keys of every object written in reverse order.
fn reversed_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Array(a) => {
            let items: Vec<String> = a.iter().map(reversed_json).collect();
            format!("[{}]", items.join(",\n"))
        }
        serde_json::Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .rev()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::Value::String(k.clone()),
                        reversed_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(",\n  "))
        }
        other => other.to_string(),
    }
}
