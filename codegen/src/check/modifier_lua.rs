//! Rules on `modifier/lua-endpoint`, `modifier/lua-proxy` and `modifier/lua-backend`. KrakenD
//! finds a wrong `md5` when the gateway starts and a syntax error on the first request that
//! runs the script; Krustd reports both at build time. `live: true` (re-read the sources on
//! every request) cannot apply to a gateway whose binary is the contract: a warning, and the
//! sources are embedded as with `live: false` (krakend-ce's own fixtures use it).

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::modifier_lua::{LuaOptions, ENDPOINT, KEYS};
use crate::model::Backend;
use md5::Digest as _;

pub(super) fn check_lua(d: &mut Diagnostics, o: &LuaOptions) {
    check_unknown_keys(d, &o.unknown, KEYS, &[], o.namespace);
    if let Some(live) = o.live.as_ref().filter(|l| l.value) {
        d.warning(
            &live.pointer,
            "`live: true` is ignored: Krustd embeds the Lua sources at build time, as with `live: false`",
            Some("rebuild the gateway to change a script".to_owned()),
        );
    }
    for (name, expected) in &o.md5 {
        let text = o
            .sources
            .iter()
            .find(|s| s.name == name.value)
            .and_then(|s| s.text.as_deref());
        let Some(text) = text else {
            if !o.sources.iter().any(|s| s.name == name.value) {
                d.error(
                    &name.pointer,
                    format!(
                        "`md5` names `{}`, which is not one of `sources`",
                        name.value
                    ),
                    None,
                );
            }
            continue;
        };
        let actual = hex(&md5::Md5::digest(text.as_bytes()));
        if !actual.eq_ignore_ascii_case(expected) {
            d.error(
                &name.pointer,
                format!(
                    "wrong MD5 for `{}`: the file has {actual}, the contract expects {expected}",
                    name.value
                ),
                Some("the source changed since the sum was written".to_owned()),
            );
        }
    }
    for s in &o.sources {
        if let Some(text) = &s.text {
            if let Err(e) = compile(&s.name, text) {
                d.error(
                    &s.pointer,
                    format!("Lua syntax error in `{}`: {e}", s.name),
                    None,
                );
            }
        }
    }
    for (what, code) in [("pre", &o.pre), ("post", &o.post)] {
        if let Some(code) = code {
            if let Err(e) = compile(&format!("{what}-script"), &code.value) {
                d.error(
                    &code.pointer,
                    format!("Lua syntax error in `{what}`: {e}"),
                    None,
                );
            }
        }
    }
    if o.namespace == ENDPOINT {
        if let Some(post) = &o.post {
            d.warning(
                &post.pointer,
                "`post` has no effect in `modifier/lua-endpoint`: KrakenD runs only `pre` there",
                Some("use `modifier/lua-proxy` to change the response".to_owned()),
            );
        }
    }
}

/// A backend `pre` script builds the backend request itself; `qos/http-cache` wraps the plain
/// call, so the two together would silently lose the cache.
pub(super) fn check_lua_http_cache(d: &mut Diagnostics, b: &Backend, o: &LuaOptions) {
    if let (Some(pre), Some(_)) = (&o.pre, &b.ns.http_cache) {
        d.error(
            &pre.pointer,
            "a `modifier/lua-backend` `pre` script and `qos/http-cache` on one backend are not supported by Krustd yet",
            Some("move the script to `modifier/lua-proxy`, or drop the cache".to_owned()),
        );
    }
}

/// Compiles (does not run) one chunk; the error names the chunk and its line
/// (`file.lua:3: 'end' expected near '<eof>'`).
fn compile(name: &str, code: &str) -> Result<(), String> {
    let lua = mlua::Lua::new_with(mlua::StdLib::NONE, mlua::LuaOptions::new())
        .map_err(|e| e.to_string())?;
    match lua.load(code).set_name(format!("@{name}")).into_function() {
        Ok(_) => Ok(()),
        Err(mlua::Error::SyntaxError { message, .. }) => Err(message),
        Err(e) => Err(e.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::compile;
    use crate::check::{diagnostics_of, one_endpoint};

    #[test]
    fn syntax_is_checked_without_running() {
        assert!(compile("a.lua", "function f() while true do end end").is_ok());
        let e = compile("a.lua", "function f(\n  x = 1\nend").unwrap_err();
        assert!(e.starts_with("a.lua:2:"), "{e}");
    }

    #[test]
    fn live_is_a_warning_and_syntax_an_error() {
        let e = diagnostics_of(&one_endpoint(
            "",
            "",
            r#""extra_config": {"modifier/lua-backend": {"pre": "x(", "live": true}}"#,
        ));
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e.iter().any(|m| m.contains("`live: true` is ignored")),
            "{e:?}"
        );
        let ok = diagnostics_of(&one_endpoint(
            "",
            "",
            r#""extra_config": {"modifier/lua-backend": {"pre": "local r = request.load()", "live": false}}"#,
        ));
        assert!(ok.is_empty(), "{ok:?}");
    }
}
