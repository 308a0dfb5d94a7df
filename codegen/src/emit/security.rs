//! Tokens for `security/cors`, `security/http` and `security/bot-detector`: `static` specs of
//! the runtime's `security` types, and the service's `Gateway::cors`/`Gateway::guard` methods.
//! Nothing is emitted for a contract without these namespaces.

use crate::plan::{AllowedHosts, BotDetector, Cors, HttpSecure, ServicePlan};
use proc_macro2::TokenStream;
use quote::quote;

fn opt_value(v: Option<&str>) -> TokenStream {
    match v {
        Some(v) => quote! { ::core::option::Option::Some(__rt::HeaderValue::from_static(#v)) },
        None => quote! { ::core::option::Option::None },
    }
}

/// A `BotDetectorSpec` value.
pub(crate) fn bot_detector(b: &BotDetector) -> TokenStream {
    let (allow, deny, patterns, empty) = (&b.allow, &b.deny, &b.patterns, b.empty_is_bot);
    quote! {
        __rt::BotDetectorSpec {
            allow: &[#(#allow),*],
            deny: &[#(#deny),*],
            patterns: __rt::Patterns::new(&[#(#patterns),*]),
            empty_is_bot: #empty,
        }
    }
}

fn cors(c: &Cors) -> TokenStream {
    let origins_all = c.origins_all;
    let origins = &c.origins;
    let wildcards = c.wildcards.iter().map(|(p, s)| quote! { (#p, #s) });
    let methods = &c.methods;
    let headers_all = c.headers_all;
    let headers = &c.headers;
    let expose = opt_value(c.expose.as_deref());
    let (credentials, private_network, passthrough) =
        (c.credentials, c.private_network, c.passthrough);
    let status = c.success_status;
    let max_age = opt_value(c.max_age.as_deref());
    let debug = c.debug;
    quote! {
        /// `security/cors`.
        static CORS: __rt::CorsSpec = __rt::CorsSpec {
            origins_all: #origins_all,
            origins: &[#(#origins),*],
            wildcards: &[#(#wildcards),*],
            methods: &[#(#methods),*],
            headers_all: #headers_all,
            headers: &[#(#headers),*],
            expose: #expose,
            credentials: #credentials,
            private_network: #private_network,
            passthrough: #passthrough,
            success_status: #status,
            max_age: #max_age,
            debug: #debug,
        };
    }
}

fn http_secure(h: &HttpSecure) -> TokenStream {
    let allowed = match &h.allowed_hosts {
        None => quote! { ::core::option::Option::None },
        Some(AllowedHosts::Plain(list)) => {
            quote! { ::core::option::Option::Some(__rt::AllowedHosts::Plain(&[#(#list),*])) }
        }
        Some(AllowedHosts::Regex(list)) => quote! {
            ::core::option::Option::Some(__rt::AllowedHosts::Regex(__rt::Patterns::new(&[#(#list),*])))
        },
    };
    let proxy = &h.host_proxy_headers;
    let n_proxy = proxy.len();
    let ssl = h.ssl_proxy_headers.iter().map(|(k, v)| {
        quote! { (__rt::HeaderName::from_static(#k), #v) }
    });
    let n_ssl = h.ssl_proxy_headers.len();
    let ssl_redirect = h.ssl_redirect;
    let ssl_host = super::opt_str(h.ssl_host.as_deref());
    let sts = opt_value(h.sts.as_deref());
    let force_sts = h.force_sts;
    let headers = h.headers.iter().map(|(k, v)| {
        quote! { (__rt::HeaderName::from_static(#k), __rt::HeaderValue::from_static(#v)) }
    });
    let n_headers = h.headers.len();
    quote! {
        static HTTP_SECURE_HOST_HEADERS: [__rt::HeaderName; #n_proxy] =
            [#(__rt::HeaderName::from_static(#proxy)),*];
        static HTTP_SECURE_SSL_HEADERS: [(__rt::HeaderName, &str); #n_ssl] = [#(#ssl),*];
        static HTTP_SECURE_HEADERS: [(__rt::HeaderName, __rt::HeaderValue); #n_headers] =
            [#(#headers),*];

        /// `security/http`.
        static HTTP_SECURE: __rt::HttpSecureSpec = __rt::HttpSecureSpec {
            allowed_hosts: #allowed,
            host_proxy_headers: &HTTP_SECURE_HOST_HEADERS,
            ssl_redirect: #ssl_redirect,
            ssl_host: #ssl_host,
            ssl_proxy_headers: &HTTP_SECURE_SSL_HEADERS,
            sts: #sts,
            force_sts: #force_sts,
            headers: &HTTP_SECURE_HEADERS,
        };
    }
}

/// The service's security statics, and the `Gateway` methods that hand them to the runtime
/// (both empty without the namespaces).
pub(crate) fn service(s: &ServicePlan) -> (TokenStream, TokenStream) {
    let mut items = TokenStream::new();
    let mut methods = TokenStream::new();
    if let Some(c) = &s.cors {
        items.extend(cors(c));
        methods.extend(quote! {
            fn cors() -> ::core::option::Option<&'static __rt::CorsSpec> {
                ::core::option::Option::Some(&CORS)
            }
        });
    }
    if s.http_secure.is_none() && s.bot_detector.is_none() {
        return (items, methods);
    }
    let http = match &s.http_secure {
        Some(h) => {
            items.extend(http_secure(h));
            quote! { ::core::option::Option::Some(&HTTP_SECURE) }
        }
        None => quote! { ::core::option::Option::None },
    };
    let bots = match &s.bot_detector {
        Some(b) => {
            let spec = bot_detector(b);
            items.extend(quote! {
                /// `security/bot-detector` (service level).
                static SERVICE_BOTS: __rt::BotDetectorSpec = #spec;
            });
            quote! { ::core::option::Option::Some(&SERVICE_BOTS) }
        }
        None => quote! { ::core::option::Option::None },
    };
    items.extend(quote! {
        /// Service-level checks after the router match: `security/http`, then the bot detector.
        static GUARD: __rt::ServiceGuard = __rt::ServiceGuard { http: #http, bots: #bots };
    });
    methods.extend(quote! {
        fn guard() -> ::core::option::Option<&'static __rt::ServiceGuard> {
            ::core::option::Option::Some(&GUARD)
        }
    });
    (items, methods)
}
