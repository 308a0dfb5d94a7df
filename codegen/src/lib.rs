//! krustd-codegen: compiles a KrakenD v3 contract (`krakend.json`) into Rust gateway code.
//!
//! Stages, each in its own module: `model` reads the contract faithfully, `check` runs every
//! validity rule, `plan` applies defaults and inheritance, `emit` writes tokens from the plan
//! only, and `Builder` strings them together for `build.rs`, the `gateway!` macro and the CLI.
//! The API is exempt from semver: it serves Krustd's own front ends.

pub mod builder;
pub mod check;
pub mod diag;
pub mod duration;
pub mod emit;
pub mod host;
pub mod macro_support;
pub mod model;
pub mod path;
pub mod plan;
pub mod projection;

pub use builder::{Builder, CompileError, Generated};
pub use diag::{Diagnostic, Diagnostics, Report, Severity, Source};
