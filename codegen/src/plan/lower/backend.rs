//! Lowering one backend.

use super::super::ir::*;
use super::{allow_list, flat_ops, shaping, split_path, PlanOptions};
use crate::host;
use crate::path::{self, EndpointPath};
use crate::{model, naming};

/// What a backend's lowering needs from its endpoint.
pub(super) struct EndpointFacts<'a> {
    pub ident: &'a str,
    pub path: &'a EndpointPath,
    pub method: &'a str,
    pub output: Output,
    pub root_hosts: &'a [String],
    pub sequential: bool,
    pub options: PlanOptions,
}

pub(super) fn lower_backend(b: &model::Backend, index: usize, e: &EndpointFacts<'_>) -> Backend {
    let sequential = e.sequential;
    let url_pattern = b
        .url_pattern
        .as_ref()
        .map(|u| u.value.clone())
        .unwrap_or_else(|| "/".to_owned());
    let mut seq_refs: Vec<(usize, Vec<String>)> = Vec::new();
    let mut resolve = |name: &str| -> Option<usize> {
        if !sequential {
            return None;
        }
        let (step, path) = path::parse_sequential_ref(name)?;
        if step >= index || path.is_empty() {
            return None;
        }
        let key = (step, path);
        Some(match seq_refs.iter().position(|r| *r == key) {
            Some(i) => i,
            None => {
                seq_refs.push(key);
                seq_refs.len() - 1
            }
        })
    };
    let (path, query) = path::split_url_pattern_seq(&url_pattern, &e.path.params, &mut resolve);
    let raw_hosts = b.disable_host_sanitize.as_ref().is_some_and(|x| x.value);
    let hosts = match &b.host {
        Some(h) if !h.value.is_empty() => h
            .value
            .iter()
            .filter_map(|x| {
                if raw_hosts {
                    Some(x.trim_end_matches('/').to_owned())
                } else {
                    host::sanitize(x).ok()
                }
            })
            .collect(),
        _ => e.root_hosts.to_vec(),
    };
    let encoding = b
        .encoding
        .as_ref()
        .map(|x| x.value.to_ascii_lowercase())
        .unwrap_or_else(|| "json".to_owned());
    let is_collection = b.is_collection.as_ref().is_some_and(|x| x.value);
    let decode = if e.output == Output::NoOp {
        Decode::Stream
    } else {
        match encoding.as_str() {
            "safejson" => Decode::SafeJson,
            "string" => Decode::String,
            "no-op" => Decode::Discard,
            "xml" => Decode::Xml {
                collection: is_collection,
            },
            "rss" => Decode::Rss,
            _ if is_collection => Decode::JsonCollection,
            _ => Decode::JsonObject,
        }
    };
    let http = b.ns.http.as_ref();
    let errors = match (
        http.and_then(|h| h.return_error_details.as_ref()),
        http.is_some_and(|h| h.return_error_code),
    ) {
        (Some(alias), _) if !alias.value.is_empty() => ErrorHandling::Details(alias.value.clone()),
        (_, true) => ErrorHandling::ReturnCode,
        _ => ErrorHandling::Plain,
    };
    let mut steps = Vec::new();
    if !matches!(decode, Decode::Discard | Decode::Stream) {
        if let Some(t) = b.target.as_ref().filter(|t| !t.value.is_empty()) {
            steps.push(ShapeStep::Target(split_path(&t.value)));
        }
        let allow = b.allow.as_ref().filter(|a| !a.value.is_empty());
        let deny = b.deny.as_ref().filter(|a| !a.value.is_empty());
        let flatmap =
            b.ns.proxy
                .as_ref()
                .and_then(|p| p.flatmap_filter.as_ref())
                .and_then(|f| flat_ops(&f.value));
        let has_flatmap = flatmap.is_some();
        if let Some(ops) = flatmap {
            // A valid flatmap_filter replaces allow, deny and mapping.
            steps.push(ShapeStep::Flatmap(ops));
        } else if let Some(a) = allow {
            steps.push(ShapeStep::Allow(
                a.value.iter().map(|p| split_path(p)).collect(),
            ));
        } else if let Some(dn) = deny {
            steps.push(ShapeStep::Deny(
                dn.value.iter().map(|p| split_path(p)).collect(),
            ));
        }
        if let Some(m) = b
            .mapping
            .as_ref()
            .filter(|m| !m.value.is_empty() && !has_flatmap)
        {
            let pairs = m
                .value
                .iter()
                .map(|(old, new)| {
                    let new = new.split('.').next().unwrap_or_default().to_owned();
                    (old.clone(), new)
                })
                .collect();
            steps.push(ShapeStep::Mapping(pairs));
        }
        if let Some(g) = b.group.as_ref().filter(|g| !g.value.is_empty()) {
            steps.push(ShapeStep::Group(g.value.clone()));
        }
    }
    let method = b
        .method
        .as_ref()
        .map(|m| m.value.to_ascii_uppercase())
        .unwrap_or_else(|| e.method.to_owned());
    Backend {
        index,
        pointer: b.pointer.clone(),
        ident: naming::backend_ident(e.ident, index),
        url_display: path::display_pattern(&url_pattern),
        url_pattern,
        path,
        query,
        hosts,
        decode,
        input_headers: allow_list(&b.input_headers, true),
        input_query: allow_list(&b.input_query_strings, false),
        errors,
        shaping: if e.options.compiled_shaping || steps.is_empty() {
            shaping::shaping(decode, &steps)
        } else {
            Shaping::Generic("compiled shaping is switched off in this build")
        },
        steps,
        seq_refs,
        seq_params: Vec::new(),
        keep_body: false,
        send_body_on_redirect: b
            .ns
            .http_client
            .as_ref()
            .is_some_and(|c| c.send_body_on_redirect),
        breaker: b
            .ns
            .circuit_breaker
            .as_ref()
            .and_then(super::qos_circuit_breaker::lower_breaker),
        http_cache: b
            .ns
            .http_cache
            .as_ref()
            .and_then(|c| super::qos_http_cache::lower_http_cache(c, &method)),
        method,
        rate_limit: b
            .ns
            .rate_limit
            .as_ref()
            .and_then(super::qos_ratelimit::lower_proxy_rate_limit),
        cel: b
            .ns
            .cel
            .as_ref()
            .and_then(|c| super::validation::lower_cel(c, &e.path.params)),
        lua: b
            .ns
            .lua
            .as_ref()
            // (HTTP calls at backend level are bounded by the call's own deadline.)
            .and_then(|o| {
                super::modifier_lua::lower_lua(o, &e.path.params, super::DEFAULT_TIMEOUT)
            }),
        martian: b
            .ns
            .martian
            .as_ref()
            .and_then(super::modifier_martian::lower_martian),
        graphql: b
            .ns
            .graphql
            .as_ref()
            .map(|g| super::backend_graphql::lower_graphql(g, &e.path.params)),
        client_credentials: b.ns.client_credentials.as_ref().map(|c| {
            crate::plan::client_credentials_ir::ClientCredentials {
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.clone(),
                token_url: c
                    .token_url
                    .as_ref()
                    .map(|u| u.value.clone())
                    .unwrap_or_default(),
                scopes: c
                    .scopes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                endpoint_params: c.endpoint_params.clone(),
            }
        }),
    }
}
