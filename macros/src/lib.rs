//! `gateway!("contracts/krakend.json")`: the gateway compiled from a contract, as an
//! `axum::Router` expression. A thin shim: the work is in `krustd_codegen::macro_support`.

use proc_macro::TokenStream;
use syn::parse::{Parse, ParseStream};

struct Input {
    path: syn::LitStr,
    options: Option<syn::Expr>,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path = input.parse()?;
        let options = if input.parse::<Option<syn::Token![,]>>()?.is_some() && !input.is_empty() {
            Some(input.parse()?)
        } else {
            None
        };
        Ok(Input { path, options })
    }
}

/// `gateway!("path/krakend.json")` compiles the contract (path relative to the crate root)
/// into a gateway and evaluates to its `axum::Router`; `gateway!("…", options)` passes
/// `krustd_runtime::Options`. An invalid contract is a compile error.
#[proc_macro]
pub fn gateway(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as Input);
    krustd_codegen::macro_support::expand_gateway(&input.path, input.options.as_ref()).into()
}
