//! Flexible configuration through `krustd-contract` (the same `Builder` path as `build.rs`):
//! the example renders to its checked-in flattened contract, whose sha256 is the binary's;
//! errors point at the template's file:line (or at FC_OUT's flattened text for JSON errors);
//! `diff` compares two templated contracts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `krustd-contract args…` from the workspace root, flexible configuration on with the
/// directories of `dir` (relative to the root); `out` is FC_OUT.
fn cli(dir: &str, out: Option<&Path>, args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_krustd-contract"));
    c.current_dir(workspace())
        .args(args)
        .env("FC_ENABLE", "1")
        .env("FC_SETTINGS", format!("{dir}/settings"))
        .env("FC_PARTIALS", format!("{dir}/partials"))
        .env("FC_TEMPLATES", format!("{dir}/templates"))
        .env_remove("FC_OUT");
    if let Some(out) = out {
        c.env("FC_OUT", out);
    }
    c.output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("krustd-fc-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

const EXAMPLE: &str = "examples/flexible-config";
const FIXTURES: &str = "codegen/tests/flexible_config";

#[test]
fn the_example_renders_to_its_flattened_contract_and_hashes_it() {
    let dir = scratch("example");
    let out = dir.join("flat.json");
    let o = cli(
        EXAMPLE,
        Some(&out),
        &["generate", "examples/flexible-config/krakend.json"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let flat = std::fs::read(&out).unwrap();
    let checked_in = std::fs::read(workspace().join(EXAMPLE).join("flattened.json")).unwrap();
    assert_eq!(
        text(&flat),
        text(&checked_in),
        "examples/flexible-config/flattened.json is out of date"
    );
    let sha = krustd_codegen::builder::hex_sha256(&flat);
    let code = text(&o.stdout);
    assert!(
        code.contains(&format!("contract_sha256: \"{sha}\"")),
        "the binary's sha256 is not the flattened contract's ({sha})"
    );
    // The template's own bytes hash to something else: the sha really is the rendering's.
    let template = std::fs::read(workspace().join(EXAMPLE).join("krakend.json")).unwrap();
    assert_ne!(krustd_codegen::builder::hex_sha256(&template), sha);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn without_fc_enable_the_template_is_not_rendered() {
    let o = Command::new(env!("CARGO_BIN_EXE_krustd-contract"))
        .current_dir(workspace())
        .args(["check", "examples/flexible-config/krakend.json"])
        .env_remove("FC_ENABLE")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("invalid JSON"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn an_unsupported_function_fails_at_its_line() {
    let o = cli(
        FIXTURES,
        None,
        &["check", &format!("{FIXTURES}/unsupported.json")],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains(
            "error: flexible configuration: codegen/tests/flexible_config/unsupported.json:3: \
             template: function `uuidv4` is not supported"
        ),
        "{e}"
    );
}

#[test]
fn an_execution_error_fails_at_its_line() {
    let o = cli(
        FIXTURES,
        None,
        &["check", &format!("{FIXTURES}/missing_setting.json")],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    assert!(
        e.contains("codegen/tests/flexible_config/missing_setting.json:4: error executing"),
        "{e}"
    );
}

#[test]
fn a_json_error_of_the_rendering_points_at_fc_out() {
    let dir = scratch("json");
    let out = dir.join("flat.json");
    let o = cli(
        FIXTURES,
        Some(&out),
        &["check", &format!("{FIXTURES}/trailing_comma.json")],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = text(&o.stderr);
    // The flattened text is in FC_OUT; the error's line:col is in it (the last `},` + `]`).
    let flat = std::fs::read_to_string(&out).unwrap();
    let line = flat.lines().position(|l| l.trim() == "]").unwrap() + 1;
    assert!(e.contains("invalid JSON"), "{e}");
    assert!(
        e.contains(&format!("{}:{line}:", out.display())),
        "{e}\n{flat}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn diff_compares_two_templated_contracts() {
    let o = cli(
        FIXTURES,
        None,
        &[
            "diff",
            "--json",
            &format!("{FIXTURES}/old.json"),
            &format!("{FIXTURES}/new.json"),
        ],
    );
    let report = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{report}{}", text(&o.stderr));
    assert!(report.contains("endpoint-removed"), "{report}");
    assert!(report.contains("/v1/b"), "{report}");
    let same = cli(
        FIXTURES,
        None,
        &[
            "diff",
            &format!("{FIXTURES}/old.json"),
            &format!("{FIXTURES}/old.json"),
        ],
    );
    assert!(same.status.success(), "{}", text(&same.stderr));
}

#[test]
fn the_build_tracks_every_flexible_configuration_input() {
    let root = scratch("rerun");
    for d in ["settings", "partials", "templates"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    std::fs::write(root.join("settings/s.json"), r#"{"v": 1}"#).unwrap();
    std::fs::write(root.join("partials/p.txt"), "1").unwrap();
    std::fs::write(
        root.join("krakend.json"),
        r#"{"version": 3, "x": {{ include "p.txt" }}{{ env "KRUSTD_FC_RERUN_TEST" }}}"#,
    )
    .unwrap();
    struct F {
        root: PathBuf,
    }
    let f = F { root };
    let mut b = krustd_codegen::Builder::new();
    b.root(&f.root).contract("krakend.json");
    let plain = b.rerun_lines();
    for v in krustd_codegen::flexible_config::ENV_VARS {
        // Switching flexible configuration on reruns the build even when it is off.
        assert!(
            plain.contains(&format!("cargo::rerun-if-env-changed={v}")),
            "{v}"
        );
    }
    assert!(!plain.iter().any(|l| l.ends_with("settings")));
    b.flexible_config(Some(krustd_codegen::flexible_config::FlexConfig::from_dir(
        Path::new("."),
    )));
    let lines = b.rerun_lines();
    for d in ["settings", "partials", "templates"] {
        let line = format!(
            "cargo::rerun-if-changed={}",
            f.root.join(".").join(d).display()
        );
        assert!(lines.contains(&line), "{line}: {lines:?}");
    }
    let (source, rendered) = b.load().unwrap();
    assert_eq!(source.text, r#"{"version": 3, "x": 1}"#);
    assert_eq!(source.name, "krakend.json (flattened)");
    let extra = krustd_codegen::Builder::rendered_rerun_lines(&rendered.unwrap());
    let partial = format!(
        "cargo::rerun-if-changed={}",
        f.root.join("./partials/p.txt").display()
    );
    assert!(extra.contains(&partial), "{extra:?}");
    assert!(extra.contains(&"cargo::rerun-if-env-changed=KRUSTD_FC_RERUN_TEST".to_owned()));
}
