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

/// `, &__body` for a step that keeps its raw body (`keep_body`), else nothing.
pub(super) fn body_arg(b: &Backend) -> TokenStream {
    if b.keep_body {
        quote! { , &__body }
    } else {
        TokenStream::new()
    }
}

/// `call` of step `step` that keeps its raw body: the slot is made before and the body
/// handed to the sequence after it (`__r` is the step's result).
pub(super) fn keeping_body(b: &Backend, step: usize, call: TokenStream) -> TokenStream {
    if !b.keep_body {
        return call;
    }
    quote! {
        {
            let __body = __rt::BodySlot::new();
            let __r = #call;
            __seq.keep_body(#step, __body);
            __r
        }
    }
}
