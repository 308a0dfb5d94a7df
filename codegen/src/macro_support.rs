//! What `gateway!("contracts/x.json")` expands to; the proc-macro crate is a thin shim over this.

use crate::builder::Builder;
use crate::flexible_config::FlexConfig;
use proc_macro2::TokenStream;
use quote::quote;
use std::path::{Path, PathBuf};

/// Expands `gateway!(lit)`: the gateway of the contract at `lit` (relative to the crate's
/// `CARGO_MANIFEST_DIR`) as an expression of type `axum::Router`. Errors become
/// `compile_error!` on the literal, with the same rendering as `build.rs`.
///
/// `gateway!(lit, options)` evaluates to `router_with::<Gateway>(options)` instead, where
/// `options` is a `krustd_runtime::Options` expression (tests use it to reach mock backends).
///
/// `flexible_config`: the directory (relative to the crate root) holding `settings/`,
/// `partials/` and `templates/`; the contract is then a flexible-configuration template,
/// rendered first (`FlexConfig::from_dir`). The macro does not read `FC_*`: a crate holds
/// many `gateway!` calls, and the variables are the build's (`build.rs`, `krustd-contract`).
pub fn expand_gateway(
    lit: &syn::LitStr,
    options: Option<&syn::Expr>,
    flexible_config: Option<&syn::LitStr>,
) -> TokenStream {
    match expand(lit, options, flexible_config) {
        Ok(t) => t,
        Err(msg) => syn::Error::new(lit.span(), msg).to_compile_error(),
    }
}

/// Expands `gateway!(lit, contract_tests)` (an item): a module named after the contract path
/// (`contracts/features/shaping.json` → `contracts_features_shaping`) holding the gateway and
/// its generated contract tests, one `#[test]` per endpoint and per `@test` example.
pub fn expand_contract_tests(lit: &syn::LitStr) -> TokenStream {
    let result = load(lit, true, None).map(|(items, abs)| {
        let rel = lit.value();
        let stem = rel.strip_suffix(".json").unwrap_or(&rel);
        let name: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let name = syn::Ident::new(&format!("contract_{name}"), lit.span());
        quote! {
            #[allow(dead_code)]
            mod #name {
                // Recompile when the contract changes.
                const _: &[u8] = ::core::include_bytes!(#abs);
                #(#items)*
            }
        }
    });
    match result {
        Ok(t) => t,
        Err(msg) => syn::Error::new(lit.span(), msg).to_compile_error(),
    }
}

/// The directory the contract path is relative to: the crate root, or the nearest ancestor of
/// it that holds the file (trybuild compiles its cases in a project under `target/`).
fn resolve_root(manifest_dir: &Path, rel: &str) -> PathBuf {
    manifest_dir
        .ancestors()
        .take(6)
        .find(|dir| dir.join(rel).is_file())
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

fn expand(
    lit: &syn::LitStr,
    options: Option<&syn::Expr>,
    flexible_config: Option<&syn::LitStr>,
) -> Result<TokenStream, String> {
    let (items, abs) = load(lit, false, flexible_config)?;
    let router = match options {
        Some(o) => quote! { ::krustd_runtime::router_with::<__krustd_gateway::Gateway>(#o) },
        None => quote! { ::krustd_runtime::router::<__krustd_gateway::Gateway>() },
    };
    Ok(quote! {
        {
            #[allow(dead_code)]
            mod __krustd_gateway {
                // Recompile when the contract changes.
                const _: &[u8] = ::core::include_bytes!(#abs);
                #(#items)*
            }
            #router
        }
    })
}

/// The generated items of the contract at `lit`, and the contract's absolute path.
fn load(
    lit: &syn::LitStr,
    contract_tests: bool,
    flexible_config: Option<&syn::LitStr>,
) -> Result<(Vec<syn::Item>, String), String> {
    let rel = lit.value();
    if Path::new(&rel).is_absolute() {
        return Err(format!(
            "gateway!: `{rel}` is absolute; give a path relative to the crate root"
        ));
    }
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or("gateway!: CARGO_MANIFEST_DIR is not set; build with cargo")?;
    let mut builder = Builder::new();
    builder
        .root(resolve_root(&root, &rel))
        .contract(&rel)
        .emit_contract_tests(contract_tests)
        // Inside rustc's proc-macro server `proc_macro2` makes compiler tokens, which another
        // thread cannot touch: the endpoints are made on this thread.
        .parallel(false)
        .flexible_config(flexible_config.map(|d| FlexConfig::from_dir(Path::new(&d.value()))));
    let (source, rendered) = builder.load().map_err(|e| {
        let text = e.to_string();
        text.strip_prefix("error: ")
            .map(str::to_owned)
            .unwrap_or(text)
    })?;
    let generated = builder.generate(source).map_err(|r| {
        // rustc already prints `error: ` before a compile_error's text.
        let text = r.to_string();
        text.strip_prefix("error: ")
            .map(str::to_owned)
            .unwrap_or(text)
    })?;
    let mut file: syn::File = syn::parse_str(&generated.code)
        .map_err(|e| format!("gateway!: internal error, generated code does not parse: {e}"))?;
    // Recompile when a side file the contract embeds, or a flexible-configuration input it
    // was rendered from, changes.
    let fc_inputs = rendered.iter().flat_map(|r| r.files.iter());
    for side in generated.side_files.iter().chain(fc_inputs) {
        let p = side.to_string_lossy().into_owned();
        file.items
            .push(syn::parse_quote! { const _: &[u8] = ::core::include_bytes!(#p); });
    }
    let abs = builder.contract_path().to_string_lossy().into_owned();
    Ok((file.items, abs))
}
