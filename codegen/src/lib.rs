//! krustd-codegen: compiles a KrakenD v3 contract (`krakend.json`) into Rust gateway code.
//!
//! The stages run one way, each in its own folder: `model` reads the contract faithfully into
//! typed structs (every namespace Krustd implements included), `check` runs every validity
//! rule on the model, `plan` lowers the model into the IR (defaults, inheritance, names and
//! shaping decided once), `emit` writes tokens from the plan only. `Builder` strings them
//! together for `build.rs`, the `gateway!` macro and the CLI. Leaf helpers (`diag`,
//! `json_pointer`, `naming`, `path`, `duration`, `host`) sit below the stages.
//! `codegen/README.md` says how to add a namespace. The API is exempt from semver: it serves
//! Krustd's own front ends.

pub mod builder;
pub mod check;
pub mod chunk_cache;
pub mod diag;
pub mod diff;
pub mod duration;
pub mod emit;
pub mod flexible_config;
pub mod go_time;
pub mod host;
mod json_pointer;
pub mod logfmt;
pub mod macro_support;
pub mod model;
pub mod naming;
mod parallel;
pub mod path;
pub mod plan;
pub mod pretty;
pub mod side_files;
pub mod tls_ids;
pub mod validation;

/// The shaping decision and its trees, under the name tools and tests used before `plan/`
/// held them.
pub mod projection {
    pub use crate::plan::lower::shaping::{allow_tree, deny_tree, shaping};
    pub use crate::plan::{Field, Projection, Select, Shaping};
}

pub use builder::{Builder, CompileError, Generated};
pub use diag::{Diagnostic, Diagnostics, Report, Severity, Source};
