//! The text writer of `statics.rs` against `syn` + prettyplease: on every static item of every
//! contract under `contracts/`, and on random trees (long and short names, nesting, empty
//! arrays, one-element tuples, lines around the margin).

use super::statics::{Expr, Static};
use super::{statics_both_ways, unparse};
use crate::emit::{self, EmitOptions};
use crate::Builder;
use proc_macro2::{Ident, Span, TokenStream};
use proptest::prelude::*;
use quote::quote;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn contracts(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "invalid") {
                contracts(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "json") {
            out.push(p);
        }
    }
}

fn prettyplease(tokens: TokenStream) -> String {
    let file: syn::File = syn::parse2(tokens).expect("parses");
    prettyplease::unparse(&file)
}

#[test]
fn every_static_of_every_contract_is_written_as_prettyplease_writes_it() {
    let root = workspace();
    let mut files = Vec::new();
    contracts(&root.join("contracts"), &mut files);
    assert!(files.len() > 10, "contracts found: {}", files.len());
    let (mut written, mut other) = (0, 0);
    for file in &files {
        let mut b = Builder::new();
        b.root(&root).contract(file);
        let plan = b
            .plan_of()
            .unwrap_or_else(|| panic!("{} plans", file.display()));
        let options = EmitOptions {
            contract_tests: true,
        };
        for chunk in emit::gateway_chunks(&plan, options) {
            let (both, rest) = statics_both_ways(chunk.clone());
            for (text, reference) in both {
                assert_eq!(text, reference, "in {}", file.display());
                written += 1;
            }
            other += rest;
            // And the chunk as a whole: text and syn runs interleaved.
            let whole = unparse(chunk.clone())
                .map_err(|(e, _)| e)
                .expect("unparses");
            assert_eq!(whole, prettyplease(chunk), "in {}", file.display());
        }
    }
    // Most statics are in the subset: a writer that gave up on everything would fail here.
    assert!(
        written > 1000 && written > 10 * other,
        "{written} written, {other} on the syn path"
    );
    eprintln!("{written} statics written as text, {other} on the syn path");
}

#[test]
fn statics_outside_the_subset_take_the_syn_path() {
    let outside = [
        quote! { static A: u8 = 1 + 2; },
        quote! { static mut A: u8 = 1; },
        quote! { static A: Vec<u8> = Vec::new(); },
        quote! { static A: S = S { a }; },
        quote! { static A: S = S { a: 1, ..B }; },
        quote! { static A: &str = f().g; },
        quote! { static A: (u8) = (1); },
        quote! { static A: i8 = -1; },
        quote! { #[inline] static A: u8 = 1; },
        quote! { pub(crate) static A: u8 = 1; },
        quote! {
            #[doc = "two\nlines"]
            static A: u8 = 1;
        },
        quote! {
            #[doc = "/ starts with a slash"]
            static A: u8 = 1;
        },
    ];
    for tokens in outside {
        let trees: Vec<_> = tokens.clone().into_iter().collect();
        assert!(Static::parse(&trees).is_none(), "{tokens}");
        let text = unparse(tokens.clone())
            .map_err(|(e, _)| e)
            .expect("unparses");
        assert_eq!(text, prettyplease(tokens));
    }
}

#[test]
fn the_window_decides_struct_literals_as_prettyplease_does() {
    // `{}` after a head longer than the line: the struct's box has left the window when it
    // closes, so it is not broken for its width (the case proptest found first).
    let cases = [
        quote! { static A_NAME_OF_THIRTY_CHARACTERS_X: a::b = a0::a_path_of_more_than_thirty_four_ch {}; },
        quote! { static A: S = S { a: 1 }; },
        quote! { static A: S = S { a: 1, b: "a string that is long enough" }; },
        quote! { static A: [S; 1usize] = [S { a: [1, 2, 3] }]; },
    ];
    for tokens in cases {
        let text = unparse(tokens.clone())
            .map_err(|(e, _)| e)
            .expect("unparses");
        assert_eq!(text, prettyplease(tokens));
    }
}

#[test]
fn a_chunk_that_does_not_parse_is_an_error_with_its_tokens() {
    let bad = quote! { static A: u8 = 1; fn f() -> {} };
    let (_, tokens) = unparse(bad).expect_err("does not parse");
    assert!(tokens.to_string().contains("fn f"));
}

fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9_]{0,3}",
        "[a-z][a-z0-9_]{10,40}",
        "[A-Z][A-Za-z0-9]{0,30}",
    ]
    .prop_filter("not a keyword", |s| {
        syn::parse_str::<Ident>(s).is_ok() && s != "true" && s != "false"
    })
}

fn path() -> impl Strategy<Value = String> {
    (any::<bool>(), prop::collection::vec(ident(), 1..5)).prop_map(|(lead, segs)| {
        let p = segs.join("::");
        if lead {
            format!("::{p}")
        } else {
            p
        }
    })
}

fn lit() -> impl Strategy<Value = Expr> {
    prop_oneof![
        any::<u64>().prop_map(|n| (format!("{n}usize"), true)),
        any::<u32>().prop_map(|n| (n.to_string(), true)),
        any::<bool>().prop_map(|b| (b.to_string(), true)),
        any::<char>().prop_map(|c| (format!("{c:?}"), true)),
        "[ -~]{0,70}".prop_map(|s| (format!("{s:?}"), false)),
        (0u32..1000).prop_map(|n| (format!("{n}.5f64"), false)),
    ]
    .prop_map(|(text, simple)| Expr::Lit { text, simple })
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![lit(), path().prop_map(Expr::Path)];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Ref(Box::new(e))),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Expr::Array),
            prop::collection::vec(lit(), 0..12).prop_map(Expr::Array),
            prop::collection::vec(inner.clone(), 0..4).prop_map(Expr::Tuple),
            (path(), prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(p, a)| Expr::Call(p, a)),
            (path(), prop::collection::vec((ident(), inner), 0..5))
                .prop_map(|(p, f)| Expr::Struct(p, f)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_statics_are_written_as_prettyplease_writes_them(
        docs in prop::collection::vec("[ -~]{0,100}", 0..3),
        public in any::<bool>(),
        name in ident(),
        ty in prop_oneof![
            path(),
            path().prop_map(|p| format!("&'static {p}")),
            (path(), 0u8..20).prop_map(|(p, n)| format!("[{p}; {n}usize]")),
            path().prop_map(|p| format!("&'static [{p}]")),
        ],
        e in expr(),
    ) {
        let docs: Vec<String> = docs
            .into_iter()
            .filter(|d| !d.starts_with('/'))
            .map(|d| format!(" {d}"))
            .collect();
        let name_id = Ident::new(&name, Span::call_site());
        let ty_tokens: TokenStream = ty.parse().expect("a type");
        let vis = public.then(|| quote! { pub });
        let tokens = quote! {
            #(#[doc = #docs])*
            #vis static #name_id: #ty_tokens = #e;
        };
        let trees: Vec<_> = tokens.clone().into_iter().collect();
        let parsed = Static::parse(&trees).expect("in the subset");
        prop_assert_eq!(&parsed.expr, &e);
        let mut text = String::new();
        parsed.write(&mut text);
        prop_assert_eq!(text, prettyplease(tokens));
    }
}
