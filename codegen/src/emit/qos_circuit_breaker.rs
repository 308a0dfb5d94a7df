//! `qos/circuit-breaker`: a `static` breaker per backend, and the backend call wrapped in it
//! (the outermost per-backend stage).

use crate::naming as ident;
use crate::plan::Backend;
use proc_macro2::TokenStream;
use quote::quote;

pub(super) fn breaker_ident(b: &Backend) -> proc_macro2::Ident {
    ident::static_ident(&b.ident, "_BREAKER")
}

/// The breaker's `static`; nothing without the namespace.
pub(super) fn item(b: &Backend) -> TokenStream {
    let Some(cb) = &b.breaker else {
        return TokenStream::new();
    };
    let id = breaker_ident(b);
    let name = &cb.name;
    let (interval, timeout, max_errors, log) =
        (cb.interval, cb.timeout, cb.max_errors, cb.log_status_change);
    quote! {
        static #id: __rt::CircuitBreaker = __rt::CircuitBreaker::new(__rt::BreakerSpec {
            name: #name,
            interval: __rt::Duration::from_secs(#interval),
            timeout: __rt::Duration::from_secs(#timeout),
            max_errors: #max_errors,
            log_status_change: #log,
        });
    }
}

/// `call` (a backend-call future) run through the breaker; `call` itself without one.
pub(super) fn wrap(b: &Backend, call: TokenStream) -> TokenStream {
    if b.breaker.is_none() {
        return call;
    }
    let id = breaker_ident(b);
    quote! { __rt::breaker::call(&#id, #call) }
}

/// The answer of a `no-op` endpoint whose backend `spec` is `b`.
/// `__body` is the request body to send (streamed or buffered, see `emit::endpoint`).
pub(super) fn no_op(b: &Backend, spec: &proc_macro2::Ident) -> TokenStream {
    if b.breaker.is_none() {
        return quote! { __rt::respond::no_op(&__ctx, &#spec, __body).await };
    }
    let id = breaker_ident(b);
    quote! { __rt::breaker::no_op(&#id, &__ctx, &#spec, __body).await }
}
