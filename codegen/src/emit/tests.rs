//! Tests generated from the contract: every endpoint is called through real HTTP against mock
//! backends on 127.0.0.1 (see [`contract_data`](super::contract_data) for what they answer and
//! what is expected), and every `@test` example of the contract becomes one more test. Each
//! test is `'static` data and one call to `test_support::assert_exchange`.

use super::contract_data::{endpoint_case, Case, MockData};
use crate::plan::{Endpoint, Plan};
use proc_macro2::TokenStream;
use quote::quote;

pub fn emit(plan: &Plan) -> TokenStream {
    let mut tests = Vec::new();
    for e in &plan.endpoints {
        let name = format!("contract_{}", e.ident);
        if validated(e) || plan.service.lua.is_some() {
            // The generated mocks and request know nothing of the schema or the CEL rules: such
            // an endpoint is covered by its `@test` examples (and tests/validation.rs).
            for (i, x) in examples(e).into_iter().enumerate() {
                let name = format!("{name}_example_{i}");
                tests.push(test_fn(&name, &format!(" `@test` example: {}", x.0), &x.1));
            }
            continue;
        }
        let case = super::contract_security::secure(plan, e, endpoint_case(e));
        let mut doc = format!(
            " {} {} answers {} through mocks of its backends, which receive exactly what the \
             contract forwards.",
            e.method, e.path, case.status
        );
        match case.unchecked {
            Some(why) => doc.push_str(&format!(" The body is not checked: {why}.")),
            None => doc.push_str(" The body is the one computed from the contract at build time."),
        }
        tests.push(test_fn(&name, &doc, &case));
        for (i, x) in examples(e).into_iter().enumerate() {
            let name = format!("{name}_example_{i}");
            let x = (x.0, super::contract_security::secure(plan, e, x.1));
            tests.push(test_fn(&name, &format!(" `@test` example: {}", x.0), &x.1));
        }
    }
    quote! {
        #[cfg(test)]
        mod __contract_tests {
            use ::krustd_runtime::__codegen as __rt;
            #(#tests)*
        }
    }
}

/// An endpoint whose answer the generated mocks and request cannot predict: it validates the
/// request (`validation/json-schema`, `validation/cel`), a backend rewrites the request or the
/// answer (`modifier/martian`, `backend/graphql`, `auth/client-credentials`, Lua), or its client rate
/// limit keys on a header the generated request does not send (or lives in Redis), or it answers
/// signed tokens (`auth/signer`, whose keys the mocks do not serve), or a service-level rate
/// limit shares one budget across endpoints. Such an
/// endpoint is covered by its `@test` examples and the feature's integration tests.
/// (A service-level `modifier/lua-endpoint` makes every endpoint so.)
fn validated(e: &Endpoint) -> bool {
    use crate::plan::ClientKey;
    let opaque_backend = |b: &crate::plan::Backend| {
        b.cel.is_some()
            || b.martian.is_some()
            || b.graphql.is_some()
            || b.client_credentials.is_some()
            || b.lua.is_some()
    };
    let header_keyed = e.rate_limit.as_ref().is_some_and(|r| {
        r.redis.is_some()
            || r.clients
                .as_ref()
                .is_some_and(|c| matches!(c.key, ClientKey::Header(_) | ClientKey::IpHeader(_)))
    });
    e.json_schema.is_some()
        || e.cel.is_some()
        || e.lua_endpoint.is_some()
        || e.lua_proxy.is_some()
        || header_keyed
        || e.auth_signer.is_some()
        || e.service_rate_limit.is_some()
        || e.backends.iter().any(opaque_backend)
}

fn examples(e: &Endpoint) -> Vec<(String, Case)> {
    e.examples
        .iter()
        .map(|x| (x.name.clone(), super::contract_examples::example_case(e, x)))
        .collect()
}

fn pairs(p: &[(String, String)]) -> TokenStream {
    let items = p.iter().map(|(k, v)| quote! { (#k, #v) });
    quote! { &[#(#items),*] }
}

fn opt_str(s: &Option<String>) -> TokenStream {
    super::opt_str(s.as_deref())
}

/// `field: value` unless the value is the runtime's default for it.
fn field(name: &str, value: TokenStream, is_default: bool) -> Option<TokenStream> {
    let ident = crate::naming::fn_ident(name);
    (!is_default).then(|| quote! { #ident: #value })
}

fn str_field(name: &str, value: &str, default: &str) -> Option<TokenStream> {
    field(name, quote! { #value }, value == default)
}

fn pairs_field(name: &str, value: &[(String, String)]) -> Option<TokenStream> {
    field(name, pairs(value), value.is_empty())
}

fn mock(m: &MockData) -> TokenStream {
    let query = m.query.as_ref().map(|q| {
        let q = pairs(q);
        quote! { ::core::option::Option::Some(#q) }
    });
    let absent = &m.absent;
    let status = m.status;
    let only = m.only_these_headers;
    let fields = [
        str_field("method", &m.method, "GET"),
        str_field("path", &m.path, "/"),
        query.and_then(|q| field("query", q, false)),
        pairs_field("headers", &m.headers),
        field("absent", quote! { &[#(#absent),*] }, absent.is_empty()),
        field("only_these_headers", quote! { #only }, !only),
        field("status", quote! { #status }, status == 200),
        str_field("content_type", &m.content_type, "application/json"),
        str_field("body", &m.body, "{}"),
    ];
    let fields = fields.into_iter().flatten();
    quote! {
        __rt::test_support::Mock { #(#fields,)* ..__rt::test_support::Mock::DEFAULT }
    }
}

fn test_fn(name: &str, doc: &str, c: &Case) -> TokenStream {
    let ident = crate::naming::fn_ident(name);
    let mocks = c.mocks.iter().map(mock);
    let status = c.status;
    let fields = [
        str_field("method", &c.method, "GET"),
        str_field("path", &c.path, "/"),
        pairs_field("headers", &c.headers),
        str_field("body", &c.body, ""),
        field("backends", quote! { &[#(#mocks),*] }, c.mocks.is_empty()),
        field("status", quote! { #status }, status == 200),
        field("completed", opt_str(&c.completed), c.completed.is_none()),
        field("response", opt_str(&c.response), c.response.is_none()),
        field("response_is_text", quote! { true }, !c.response_is_text),
        pairs_field("response_headers", &c.response_headers),
    ];
    let fields = fields.into_iter().flatten();
    quote! {
        #[doc = #doc]
        #[test]
        fn #ident() {
            static X: __rt::test_support::Exchange = __rt::test_support::Exchange {
                #(#fields,)*
                ..__rt::test_support::Exchange::DEFAULT
            };
            __rt::test_support::assert_exchange::<super::Gateway>(#name, &X);
        }
    }
}
