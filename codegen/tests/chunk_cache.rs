//! `Builder::compile` keeps each endpoint's pretty-printed code in `gateway.chunks` beside
//! `gateway.rs` and reuses it while the endpoint's plan is unchanged: the output is the same
//! as without a cache, and a second run really takes its endpoints from the file.

use krustd_codegen::Builder;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn compile(out: &Path) -> String {
    let mut b = Builder::new();
    b.root(workspace())
        .contract("contracts/features/proxy.json")
        .out_dir(out)
        .emit_rerun_if_changed(false);
    b.compile().expect("the contract compiles");
    std::fs::read_to_string(out.join("gateway.rs")).expect("gateway.rs written")
}

#[test]
fn compile_reuses_unchanged_endpoints_and_writes_the_same_code() {
    let out = std::env::temp_dir().join(format!("krustd-chunk-cache-it-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).expect("temp dir");

    let mut b = Builder::new();
    b.root(workspace())
        .contract("contracts/features/proxy.json");
    let source = b.read_source().expect("readable contract");
    let uncached = b.generate(source).expect("generates").code;

    let cold = compile(&out);
    assert_eq!(cold, uncached, "a cold cache changes nothing");
    let cache = out.join("gateway.chunks");
    let bytes = std::fs::read(&cache).expect("gateway.chunks written");
    let warm = compile(&out);
    assert_eq!(warm, uncached, "a warm cache changes nothing");

    // Proof that the second run read the file: an endpoint's text altered in the cache (same
    // length, so the entry stays well-formed) shows up in the next output.
    let needle = b"async fn ";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("an endpoint handler in the cache");
    let mut tampered = bytes.clone();
    tampered[at..at + needle.len()].copy_from_slice(b"async FN ");
    std::fs::write(&cache, tampered).expect("cache rewritten");
    // `gateway.rs` is only rewritten when its bytes change: remove it to read the new one.
    std::fs::remove_file(out.join("gateway.rs")).expect("gateway.rs removed");
    let from_cache = compile(&out);
    assert!(
        from_cache.contains("async FN "),
        "the endpoint came from the cache"
    );
    let _ = std::fs::remove_dir_all(&out);
}
