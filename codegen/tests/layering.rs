//! The codegen stages flow one way (model → check → plan → emit) and the runtime never depends
//! on codegen. These are properties of the source tree, checked here so a stray `use` fails CI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The text without `//` comments (doc comments included): names in prose do not count.
fn code_only(text: &str) -> String {
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `word` occurs in `text` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

fn src() -> PathBuf {
    workspace().join("codegen").join("src")
}

/// The top-level module a file of `codegen/src` belongs to (`plan/lower/mod.rs` → `plan`).
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

#[test]
fn emit_never_names_model() {
    for f in rust_files(&src().join("emit")) {
        let code = code_only(&read(&f));
        assert!(
            !has_word(&code, "model"),
            "{} names `model`: emitters read the plan only",
            f.display()
        );
    }
}

#[test]
fn plan_types_do_not_depend_on_lowering() {
    let code = code_only(&read(&src().join("plan").join("ir.rs")));
    for word in ["lower", "model", "check", "emit"] {
        assert!(!has_word(&code, word), "plan/ir.rs names `{word}`");
    }
}

#[test]
fn codegen_modules_have_no_import_cycle() {
    // Top-level modules and the ones each of them names through `crate::`.
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let files = rust_files(&src());
    let modules: BTreeSet<String> = files.iter().filter_map(|f| top_module(f)).collect();
    for f in &files {
        let Some(m) = top_module(f) else { continue };
        if m == "lib" || m == "bin" {
            continue;
        }
        let code = code_only(&read(f));
        let entry = deps.entry(m.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != m && modules.contains(&name) {
                entry.insert(name);
            }
        }
        // `use crate::{a, b}` groups.
        for (i, _) in code.match_indices("crate::{") {
            let rest = &code[i + "crate::{".len()..];
            let group = &rest[..rest.find('}').unwrap_or(0)];
            for name in group
                .split(',')
                .map(|s| s.trim().split("::").next().unwrap_or(""))
            {
                if name != m && modules.contains(name) {
                    entry.insert(name.to_owned());
                }
            }
        }
    }
    // The stage order is part of the design: name it, then look for any cycle.
    for (from, to) in [
        ("model", "check"),
        ("model", "plan"),
        ("model", "emit"),
        ("check", "plan"),
        ("check", "emit"),
        ("plan", "check"),
        ("plan", "emit"),
    ] {
        assert!(
            !deps.get(from).is_some_and(|d| d.contains(to)),
            "`{from}` names `{to}`: the stages flow model → check → plan → emit; deps: {deps:#?}"
        );
    }
    // Depth-first search for a back edge.
    fn visit(
        m: &str,
        deps: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} -> {m}", path[at..].join(" -> "));
        }
        path.push(m.to_owned());
        for d in deps.get(m).into_iter().flatten() {
            visit(d, deps, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in deps.keys() {
        visit(m, &deps, &mut Vec::new(), &mut done);
    }
}

#[test]
fn runtime_never_names_codegen() {
    let runtime = workspace().join("runtime");
    for f in rust_files(&runtime.join("src")) {
        let text = read(&f);
        for name in ["krustd_codegen", "krustd-codegen"] {
            assert!(
                !text.contains(name),
                "{} names {name}: the runtime must not depend on codegen",
                f.display()
            );
        }
    }
    // In the manifest, codegen may only be a dev-dependency (runtime/tests use its builder).
    let manifest = read(&runtime.join("Cargo.toml"));
    let mut section = "";
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
        } else if line.starts_with("krustd-codegen") {
            assert_eq!(
                section, "[dev-dependencies]",
                "runtime/Cargo.toml lists krustd-codegen outside [dev-dependencies]"
            );
        }
    }
}

#[test]
fn the_checks_above_see_what_they_look_for() {
    assert!(has_word("use crate::model::X;", "model"));
    assert!(!has_word("use crate::models;", "model"));
    assert!(!has_word(&code_only("// the model\nlet x = 1;"), "model"));
    assert!(top_module(&src().join("plan").join("ir.rs")).as_deref() == Some("plan"));
}
