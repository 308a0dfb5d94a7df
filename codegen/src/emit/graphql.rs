//! `backend/graphql`: the backend's GraphQL operation as a `static` the runtime's
//! `graphql::apply` reads (query text embedded at build time).

use crate::naming as ident;
use crate::plan::graphql_ir::{GraphQl, GraphQlVar};
use crate::plan::Backend;
use proc_macro2::TokenStream;
use quote::quote;

/// The items and the `&'static GraphQl` expression of the backend's spec.
pub fn emit(b: &Backend, g: &GraphQl) -> (TokenStream, TokenStream) {
    let id = ident::static_ident(&b.ident, "_GRAPHQL");
    let (get, mutation, query, op) = (g.get, g.mutation, &g.query, &g.operation_name);
    let vars = g.variables.iter().map(|(k, v)| {
        let v = match v {
            GraphQlVar::Json(j) => quote! { __rt::graphql::Var::Json(#j) },
            GraphQlVar::Param(Some(i)) => {
                quote! { __rt::graphql::Var::Param(::core::option::Option::Some(#i)) }
            }
            GraphQlVar::Param(None) => {
                quote! { __rt::graphql::Var::Param(::core::option::Option::None) }
            }
            GraphQlVar::Seq(name) => quote! { __rt::graphql::Var::Seq(#name) },
        };
        quote! { (#k, #v) }
    });
    let doc = format!(" backend/graphql of {} (contract {})", b.ident, b.pointer);
    (
        quote! {
            #[doc = #doc]
            static #id: __rt::graphql::GraphQl = __rt::graphql::GraphQl {
                get: #get,
                mutation: #mutation,
                query: #query,
                operation_name: #op,
                variables: &[#(#vars),*],
            };
        },
        quote! { ::core::option::Option::Some(&#id) },
    )
}
