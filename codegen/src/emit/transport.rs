//! The transport: one `static TRANSPORT` (listener TLS, h2c, TLS to backends, compression) and
//! the `Gateway::TRANSPORT` line pointing at it. Nothing is emitted for a plain contract.

use crate::plan::transport_ir::{Params, Transport};
use crate::tls_ids::Version;
use proc_macro2::TokenStream;
use quote::quote;

/// The `const TRANSPORT` line of the `Gateway` impl (empty when there is no transport setting).
pub fn gateway_const(t: &Transport) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    quote! { const TRANSPORT: &'static __rt::transport::TransportSpec = &TRANSPORT; }
}

fn version(v: Version) -> TokenStream {
    match v {
        Version::Tls12 => quote! { __rt::transport::TlsVersion::Tls12 },
        Version::Tls13 => quote! { __rt::transport::TlsVersion::Tls13 },
    }
}

pub(super) fn params(p: &Params) -> TokenStream {
    let (min, max) = (version(p.min_version), version(p.max_version));
    let (suites, curves, cas) = (&p.cipher_suites, &p.curves, &p.ca_certs);
    let system = p.system_ca_pool;
    quote! {
        __rt::transport::TlsParams {
            min_version: #min,
            max_version: #max,
            cipher_suites: &[#(#suites),*],
            curves: &[#(#curves),*],
            ca_certs: &[#(#cas),*],
            system_ca_pool: #system,
        }
    }
}

fn pairs(list: &[(String, String)]) -> TokenStream {
    let items = list.iter().map(|(c, k)| quote! { (#c, #k) });
    quote! { &[#(#items),*] }
}

/// The `static TRANSPORT` item (empty when there is no transport setting).
pub fn emit(t: &Transport) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    let none = quote! { ::core::option::Option::None };
    let tls = t.tls.as_ref().map_or(none.clone(), |s| {
        let (keys, mtls, params) = (pairs(&s.keys), s.enable_mtls, params(&s.params));
        quote! {
            ::core::option::Option::Some(&__rt::transport::ServerTlsSpec {
                keys: #keys,
                enable_mtls: #mtls,
                params: #params,
            })
        }
    });
    let (client_cell, client_tls) = match &t.client_tls {
        None => (TokenStream::new(), none.clone()),
        Some(c) => {
            let (insecure, certs, params) =
                (c.allow_insecure, pairs(&c.client_certs), params(&c.params));
            (
                quote! {
                    /// The backend TLS configuration, built once at start-up.
                    static CLIENT_TLS: __rt::transport::ClientTlsCell =
                        __rt::transport::ClientTlsCell::new();
                },
                quote! {
                    ::core::option::Option::Some(&__rt::transport::ClientTlsSpec {
                        allow_insecure: #insecure,
                        client_certs: #certs,
                        params: #params,
                        built: &CLIENT_TLS,
                    })
                },
            )
        }
    };
    let compression = t.compression.as_ref().map_or(none, |c| {
        let (gzip, br, min) = (c.gzip, c.br, c.min_size);
        quote! {
            ::core::option::Option::Some(&__rt::transport::CompressionSpec {
                gzip: #gzip,
                br: #br,
                min_size: #min,
            })
        }
    });
    let h2c = t.h2c;
    quote! {
        #client_cell

        /// The contract's transport: `tls`, `use_h2c`, `client_tls`, `krustd/compression`.
        static TRANSPORT: __rt::transport::TransportSpec = __rt::transport::TransportSpec {
            tls: #tls,
            h2c: #h2c,
            client_tls: #client_tls,
            compression: #compression,
        };
    }
}
