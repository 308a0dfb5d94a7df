//! Tokens for a backend's shaping as `plan` decided it: the projection `static` and the
//! decoder that follows it (runtime: `krustd_runtime::projection`).

use crate::naming as ident;
use crate::plan::{Backend, Decode, Field, Projection, Select, ShapeStep, Shaping};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// What `emit::backend` adds for a backend's shaping.
pub(crate) struct Emitted<'a> {
    /// The projection `static`, if any.
    pub items: TokenStream,
    /// The body decoder to call the backend with; `None`: the generic decoder.
    pub decoder: Option<TokenStream>,
    /// The steps left to the generic path (`BackendResult::shape`).
    pub rest: &'a [ShapeStep],
    /// A doc line for the backend's function saying which path its shaping takes.
    pub doc: Option<String>,
}

pub(crate) fn emit(b: &Backend) -> Emitted<'_> {
    match &b.shaping {
        Shaping::Unshaped => Emitted {
            items: TokenStream::new(),
            decoder: None,
            rest: &b.steps,
            doc: None,
        },
        Shaping::Generic(why) => Emitted {
            items: TokenStream::new(),
            decoder: None,
            rest: &b.steps,
            doc: Some(format!(" Shaping on the generic path: {why}.")),
        },
        Shaping::Projected {
            projection,
            covers,
            rest,
        } => {
            let name = ident::static_ident(&b.ident, "_PROJECTION");
            let item_doc = format!(
                " Backend {}: the response shaping compiled into the parse of its body.",
                b.index
            );
            let names =
                |steps: &[ShapeStep]| steps.iter().map(step_name).collect::<Vec<_>>().join(", ");
            let (done, left) = b.steps.split_at((*covers).min(b.steps.len()));
            let doc = match rest {
                Some(why) => format!(
                    " Shaping: {} compiled into the parse (`{name}`); {} on the generic path: {why}.",
                    names(done),
                    names(left)
                ),
                None => format!(" Shaping compiled into the parse (`{name}`)."),
            };
            Emitted {
                items: emit_static(&name, projection, &item_doc),
                decoder: Some(quote! {
                    |__body| __rt::projection::decode(__body, &#name)
                }),
                rest: left,
                doc: Some(doc),
            }
        }
    }
}

/// A step's name in the contract, for comments.
fn step_name(step: &ShapeStep) -> &'static str {
    match step {
        ShapeStep::Target(_) => "`target`",
        ShapeStep::Allow(_) => "`allow`",
        ShapeStep::Deny(_) => "`deny`",
        ShapeStep::Mapping(_) => "`mapping`",
        ShapeStep::Group(_) => "`group`",
        ShapeStep::Flatmap(_) => "`flatmap_filter`",
    }
}

/// The `static` of a projected backend, named `name`.
fn emit_static(name: &Ident, p: &Projection, doc: &str) -> TokenStream {
    let decode = match p.decode {
        Decode::JsonCollection => quote! { __rt::Decode::JsonCollection },
        Decode::SafeJson => quote! { __rt::Decode::SafeJson },
        _ => quote! { __rt::Decode::JsonObject },
    };
    let target = &p.target;
    let select = match &p.select {
        Select::All => quote! { __rt::projection::Select::All },
        Select::Allow(fields) => {
            let f = fields_tokens(fields);
            quote! { __rt::projection::Select::Allow(#f) }
        }
        Select::Deny(fields) => {
            let f = fields_tokens(fields);
            quote! { __rt::projection::Select::Deny(#f) }
        }
    };
    let mapping = p.mapping.iter().map(|(a, b)| quote! { (#a, #b) });
    let group = match &p.group {
        Some(g) => quote! { ::core::option::Option::Some(#g) },
        None => quote! { ::core::option::Option::None },
    };
    quote! {
        #[doc = #doc]
        static #name: __rt::projection::Projection = __rt::projection::Projection {
            decode: #decode,
            target: &[#(#target),*],
            select: #select,
            mapping: &[#(#mapping),*],
            group: #group,
        };
    }
}

fn fields_tokens(fields: &[Field]) -> TokenStream {
    let items = fields.iter().map(|f| {
        let key = &f.key;
        let below = fields_tokens(&f.below);
        quote! { __rt::projection::Field { key: #key, below: #below } }
    });
    quote! { &[#(#items),*] }
}
