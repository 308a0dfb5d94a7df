//! Whether an endpoint's answer can be written straight from its backends' bytes
//! (`runtime::render::canonical`, `runtime::projection::render`, issue 9) instead of decoding
//! them into `Value`s, merging and rendering those.
//!
//! Only where the result is provably today's: the JSON answers rendered as
//! `output_encoding: json` with nothing in between that reads or changes the data, and either
//! one unshaped backend called once ([`CanonicalJson::Single`]), or several backends each
//! called once whose whole shaping is an `allow` (and a `mapping` that only renames) under a
//! `group` of its own ([`CanonicalJson::Groups`]: the merged object is then the groups' values
//! side by side, so no merge rule is involved).
//! Stages before the call (request checks, rate limits, request modifiers, credentials) and
//! stages around the whole response (the `/__stats` pipe layer, the proxy span) are the same
//! on both paths, and so is the telemetry of the call (backend spans, latency metrics), which
//! reads the same from either path's outcome. Every field of [`Endpoint`] and [`Backend`] is named below without `..`: a
//! field added later does not compile here until someone decides whether it keeps the
//! endpoint eligible.

use crate::plan::{Backend, CanonicalJson, Decode, Endpoint, Field, Output, Select, Shaping};

/// How `e`'s answer is written.
pub(super) fn decide(e: &Endpoint) -> CanonicalJson {
    if !endpoint_qualifies(e) {
        return CanonicalJson::No;
    }
    match e.backends.as_slice() {
        [b] if backend_qualifies(b) && unshaped(b) => CanonicalJson::Single,
        // The grouped call has no telemetry wrapper of its own: backend spans and latency
        // metrics keep the shared path.
        [_, _, ..]
            if !e.metrics
                && !e.tracing.backend()
                && e.backends
                    .iter()
                    .all(|b| backend_qualifies(b) && grouped(b).is_some()) =>
        {
            let mut groups: Vec<&str> = e.backends.iter().filter_map(grouped).collect();
            groups.sort_unstable();
            groups.dedup();
            if groups.len() == e.backends.len() {
                CanonicalJson::Groups
            } else {
                CanonicalJson::No
            }
        }
        _ => CanonicalJson::No,
    }
}

/// Whether nothing at the endpoint's level reads or changes the merged data.
fn endpoint_qualifies(e: &Endpoint) -> bool {
    let Endpoint {
        index: _,
        pointer: _,
        method: _,
        path: _,
        ident: _,
        // Backend latency metrics read the call's outcome the same on both paths
        // (`telemetry::CallOutcome`).
        metrics: _,
        // Around the whole response: the same response either way.
        pipe_metrics: _,
        // The proxy span wraps the response; backend spans read the call's outcome the same
        // on both paths (`otel::traced_call`).
        tracing: _,
        params: _,
        param_segments: _,
        timeout: _,
        backend_timeout: _,
        // Applied by the same response code (`respond::rendered_json`).
        cache_max_age: _,
        input_headers: _,
        input_query: _,
        output,
        // Judged one by one in `decide`.
        backends: _,
        sequential,
        concurrent_calls,
        flatmap,
        static_data,
        examples: _,
        // Request body validation, before the call.
        json_schema: _,
        cel,
        bot_detector: _,
        auth_validator: _,
        rate_limit: _,
        lua_endpoint: _,
        lua_proxy,
        service_rate_limit: _,
        auth_signer,
        canonical_json: _,
    } = e;
    *output == Output::Json
        && !*sequential
        && *concurrent_calls == 1
        && flatmap.is_none()
        && static_data.is_none()
        // Pre-rules run before the call; post-rules read the data.
        && cel.as_ref().is_none_or(|c| c.post.exprs.is_empty())
        && lua_proxy.is_none()
        && auth_signer.is_none()
}

/// Whether nothing about the backend's call but its shaping reads or changes its answer
/// (the shaping is for [`unshaped`] and [`grouped`] to judge).
fn backend_qualifies(b: &Backend) -> bool {
    let Backend {
        index: _,
        pointer: _,
        ident: _,
        url_pattern: _,
        url_display: _,
        path: _,
        query: _,
        hosts: _,
        method: _,
        decode,
        input_headers: _,
        input_query: _,
        // Non-2xx answers keep the shared path (`backend::answer`).
        errors: _,
        // Judged by `unshaped` and `grouped`.
        steps: _,
        shaping: _,
        seq_refs,
        seq_params,
        // A sequence step's kept raw body (only `no-op` steps, which never qualify).
        keep_body,
        send_body_on_redirect: _,
        // Request side and the raw answer before the status check: inside `backend::exchange`.
        martian: _,
        graphql: _,
        client_credentials: _,
        cel,
        rate_limit,
        breaker,
        http_cache,
        lua,
    } = b;
    matches!(
        decode,
        Decode::JsonObject | Decode::JsonCollection | Decode::SafeJson
    ) && seq_refs.is_empty()
        && seq_params.is_empty()
        && !keep_body
        && cel.is_none()
        && rate_limit.is_none()
        && breaker.is_none()
        && http_cache.is_none()
        && lua.is_none()
}

/// Whether the backend's answer is not shaped at all.
fn unshaped(b: &Backend) -> bool {
    b.steps.is_empty() && b.shaping == Shaping::Unshaped
}

/// The backend's `group`, when its whole shaping is compiled into a projection that
/// `runtime::projection::render` writes: a JSON object answer, an `allow`, a `mapping` that
/// only renames, a `group`.
fn grouped(b: &Backend) -> Option<&str> {
    let Shaping::Projected {
        projection: p,
        covers,
        rest: None,
    } = &b.shaping
    else {
        return None;
    };
    let Select::Allow(fields) = &p.select else {
        return None;
    };
    let whole = *covers >= b.steps.len();
    let object = matches!(b.decode, Decode::JsonObject) && p.decode == Decode::JsonObject;
    (whole && object && p.target.is_empty() && plain_mapping(fields, &p.mapping))
        .then_some(p.group.as_deref())
        .flatten()
}

/// Whether renaming with `mapping` only changes names (as `runtime::projection::render`
/// requires): no two pairs share an old or a new name, and no new name is an allowed top-level
/// key other than its own old one.
fn plain_mapping(fields: &[Field], mapping: &[(String, String)]) -> bool {
    mapping.iter().enumerate().all(|(i, (old, new))| {
        mapping
            .iter()
            .skip(i + 1)
            .all(|(o, n)| o != old && n != new)
            && (old == new || fields.iter().all(|f| &f.key != new))
    }) && fields.len() <= 64
}
