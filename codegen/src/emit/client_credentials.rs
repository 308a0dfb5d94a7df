//! `auth/client-credentials`: the backend's token source as a `static` with its own token
//! cache (the runtime's `client_credentials`).

use crate::naming as ident;
use crate::plan::client_credentials_ir::ClientCredentials;
use crate::plan::Backend;
use proc_macro2::TokenStream;
use quote::quote;

/// The items and the `&'static ClientCredentials` expression of the backend's spec.
pub fn emit(b: &Backend, c: &ClientCredentials) -> (TokenStream, TokenStream) {
    let id = ident::static_ident(&b.ident, "_CLIENT_CREDENTIALS");
    let (client_id, secret, url) = (&c.client_id, &c.client_secret, &c.token_url);
    let scopes = &c.scopes;
    let params = c.endpoint_params.iter().map(|(k, v)| quote! { (#k, #v) });
    let doc = format!(
        " auth/client-credentials of {} (contract {})",
        b.ident, b.pointer
    );
    (
        quote! {
            #[doc = #doc]
            static #id: __rt::client_credentials::ClientCredentials =
                __rt::client_credentials::ClientCredentials {
                    client_id: #client_id,
                    client_secret: #secret,
                    token_url: #url,
                    scopes: &[#(#scopes),*],
                    endpoint_params: &[#(#params),*],
                    cache: __rt::client_credentials::TokenCache::new(),
                };
        },
        quote! { ::core::option::Option::Some(&#id) },
    )
}
