//! `Builder`: the one entry point to the compiler (prost-build's `Config`, tonic-build's
//! `configure()`). `generate` is pure; `compile` is what `build.rs` calls.

use crate::chunk_cache::ChunkCache;
use crate::diag::{Diagnostics, Report, Source};
use crate::emit;
use crate::flexible_config::{self, FcError, FlexConfig, Rendered};
use crate::plan::PlanOptions;
use crate::{check, model, plan};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The contract used when `KRUSTD_CONTRACT` is not set.
pub const DEFAULT_CONTRACT: &str = "contracts/krakend.json";

/// The version of the krustd crates (`--version`, telemetry).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use crate::plan::KRAKEND_VERSION;

/// Options of one compilation. Every default lives in `Default`.
#[derive(Debug, Clone)]
pub struct Builder {
    /// The contract, absolute or relative to `root`.
    contract: PathBuf,
    /// The workspace root (`CARGO_MANIFEST_DIR` of the gateway package).
    root: PathBuf,
    emit_contract_tests: bool,
    out_dir: Option<PathBuf>,
    release: Option<String>,
    emit_rerun_if_changed: bool,
    compiled_shaping: bool,
    /// Flexible configuration: the contract is a Go template rendered first (`FC_*`).
    flexible_config: Option<FlexConfig>,
    /// Where the pretty-printed endpoints of the last run are kept (`chunk_cache`).
    chunk_cache: Option<PathBuf>,
    /// Make the endpoint chunks on several threads (`parallel.rs`).
    parallel: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder {
            contract: PathBuf::from(DEFAULT_CONTRACT),
            root: PathBuf::from("."),
            emit_contract_tests: false,
            out_dir: None,
            release: None,
            emit_rerun_if_changed: true,
            compiled_shaping: true,
            flexible_config: None,
            chunk_cache: None,
            parallel: true,
        }
    }
}

/// The result of a successful `generate`.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The pretty-printed gateway module.
    pub code: String,
    /// Warnings about the contract.
    pub warnings: Report,
    pub plan: plan::Plan,
    /// The side files the contract names (read and embedded), for rerun directives.
    pub side_files: Vec<PathBuf>,
}

