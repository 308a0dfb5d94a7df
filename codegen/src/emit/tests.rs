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
        let case = endpoint_case(e);
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

fn mock(m: &MockData) -> TokenStream {
    let MockData {
        method,
        path,
        status,
        content_type,
        body,
        only_these_headers,
        ..
    } = m;
    let query = match &m.query {
        Some(q) => {
            let q = pairs(q);
            quote! { ::core::option::Option::Some(#q) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let headers = pairs(&m.headers);
    let absent = &m.absent;
    quote! {
        __rt::test_support::Mock {
            method: #method,
            path: #path,
            query: #query,
            headers: #headers,
            absent: &[#(#absent),*],
            only_these_headers: #only_these_headers,
            status: #status,
            content_type: #content_type,
            body: #body,
        }
    }
}

fn test_fn(name: &str, doc: &str, c: &Case) -> TokenStream {
    let ident = crate::naming::fn_ident(name);
    let Case {
        method,
        path,
        body,
        status,
        ..
    } = c;
    let headers = pairs(&c.headers);
    let mocks = c.mocks.iter().map(mock);
    let completed = opt_str(&c.completed);
    let response = opt_str(&c.response);
    let response_headers = pairs(&c.response_headers);
    quote! {
        #[doc = #doc]
        #[test]
        fn #ident() {
            static X: __rt::test_support::Exchange = __rt::test_support::Exchange {
                method: #method,
                path: #path,
                headers: #headers,
                body: #body,
                backends: &[#(#mocks),*],
                status: #status,
                completed: #completed,
                response: #response,
                response_headers: #response_headers,
            };
            __rt::test_support::assert_exchange::<super::Gateway>(#name, &X);
        }
    }
}
