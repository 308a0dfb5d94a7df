//! `auth/validator`: the endpoint's `ValidatorSpec` static (keys of a `jwk_local_path`
//! embedded) and the pre-handler statement that runs it.

use super::{duration, opt_duration};
use crate::naming as ident;
use crate::plan::ir_auth::{EmbeddedMaterial, JwkTls, Validator, ValidatorKeys};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

fn bytes(b: &[u8]) -> TokenStream {
    let lit = Literal::byte_string(b);
    quote! { #lit }
}

/// The `static` of a JWK download's TLS (`jwk_fingerprints`, `jwk_local_ca`, `cipher_suites`).
pub(super) fn jwk_tls(id: &proc_macro2::Ident, t: &JwkTls) -> TokenStream {
    let pins_id = format_ident!("{id}_PINS");
    let n = t.fingerprints.len();
    let pins = t.fingerprints.iter().map(|f| bytes(f));
    let params = super::transport::params(&t.params);
    quote! {
        static #pins_id: [[u8; 32]; #n] = [#(*#pins),*];
        static #id: __rt::auth::JwkTls = __rt::auth::JwkTls::new(&#pins_id, #params);
    }
}

/// (items, statements before `EndpointCtx::start`, statements right after it).
pub(super) fn emit(
    base: &str,
    name: &str,
    v: &Validator,
) -> (TokenStream, TokenStream, TokenStream) {
    let spec = ident::static_ident(base, "_JWT");
    let mut items = TokenStream::new();
    let keys = match &v.keys {
        ValidatorKeys::Local(keys) => {
            let list = ident::static_ident(base, "_JWT_KEYS");
            let local = ident::static_ident(base, "_JWT_LOCAL");
            let n = keys.len();
            let keys = keys.iter().map(|k| {
                let (kid, x5t, x5t_s256) = (&k.kid, &k.x5t, &k.x5t_s256);
                let material = match &k.material {
                    EmbeddedMaterial::Oct(b) => {
                        let b = bytes(b);
                        quote! { __rt::auth::StaticMaterial::Oct(#b) }
                    }
                    EmbeddedMaterial::Rsa { n, e } => {
                        let (n, e) = (bytes(n), bytes(e));
                        quote! { __rt::auth::StaticMaterial::Rsa { n: #n, e: #e } }
                    }
                    EmbeddedMaterial::Ec { crv, x, y } => {
                        let (x, y) = (bytes(x), bytes(y));
                        quote! { __rt::auth::StaticMaterial::Ec { crv: #crv, x: #x, y: #y } }
                    }
                    EmbeddedMaterial::Okp(x) => {
                        let x = bytes(x);
                        quote! { __rt::auth::StaticMaterial::Okp(#x) }
                    }
                };
                quote! {
                    __rt::auth::StaticJwk { kid: #kid, x5t: #x5t, x5t_s256: #x5t_s256, material: #material }
                }
            });
            items.extend(quote! {
                static #list: [__rt::auth::StaticJwk; #n] = [#(#keys),*];
                static #local: __rt::auth::LocalKeys = __rt::auth::LocalKeys::new(&#list);
            });
            quote! { __rt::auth::KeySource::Local(&#local) }
        }
        ValidatorKeys::Remote {
            url,
            cache,
            ttl,
            shared,
            cooldown,
            insecure_tls,
            tls,
        } => {
            let remote = ident::static_ident(base, "_JWT_REMOTE");
            let ttl = duration(*ttl);
            let cooldown = opt_duration(*cooldown);
            let tls = match tls {
                Some(t) => {
                    let id = ident::static_ident(base, "_JWT_TLS");
                    items.extend(jwk_tls(&id, t));
                    quote! { ::core::option::Option::Some(&#id) }
                }
                None => quote! { ::core::option::Option::None },
            };
            items.extend(quote! {
                static #remote: __rt::auth::RemoteSource = __rt::auth::RemoteSource {
                    url: #url,
                    cache: #cache,
                    ttl: #ttl,
                    shared: #shared,
                    cooldown: #cooldown,
                    insecure_tls: #insecure_tls,
                    tls: #tls,
                };
            });
            quote! { __rt::auth::KeySource::Remote(&#remote) }
        }
    };
    let alg = format_ident!("{}", v.alg);
    let strategy = format_ident!("{}", v.key_strategy);
    let insecure = v.insecure;
    let issuer = match &v.issuer {
        Some(i) => quote! { ::core::option::Option::Some(#i) },
        None => quote! { ::core::option::Option::None },
    };
    let audience = &v.audience;
    let leeway = v.leeway_secs;
    let roles_key = &v.roles_key;
    let nested = v.roles_key_is_nested;
    let roles = &v.roles;
    let scopes = match &v.scopes {
        Some((key, list)) => quote! { ::core::option::Option::Some((#key, &[#(#list),*])) },
        None => quote! { ::core::option::Option::None },
    };
    let scopes_all = v.scopes_all;
    let header = &v.header_name;
    let cookie = &v.cookie_key;
    // A `static` cannot borrow `HeaderName`s made inline: they get their own array.
    let propagate_id = ident::static_ident(base, "_JWT_PROPAGATE");
    let n_propagate = v.propagate.len();
    let pairs = v.propagate.iter().map(|(claim, h)| {
        quote! { (#claim, __rt::HeaderName::from_static(#h)) }
    });
    items.extend(quote! {
        static #propagate_id: [(&str, __rt::HeaderName); #n_propagate] = [#(#pairs),*];
    });
    let preserve = v.propagate_preserve_array;
    items.extend(quote! {
        static #spec: __rt::auth::ValidatorSpec = __rt::auth::ValidatorSpec {
            endpoint: #name,
            alg: __rt::auth::Alg::#alg,
            keys: #keys,
            key_strategy: __rt::auth::KeyStrategy::#strategy,
            insecure: #insecure,
            issuer: #issuer,
            audience: &[#(#audience),*],
            leeway_secs: #leeway,
            roles_key: #roles_key,
            roles_key_is_nested: #nested,
            roles: &[#(#roles),*],
            scopes: #scopes,
            scopes_all: #scopes_all,
            header_name: __rt::HeaderName::from_static(#header),
            cookie_key: #cookie,
            propagate: &#propagate_id,
            propagate_preserve_array: #preserve,
        };
    });
    let stmts = quote! {
        // auth/validator: 401/403 before the endpoint; claims into the request's extensions.
        let mut __req = __req;
        if let ::core::result::Result::Err(__rejection) =
            __rt::auth::validate(&__state, &#spec, &mut __req).await
        {
            return __rejection;
        }
    };
    if v.url_claims.is_empty() {
        return (items, stmts, TokenStream::new());
    }
    // `{JWT.<claim>}` url placeholders: parameters after the endpoint's own.
    let claims = &v.url_claims;
    let stmts = quote! {
        #stmts
        let __jwt_params = __rt::auth::url_params(&__req, &[#(#claims),*]);
    };
    let after = quote! {
        let __ctx = {
            let mut __ctx = __ctx;
            __ctx.params.extend(__jwt_params);
            __ctx
        };
    };
    (items, stmts, after)
}
