//! Whether an endpoint's answer can be written straight from its backend's bytes
//! (`runtime::render::canonical`, issue 9) instead of decoding them into a `Value` and
//! rendering that.
//!
//! Only where the result is provably today's: one backend called once, its JSON answer
//! rendered as `output_encoding: json` with nothing in between that reads or changes the data.
//! Stages before the call (request checks, rate limits, request modifiers, credentials) and
//! stages around the whole response (the `/__stats` pipe layer, the proxy span) are the same
//! on both paths, and so is the telemetry of the call (backend spans, latency metrics), which
//! reads the same from either path's outcome. Every field of [`Endpoint`] and [`Backend`] is named below without `..`: a
//! field added later does not compile here until someone decides whether it keeps the
//! endpoint eligible.

use crate::plan::{Backend, Decode, Endpoint, Output, Shaping};

/// Whether `e` qualifies.
pub(super) fn qualifies(e: &Endpoint) -> bool {
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
        backends,
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
    let [b] = backends.as_slice() else {
        return false;
    };
    *output == Output::Json
        && !*sequential
        && *concurrent_calls == 1
        && flatmap.is_none()
        && static_data.is_none()
        // Pre-rules run before the call; post-rules read the data.
        && cel.as_ref().is_none_or(|c| c.post.exprs.is_empty())
        && lua_proxy.is_none()
        && auth_signer.is_none()
        && backend_qualifies(b)
}

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
        steps,
        shaping,
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
    ) && steps.is_empty()
        && *shaping == Shaping::Unshaped
        && seq_refs.is_empty()
        && seq_params.is_empty()
        && !keep_body
        && cel.is_none()
        && rate_limit.is_none()
        && breaker.is_none()
        && http_cache.is_none()
        && lua.is_none()
}
