//! One endpoint: its spec and its handler.

use super::{backend, duration};
use crate::naming as ident;
use crate::plan::{AllowList, CanonicalJson, Endpoint, Output, StaticValue};
use proc_macro2::TokenStream;
use quote::quote;

/// Tokens for an optional `&'static HeaderAllowList`/`QueryAllowList` plus the statics they
/// need (a `static` cannot hold `HeaderName`s inline).
pub(crate) fn allow_lists(
    base: &str,
    headers: Option<&AllowList>,
    query: Option<&AllowList>,
) -> (TokenStream, TokenStream, TokenStream) {
    let mut items = TokenStream::new();
    let headers_ref = match headers {
        Some(list) => {
            let names_id = ident::static_ident(base, "_HEADER_NAMES");
            let list_id = ident::static_ident(base, "_HEADERS");
            let names = &list.names;
            let n = names.len();
            let all = list.all;
            items.extend(quote! {
                static #names_id: [__rt::HeaderName; #n] = [#(__rt::HeaderName::from_static(#names)),*];
                static #list_id: __rt::HeaderAllowList = __rt::HeaderAllowList { all: #all, names: &#names_id };
            });
            quote! { ::core::option::Option::Some(&#list_id) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let query_ref = match query {
        Some(list) => {
            let list_id = ident::static_ident(base, "_QUERY");
            let names = &list.names;
            let all = list.all;
            items.extend(quote! {
                static #list_id: __rt::QueryAllowList = __rt::QueryAllowList { all: #all, names: &[#(#names),*] };
            });
            quote! { ::core::option::Option::Some(&#list_id) }
        }
        None => quote! { ::core::option::Option::None },
    };
    (items, headers_ref, query_ref)
}

/// `&[("key", value), ...]` of constant `StaticValue`s.
fn static_members(members: &[(String, StaticValue)]) -> TokenStream {
    let items = members.iter().map(|(k, v)| {
        let v = static_value(v);
        quote! { (#k, #v) }
    });
    quote! { &[#(#items),*] }
}

fn static_value(v: &StaticValue) -> TokenStream {
    match v {
        StaticValue::Null => quote! { __rt::respond::StaticValue::Null },
        StaticValue::Bool(b) => quote! { __rt::respond::StaticValue::Bool(#b) },
        StaticValue::Number(n) => quote! { __rt::respond::StaticValue::Number(#n) },
        StaticValue::String(s) => quote! { __rt::respond::StaticValue::String(#s) },
        StaticValue::Array(items) => {
            let items = items.iter().map(static_value);
            quote! { __rt::respond::StaticValue::Array(&[#(#items),*]) }
        }
        StaticValue::Object(members) => {
            let members = static_members(members);
            quote! { __rt::respond::StaticValue::Object(#members) }
        }
    }
}

pub fn emit(e: &Endpoint) -> TokenStream {
    let spec = ident::static_ident(&e.ident, "");
    let handler = ident::fn_ident(&e.ident);
    let name = format!("{} {}", e.method, e.path);
    let doc = format!(" {} (contract {})", name, e.pointer);
    let param_segments = &e.param_segments;
    let timeout = duration(e.timeout);
    let backend_timeout = duration(e.backend_timeout);
    let cache = match e.cache_max_age {
        Some(s) => quote! { ::core::option::Option::Some(#s) },
        None => quote! { ::core::option::Option::None },
    };
    let (mut lists, headers, query) =
        allow_lists(&e.ident, e.input_headers.as_ref(), e.input_query.as_ref());
    let output = match e.output {
        Output::Json | Output::NoOp => quote! { __rt::Output::Json },
        Output::JsonCollection => quote! { __rt::Output::JsonCollection },
        Output::String => quote! { __rt::Output::String },
        Output::Xml => quote! { __rt::Output::Xml },
        Output::Yaml => quote! { __rt::Output::Yaml },
        Output::Negotiate => quote! { __rt::Output::Negotiate },
    };
    let backends = e.backends.iter().map(|b| backend::emit(e, b));
    // qos/ratelimit/router (after the JWT validator, before the endpoint call).
    let (rate_items, rate_checks) = match &e.rate_limit {
        // auth/signer replaces the rate-limited handler (KrakenD): no rate limit then.
        Some(rl) if e.auth_signer.is_none() => super::qos_ratelimit::endpoint(&e.ident, rl),
        _ => (TokenStream::new(), TokenStream::new()),
    };
    // qos/ratelimit/router at service level: the service's limiters, before the endpoint's own.
    let service_rate_checks = match &e.service_rate_limit {
        Some(rl) => super::qos_ratelimit::endpoint(super::qos_ratelimit::SERVICE, rl).1,
        None => TokenStream::new(),
    };
    // auth/signer: its call answers the merged data instead of the render.
    let (signer_items, finish) = match &e.auth_signer {
        Some(s) => super::auth_signer::emit(&e.ident, &e.path, s),
        None => (
            TokenStream::new(),
            quote! { __rt::respond::finish(&__ctx, __m) },
        ),
    };
    // modifier/lua-proxy (post): the headers its script set go on the answer.
    let finish = super::lua::proxy_finish(e, finish);

    let mut stage_items = TokenStream::new();
    // A no-op endpoint streams the client's body to its backend instead of buffering it,
    // unless the backend may resend it on a redirect (`send_body_on_redirect`).
    // A JSON schema reads the buffered body, and so do martian and GraphQL.
    let streams_body = e.output == Output::NoOp
        && e.json_schema.is_none()
        && e.lua_proxy.is_none()
        && e.backends.first().is_some_and(|b| {
            !b.send_body_on_redirect
                && b.martian.is_none()
                && b.graphql.is_none()
                && b.lua.is_none()
        });
    // Pre-handler blocks, before `EndpointCtx::start`, in KrakenD's order (bot detector →
    // JWT validator → rate limits), each emitted only when the endpoint has it.
    let mut pre = TokenStream::new();
    // Statements right after `EndpointCtx::start` (JWT url parameters).
    let mut post_start = TokenStream::new();
    if let Some(b) = &e.bot_detector {
        let id = ident::static_ident(&e.ident, "_BOTS");
        let spec = super::security::bot_detector(b);
        stage_items.extend(quote! {
            /// `security/bot-detector` of this endpoint, checked first in its handler.
            static #id: __rt::BotDetectorSpec = #spec;
        });
        pre.extend(quote! {
            // security/bot-detector (endpoint level): first, before JWT.
            if let ::core::option::Option::Some(__r) = __rt::bot_detector::reject(&#id, &__req) {
                return __r;
            }
        });
    }
    if let Some(v) = &e.auth_validator {
        // auth/validator: after the bot detector, before the rate limits.
        let (items, stmts, after) = super::auth_validator::emit(&e.ident, &name, v);
        lists.extend(items);
        pre.extend(stmts);
        pre.extend(super::validation::endpoint_jwt_check(e));
        post_start.extend(after);
    }
    // modifier/lua-endpoint: after the JWT validator, before the rate limits.
    pre.extend(super::lua::router_pre(e));
    // modifier/lua-proxy (pre): the outermost proxy stage, before CEL and the schema.
    post_start.extend(super::lua::proxy_pre(e));
    let body = if e.output == Output::NoOp {
        // qos/circuit-breaker wraps the no-op call when the backend has one.
        let call = match e.backends.first() {
            // modifier/lua-proxy, modifier/lua-backend: their scripts around the call.
            Some(b) if e.lua_proxy.is_some() || b.lua.is_some() => super::lua::no_op(e, b),
            Some(b) => super::qos_circuit_breaker::no_op(b, &ident::static_ident(&b.ident, "")),
            None => quote! { __rt::respond::no_op(&__ctx, &(), __body).await },
        };
        if streams_body {
            call
        } else {
            quote! {
                let __body = __rt::ReqBody::Buffered(__ctx.body.clone());
                #call
            }
        }
    } else {
        // Endpoint-level stages, in KrakenD's order: merge → flatmap → static data.
        let mut stages = TokenStream::new();
        if let Some(ops) = &e.flatmap {
            let ops = backend::flat_ops(ops);
            stages.extend(quote! { let __m = __rt::respond::endpoint_flatmap(__m, #ops); });
        }
        if let Some((strategy, data)) = &e.static_data {
            let id = ident::static_ident(&e.ident, "_STATIC");
            let strategy = ident::fn_ident(&format!("{strategy:?}"));
            let data = static_members(data);
            stage_items.extend(quote! {
                static #id: __rt::StaticData = __rt::StaticData {
                    strategy: __rt::StaticStrategy::#strategy,
                    data: #data,
                };
            });
            stages.extend(quote! { let __m = __rt::respond::static_data(__m, &#id); });
        }
        stages.extend(super::validation::endpoint_post(e));
        // modifier/lua-proxy (post): after every other stage.
        stages.extend(super::lua::proxy_post(e));
        let fns: Vec<_> = e
            .backends
            .iter()
            .map(|b| ident::fn_ident(&b.ident))
            .collect();
        let vars: Vec<_> = (0..e.backends.len())
            .map(|i| ident::fn_ident(&format!("__b{i}")))
            .collect();
        if let Some(skip) = super::lua::proxy_skip(e) {
            skip
        } else if e.sequential {
            let n = e.backends.len();
            let first = &fns[0];
            let steps = e
                .backends
                .iter()
                .zip(&fns)
                .enumerate()
                .skip(1)
                .map(|(i, (b, f))| {
                    let body = super::sequential_params::body_arg(b);
                    let call = if b.seq_refs.is_empty() {
                        quote! { #f(&__ctx #body).await }
                    } else {
                        let values = b.seq_refs.iter().map(|(step, path)| {
                            quote! { __seq.value(#step, &[#(#path),*]) }
                        });
                        quote! { #f(&__ctx, &[#(#values),*] #body).await }
                    };
                    // Sequential values as request parameters (sequential_propagated_params).
                    let call = super::sequential_params::step_call(b, call);
                    let call = super::sequential_params::keeping_body(b, i, call);
                    quote! {
                        if __seq.running() {
                            let __r = #call;
                            __seq.push(__r);
                        }
                    }
                });
            let first = match e.backends.first() {
                Some(b) if b.keep_body => quote! {
                    let __body = __rt::BodySlot::new();
                    let mut __seq = __rt::Sequence::start(#first(&__ctx, &__body).await, #n);
                    __seq.keep_body(0, __body);
                },
                _ => quote! { let mut __seq = __rt::Sequence::start(#first(&__ctx).await, #n); },
            };
            quote! {
                #first
                #(#steps)*
                let __m = __seq.finish();
                #stages
                #finish
            }
        } else {
            let fetch = if fns.len() == 1 {
                quote! { let __b0 = #(#fns)*(&__ctx).await; }
            } else {
                quote! { let (#(#vars),*) = __rt::join!(#(#fns(&__ctx)),*); }
            };
            // modifier/lua-backend (post) on a lone backend: its headers go on the answer.
            let fetch = super::lua::backend_fetch(e, fetch);
            if e.canonical_json == CanonicalJson::Single {
                // The lone backend's answer written straight from its bytes (issue 9).
                quote! {
                    #fetch
                    __rt::canonical_json::respond(&__ctx, __b0)
                }
            } else if e.canonical_json == CanonicalJson::Groups {
                // Each backend's group written straight from its bytes (issue 9), the calls
                // under one timer for the endpoint deadline.
                quote! {
                    let __deadline = __rt::canonical_json::Deadline::new();
                    let (#(#vars),*) = __deadline
                        .run(&__ctx, async {
                            __rt::join!(#(__deadline.within(#fns(&__ctx))),*)
                        })
                        .await;
                    __rt::canonical_json::respond_groups(&__ctx, [#(#vars),*])
                }
            } else if stages.is_empty() && e.auth_signer.is_none() {
                let answer = super::lua::backend_finish(
                    e,
                    quote! { __rt::respond::respond(&__ctx, [#(#vars),*]) },
                );
                quote! {
                    #fetch
                    #answer
                }
            } else {
                let finish = super::lua::backend_finish(e, finish);
                quote! {
                    #fetch
                    let __m = __rt::respond::merge([#(#vars),*]);
                    #stages
                    #finish
                }
            }
        }
    };

    // telemetry: the proxy span around the pipe (traces on).
    let body = super::telemetry_otel::proxy(e, body);
    let validation_checks = super::validation::endpoint_checks(e);
    // telemetry/metrics: the `pipe` layer, around every proxy stage (Lua, CEL, JSON schema).
    let (pipe_item, body) = super::telemetry_stats::pipe(
        e,
        quote! {
            #post_start
            #validation_checks
            #body
        },
    );
    let validation_items = super::validation::endpoint_items(e);
    let lua_items = super::lua::endpoint_items(e);
    let validation_capture = super::validation::endpoint_capture(e);
    let start = if streams_body {
        quote! {
            let (__ctx, __body) = match __rt::EndpointCtx::start_streaming(&__state, &#spec, __req) {
                ::core::result::Result::Ok(__admitted) => __admitted,
                ::core::result::Result::Err(__rejection) => return __rejection,
            };
        }
    } else {
        quote! {
            let __ctx = match __rt::EndpointCtx::start(&__state, &#spec, __req).await {
                ::core::result::Result::Ok(__ctx) => __ctx,
                ::core::result::Result::Err(__rejection) => return __rejection,
            };
        }
    };
    let steps = quote! {
        #pre
        #service_rate_checks
        #rate_checks
        #validation_capture
        #start
        #body
    };
    // A fan-out's future holds every backend call: boxed where it is made, so that axum moves a
    // pointer instead of the whole future (issue 9, BENCHMARKS.md). A lone call's is small.
    let handler_item = if returns_handled(e) {
        quote! {
            fn #handler(
                __rt::State(__state): __rt::State<__rt::SharedState>,
                __req: __rt::Request,
            ) -> __rt::Handled {
                ::std::boxed::Box::pin(async move { #steps })
            }
        }
    } else {
        quote! {
            async fn #handler(
                __rt::State(__state): __rt::State<__rt::SharedState>,
                __req: __rt::Request,
            ) -> __rt::Response {
                #steps
            }
        }
    };
    quote! {
        #lists
        #stage_items
        #rate_items
        #signer_items
        #validation_items
        #lua_items
        #pipe_item
        #[doc = #doc]
        static #spec: __rt::EndpointSpec = __rt::EndpointSpec {
            name: #name,
            param_segments: &[#(#param_segments),*],
            timeout: #timeout,
            backend_timeout: #backend_timeout,
            cache_max_age: #cache,
            input_headers: #headers,
            input_query: #query,
            output: #output,
        };

        #[doc = #doc]
        #handler_item

        #(#backends)*
    }
}

/// The endpoint's handler boxes its own future (`-> __rt::Handled`): a fan-out's future holds
/// every backend call. A lone call's handler is an `async fn`.
pub fn returns_handled(e: &crate::plan::Endpoint) -> bool {
    e.backends.len() > 1
}
