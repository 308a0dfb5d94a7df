//! Lowering of the three Lua namespaces (`lua_ir.rs`).

use crate::model::namespaces::modifier_lua::{LuaOptions, ENDPOINT};
use crate::plan::lua_ir::Lua;
use std::time::Duration;

fn capitalise(p: &str) -> String {
    let mut c = p.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Whether a script may call `http_response` (decided from the text, as KrakenD registers the
/// module for every script): the sources or a snippet mention it.
fn mentions_http(o: &LuaOptions) -> bool {
    const NAME: &str = "http_response";
    o.sources
        .iter()
        .any(|s| s.text.as_deref().is_some_and(|t| t.contains(NAME)))
        || o.pre.as_ref().is_some_and(|p| p.value.contains(NAME))
        || o.post.as_ref().is_some_and(|p| p.value.contains(NAME))
}

/// `None` when the namespace has nothing to run (no `pre`, no `post`, no `skip_next`).
/// `timeout`: the endpoint's (the service's at service level), bounding router-level HTTP calls.
pub(super) fn lower_lua(o: &LuaOptions, params: &[String], timeout: Duration) -> Option<Lua> {
    let router = o.namespace == ENDPOINT;
    let pre = o.pre.as_ref().map(|p| p.value.clone());
    let post = if router {
        None
    } else {
        o.post.as_ref().map(|p| p.value.clone())
    };
    let skip_next = !router && o.skip_next;
    if pre.is_none() && post.is_none() && !skip_next {
        return None;
    }
    Some(Lua {
        sources: o
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.text.clone().unwrap_or_default()))
            .collect(),
        pre,
        post,
        allow_open_libs: o.allow_open_libs,
        skip_next,
        param_names: params
            .iter()
            .map(|p| if router { p.clone() } else { capitalise(p) })
            .collect(),
        http: mentions_http(o).then_some(timeout),
    })
}
