//! The sequential values a step's request parameters carry (`plan/lower/sequential_params.rs`):
//! the step is called with a context that holds them, for its Lua, CEL and GraphQL.

use crate::plan::ir::Backend;
use proc_macro2::TokenStream;
use quote::quote;

/// `call` (which borrows `__ctx`) wrapped so that `__ctx` carries the step's values.
pub(super) fn step_call(b: &Backend, call: TokenStream) -> TokenStream {
    if b.seq_params.is_empty() {
        return call;
    }
    let params = b.seq_params.iter().map(|(name, step, path)| {
        quote! { (#name, #step, &[#(#path),*]) }
    });
    quote! {
        {
            let __ctx = __seq.step_ctx(&__ctx, &[#(#params),*]);
            #call
        }
    }
}
