//! Flexible configuration (KrakenD's `FC_*`, operations.md §6), rendered at BUILD time: the
//! contract file is a Go `text/template` (the `gtmpl` crate, vendored with Go's sorted map
//! iteration) rendered with the settings files as data, the partials and sub-templates as
//! functions, and the result — the flattened contract — is what the build compiles and hashes.
//! `build.rs`, `gateway!` and `krustd-contract` all come through `Builder`, which calls `render`.
//!
//! Deliberate differences with KrakenD (README, "Flexible configuration"): an error in a
//! template is a build error at file:line (KrakenD logs it and falls back to the raw file); an
//! `include` of a missing partial is an error (KrakenD inserts nothing); only the functions in
//! `funcs::SUPPORTED` exist (an unknown one is an error naming it).

mod funcs;
mod locate;
mod value;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use funcs::SUPPORTED;

/// The `FC_*` variables a build reads (each one is a `rerun-if-env-changed`).
pub const ENV_VARS: [&str; 5] = [
    "FC_ENABLE",
    "FC_SETTINGS",
    "FC_PARTIALS",
    "FC_TEMPLATES",
    "FC_OUT",
];

/// Where the flexible configuration's inputs are. Relative paths are relative to the
/// builder's root (the crate root for `build.rs` and `gateway!`, the working directory for
/// `krustd-contract`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlexConfig {
    /// `FC_SETTINGS`: every `*.json` in it is `.<basename>` in the templates.
    pub settings: Option<PathBuf>,
    /// `FC_PARTIALS`: `include "file"` inserts a file of it verbatim.
    pub partials: Option<PathBuf>,
    /// `FC_TEMPLATES`: every `*.tmpl` in it can be called with `template "name.tmpl" .`.
    pub templates: Option<PathBuf>,
    /// `FC_OUT`: where the flattened contract is written, for review.
    pub out: Option<PathBuf>,
}

impl FlexConfig {
    /// From the environment: `None` unless `FC_ENABLE` is set to a non-empty value (any
    /// value, even `0`, as KrakenD does). Empty `FC_*` paths count as unset.
    pub fn from_env() -> Option<FlexConfig> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// `from_env` over any lookup (tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<FlexConfig> {
        get("FC_ENABLE").filter(|v| !v.is_empty())?;
        let path = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        Some(FlexConfig {
            settings: path("FC_SETTINGS"),
            partials: path("FC_PARTIALS"),
            templates: path("FC_TEMPLATES"),
            out: path("FC_OUT"),
        })
    }

    /// The conventional layout of one directory: `settings/`, `partials/`, `templates/`
    /// (all three must exist, as any `FC_*` directory must), no `FC_OUT`. What `gateway!(…, flexible_config = "dir")`
    /// takes.
    pub fn from_dir(dir: &Path) -> FlexConfig {
        let sub = |name: &str| Some(dir.join(name));
        FlexConfig {
            settings: sub("settings"),
            partials: sub("partials"),
            templates: sub("templates"),
            out: None,
        }
    }

    /// `self` with every relative path joined to `root`.
    pub fn resolved(&self, root: &Path) -> FlexConfig {
        let abs = |p: &Option<PathBuf>| {
            p.as_ref().map(|p| {
                if p.is_absolute() {
                    p.clone()
                } else {
                    root.join(p)
                }
            })
        };
        FlexConfig {
            settings: abs(&self.settings),
            partials: abs(&self.partials),
            templates: abs(&self.templates),
            out: abs(&self.out),
        }
    }

    /// The input directories that exist (a `rerun-if-changed` on a directory covers every
    /// file in it, added ones included).
    pub fn input_dirs(&self) -> Vec<PathBuf> {
        [&self.settings, &self.partials, &self.templates]
            .into_iter()
            .flatten()
            .filter(|d| d.is_dir())
            .cloned()
            .collect()
    }
}

/// The flattened contract and what rendering it read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    /// Every file read: settings, sub-templates, included partials (absolute).
    pub files: Vec<PathBuf>,
    /// The environment variables the template read with `env`.
    pub env: BTreeSet<String>,
}

/// A flexible-configuration error, already located (`file:line: message`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FcError(pub String);

impl std::fmt::Display for FcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "error: flexible configuration: {}", self.0)
    }
}

/// One template text and the name diagnostics show for it.
struct Input {
    /// The name `template "…"` calls it by (the file's base name, as in KrakenD).
    name: String,
    /// Relative to the root when possible: never a machine path in a message.
    shown: String,
    text: String,
}

/// Renders the contract at `contract` (a template) with `fc` (already `resolved`). `root`
/// only shortens the file names in messages.
pub fn render(fc: &FlexConfig, contract: &Path, root: &Path) -> Result<Rendered, FcError> {
    let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
    let mut files = Vec::new();
    let settings = match &fc.settings {
        Some(dir) => value::load_settings(dir, &shown, &mut files)?,
        None => gtmpl::Value::Map(Default::default()),
    };
    let main = Input {
        name: base_name(contract),
        shown: shown(contract),
        text: std::fs::read_to_string(contract)
            .map_err(|e| FcError(format!("cannot read {}: {e}", shown(contract))))?,
    };
    let mut inputs = vec![main];
    if let Some(dir) = &fc.templates {
        for path in files_with_suffix(dir, ".tmpl", &shown)? {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| FcError(format!("cannot read {}: {e}", shown(&path))))?;
            inputs.push(Input {
                name: base_name(&path),
                shown: shown(&path),
                text,
            });
            files.push(path);
        }
    }
    let scope = funcs::Scope::enter(fc.partials.clone(), root.to_path_buf());
    let result = locate::execute(&inputs, &settings);
    let (read, env) = scope.leave();
    files.extend(read);
    let text = result?;
    if let Some(out) = &fc.out {
        check_out_extension(out, &shown)?;
        write_if_changed(out, text.as_bytes())
            .map_err(|e| FcError(format!("cannot write FC_OUT {}: {e}", shown(out))))?;
    }
    Ok(Rendered { text, files, env })
}

/// KrakenD picks the parser of the flattened file by `FC_OUT`'s extension; Krustd parses JSON
/// only, so another format's extension is refused rather than silently read as JSON.
fn check_out_extension(out: &Path, shown: &dyn Fn(&Path) -> String) -> Result<(), FcError> {
    match out.extension().and_then(|e| e.to_str()) {
        Some(ext)
            if ["yaml", "yml", "toml", "hcl", "ini", "properties", "env"]
                .contains(&ext.to_ascii_lowercase().as_str()) =>
        {
            Err(FcError(format!(
                "FC_OUT {} names a .{ext} file: Krustd contracts are JSON (use a .json name)",
                shown(out)
            )))
        }
        _ => Ok(()),
    }
}

/// Writes `bytes` unless `path` holds them already (no rebuild for an unchanged FC_OUT).
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes)
}

fn base_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The files of `dir` whose name ends with `suffix`, sorted by name (Go's `os.ReadDir`).
fn files_with_suffix(
    dir: &Path,
    suffix: &str,
    shown: &dyn Fn(&Path) -> String,
) -> Result<Vec<PathBuf>, FcError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        FcError(format!(
            "loading flexible-config settings: cannot read the directory {}: {e}",
            shown(dir)
        ))
    })?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && base_name(p).ends_with(suffix))
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests;