/// Why `compile` failed.
#[derive(Debug)]
pub enum CompileError {
    /// The contract could not be read.
    Io(PathBuf, std::io::Error),
    /// The contract is invalid.
    Contract(Report),
    /// The flexible configuration (`FC_*`) did not render.
    FlexibleConfig(FcError),
    /// Generated tokens did not parse: a bug in Krustd. The tokens were written to `dump`.
    Internal {
        message: String,
        dump: Option<PathBuf>,
    },
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompileError::Io(p, e) => {
                write!(f, "error: cannot read the contract {}: {e}", p.display())
            }
            CompileError::Contract(r) => write!(f, "{r}"),
            CompileError::FlexibleConfig(e) => write!(f, "{e}"),
            CompileError::Internal { message, dump } => {
                write!(
                    f,
                    "error: internal error in krustd-codegen (please report it): {message}"
                )?;
                if let Some(d) = dump {
                    write!(
                        f,
                        "\n  the generated tokens were written to {}",
                        d.display()
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }

    /// For `build.rs`: the contract from `KRUSTD_CONTRACT` (else `contracts/krakend.json`),
    /// relative to `CARGO_MANIFEST_DIR`; the release from `KRUSTD_RELEASE`, else git.
    pub fn from_env() -> Self {
        let root = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."));
        let contract = std::env::var_os("KRUSTD_CONTRACT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONTRACT));
        let release = std::env::var("KRUSTD_RELEASE")
            .ok()
            .filter(|r| !r.is_empty())
            .or_else(|| git_short_sha(&root))
            .unwrap_or_else(|| "unknown".to_owned());
        // `KRUSTD_SHAPING=generic` builds the same gateway with every backend on the generic
        // shaping path: the reference the benchmarks compare the compiled shaping against.
        let compiled_shaping = std::env::var("KRUSTD_SHAPING").map_or(true, |v| v != "generic");
        Builder {
            contract,
            root,
            release: Some(release),
            compiled_shaping,
            flexible_config: FlexConfig::from_env(),
            ..Builder::default()
        }
    }

    pub fn contract(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.contract = path.into();
        self
    }

    pub fn root(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.root = path.into();
        self
    }

    /// Also emit a `#[cfg(test)]` module exercising every endpoint (off by default).
    pub fn emit_contract_tests(&mut self, on: bool) -> &mut Self {
        self.emit_contract_tests = on;
        self
    }

    /// Where `compile` writes `gateway.rs` (default: `$OUT_DIR`).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The release identifier baked into the binary (default: `unknown`).
    pub fn release(&mut self, release: impl Into<String>) -> &mut Self {
        self.release = Some(release.into());
        self
    }

    /// Compile response shaping into the parse where possible (default: on); off puts every
    /// backend on the generic path (parse to a value, then shape).
    pub fn compiled_shaping(&mut self, on: bool) -> &mut Self {
        self.compiled_shaping = on;
        self
    }

    /// Render the contract as a flexible-configuration template first (`None`: plain JSON).
    /// `from_env` takes it from `FC_ENABLE`, `FC_SETTINGS`, `FC_PARTIALS`, `FC_TEMPLATES`,
    /// `FC_OUT`.
    pub fn flexible_config(&mut self, fc: Option<FlexConfig>) -> &mut Self {
        self.flexible_config = fc;
        self
    }

    /// Keep the pretty-printed code of each endpoint in `file` and reuse it on the next run
    /// while the endpoint's plan is unchanged (`chunk_cache.rs`). `compile` uses
    /// `gateway.chunks` beside `gateway.rs` unless told otherwise; `generate` none by default.
    pub fn chunk_cache(&mut self, file: Option<PathBuf>) -> &mut Self {
        self.chunk_cache = file;
        self
    }

    /// Make the endpoints' code on as many threads as the machine runs (default: on; the output
    /// is the same). Off where `proc_macro2` tokens must stay on one thread: inside a proc
    /// macro (`gateway!`), tokens made on another thread would panic.
    pub fn parallel(&mut self, on: bool) -> &mut Self {
        self.parallel = on;
        self
    }

    /// Print `cargo::rerun-if-*` lines in `compile` (default: on).
    pub fn emit_rerun_if_changed(&mut self, on: bool) -> &mut Self {
        self.emit_rerun_if_changed = on;
        self
    }

    /// The contract's absolute path.
    pub fn contract_path(&self) -> PathBuf {
        if self.contract.is_absolute() {
            self.contract.clone()
        } else {
            self.root.join(&self.contract)
        }
    }

    /// The name diagnostics show: relative to the root when possible, never a machine path.
    pub fn display_name(&self) -> String {
        let abs = self.contract_path();
        match abs.strip_prefix(&self.root) {
            Ok(rel) => rel.display().to_string(),
            Err(_) => self.contract.display().to_string(),
        }
    }

    /// Reads the contract into a `Source` (rendered first under flexible configuration: the
    /// flattened contract, named after `FC_OUT` when set).
    pub fn read_source(&self) -> Result<Source, CompileError> {
        self.load().map(|(source, _)| source)
    }

    /// `read_source`, and what the flexible configuration read (its inputs, for rerun
    /// directives and the macro's `include_bytes!`).
    pub fn load(&self) -> Result<(Source, Option<Rendered>), CompileError> {
        let path = self.contract_path();
        let Some(fc) = &self.flexible_config else {
            let text =
                std::fs::read_to_string(&path).map_err(|e| CompileError::Io(path.clone(), e))?;
            let source = Source {
                name: self.display_name(),
                text,
            };
            return Ok((source, None));
        };
        let fc = fc.resolved(&self.root);
        let rendered = flexible_config::render(&fc, &path, &self.root)
            .map_err(CompileError::FlexibleConfig)?;
        let name = match &fc.out {
            Some(out) => out
                .strip_prefix(&self.root)
                .unwrap_or(out)
                .display()
                .to_string(),
            None => format!("{} (flattened)", self.display_name()),
        };
        let source = Source {
            name,
            text: rendered.text.clone(),
        };
        Ok((source, Some(rendered)))
    }

    /// The `cargo::rerun-if-*` lines known before reading the contract: the variables the
    /// build reads, the contract, `build.rs`, git's HEAD, and the flexible configuration's
    /// directories (a directory covers every file in it, added ones too).
    pub fn rerun_lines(&self) -> Vec<String> {
        let mut out: Vec<String> = ["KRUSTD_CONTRACT", "KRUSTD_RELEASE", "KRUSTD_SHAPING"]
            .into_iter()
            .chain(flexible_config::ENV_VARS)
            .map(|v| format!("cargo::rerun-if-env-changed={v}"))
            .collect();
        out.push(format!(
            "cargo::rerun-if-changed={}",
            self.contract_path().display()
        ));
        out.push(format!(
            "cargo::rerun-if-changed={}",
            self.root.join("build.rs").display()
        ));
        for git_file in git_inputs(&self.root) {
            out.push(format!("cargo::rerun-if-changed={}", git_file.display()));
        }
        if let Some(fc) = &self.flexible_config {
            for dir in fc.resolved(&self.root).input_dirs() {
                out.push(format!("cargo::rerun-if-changed={}", dir.display()));
            }
        }
        out
    }

    /// The lines a rendering adds: every file it read (a partial may sit outside
    /// `FC_PARTIALS`) and every variable its `env` calls read.
    pub fn rendered_rerun_lines(rendered: &Rendered) -> Vec<String> {
        let files = rendered
            .files
            .iter()
            .map(|f| format!("cargo::rerun-if-changed={}", f.display()));
        let env = rendered
            .env
            .iter()
            .map(|v| format!("cargo::rerun-if-env-changed={v}"));
        files.chain(env).collect()
    }

    /// Contract text → pretty-printed gateway code. No environment; the only files read are the
    /// side files the contract names (`side_files`: beside the contract, else in a parent).
    pub fn generate(&self, source: Source) -> Result<Generated, Report> {
        self.run(source).map_err(|f| match f {
            Failure::Contract(r) => r,
            Failure::Internal { report, .. } => report,
        })
    }

    fn run(&self, source: Source) -> Result<Generated, Failure> {
        let sha = hex_sha256(source.text.as_bytes());
        let source = Arc::new(source);
        let (plan, warnings, side_files) = self.lower(&source, &sha)?;
        self.print(source, &sha, plan, warnings, side_files)
    }

    /// The plan of the contract, for the tests of the printing (`None`: it does not compile).
    #[cfg(test)]
    pub(crate) fn plan_of(&self) -> Option<plan::Plan> {
        let source = Arc::new(self.read_source().ok()?);
        let sha = hex_sha256(source.text.as_bytes());
        self.lower(&source, &sha).ok().map(|(plan, ..)| plan)
    }

    /// The contract read, checked and lowered to its plan, with its warnings and side files.
    fn lower(
        &self,
        source: &Arc<Source>,
        sha: &str,
    ) -> Result<(plan::Plan, Report, Vec<PathBuf>), Failure> {
        let mut d = Diagnostics::new(source.clone());
        d.side_files =
            crate::side_files::SideFiles::new(self.contract_path().parent().map(Path::to_path_buf))
                .within(&self.root);
        let mut service = match serde_json::from_str::<serde_json::Value>(&source.text) {
            Ok(root) => model::read(&mut d, &root),
            Err(e) => {
                let (line, col) = char_column(&source.text, e.line(), e.column());
                d.error_at(
                    line,
                    col,
                    format!("invalid JSON: {}", strip_position(&e.to_string())),
                    Some("the contract must be a single JSON object".to_owned()),
                );
                None
            }
        };
        if let Some(s) = &mut service {
            // The side files the contract names (`jwk_local_path`), found by `side_files`.
            model::jwk_file::load(&mut d, s);
            model::signer_jwk::load(&mut d, s);
        }
        if let Some(s) = &service {
            check::run(&mut d, s);
        }
        let side_files = d.side_files.read_files().to_vec();
        let warnings = d.finish().map_err(Failure::Contract)?;
        let Some(service) = service else {
            return Err(Failure::Contract(warnings));
        };
        let release = self.release.as_deref().unwrap_or("unknown");
        let options = PlanOptions {
            compiled_shaping: self.compiled_shaping,
        };
        let plan = plan::lower(&service, sha, VERSION, release, options);
        Ok((plan, warnings, side_files))
    }

    /// The plan → the gateway's code.
    fn print(
        &self,
        source: Arc<Source>,
        sha: &str,
        plan: plan::Plan,
        warnings: Report,
        side_files: Vec<PathBuf>,
    ) -> Result<Generated, Failure> {
        // Parsed and pretty-printed chunk by chunk (the service, each endpoint, the tests): the
        // same text as the whole file at once (prettyplease writes items one after the other),
        // with a far smaller working set. An endpoint whose plan did not change since the last
        // run of this codegen build comes from the chunk cache, when there is one; the others
        // are made on several threads (`parallel.rs`) while this one makes the service.
        let mut cache = self.chunk_cache.as_ref().and_then(ChunkCache::open);
        let mut plan = plan;
        // The service chunks around `IDENTITY` read the whole plan but its identity: their key
        // is the plan with its identity blanked (a renamed contract reuses them).
        let identity = std::mem::take(&mut plan.identity);
        let keys: Vec<_> = match &cache {
            Some(c) => plan.endpoints.iter().map(|e| c.key(e)).collect(),
            None => Vec::new(),
        };
        let todo: Vec<usize> = (0..plan.endpoints.len())
            .filter(|&i| !cache.as_ref().is_some_and(|c| c.has(&keys[i])))
            .collect();
        let threads = match self.parallel {
            true => crate::parallel::threads_for(todo.len()),
            false => 1,
        };
        let header = format!(
            "// @generated by krustd-codegen {VERSION} from {} (sha256 {sha}). Do not edit.\n\n",
            source.name
        );
        let endpoints = &plan.endpoints;
        let make = |i: usize| pretty(&source, emit::endpoint(&endpoints[i]));
        let (prelude, made) = crate::parallel::map_with(&todo, threads, make, || {
            let mut code = String::with_capacity(1 << 20);
            code.push_str(&header);
            let mut parts = None;
            for i in [0, 2] {
                if i == 2 {
                    code.push_str(&pretty(&source, emit::identity(&identity))?);
                }
                let mut make = || {
                    let p = parts.get_or_insert_with(|| emit::prelude(&plan));
                    pretty(&source, p[i].clone())
                };
                match &mut cache {
                    Some(c) => c.append(&mut code, &(i, &plan), make)?,
                    None => code.push_str(&make()?),
                }
            }
            Ok::<_, Failure>(code)
        });
        let mut code = prelude?;
        // One allocation for the whole text (the endpoints' texts are copied in below).
        let made_len: usize = made.iter().flatten().flatten().map(String::len).sum();
        code.reserve(made_len);
        let mut made_at: Vec<_> = plan.endpoints.iter().map(|_| None).collect();
        for (&i, m) in todo.iter().zip(made) {
            made_at[i] = m;
        }
        for (i, e) in plan.endpoints.iter().enumerate() {
            let made = made_at[i].take();
            let make = || made.unwrap_or_else(|| pretty(&source, emit::endpoint(e)));
            match &mut cache {
                Some(c) => c.append_keyed(&mut code, keys[i], make)?,
                None => code.push_str(&make()?),
            }
        }
        plan.identity = identity;
        if self.emit_contract_tests {
            code.push_str(&pretty(&source, emit::tests(&plan))?);
        }
        if let Some(c) = &cache {
            c.save(&code);
        }
        Ok(Generated {
            code,
            warnings,
            plan,
            side_files,
        })
    }

    /// For `build.rs`: reads the contract, generates, writes `gateway.rs` into the output
    /// directory only if its bytes changed, and prints the rerun directives. Returns warnings.
    pub fn compile(&self) -> Result<Report, CompileError> {
        if self.emit_rerun_if_changed {
            for line in self.rerun_lines() {
                println!("{line}");
            }
        }
        let (source, rendered) = self.load()?;
        if let (true, Some(r)) = (self.emit_rerun_if_changed, &rendered) {
            for line in Self::rendered_rerun_lines(r) {
                println!("{line}");
            }
        }
        let out_dir = self
            .out_dir
            .clone()
            .or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        let result = match self.chunk_cache {
            Some(_) => self.run(source),
            None => {
                let mut with_cache = self.clone();
                with_cache.chunk_cache = Some(out_dir.join("gateway.chunks"));
                with_cache.run(source)
            }
        };
        let generated = match result {
            Ok(g) => g,
            Err(Failure::Contract(report)) => return Err(CompileError::Contract(report)),
            Err(Failure::Internal {
                message, tokens, ..
            }) => {
                let dump = out_dir.join("gateway.tokens.txt");
                let dump = std::fs::write(&dump, tokens).is_ok().then_some(dump);
                return Err(CompileError::Internal { message, dump });
            }
        };
        if self.emit_rerun_if_changed {
            for f in &generated.side_files {
                println!("cargo::rerun-if-changed={}", f.display());
            }
        }
        let target = out_dir.join("gateway.rs");
        write_if_changed(&target, generated.code.as_bytes())
            .map_err(|e| CompileError::Io(target.clone(), e))?;
        Ok(generated.warnings)
    }

    /// `compile`, reporting to Cargo: one `cargo::warning=` per warning line, and on failure
    /// one `cargo::error=` per line (Cargo ≥ 1.84), then a non-zero exit. Never panics.
    pub fn compile_or_report(&self) {
        match self.compile() {
            Ok(warnings) => {
                for line in warnings.to_string().lines() {
                    println!("cargo::warning={line}");
                }
            }
            Err(e) => {
                for line in e.to_string().lines() {
                    println!("cargo::error={line}");
                }
                // Also on stderr, which Cargo shows with the failed build script's output.
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
    }
}

/// Why `run` failed.
enum Failure {
    Contract(Report),
    /// Generated tokens did not parse: a Krustd bug. `report` says so for `generate`'s callers.
    Internal {
        report: Report,
        message: String,
        tokens: String,
    },
}

/// Tokens → pretty-printed items (`pretty/`: plain-data statics written directly, the rest
/// through `syn` and prettyplease).
fn pretty(source: &Arc<Source>, tokens: proc_macro2::TokenStream) -> Result<String, Failure> {
    crate::pretty::unparse(tokens).map_err(|(e, tokens)| {
        // A Krustd bug, not a contract error: keep the raw tokens to debug it.
        let message = format!("generated code does not parse: {e}");
        Failure::Internal {
            report: internal_report(source, &message),
            message,
            tokens: tokens.to_string(),
        }
    })
}

fn internal_report(source: &Arc<Source>, message: &str) -> Report {
    let mut d = Diagnostics::new(source.clone());
    d.error(
        "",
        format!("internal error: {message}"),
        Some(
            "please report this Krustd bug (`krustd-contract generate` shows the contract's code)"
                .to_owned(),
        ),
    );
    match d.finish() {
        Ok(r) | Err(r) => r,
    }
}

/// serde_json reports byte columns; diagnostics count characters.
fn char_column(text: &str, line: usize, byte_col: usize) -> (usize, usize) {
    let line = line.max(1);
    let Some(l) = text.lines().nth(line - 1) else {
        return (line, byte_col.max(1));
    };
    let end = byte_col.saturating_sub(1).min(l.len());
    let end = (0..=end)
        .rev()
        .find(|i| l.is_char_boundary(*i))
        .unwrap_or(0);
    (line, l[..end].chars().count() + 1)
}

/// serde_json appends ` at line X column Y`; the diagnostic shows the location itself.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// Lower-case hex sha256.
pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `bytes` to `path` unless it already holds exactly them (so Cargo does not rebuild
/// unchanged code).
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

/// The git files whose change means a new release SHA: `HEAD` and the ref it points to.
fn git_inputs(root: &Path) -> Vec<PathBuf> {
    let git = root.join(".git");
    let head = git.join("HEAD");
    if !head.is_file() {
        return Vec::new();
    }
    let mut out = vec![head.clone()];
    if let Ok(text) = std::fs::read_to_string(&head) {
        if let Some(r) = text.trim().strip_prefix("ref: ") {
            let ref_file = git.join(r);
            if ref_file.is_file() {
                out.push(ref_file);
            }
            let packed = git.join("packed-refs");
            if packed.is_file() {
                out.push(packed);
            }
        }
    }
    out
}

fn git_short_sha(root: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let sha = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!sha.is_empty()).then_some(sha)
}
