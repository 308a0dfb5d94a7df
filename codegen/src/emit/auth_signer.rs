//! `auth/signer`: the endpoint's `SignerSpec` static (a `jwk_local_path` private key embedded)
//! and the call that replaces the endpoint's render.

use crate::naming as ident;
use crate::plan::ir_signer::{Signer, SignerKey, SignerMaterial};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

fn bytes(b: &[u8]) -> TokenStream {
    let lit = Literal::byte_string(b);
    quote! { #lit }
}

/// (items, the expression answering the merged data `__m`).
pub(super) fn emit(base: &str, path: &str, s: &Signer) -> (TokenStream, TokenStream) {
    let spec = ident::static_ident(base, "_SIGNER");
    let key_id = ident::static_ident(base, "_SIGNER_KEY");
    let kid = &s.kid;
    let mut items = TokenStream::new();
    let key = match &s.key {
        SignerKey::Local(m) => {
            let material = match m {
                SignerMaterial::Oct(k) => {
                    let k = bytes(k);
                    quote! { __rt::auth::sign::PrivateMaterial::Oct(#k) }
                }
                SignerMaterial::Rsa(m) => {
                    let [n, e, d, p, q, dp, dq, qi] = m.each_ref().map(|b| bytes(b));
                    quote! {
                        __rt::auth::sign::PrivateMaterial::Rsa {
                            n: #n, e: #e, d: #d, p: #p, q: #q, dp: #dp, dq: #dq, qi: #qi,
                        }
                    }
                }
                SignerMaterial::Ec { crv, x, y, d } => {
                    let (x, y, d) = (bytes(x), bytes(y), bytes(d));
                    quote! { __rt::auth::sign::PrivateMaterial::Ec { crv: #crv, x: #x, y: #y, d: #d } }
                }
                SignerMaterial::Okp { x, d } => {
                    let (x, d) = (bytes(x), bytes(d));
                    quote! { __rt::auth::sign::PrivateMaterial::Okp { x: #x, d: #d } }
                }
            };
            items.extend(quote! {
                static #key_id: __rt::auth::signer::LocalSigningKey =
                    __rt::auth::signer::LocalSigningKey::new(#kid, #material);
            });
            quote! { __rt::auth::signer::SignerKey::Local(&#key_id) }
        }
        SignerKey::Remote {
            url,
            insecure_tls,
            tls: None,
        } => {
            items.extend(quote! {
                static #key_id: __rt::auth::signer::RemoteSigningKey =
                    __rt::auth::signer::RemoteSigningKey::new(#url, #insecure_tls);
            });
            quote! { __rt::auth::signer::SignerKey::Remote(&#key_id) }
        }
        SignerKey::Remote {
            url,
            insecure_tls,
            tls: Some(t),
        } => {
            let tls_id = ident::static_ident(base, "_SIGNER_TLS");
            items.extend(super::auth_validator::jwk_tls(&tls_id, t));
            items.extend(quote! {
                static #key_id: __rt::auth::signer::RemoteSigningKey =
                    __rt::auth::signer::RemoteSigningKey::with_tls(#url, #insecure_tls, &#tls_id);
            });
            quote! { __rt::auth::signer::SignerKey::Remote(&#key_id) }
        }
    };
    let alg = format_ident!("{}", s.alg);
    let keys = &s.keys_to_sign;
    let (full, insecure) = (s.full, s.insecure);
    items.extend(quote! {
        static #spec: __rt::auth::signer::SignerSpec = __rt::auth::signer::SignerSpec {
            endpoint: #path,
            alg: __rt::auth::Alg::#alg,
            kid: #kid,
            keys_to_sign: &[#(#keys),*],
            full: #full,
            insecure: #insecure,
            key: #key,
        };
    });
    // auth/signer: replaces the endpoint's render (KrakenD's TokenSigner handler).
    let finish = quote! { __rt::auth::signer::finish(&__ctx, &#spec, __m).await };
    (items, finish)
}
