//! `qos/http-cache`: a `static` cache per backend, and the backend call that goes through it.

use crate::naming as ident;
use crate::plan::Backend;
use proc_macro2::TokenStream;
use quote::quote;

fn cache_ident(b: &Backend) -> proc_macro2::Ident {
    ident::static_ident(&b.ident, "_HTTP_CACHE")
}

/// The cache's `static`; nothing without the namespace.
pub(super) fn item(b: &Backend) -> TokenStream {
    let Some(c) = &b.http_cache else {
        return TokenStream::new();
    };
    let id = cache_ident(b);
    let (shared, max_size, max_items) = (c.shared, c.max_size, c.max_items);
    quote! {
        static #id: __rt::HttpCache = __rt::HttpCache::new(__rt::CacheSpec {
            shared: #shared,
            max_size: #max_size,
            max_items: #max_items,
        });
    }
}

/// The backend call: through the cache when the backend has one (`None` otherwise).
pub(super) fn call(
    b: &Backend,
    spec: &proc_macro2::Ident,
    seq: &TokenStream,
    decoder: &TokenStream,
) -> Option<TokenStream> {
    b.http_cache.as_ref()?;
    let id = cache_ident(b);
    Some(quote! { __rt::http_cache::call(__ctx, &#spec, &#id, #seq, #decoder) })
}
