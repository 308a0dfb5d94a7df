//! `gateway!("contracts/krakend.json")`: the gateway compiled from a contract, as an
//! `axum::Router` expression. A thin shim: the work is in `krustd_codegen::macro_support`.

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};

enum Second {
    None,
    Options(syn::Expr),
    ContractTests,
}

struct Input {
    path: syn::LitStr,
    second: Second,
    /// `flexible_config = "dir"`.
    flexible_config: Option<syn::LitStr>,
}

/// `flexible_config = "dir"` as the last argument.
fn flexible_config(expr: &syn::Expr) -> Option<syn::Result<syn::LitStr>> {
    let syn::Expr::Assign(a) = expr else {
        return None;
    };
    let syn::Expr::Path(p) = &*a.left else {
        return None;
    };
    if !p.path.is_ident("flexible_config") {
        return None;
    }
    Some(match &*a.right {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(s),
            ..
        }) => Ok(s.clone()),
        other => Err(syn::Error::new_spanned(
            other,
            "flexible_config takes a string literal: the directory of settings/, partials/ and templates/",
        )),
    })
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path = input.parse()?;
        let mut second = Second::None;
        let mut fc = None;
        while input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            let expr: syn::Expr = input.parse()?;
            if let Some(dir) = flexible_config(&expr) {
                fc = Some(dir?);
                continue;
            }
            second = match &expr {
                syn::Expr::Path(p) if p.qself.is_none() && p.path.is_ident("contract_tests") => {
                    Second::ContractTests
                }
                _ => Second::Options(expr),
            };
        }
        Ok(Input {
            path,
            second,
            flexible_config: fc,
        })
    }
}

/// `gateway!("path/krakend.json")` compiles the contract (path relative to the crate root)
/// into a gateway and evaluates to its `axum::Router`; `gateway!("…", options)` passes
/// `krustd_runtime::Options`. An invalid contract is a compile error.
///
/// `gateway!("path/krakend.json", contract_tests)` is an item instead (write it at module
/// level, e.g. in `tests/contract_tests.rs`): a module named after the path
/// (`contracts/features/shaping.json` → `contract_contracts_features_shaping`) with the gateway
/// and the contract tests codegen derives from the contract — one `#[test]` per endpoint
/// (mock backends answering in their encoding, the exact status, body where it can be computed
/// at build time, `X-Krakend-Completed`, and what each backend receives) and one per `@test`
/// example. The tests need `krustd_runtime::__codegen::test_support`.
///
/// `gateway!("path/krakend.json", options, flexible_config = "dir")` renders the contract as a
/// flexible-configuration template first, with `dir/settings`, `dir/partials` and
/// `dir/templates` (README, "Flexible configuration").
#[proc_macro]
pub fn gateway(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    match &input.second {
        Second::ContractTests => match &input.flexible_config {
            Some(dir) => syn::Error::new(
                dir.span(),
                "gateway!: contract_tests and flexible_config do not go together yet",
            )
            .to_compile_error()
            .into(),
            None => krustd_codegen::macro_support::expand_contract_tests(&input.path).into(),
        },
        Second::Options(o) => krustd_codegen::macro_support::expand_gateway(
            &input.path,
            Some(o),
            input.flexible_config.as_ref(),
        )
        .into(),
        Second::None => krustd_codegen::macro_support::expand_gateway(
            &input.path,
            None,
            input.flexible_config.as_ref(),
        )
        .into(),
    }
}
