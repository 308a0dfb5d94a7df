//! The request parameters a sequential step carries from earlier steps' answers, as lura puts
//! them in `request.Params` before calling the step: every `{resp<N>_<path>}` a url_pattern of
//! this or an earlier step resolves, and every `sequential_propagated_params` entry naming an
//! earlier step, under the name `Resp<N>_<path>`. lura's request object is shared by the steps,
//! so a value set for one step stays for the later ones. Only a backend whose Lua, CEL or
//! GraphQL reads parameters gets them (nothing else sees request parameters).
//!
//! A whole answer (`resp<N>`, parameter `Resp<N>`) is passed by lura only from a `no-op`
//! backend: the raw body it read (a decoded answer has no body left; check/proxy.rs warns).
//! Such a step keeps its body (`keep_body`).

use super::super::ir::{Backend, Decode};
use crate::path;

/// `Resp<N>_<path>` (lura's parameter name for a sequential value).
fn param_name(step: usize, path: &[String]) -> String {
    if path.is_empty() {
        return format!("Resp{step}");
    }
    format!("Resp{step}_{}", path.join("."))
}

/// `propagated`: the `sequential_propagated_params` entries (invalid ones are build errors).
pub(super) fn assign(backends: &mut [Backend], propagated: &[String]) {
    let propagated: Vec<(usize, Vec<String>)> = propagated
        .iter()
        .filter_map(|p| path::parse_sequential_ref(&lower_first(p)))
        .filter(|(step, path)| {
            !path.is_empty()
                || backends
                    .get(*step)
                    .is_some_and(|b| b.decode == Decode::Discard)
        })
        .collect();

    let mut carried: Vec<(String, usize, Vec<String>)> = Vec::new();
    let add = |carried: &mut Vec<(String, usize, Vec<String>)>, step: usize, p: &[String]| {
        let name = param_name(step, p);
        if !carried.iter().any(|(n, _, _)| *n == name) {
            carried.push((name, step, p.to_vec()));
        }
    };
    for i in 1..backends.len() {
        let Some(b) = backends.get_mut(i) else {
            continue;
        };
        for (step, p) in &b.seq_refs {
            add(&mut carried, *step, p);
        }
        for (step, p) in &propagated {
            if *step < i {
                add(&mut carried, *step, p);
            }
        }
        if b.lua.is_some() || b.cel.is_some() || b.graphql.is_some() {
            b.seq_params = carried.clone();
        }
    }
    // The `no-op` steps whose whole answer a later step reads keep their body.
    let read: Vec<usize> = backends
        .iter()
        .flat_map(|b| &b.seq_params)
        .filter(|(_, _, path)| path.is_empty())
        .map(|(_, step, _)| *step)
        .collect();
    for step in read {
        if let Some(b) = backends.get_mut(step) {
            b.keep_body = true;
        }
    }
}

/// lura matches `[Rr]esp<N>`.
pub(crate) fn lower_first(p: &str) -> String {
    match p.strip_prefix('R') {
        Some(rest) if rest.starts_with("esp") => format!("r{rest}"),
        _ => p.to_owned(),
    }
}
