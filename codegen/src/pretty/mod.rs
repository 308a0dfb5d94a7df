//! Tokens of whole items → the text prettyplease would write for them.
//!
//! Most of a gateway is `static` items of plain data (the spec of each endpoint, backend,
//! projection, route, ...): `statics.rs` reads those from their tokens and writes them with
//! prettyplease's layout, without `syn`. The other items (functions, impls, statics outside
//! the subset) go through `syn::parse2` and `prettyplease::unparse`, run by run. prettyplease
//! writes the items of a file one after the other, each from the start of a line, so the
//! concatenation is the text of the whole. `unparse` is public for the stage timings
//! (`examples/codegen_stages.rs`).

mod printer;
pub(crate) mod statics;

#[cfg(test)]
mod tests;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use statics::Static;

/// The items of `tokens`, pretty-printed; an error (and the tokens) when tokens outside the
/// `static` subset do not parse as items.
pub fn unparse(tokens: TokenStream) -> Result<String, (syn::Error, TokenStream)> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    written(&trees).map_err(|e| (e, trees.into_iter().collect()))
}

fn written(trees: &[TokenTree]) -> syn::Result<String> {
    let mut out = String::with_capacity(trees.len() * 16);
    let mut run_start = 0;
    let mut at = 0;
    while at < trees.len() {
        // `at` is the start of an item here.
        let end = item_end(trees, at);
        if let Some(s) = static_item(&trees[at..end]) {
            flush(&trees[run_start..at], &mut out)?;
            s.write(&mut out);
            run_start = end;
        }
        at = end;
    }
    flush(&trees[run_start..], &mut out)?;
    Ok(out)
}

/// A `static` of the subset, for the tests: each static item of `tokens` as `Static` writes it
/// and as prettyplease does, and how many statics took the `syn` path.
#[cfg(test)]
pub(crate) fn statics_both_ways(tokens: TokenStream) -> (Vec<(String, String)>, usize) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let (mut both, mut other) = (Vec::new(), 0);
    let mut at = 0;
    while at < trees.len() {
        let end = item_end(&trees, at);
        match static_item(&trees[at..end]) {
            Some(s) => {
                let mut text = String::new();
                s.write(&mut text);
                let mut reference = String::new();
                flush(&trees[at..end], &mut reference).expect("a static parses");
                both.push((text, reference));
            }
            None if is_static(&trees[at..end]) => other += 1,
            None => {}
        }
        at = end;
    }
    (both, other)
}

fn static_item(item: &[TokenTree]) -> Option<Static> {
    // Cheap test first.
    is_static(item).then(|| Static::parse(item)).flatten()
}

/// Whether the item's first word (after its attributes and `pub`) is `static`.
fn is_static(item: &[TokenTree]) -> bool {
    item.iter()
        .find_map(|t| match t {
            TokenTree::Ident(i) if i != "pub" => Some(i == "static"),
            _ => None,
        })
        .unwrap_or(false)
}

/// Where the item starting at `start` ends: after its first `;` or `{ ... }` group at this
/// level, except that `static`, `const`, `use` and `type` items end at their `;` (a struct
/// literal in their value is not their end). Attributes (`#` and a `[...]` group) belong to
/// the item after them.
fn item_end(trees: &[TokenTree], start: usize) -> usize {
    let mut at = start;
    let mut semicolon_only = false;
    let mut seen_word = false;
    while at < trees.len() {
        let t = &trees[at];
        at += 1;
        match t {
            TokenTree::Punct(p) if p.as_char() == ';' => return at,
            TokenTree::Punct(p) if p.as_char() == '#' && !seen_word => {
                // The attribute's group.
                at += 1;
            }
            TokenTree::Ident(i) if !seen_word && i != "pub" => {
                seen_word = true;
                semicolon_only = matches!(
                    i.to_string().as_str(),
                    "static" | "const" | "use" | "type" | "let"
                );
            }
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace && !semicolon_only => {
                return at;
            }
            _ => {}
        }
    }
    trees.len()
}

/// A run of items through `syn` and prettyplease.
fn flush(run: &[TokenTree], out: &mut String) -> syn::Result<()> {
    if run.is_empty() {
        return Ok(());
    }
    let file: syn::File = syn::parse2(run.iter().cloned().collect())?;
    out.push_str(&prettyplease::unparse(&file));
    Ok(())
}
