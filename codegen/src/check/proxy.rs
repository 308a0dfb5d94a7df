//! Rules on the `proxy` namespace, at endpoint and backend level.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::proxy::{FlatmapEntry, Level, ProxyOptions, StaticOptions, NAME};
use crate::model::{At, Backend, Endpoint};
use crate::path;

pub(super) fn check_endpoint_proxy(d: &mut Diagnostics, e: &Endpoint, p: &ProxyOptions) {
    check_unknown_keys(
        d,
        &p.unknown,
        ProxyOptions::keys(Level::Endpoint),
        &[],
        NAME,
    );
    if let Some(f) = &p.flatmap_filter {
        check_flatmap(d, &f.value);
        if e.backend.len() < 2 {
            d.warning(
                &f.pointer,
                "an endpoint flatmap_filter only runs with two or more backends; KrakenD ignores it here",
                Some("move it to the backend's extra_config.proxy".to_owned()),
            );
        }
    }
    if let Some(st) = &p.static_data {
        check_static(d, st);
    }
    if let Some(params) = &p.propagated_params {
        let no_op: Vec<bool> = e
            .backend
            .iter()
            .map(|b| b.encoding.as_ref().is_some_and(|x| x.value == "no-op"))
            .collect();
        check_propagated_params(d, params, &no_op);
    }
}

pub(super) fn check_backend_proxy(d: &mut Diagnostics, b: &Backend, p: &ProxyOptions) {
    check_unknown_keys(d, &p.unknown, ProxyOptions::keys(Level::Backend), &[], NAME);
    if let Some(f) = &p.flatmap_filter {
        check_flatmap(d, &f.value);
        let ignored = [&b.allow, &b.deny]
            .into_iter()
            .flatten()
            .map(|a| a.pointer.clone());
        for p in ignored.chain(b.mapping.iter().map(|m| m.pointer.clone())) {
            d.warning(
                &p,
                "ignored: a backend flatmap_filter replaces allow, deny and mapping",
                None,
            );
        }
    }
}

/// `flatmap_filter`: a list of `{"type": move|del|append, "args": [...]}`. KrakenD panics on
/// malformed move/append entries at request time; Krustd rejects them at build time.
fn check_flatmap(d: &mut Diagnostics, entries: &[FlatmapEntry]) {
    for (i, entry) in entries.iter().enumerate() {
        let strings = entry.args.is_some();
        let n = entry.args.as_ref().map_or(0, Vec::len);
        let problem = match entry.kind.as_deref() {
            Some("move") | Some("append") if !strings || n != 2 => {
                Some("needs exactly two string args: [source, destination]")
            }
            Some("del") if !strings || n == 0 => {
                Some("needs one or more string args (the paths to delete)")
            }
            Some("move") | Some("append") | Some("del") => None,
            Some(_) => Some("has an unknown type (use move, del or append)"),
            None => Some("needs a string `type` (move, del or append)"),
        };
        if let Some(problem) = problem {
            d.error(
                &entry.pointer,
                format!("flatmap_filter operation {i} {problem}"),
                None,
            );
        }
    }
}

/// The strategies of `proxy.static`.
pub const STATIC_STRATEGIES: &[&str] = &["always", "success", "complete", "errored", "incomplete"];

fn check_static(d: &mut Diagnostics, st: &StaticOptions) {
    if st.data.is_none() {
        d.error(
            &st.pointer,
            "`proxy.static.data` must be a JSON object",
            Some(
                "KrakenD switches the static proxy off otherwise; write {\"data\": {...}}"
                    .to_owned(),
            ),
        );
    }
    if let Some(s) = &st.strategy {
        if !STATIC_STRATEGIES.contains(&s.value.as_str()) {
            d.warning(
                &s.pointer,
                "unknown static strategy; KrakenD uses `always`",
                Some("use always, success, complete, errored or incomplete".to_owned()),
            );
        }
    }
}

