//! `modifier/lua-endpoint`, `modifier/lua-proxy` and `modifier/lua-backend`: a static spec per
//! namespace (the embedded sources and snippets) and the calls into `krustd_runtime::lua` at
//! the places KrakenD runs them. Nothing is emitted for an endpoint or backend without them.

use crate::naming as ident;
use crate::plan::lua_ir::Lua;
use crate::plan::{Backend, Endpoint};
use proc_macro2::TokenStream;
use quote::quote;

fn opt(s: &Option<String>) -> TokenStream {
    match s {
        Some(s) => quote! { ::core::option::Option::Some(#s) },
        None => quote! { ::core::option::Option::None },
    }
}

fn spec(id: &proc_macro2::Ident, l: &Lua) -> TokenStream {
    let names = l.sources.iter().map(|(n, _)| n);
    let texts = l.sources.iter().map(|(_, t)| t);
    let pre = opt(&l.pre);
    let post = opt(&l.post);
    let open = l.allow_open_libs;
    let skip = l.skip_next;
    let pool = match l.http {
        Some(bound) => {
            let pool = pool_ident(id);
            let (secs, nanos) = (bound.as_secs(), bound.subsec_nanos());
            quote! {
                /// Offloaded calls of a script that may call `http_response`.
                static #pool: __rt::lua::offload::Pool = __rt::lua::offload::Pool::new(__rt::Duration::new(#secs, #nanos));
            }
        }
        None => TokenStream::new(),
    };
    quote! {
        static #id: __rt::lua::LuaSpec = __rt::lua::LuaSpec {
            sources: &[#((#names, #texts)),*],
            pre: #pre,
            post: #post,
            open_libs: #open,
            skip_next: #skip,
        };
        #pool
    }
}

/// The static of the [`offload`](krustd_runtime::lua::offload) pool of the namespace `id`.
fn pool_ident(id: &proc_macro2::Ident) -> proc_macro2::Ident {
    quote::format_ident!("{}_POOL", id)
}

/// The statics of an endpoint's Lua namespaces.
pub(crate) fn endpoint_items(e: &Endpoint) -> TokenStream {
    let mut items = TokenStream::new();
    if let Some(l) = &e.lua_endpoint {
        items.extend(spec(&ident::static_ident(&e.ident, "_LUA_ENDPOINT"), l));
    }
    if let Some(l) = &e.lua_proxy {
        items.extend(spec(&ident::static_ident(&e.ident, "_LUA_PROXY"), l));
    }
    items
}

/// Pre-handler block (after the JWT validator, before the rate limits): the router-level
/// `pre` script on the client request.
pub(crate) fn router_pre(e: &Endpoint) -> TokenStream {
    let Some(l) = &e.lua_endpoint else {
        return TokenStream::new();
    };
    if l.pre.is_none() {
        return TokenStream::new();
    }
    let id = ident::static_ident(&e.ident, "_LUA_ENDPOINT");
    let names = &l.param_names;
    let segments = &e.param_segments;
    let call = if l.http.is_some() {
        let pool = pool_ident(&id);
        quote! { __rt::lua::offload::router_pre(&#pool, &__state, &#id, &[#(#names),*], &[#(#segments),*], __req) }
    } else {
        quote! { __rt::lua::router_pre(&#id, &[#(#names),*], &[#(#segments),*], __req) }
    };
    quote! {
        // modifier/lua-endpoint (pre, router level)
        let __req = match #call.await {
            ::core::result::Result::Ok(__r) => __r,
            ::core::result::Result::Err(__rejection) => return __rejection,
        };
    }
}

/// After `EndpointCtx::start`, before the CEL pre-rules and the schema: the proxy-level `pre`.
pub(crate) fn proxy_pre(e: &Endpoint) -> TokenStream {
    let Some(l) = &e.lua_proxy else {
        return TokenStream::new();
    };
    if l.pre.is_none() {
        return TokenStream::new();
    }
    let id = ident::static_ident(&e.ident, "_LUA_PROXY");
    let names = &l.param_names;
    let method = &e.method;
    if l.http.is_some() {
        let pool = pool_ident(&id);
        let (call, bind) = if l.post.is_some() {
            (
                quote! { proxy_pre_keeping },
                quote! { (__ctx, __lua_carry) },
            )
        } else {
            (quote! { proxy_pre }, quote! { __ctx })
        };
        return quote! {
            // modifier/lua-proxy (pre, offloaded: it may call http_response)
            let #bind = match __rt::lua::offload::#call(&#pool, __ctx, &#id, #method, &[#(#names),*]).await {
                ::core::result::Result::Ok(__c) => __c,
                ::core::result::Result::Err(__rejection) => return __rejection,
            };
        };
    }
    if l.post.is_some() {
        // The `post` script sees the globals `pre` assigned (krakend-lua: one state per request).
        return quote! {
            // modifier/lua-proxy (pre)
            let (__ctx, __lua_carry) = match __rt::lua::proxy_pre_keeping(__ctx, &#id, #method, &[#(#names),*]) {
                ::core::result::Result::Ok(__c) => __c,
                ::core::result::Result::Err(__rejection) => return __rejection,
            };
        };
    }
    quote! {
        // modifier/lua-proxy (pre)
        let __ctx = match __rt::lua::proxy_pre(__ctx, &#id, #method, &[#(#names),*]) {
            ::core::result::Result::Ok(__c) => __c,
            ::core::result::Result::Err(__rejection) => return __rejection,
        };
    }
}

/// The last endpoint stage: the proxy-level `post` on the merged response (`__m`).
pub(crate) fn proxy_post(e: &Endpoint) -> TokenStream {
    match &e.lua_proxy {
        Some(l) if l.post.is_some() => {
            let id = ident::static_ident(&e.ident, "_LUA_PROXY");
            let call = if l.http.is_some() {
                let pool = pool_ident(&id);
                let carry = if l.pre.is_some() {
                    quote! { __lua_carry }
                } else {
                    quote! { ::core::default::Default::default() }
                };
                quote! { __rt::lua::offload::proxy_post(&#pool, &__ctx, &#id, __m, #carry).await }
            } else if l.pre.is_some() {
                quote! { __rt::lua::proxy_post_carried(&__ctx, &#id, __m, __lua_carry) }
            } else {
                quote! { __rt::lua::proxy_post(&__ctx, &#id, __m) }
            };
            quote! {
                // modifier/lua-proxy (post)
                let (__m, __lua_headers) = match #call {
                    ::core::result::Result::Ok(__r) => __r,
                    ::core::result::Result::Err(__rejection) => return __rejection,
                };
            }
        }
        _ => TokenStream::new(),
    }
}

/// The endpoint's answer (`finish`) with the headers a proxy-level `post` script set added to
/// it; `finish` unchanged without one.
pub(crate) fn proxy_finish(e: &Endpoint, finish: TokenStream) -> TokenStream {
    match &e.lua_proxy {
        Some(l) if l.post.is_some() => quote! { __lua_headers.apply(#finish) },
        _ => finish,
    }
}

/// `skip_next` at proxy level: the backends are not called; the `post` script (if any) gets an
/// empty response. `None` without it.
pub(crate) fn proxy_skip(e: &Endpoint) -> Option<TokenStream> {
    if !e.lua_proxy.as_ref().is_some_and(|l| l.skip_next) {
        return None;
    }
    let post = proxy_post(e);
    let finish = proxy_finish(e, quote! { __rt::respond::finish(&__ctx, __m) });
    let fns = e.backends.iter().map(|b| ident::fn_ident(&b.ident));
    Some(quote! {
        // modifier/lua-proxy (skip_next): no backend is called.
        #(let _ = #fns;)*
        let __m = __rt::lua::skipped();
        #post
        #finish
    })
}

/// The call of a `no-op` endpoint (`e`, its backend `b`) with its proxy- or backend-level Lua
/// (`lua::no_op`): the request is buffered (`__ctx.body`), the proxy `pre` already ran.
pub(crate) fn no_op(e: &Endpoint, b: &Backend) -> TokenStream {
    let spec = ident::static_ident(&b.ident, "");
    let breaker = if b.breaker.is_some() {
        let id = super::qos_circuit_breaker::breaker_ident(b);
        quote! { ::core::option::Option::Some(&#id) }
    } else {
        quote! { ::core::option::Option::None }
    };
    let backend_lua = match &b.lua {
        Some(l) => {
            let id = ident::static_ident(&b.ident, "_LUA");
            let names = &l.param_names;
            quote! { ::core::option::Option::Some((&#id, &[#(#names),*])) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let (proxy, skip) = match &e.lua_proxy {
        Some(l) => {
            let id = ident::static_ident(&e.ident, "_LUA_PROXY");
            let carry = if l.pre.is_some() && l.post.is_some() {
                quote! { __lua_carry }
            } else {
                quote! { ::core::default::Default::default() }
            };
            (
                quote! { ::core::option::Option::Some((&#id, #carry)) },
                l.skip_next,
            )
        }
        None => (quote! { ::core::option::Option::None }, false),
    };
    let backend_pool = b.lua.as_ref().filter(|l| l.http.is_some()).map(|_| {
        let pool = pool_ident(&ident::static_ident(&b.ident, "_LUA"));
        quote! { &#pool }
    });
    let proxy_pool = e.lua_proxy.as_ref().filter(|l| l.http.is_some()).map(|_| {
        let pool = pool_ident(&ident::static_ident(&e.ident, "_LUA_PROXY"));
        quote! { &#pool }
    });
    if backend_pool.is_some() || proxy_pool.is_some() {
        let some = |p: Option<TokenStream>| match p {
            Some(p) => quote! { ::core::option::Option::Some(#p) },
            None => quote! { ::core::option::Option::None },
        };
        let (bp, pp) = (some(backend_pool), some(proxy_pool));
        return quote! {
            __rt::lua::offload::no_op(&__ctx, &#spec, #breaker, #backend_lua, #proxy, #skip, __rt::lua::offload::NoOpPools { backend: #bp, proxy: #pp }).await
        };
    }
    quote! {
        __rt::lua::no_op::no_op(&__ctx, &#spec, #breaker, #backend_lua, #proxy, #skip).await
    }
}

/// The static of a backend's Lua namespace.
pub(crate) fn backend_items(b: &Backend) -> TokenStream {
    match &b.lua {
        Some(l) => spec(&ident::static_ident(&b.ident, "_LUA"), l),
        None => TokenStream::new(),
    }
}

/// The backend call (`call`: CEL rules, shaping included) with the backend-level `pre` before
/// it (the request the call then sends) and `post` on its shaped data after it.
/// Whether the headers a backend `post` script sets reach the client: on the lone backend of
/// an endpoint (lura merges several into a response without them).
pub(crate) fn backend_headers(e: &Endpoint, b: &Backend) -> bool {
    e.backends.len() == 1 && b.lua.as_ref().is_some_and(|l| l.post.is_some())
}

/// The backend function's extra parameter when [`backend_headers`]: where the headers go.
pub(crate) fn backend_headers_param(e: &Endpoint, b: &Backend) -> TokenStream {
    if backend_headers(e, b) {
        quote! { , __lua_out: &mut __rt::lua::ResponseHeaders }
    } else {
        TokenStream::new()
    }
}

/// The lone backend's call (`__b0`) and the answer (`finish`) with the headers its `post`
/// script set added; both unchanged without.
pub(crate) fn backend_fetch(e: &Endpoint, fetch: TokenStream) -> TokenStream {
    match e.backends.first() {
        Some(b) if backend_headers(e, b) => {
            let f = ident::fn_ident(&b.ident);
            quote! {
                let mut __lua_backend = __rt::lua::ResponseHeaders::none();
                let __b0 = #f(&__ctx, &mut __lua_backend).await;
            }
        }
        _ => fetch,
    }
}

/// See [`backend_fetch`].
pub(crate) fn backend_finish(e: &Endpoint, finish: TokenStream) -> TokenStream {
    match e.backends.first() {
        Some(b) if backend_headers(e, b) => quote! { __lua_backend.apply(#finish) },
        _ => finish,
    }
}

pub(crate) fn backend_wrap(
    e: &Endpoint,
    b: &Backend,
    seq: &TokenStream,
    call: TokenStream,
) -> TokenStream {
    let Some(l) = &b.lua else {
        return call;
    };
    let id = ident::static_ident(&b.ident, "_LUA");
    let spec = ident::static_ident(&b.ident, "");
    let mut out = TokenStream::new();
    let both = l.pre.is_some() && l.post.is_some();
    let pool = pool_ident(&id);
    if l.http.is_some() && l.pre.is_some() {
        let names = &l.param_names;
        let (call, bind) = if both {
            (
                quote! { backend_pre_keeping },
                quote! { (__lua_ctx, __lua_carry) },
            )
        } else {
            (quote! { backend_pre }, quote! { __lua_ctx })
        };
        out.extend(quote! {
            // modifier/lua-backend (pre, offloaded: it may call http_response)
            let #bind = match __rt::lua::offload::#call(&#pool, __ctx, &#spec, &#id, &[#(#names),*], #seq).await {
                ::core::result::Result::Ok(__c) => __c,
                ::core::result::Result::Err(__e) => return __rt::BackendResult::Failed(__e),
            };
            let __ctx = &__lua_ctx;
        });
    } else if both {
        // The `post` script sees the globals `pre` assigned (krakend-lua: one state per call).
        let names = &l.param_names;
        out.extend(quote! {
            // modifier/lua-backend (pre)
            let (__lua_ctx, __lua_carry) = match __rt::lua::backend_pre_keeping(__ctx, &#spec, &#id, &[#(#names),*], #seq) {
                ::core::result::Result::Ok(__c) => __c,
                ::core::result::Result::Err(__e) => return __rt::BackendResult::Failed(__e),
            };
            let __ctx = &__lua_ctx;
        });
    } else if l.pre.is_some() {
        let names = &l.param_names;
        out.extend(quote! {
            // modifier/lua-backend (pre)
            let __lua_ctx = match __rt::lua::backend_pre(__ctx, &#spec, &#id, &[#(#names),*], #seq) {
                ::core::result::Result::Ok(__c) => __c,
                ::core::result::Result::Err(__e) => return __rt::BackendResult::Failed(__e),
            };
            let __ctx = &__lua_ctx;
        });
    }
    let inner = if l.skip_next {
        quote! {{
            let _ = &#spec;
            __rt::BackendResult::Ok(::core::default::Default::default())
        }}
    } else {
        call
    };
    if l.post.is_some() {
        let post = if l.http.is_some() {
            let carry = if both {
                quote! { __lua_carry }
            } else {
                quote! { ::core::default::Default::default() }
            };
            let out = if backend_headers(e, b) {
                quote! { ::core::option::Option::Some(__lua_out) }
            } else {
                quote! { ::core::option::Option::None }
            };
            quote! { __rt::lua::offload::backend_post(&#pool, __ctx, __r, &#id, #carry, #out).await }
        } else if backend_headers(e, b) {
            let carry = if both {
                quote! { __lua_carry }
            } else {
                quote! { ::core::default::Default::default() }
            };
            quote! { __rt::lua::backend_post_headers(__r, &#id, #carry, __lua_out) }
        } else if both {
            quote! { __rt::lua::backend_post_carried(__r, &#id, __lua_carry) }
        } else {
            quote! { __rt::lua::backend_post(__r, &#id) }
        };
        out.extend(quote! {
            let __r = { #inner };
            // modifier/lua-backend (post)
            #post
        });
    } else {
        out.extend(inner);
    }
    out
}

/// The service-level `modifier/lua-endpoint`: its static and the `Gateway` method handing it to
/// the runtime (both empty without it).
pub(crate) fn service(s: &crate::plan::ir::ServicePlan) -> (TokenStream, TokenStream) {
    let Some(l) = &s.lua else {
        return (TokenStream::new(), TokenStream::new());
    };
    let id = quote::format_ident!("SERVICE_LUA");
    let item = spec(&id, l);
    let pool = if l.http.is_some() {
        let pool = pool_ident(&id);
        quote! {
            fn service_lua_pool() -> ::core::option::Option<&'static __rt::lua::offload::Pool> {
                ::core::option::Option::Some(&#pool)
            }
        }
    } else {
        TokenStream::new()
    };
    (
        quote! {
            /// `modifier/lua-endpoint` (service level).
            #item
        },
        quote! {
            fn service_lua() -> ::core::option::Option<&'static __rt::lua::LuaSpec> {
                ::core::option::Option::Some(&SERVICE_LUA)
            }
            #pool
        },
    )
}
