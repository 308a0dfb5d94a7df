//! What KrakenD's router does around a match (spec: docs/spec/routing-and-forwarding.md §2):
//! matching on the percent-decoded path, trailing-slash and fixed-path redirects, 405 with
//! `Allow`, 404, and the 400 for parameters that still look encoded.
//!
//! The route table is a `'static` array emitted by codegen; it is only consulted on the cold
//! paths (no route matched for the request's method), never on a successful match.

mod clean;
mod escape;
mod not_found;
mod param;
mod pattern;
#[cfg(test)]
mod tests;

pub use clean::clean_path;
pub use not_found::not_matched;
pub use param::{decode_param, decode_param_unchecked};

use escape::{is_uri_path_byte, percent_decode_lenient, push_pct, UPPER_HEX};
use std::borrow::Cow;

/// One registered path and the methods it was registered for, in contract order.
#[derive(Debug)]
pub struct Route {
    /// The endpoint path as axum knows it, e.g. `/users/{id}`.
    pub pattern: &'static str,
    /// Methods registered for this path, upper-case, in contract order.
    pub methods: &'static [&'static str],
}

/// Everything the cold paths need: routes plus the `router` options that affect them.
#[derive(Debug)]
pub struct RouteTable {
    pub routes: &'static [Route],
    /// Every method in the order it was first registered in the whole contract (gin keeps one
    /// tree per method, in that order; `Allow` lists methods in that order).
    pub method_order: &'static [&'static str],
    /// Value of `X-Krakend` (`Version <v>` or `Version undefined`).
    pub version_header: &'static str,
    /// `router.error_body."404"` as JSON text.
    pub error_body_404: Option<&'static str>,
    /// `router.error_body."405"` as JSON text.
    pub error_body_405: Option<&'static str>,
    pub disable_redirect_trailing_slash: bool,
    pub disable_redirect_fixed_path: bool,
    pub disable_handle_method_not_allowed: bool,
    /// `router.remove_extra_slash`: clean the path before matching (no redirect).
    pub remove_extra_slash: bool,
}

/// Rewrites a raw request path into the form the router matches on: percent-decoded once, then
/// re-encoded so that the result is a valid URI path in which a decoded `%2F` is a real `/` and a
/// literal `%` is `%25`. Returns `Borrowed` when nothing changes (no `%` in the path).
pub fn canonical_path(raw_path: &str) -> Cow<'_, str> {
    let raw = raw_path.as_bytes();
    if raw.iter().all(|&b| is_uri_path_byte(b)) {
        return Cow::Borrowed(raw_path);
    }
    let decoded = percent_decode_lenient(raw);
    let mut out = String::with_capacity(decoded.len() + 8);
    for &b in &decoded {
        if is_uri_path_byte(b) {
            out.push(char::from(b));
        } else {
            push_pct(&mut out, b, UPPER_HEX);
        }
    }
    if out == raw_path {
        Cow::Borrowed(raw_path)
    } else {
        Cow::Owned(out)
    }
}
