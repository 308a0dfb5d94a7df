//! `plan`: the lowered contract. [`ir`] holds the types emitters read (shaping and projection
//! trees included); [`lower`] builds them from the checked model, applying every default and
//! inheritance rule once and taking every decision (names, shaping) the emitters then follow.

pub mod client_credentials_ir;
pub mod graphql_ir;
pub mod ir;
pub mod ir_auth;
pub mod ir_signer;
pub mod lower;
pub mod lua_ir;
pub mod martian_ir;
pub mod telemetry;
pub mod telemetry_stats;
pub mod transport_ir;

pub use ir::*;
pub use lower::{lower, PlanOptions, DEFAULT_TIMEOUT};

/// The KrakenD CE release Krustd reproduces: the `<v>` of `X-Krakend: Version <v>`, as KrakenD
/// sends its own version there. Keep equal to the runtime's `forward::KRAKEND_VERSION` (the
/// `User-Agent` backends see; `tests/responses.rs` and `tests/backend_headers.rs` check them).
pub const KRAKEND_VERSION: &str = "2.13.8";
