//! Tests generated from the contract: every endpoint is called through real HTTP against a mock
//! backend on 127.0.0.1 that expects the backend requests the contract describes.

use crate::plan::UrlPiece;
use crate::plan::{Decode, Plan};
use proc_macro2::TokenStream;
use quote::quote;

/// The sample value used for parameter `i` in generated tests.
fn sample(i: usize) -> String {
    format!("krustd{i}")
}

pub fn emit(plan: &Plan) -> TokenStream {
    let tests = plan.endpoints.iter().map(|e| {
        let name = crate::naming::fn_ident(&format!("contract_{}", e.ident));
        let method = &e.method;
        let mut i = 0;
        let path: String = e
            .path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    i += 1;
                    sample(i - 1)
                } else {
                    seg.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let backends = e.backends.iter().map(|b| {
            let bmethod = &b.method;
            let bpath: String = b
                .path
                .iter()
                .map(|p| match p {
                    UrlPiece::Lit(s) => s.clone(),
                    UrlPiece::Param(i) => sample(*i),
                    // The mock's answers hold no such field: the placeholder stays.
                    UrlPiece::Seq { missing, .. } => missing.clone(),
                })
                .collect();
            let body = match b.decode {
                Decode::JsonCollection => r#"[{"krustd":"mock"}]"#,
                Decode::String => "krustd mock",
                _ => r#"{"krustd":"mock"}"#,
            };
            quote! {
                __rt::test_support::MockCall { method: #bmethod, path: #bpath, body: #body }
            }
        });
        let doc = format!(" {} {} answers 200 and calls its backends as the contract says", e.method, e.path);
        quote! {
            #[doc = #doc]
            #[test]
            fn #name() {
                __rt::test_support::assert_endpoint::<super::Gateway>(#method, #path, &[#(#backends),*]);
            }
        }
    });
    quote! {
        #[cfg(test)]
        mod __contract_tests {
            use ::krustd_runtime::__codegen as __rt;
            #(#tests)*
        }
    }
}
