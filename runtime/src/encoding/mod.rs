//! Backend response decoding and client response rendering.
pub mod json;
