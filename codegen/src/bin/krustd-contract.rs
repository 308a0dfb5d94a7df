//! `krustd-contract check <contract>`: the build's diagnostics, without building.
//! `krustd-contract generate <contract>`: print the gateway code a build would compile
//! (`--cache=FILE`: reuse the code of endpoints unchanged since the last run, see `chunk_cache`).
//! `krustd-contract diff [--json] <old> <new>`: the breaking-change gate (exit 1 on a breaking
//! change outside a version bump, 2 on a usage error or an invalid contract).
//! All three honour flexible configuration: with `FC_ENABLE` set, each contract is a template
//! rendered with `FC_SETTINGS`, `FC_PARTIALS`, `FC_TEMPLATES` (paths relative to the working
//! directory) and, for check/generate, written to `FC_OUT`.

use krustd_codegen::flexible_config::FlexConfig;
use krustd_codegen::Builder;
use std::process::ExitCode;

/// Codegen allocates a token or a string per word: mimalloc takes a third off its CPU time.
#[cfg(feature = "cli-alloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: krustd-contract check <krakend.json>\n       krustd-contract generate [--tests] [--cache=FILE] <krakend.json>\n       krustd-contract diff [--json] <old.json> <new.json>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    if cmd == "diff" {
        return diff(rest);
    }
    let tests = rest.iter().any(|a| a == "--tests");
    // `--cache=FILE`: keep each endpoint's code in FILE and reuse it while its plan is unchanged.
    let cache = rest
        .iter()
        .find_map(|a| a.strip_prefix("--cache="))
        .map(std::path::PathBuf::from);
    let files: Vec<&String> = rest.iter().filter(|a| !a.starts_with("--")).collect();
    let [file] = files.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut builder = Builder::new();
    builder
        .contract(file.as_str())
        .emit_contract_tests(tests)
        .chunk_cache(cache)
        .flexible_config(FlexConfig::from_env());
    let source = match builder.read_source() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    match (cmd, builder.generate(source)) {
        ("check", Ok(g)) => {
            if !g.warnings.items.is_empty() {
                eprintln!("{}", g.warnings);
            }
            println!("Syntax OK!");
            ExitCode::SUCCESS
        }
        ("generate", Ok(g)) => {
            if !g.warnings.items.is_empty() {
                eprintln!("{}", g.warnings);
            }
            print!("{}", g.code);
            ExitCode::SUCCESS
        }
        ("check" | "generate", Err(report)) => {
            eprintln!("{report}");
            ExitCode::FAILURE
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `diff [--json] OLD NEW`.
fn diff(rest: &[String]) -> ExitCode {
    let as_json = rest.iter().any(|a| a == "--json");
    let files: Vec<&String> = rest.iter().filter(|a| !a.starts_with("--")).collect();
    let ([old, new], true) = (
        files.as_slice(),
        rest.iter().all(|a| !a.starts_with("--") || a == "--json"),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match FlexConfig::from_env() {
        None => krustd_codegen::diff::diff_files(old, new),
        Some(fc) => diff_rendered(fc, old, new),
    };
    match result {
        Ok(d) => {
            if as_json {
                println!("{:#}", krustd_codegen::diff::json(&d));
            } else {
                print!("{}", krustd_codegen::diff::human(&d));
            }
            if d.fails() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}

/// `diff` of two flexible-configuration templates: both rendered with the same settings
/// (`FC_OUT` is not written: there are two contracts).
fn diff_rendered(
    fc: FlexConfig,
    old: &str,
    new: &str,
) -> Result<krustd_codegen::diff::Diff, String> {
    let fc = FlexConfig { out: None, ..fc };
    let read = |path: &str| {
        let mut b = Builder::new();
        b.contract(path).flexible_config(Some(fc.clone()));
        let source = b.read_source().map_err(|e| e.to_string())?;
        krustd_codegen::diff::Contract::parse(&source.name, &source.text).map_err(|r| r.to_string())
    };
    let (o, n) = (read(old)?, read(new)?);
    Ok(krustd_codegen::diff::diff(&o, &n))
}
