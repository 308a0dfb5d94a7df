//! Plan → Rust tokens. One module per concern; all of them read only `plan`.
//!
//! The output is straight-line glue over `'static` data: one `static` spec per endpoint and per
//! backend, one async fn per endpoint and per backend, a fixed-arity `join!` for the fan-out,
//! and the route registrations. Mechanisms live in `krustd_runtime`, reached through `__rt`.

mod auth_signer;
mod auth_validator;
pub(crate) mod backend;
mod client_credentials;
mod contract_data;
mod contract_examples;
mod contract_security;
mod endpoint;
mod graphql;
mod lua;
mod martian;
mod projection;
mod qos_circuit_breaker;
mod qos_http_cache;
mod qos_ratelimit;
mod security;
mod sequential_params;
mod service;
mod telemetry;
mod telemetry_otel;
mod telemetry_stats;
mod tests;
mod transport;
mod validation;

use crate::plan::Plan;
use proc_macro2::TokenStream;
use quote::quote;

/// What to emit besides the gateway itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmitOptions {
    /// A `#[cfg(test)]` module that exercises every endpoint against a mock backend.
    pub contract_tests: bool,
}

/// The items of a generated gateway module.
pub fn gateway(plan: &Plan, options: EmitOptions) -> TokenStream {
    gateway_chunks(plan, options).collect()
}

/// The items of a generated gateway module in chunks (the service, then one per endpoint,
/// then the tests), each a sequence of whole items, made as they are asked for: `Builder`
/// parses and pretty-prints them one by one, which keeps the working set small on large
/// contracts.
pub fn gateway_chunks(plan: &Plan, options: EmitOptions) -> impl Iterator<Item = TokenStream> + '_ {
    let prelude = std::iter::once_with(move || prelude(plan)).flatten();
    let tests = options
        .contract_tests
        .then(|| std::iter::once_with(move || tests(plan)));
    prelude
        .chain(plan.endpoints.iter().map(endpoint))
        .chain(tests.into_iter().flatten())
}

/// The first chunks: the service, its routes and its shared limiters, in three runs of items:
/// those before the build identity, the `IDENTITY` static (the only item that reads
/// `plan.identity`, so a renamed contract changes only that chunk), and those after it.
pub fn prelude(plan: &Plan) -> [TokenStream; 3] {
    let [service, after] = service::emit(plan);
    let identity = service::identity(&plan.identity);
    // qos/ratelimit/router at service level: its limiters, shared by every endpoint.
    let service_rate = match &plan.service.rate_limit {
        Some(rl) => qos_ratelimit::endpoint(qos_ratelimit::SERVICE, rl).0,
        None => TokenStream::new(),
    };
    let head = quote! {
    use ::krustd_runtime::__codegen as __rt;

    const _: () = ::core::assert!(
        __rt::CODEGEN_FORMAT == 3u32,
        "this gateway was generated for another version of krustd-runtime; regenerate it"
    );

        #service
    };
    let tail = quote! {
        #after
        #service_rate
    };
    [head, identity, tail]
}

/// The second chunk of `prelude` alone: the `IDENTITY` static.
pub fn identity(id: &crate::plan::Identity) -> TokenStream {
    service::identity(id)
}

/// The chunk of one endpoint: a function of `e` alone (the codegen cache relies on it).
pub fn endpoint(e: &crate::plan::Endpoint) -> TokenStream {
    endpoint::emit(e)
}

/// The last chunk with `contract_tests`: the `#[cfg(test)]` module.
pub fn tests(plan: &Plan) -> TokenStream {
    tests::emit(plan)
}

/// Tokens for a `Duration` constant.
pub(crate) fn duration(d: std::time::Duration) -> TokenStream {
    let secs = d.as_secs();
    let nanos = d.subsec_nanos();
    quote! { __rt::Duration::new(#secs, #nanos) }
}

/// Tokens for an `Option<Duration>`.
pub(crate) fn opt_duration(d: Option<std::time::Duration>) -> TokenStream {
    match d {
        Some(d) => {
            let d = duration(d);
            quote! { ::core::option::Option::Some(#d) }
        }
        None => quote! { ::core::option::Option::None },
    }
}

/// Tokens for an `Option<&'static str>`.
pub(crate) fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote! { ::core::option::Option::Some(#s) },
        None => quote! { ::core::option::Option::None },
    }
}

/// Tokens for a `Method` constant. `check` only lets standard verbs through.
pub(crate) fn method(m: &str) -> TokenStream {
    let known = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    let m = if known.contains(&m) { m } else { "GET" };
    let id = crate::naming::fn_ident(m);
    quote! { __rt::Method::#id }
}
