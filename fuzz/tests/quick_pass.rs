//! The quick fuzz pass, inside `cargo test`: every target of `krustd-fuzz` for a few seconds
//! (`FUZZ_SECONDS`, default 2 per target) on the binary this test build already made. It runs
//! in CI with the rest of the tests; `scripts/fuzz.sh` is the long run (release, 1,000,000
//! inputs per target).

#[test]
fn every_fuzz_target_survives_a_quick_pass() {
    let seconds = std::env::var("FUZZ_SECONDS").unwrap_or_else(|_| "2".to_owned());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_krustd-fuzz"))
        .args(["all", "--seconds", &seconds, "--seed", "1"])
        .output()
        .expect("run krustd-fuzz");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Every target reported its runs (a target that silently did nothing would not).
    for target in [
        "contract",
        "json",
        "xml",
        "rss",
        "projection",
        "router",
        "canonical",
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("{target}: ")) && l.ends_with("no crash")),
            "{target} did not run:\n{stdout}"
        );
    }
}
