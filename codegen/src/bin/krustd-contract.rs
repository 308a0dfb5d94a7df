//! `krustd-contract check <contract>`: the build's diagnostics, without building.
//! `krustd-contract generate <contract>`: print the gateway code a build would compile.

use krustd_codegen::Builder;
use std::process::ExitCode;

const USAGE: &str = "usage: krustd-contract check <krakend.json>\n       krustd-contract generate [--tests] <krakend.json>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let tests = rest.iter().any(|a| a == "--tests");
    let files: Vec<&String> = rest.iter().filter(|a| !a.starts_with("--")).collect();
    let [file] = files.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let mut builder = Builder::new();
    builder.contract(file.as_str()).emit_contract_tests(tests);
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
