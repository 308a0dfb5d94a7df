//! One backend: its spec and the function that calls it and shapes its data.

use super::{endpoint::allow_lists, method};
use crate::naming as ident;
use crate::plan::UrlPiece;
use crate::plan::{Backend, CanonicalJson, Decode, Endpoint, ErrorHandling, FlatOp, ShapeStep};
use proc_macro2::TokenStream;
use quote::quote;

fn url_parts(pieces: &[UrlPiece]) -> TokenStream {
    let parts = pieces.iter().map(|p| match p {
        UrlPiece::Lit(s) => quote! { __rt::UrlPart::Lit(#s) },
        UrlPiece::Param(i) => quote! { __rt::UrlPart::Param(#i) },
        UrlPiece::Seq { index, missing } => {
            quote! { __rt::UrlPart::Seq { index: #index, missing: #missing } }
        }
    });
    quote! { &[#(#parts),*] }
}

/// `&[Op, ...]` for a `flatmap_filter`.
pub(crate) fn flat_ops(ops: &[FlatOp]) -> TokenStream {
    let items = ops.iter().map(|op| match op {
        FlatOp::Move { from, to } => {
            quote! { __rt::flatmap::Op::Move { from: &[#(#from),*], to: &[#(#to),*] } }
        }
        FlatOp::Append { from, to } => {
            quote! { __rt::flatmap::Op::Append { from: &[#(#from),*], to: &[#(#to),*] } }
        }
        FlatOp::Del(paths_) => {
            let p = paths(paths_);
            quote! { __rt::flatmap::Op::Del { paths: #p } }
        }
    });
    quote! { &[#(#items),*] }
}

fn paths(list: &[Vec<String>]) -> TokenStream {
    let items = list.iter().map(|p| quote! { &[#(#p),*] });
    quote! { &[#(#items),*] }
}

/// One manipulation step as an expression turning `__d` into the next data.
fn step(s: &ShapeStep) -> TokenStream {
    match s {
        ShapeStep::Target(p) => quote! { __rt::shape::target(__d, &[#(#p),*]) },
        ShapeStep::Allow(list) => {
            let l = paths(list);
            quote! { __rt::shape::allow(__d, #l) }
        }
        ShapeStep::Deny(list) => {
            let l = paths(list);
            quote! {{ let mut __d = __d; __rt::shape::deny(&mut __d, #l); __d }}
        }
        ShapeStep::Mapping(pairs) => {
            let pairs = pairs.iter().map(|(a, b)| quote! { (#a, #b) });
            quote! {{ let mut __d = __d; __rt::shape::mapping(&mut __d, &[#(#pairs),*]); __d }}
        }
        ShapeStep::Flatmap(ops) => {
            let ops = flat_ops(ops);
            quote! { __rt::shape::flatmap(__d, #ops) }
        }
        ShapeStep::Group(g) => quote! { __rt::shape::group(__d, #g) },
    }
}

/// The manipulation steps, in order: `let __d = step;` for all but the last, which is the value.
fn shape(steps: &[ShapeStep]) -> TokenStream {
    let Some((last, first)) = steps.split_last() else {
        return quote! { __d };
    };
    let first = first.iter().map(step);
    let last = step(last);
    quote! { #(let __d = #first;)* #last }
}

pub fn emit(e: &Endpoint, b: &Backend) -> TokenStream {
    let spec = ident::static_ident(&b.ident, "");
    let f = ident::fn_ident(&b.ident);
    let doc = format!(
        " Backend {} of {} {}: {} {} (contract {})",
        b.index, e.method, e.path, b.method, b.url_pattern, b.pointer
    );
    let display = &b.url_display;
    let path = url_parts(&b.path);
    let query = match &b.query {
        Some(q) => {
            let q = url_parts(q);
            quote! { ::core::option::Option::Some(#q) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let hosts = &b.hosts;
    let m = method(&b.method);
    let decode = match b.decode {
        Decode::JsonObject => quote! { __rt::Decode::JsonObject },
        Decode::JsonCollection => quote! { __rt::Decode::JsonCollection },
        Decode::SafeJson => quote! { __rt::Decode::SafeJson },
        Decode::String => quote! { __rt::Decode::String },
        Decode::Xml { collection } => quote! { __rt::Decode::Xml { collection: #collection } },
        Decode::Rss => quote! { __rt::Decode::Rss },
        Decode::Discard | Decode::Stream => quote! { __rt::Decode::Discard },
    };
    let errors = match &b.errors {
        ErrorHandling::Plain => quote! { __rt::ErrorHandling::Plain },
        ErrorHandling::ReturnCode => quote! { __rt::ErrorHandling::ReturnCode },
        ErrorHandling::Details(a) => quote! { __rt::ErrorHandling::Details(#a) },
    };
    let (lists, headers, query_allow) =
        allow_lists(&b.ident, b.input_headers.as_ref(), b.input_query.as_ref());
    let send_body_on_redirect = b.send_body_on_redirect;
    let (martian_items, martian) = match &b.martian {
        Some(m) => super::martian::emit(b, m),
        None => (TokenStream::new(), quote! { ::core::option::Option::None }),
    };
    let (credentials_items, client_credentials) = match &b.client_credentials {
        Some(c) => super::client_credentials::emit(b, c),
        None => (TokenStream::new(), quote! { ::core::option::Option::None }),
    };
    let (graphql_items, graphql) = match &b.graphql {
        Some(g) => super::graphql::emit(b, g),
        None => (TokenStream::new(), quote! { ::core::option::Option::None }),
    };
    // The round-robin cursor is the spec's one mutable part: a `static` of its own, and only
    // when there is something to rotate.
    let (cursor_item, cursor) = if b.hosts.len() > 1 {
        let id = ident::static_ident(&b.ident, "_NEXT_HOST");
        (
            quote! {
                static #id: ::std::sync::atomic::AtomicUsize = ::std::sync::atomic::AtomicUsize::new(0);
            },
            quote! { ::core::option::Option::Some(&#id) },
        )
    } else {
        (TokenStream::new(), quote! { ::core::option::Option::None })
    };
    // qos/circuit-breaker and qos/http-cache: their statics, only for backends that have them.
    let breaker_item = super::qos_circuit_breaker::item(b);
    let cache_item = super::qos_http_cache::item(b);
    let spec_item = quote! {
        #lists
        #cursor_item
        #breaker_item
        #cache_item
        #martian_items
        #graphql_items
        #credentials_items
        #[doc = #doc]
        static #spec: __rt::BackendSpec = __rt::BackendSpec {
            url_pattern: #display,
            url: __rt::UrlTemplate { path: #path, query: #query },
            hosts: __rt::Hosts::new(&[#(#hosts),*], #cursor),
            method: #m,
            decode: #decode,
            input_headers: #headers,
            input_query: #query_allow,
            errors: #errors,
            send_body_on_redirect: #send_body_on_redirect,
            martian: #martian,
            graphql: #graphql,
            client_credentials: #client_credentials,
        };
    };
    if b.decode == Decode::Stream {
        // A no-op endpoint streams the answer (`respond::no_op`); there is nothing to shape.
        // Its modifier/lua-backend runs in `lua::no_op`.
        let lua_items = super::lua::backend_items(b);
        return quote! { #spec_item #lua_items };
    }
    // The answer written straight from the backend's bytes (issue 9): one plain call, nothing
    // to shape or wrap (plan/lower/canonical_json.rs).
    if e.canonical_json == CanonicalJson::Single {
        let call = quote! { __rt::canonical_json::call(__ctx, &#spec) };
        // telemetry: the backend spans and the latency metrics, as on the generic path.
        let (trace_item, call) = super::telemetry_otel::canonical_backend(e, b, &spec, call);
        let (call, metrics_item) = super::telemetry::measured(e, b, quote! { #call.await });
        return quote! {
            #spec_item
            #metrics_item
            #trace_item
            #[doc = #doc]
            async fn #f(__ctx: &__rt::EndpointCtx) -> __rt::canonical_json::Answer {
                #call
            }
        };
    }
    // Shaping compiled into the parse where the projection can express it (`projection`).
    let projected = super::projection::emit(b);
    // A grouped fan-out: this backend's shaped answer written straight from its bytes.
    if e.canonical_json == CanonicalJson::Groups {
        let items = projected.items;
        let name = ident::static_ident(&b.ident, "_PROJECTION");
        let shaping_doc = projected.doc.map(|d| quote! { #[doc = ""] #[doc = #d] });
        return quote! {
            #spec_item
            #items
            #[doc = #doc]
            #shaping_doc
            async fn #f(__ctx: &__rt::EndpointCtx) -> __rt::canonical_json::Part {
                __rt::canonical_json::call_group(__ctx, &#spec, &#name).await
            }
        };
    }
    // One call; a step of a sequence passes the values it takes from earlier steps.
    let sequenced = !b.seq_refs.is_empty();
    let seq = if sequenced {
        quote! { __seq }
    } else {
        quote! { &[] }
    };
    let decoder = match &projected.decoder {
        Some(d) => quote! { ::core::option::Option::Some(#d) },
        None => quote! { ::core::option::Option::None },
    };
    // A `no-op` step whose whole answer later steps read keeps its raw body (not cached).
    let cached = if b.keep_body {
        Some(quote! { __rt::call_keeping_body(__ctx, &#spec, #seq, __body) })
    } else {
        super::qos_http_cache::call(b, &spec, &seq, &decoder)
    };
    let plain = cached.is_none();
    let one_call =
        cached.unwrap_or_else(|| quote! { __rt::backend::call(__ctx, &#spec, #seq, #decoder) });
    // telemetry: the backend spans and the trace context written to the backend (traces on).
    let (trace_item, one_call) =
        super::telemetry_otel::backend(e, b, plain, &spec, &seq, &decoder, one_call);
    // qos/ratelimit/proxy: every call (each of `concurrent_calls`) takes a token.
    let (rate_item, one_call) = match &b.rate_limit {
        Some(r) => super::qos_ratelimit::backend(&b.ident, r, one_call),
        None => (TokenStream::new(), one_call),
    };
    // qos/circuit-breaker: the outermost per-backend stage (rate-limit refusals count).
    let one_call = super::qos_circuit_breaker::wrap(b, one_call);
    let calls = if e.concurrent_calls > 1 {
        let n = e.concurrent_calls;
        quote! { __rt::backend::concurrent(#n, || #one_call).await }
    } else {
        quote! { #one_call.await }
    };
    let call = if projected.rest.is_empty() {
        calls
    } else {
        let steps = shape(projected.rest);
        quote! { #calls.shape(|__d| { #steps }) }
    };
    let seq_param = if sequenced {
        quote! { , __seq: &[::core::option::Option<::std::string::String>] }
    } else {
        TokenStream::new()
    };
    let seq_param = if b.keep_body {
        quote! { #seq_param, __body: &__rt::BodySlot }
    } else {
        seq_param
    };
    let call = super::validation::backend_wrap(b, &seq, call);
    // modifier/lua-backend: around the CEL rules (KrakenD's backend stack: rate limit → Lua → CEL).
    let call = super::lua::backend_wrap(e, b, &seq, call);
    let lua_items = super::lua::backend_items(b);
    let validation_items = super::validation::backend_items(b);
    // telemetry: the call's latency and failures, in a static of this backend.
    let (call, metrics_item) = super::telemetry::measured(e, b, call);
    // modifier/lua-backend (post) on a lone backend: where its response headers go.
    let lua_out = super::lua::backend_headers_param(e, b);
    let proj_items = projected.items;
    let shaping_doc = projected.doc.map(|d| quote! { #[doc = ""] #[doc = #d] });
    quote! {
        #spec_item
        #metrics_item
        #trace_item
        #proj_items
        #rate_item
        #validation_items
        #lua_items
        #[doc = #doc]
        #shaping_doc
        async fn #f(__ctx: &__rt::EndpointCtx #seq_param #lua_out) -> __rt::BackendResult {
            #call
        }
    }
}