fn check_propagated_params(
    d: &mut Diagnostics,
    list: &At<Vec<At<Option<String>>>>,
    no_op: &[bool],
) {
    let backends = no_op.len();
    for item in &list.value {
        // lura matches `[Rr]esp<N>`.
        let name = item.value.as_deref().map(|v| match v.strip_prefix('R') {
            Some(rest) if rest.starts_with("esp") => format!("r{rest}"),
            _ => v.to_owned(),
        });
        match name.as_deref().and_then(path::parse_sequential_ref) {
            Some((n, _)) if n >= backends => d.error(
                &item.pointer,
                format!("`resp{n}` refers to a backend that does not exist"),
                None,
            ),
            Some((n, p)) if p.is_empty() && no_op.get(n) != Some(&true) => d.warning(
                &item.pointer,
                format!("the whole answer of a decoded backend (`resp{n}`) is not passed on: it has no effect"),
                Some("KrakenD passes only a `no-op` backend's raw body here; name a field (`resp0_field`)".to_owned()),
            ),
            Some(_) => {}
            None => d.error(
                &item.pointer,
                "propagated params look like `resp0` or `resp0_field.sub`",
                None,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn at_endpoint(proxy: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            &format!(r#""extra_config": {{"proxy": {{{proxy}}}}}"#),
            "",
        ))
    }

    fn at_backend(proxy: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"proxy": {{{proxy}}}}}"#),
        ))
    }

    #[test]
    fn flatmap_operations() {
        let d = at_backend(
            r#""flatmap_filter": [{"type": "del", "args": []}, {"type": "copy", "args": ["a", "b"]}, {"args": ["a"]}]"#,
        );
        assert_eq!(d.len(), 3, "{d:#?}");
        assert!(
            at_backend(r#""flatmap_filter": [{"type": "move", "args": ["a", "b"]}]"#).is_empty()
        );
        // At endpoint level it only runs with two or more backends: a warning here.
        assert_eq!(
            at_endpoint(r#""flatmap_filter": [{"type": "del", "args": ["a"]}]"#).len(),
            1
        );
    }

    #[test]
    fn static_data() {
        assert_eq!(
            at_endpoint(r#""static": {"data": 1}"#),
            ["`proxy.static.data` must be a JSON object @/endpoints/0/extra_config/proxy/static"]
        );
        assert_eq!(
            at_endpoint(r#""static": {"data": {}, "strategy": "sometimes"}"#).len(),
            1
        );
        assert!(at_endpoint(r#""static": {"data": {"a": 1}, "strategy": "errored"}"#).is_empty());
    }

    #[test]
    fn propagated_params() {
        let d = at_endpoint(r#""sequential_propagated_params": ["resp0_a", "x", "resp3"]"#);
        // Two bad references.
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(at_endpoint(r#""sequential_propagated_params": ["Resp0_a.b"]"#).is_empty());
        // A decoded backend's whole answer: a warning; a `no-op` one's is passed.
        assert_eq!(
            at_endpoint(r#""sequential_propagated_params": ["resp0"]"#).len(),
            1
        );
        let no_op = one_endpoint(
            "",
            r#""extra_config": {"proxy": {"sequential_propagated_params": ["resp0"]}}"#,
            r#""encoding": "no-op""#,
        );
        assert!(diagnostics_of(&no_op).is_empty());
    }

    #[test]
    fn keys_per_level() {
        assert!(at_endpoint(r#""sequential": true"#).is_empty());
        assert_eq!(
            at_endpoint(r#""sequential": 1"#),
            ["`proxy.sequential` must be a boolean @/endpoints/0/extra_config/proxy/sequential"]
        );
        assert_eq!(at_backend(r#""sequential": true"#), ["`proxy.sequential` is not supported by Krustd yet @/endpoints/0/backend/0/extra_config/proxy/sequential"]);
    }
}
