//! `validation/json-schema` and `validation/cel`: the statics holding the embedded schema and
//! expressions (compiled once, at first use, by the runtime) and the checks in the handler and
//! around a backend call. Nothing is emitted for an endpoint or backend without them.

use crate::naming as ident;
use crate::plan::{Backend, CelPhase, Endpoint};
use proc_macro2::TokenStream;
use quote::quote;

/// Bit of `req_path` in `CelPhase::uses` (`crate::validation::VARIABLES`).
const REQ_PATH: u16 = 1 << 1;

fn rules_static(id: &proc_macro2::Ident, phase: &CelPhase) -> TokenStream {
    let exprs = &phase.exprs;
    let uses = phase.uses;
    quote! {
        static #id: __rt::validation::cel::Rules =
            __rt::validation::cel::Rules::new(&[#(#exprs),*], #uses);
    }
}

/// The statics of an endpoint's schema and CEL rules.
pub(crate) fn endpoint_items(e: &Endpoint) -> TokenStream {
    let mut items = TokenStream::new();
    if let Some(schema) = &e.json_schema {
        let id = ident::static_ident(&e.ident, "_JSON_SCHEMA");
        items.extend(quote! {
            static #id: __rt::validation::json_schema::JsonSchema =
                __rt::validation::json_schema::JsonSchema::new(#schema);
        });
    }
    if let Some(cel) = &e.cel {
        if !cel.pre.exprs.is_empty() {
            items.extend(rules_static(
                &ident::static_ident(&e.ident, "_CEL_PRE"),
                &cel.pre,
            ));
        }
        if !cel.post.exprs.is_empty() {
            items.extend(rules_static(
                &ident::static_ident(&e.ident, "_CEL_POST"),
                &cel.post,
            ));
        }
        if !cel.jwt.exprs.is_empty() {
            items.extend(rules_static(
                &ident::static_ident(&e.ident, "_CEL_JWT"),
                &cel.jwt,
            ));
        }
    }
    items
}

/// Right after the `auth/validator` block: the CEL rules on `JWT` over the verified claims
/// (false or an error → 401, as KrakenD's validator). `check` makes such rules an error on an
/// endpoint without a validator, so the claims are always there when this runs.
pub(crate) fn endpoint_jwt_check(e: &Endpoint) -> TokenStream {
    match &e.cel {
        Some(c) if !c.jwt.exprs.is_empty() && e.auth_validator.is_some() => {
            let id = ident::static_ident(&e.ident, "_CEL_JWT");
            quote! {
                // validation/cel (rules on JWT, in the validator)
                if !__req
                    .extensions()
                    .get::<__rt::auth::Claims>()
                    .is_some_and(|__c| #id.check_jwt(&__c.0))
                {
                    return __rt::auth::reject(__rt::http::StatusCode::UNAUTHORIZED);
                }
            }
        }
        _ => TokenStream::new(),
    }
}

fn has_pre(e: &Endpoint) -> bool {
    e.cel.as_ref().is_some_and(|c| !c.pre.exprs.is_empty())
}

/// Before `EndpointCtx::start`: the client path, kept only when a pre-rule reads `req_path`.
pub(crate) fn endpoint_capture(e: &Endpoint) -> TokenStream {
    match &e.cel {
        Some(c) if c.pre.uses & REQ_PATH != 0 => {
            quote! { let __path = ::std::string::String::from(__req.uri().path()); }
        }
        _ => TokenStream::new(),
    }
}

/// After `EndpointCtx::start`, in KrakenD's order: CEL pre-rules (500), then the schema (400).
pub(crate) fn endpoint_checks(e: &Endpoint) -> TokenStream {
    let mut out = TokenStream::new();
    if let (true, Some(cel)) = (has_pre(e), &e.cel) {
        let id = ident::static_ident(&e.ident, "_CEL_PRE");
        let method = &e.method;
        let names = &cel.param_names;
        let path = if cel.pre.uses & REQ_PATH != 0 {
            quote! { __path.as_str() }
        } else {
            quote! { "" }
        };
        out.extend(quote! {
            // validation/cel (endpoint pre-rules)
            if let ::core::result::Result::Err(__rejection) = __rt::validation::cel::endpoint_pre(
                &__ctx, &#id, #method, #path, &[#(#names),*],
            ) {
                return __rejection;
            }
        });
    }
    if e.json_schema.is_some() {
        let id = ident::static_ident(&e.ident, "_JSON_SCHEMA");
        out.extend(quote! {
            // validation/json-schema
            if let ::core::result::Result::Err(__rejection) =
                __rt::validation::json_schema::validate(&__ctx, &#id)
            {
                return __rejection;
            }
        });
    }
    out
}

/// The endpoint stage running the CEL post-rules on the merged response (`__m`), last.
pub(crate) fn endpoint_post(e: &Endpoint) -> TokenStream {
    match &e.cel {
        Some(c) if !c.post.exprs.is_empty() => {
            let id = ident::static_ident(&e.ident, "_CEL_POST");
            quote! {
                // validation/cel (endpoint post-rules)
                let __m = match __rt::validation::cel::endpoint_post(&__ctx, &#id, __m) {
                    ::core::result::Result::Ok(__m) => __m,
                    ::core::result::Result::Err(__rejection) => return __rejection,
                };
            }
        }
        _ => TokenStream::new(),
    }
}

/// The statics of a backend's CEL rules.
pub(crate) fn backend_items(b: &Backend) -> TokenStream {
    let mut items = TokenStream::new();
    if let Some(cel) = &b.cel {
        if !cel.pre.exprs.is_empty() {
            items.extend(rules_static(
                &ident::static_ident(&b.ident, "_CEL_PRE"),
                &cel.pre,
            ));
        }
        if !cel.post.exprs.is_empty() {
            items.extend(rules_static(
                &ident::static_ident(&b.ident, "_CEL_POST"),
                &cel.post,
            ));
        }
    }
    items
}

/// The backend call (`call`, shaping included) with its CEL pre-rules before it and post-rules
/// on the shaped data after it; `call` itself without rules.
pub(crate) fn backend_wrap(b: &Backend, seq: &TokenStream, call: TokenStream) -> TokenStream {
    let Some(cel) = &b.cel else {
        return call;
    };
    let spec = ident::static_ident(&b.ident, "");
    let mut out = TokenStream::new();
    if !cel.pre.exprs.is_empty() {
        let id = ident::static_ident(&b.ident, "_CEL_PRE");
        let names = &cel.param_names;
        out.extend(quote! {
            // validation/cel (backend pre-rules)
            if let ::core::result::Result::Err(__e) = __rt::validation::cel::backend_pre(
                __ctx, &#spec, &#id, &[#(#names),*], #seq,
            ) {
                return __rt::BackendResult::Failed(__e);
            }
        });
    }
    if cel.post.exprs.is_empty() {
        out.extend(call);
    } else {
        let id = ident::static_ident(&b.ident, "_CEL_POST");
        out.extend(quote! {
            let __r = #call;
            // validation/cel (backend post-rules)
            __rt::validation::cel::backend_post(__r, &#id)
        });
    }
    out
}
