//! The service: its settings, build identity, route table and the `Gateway` impl.

use super::{opt_duration, opt_str};
use crate::naming as ident;
use crate::plan::Plan;
use proc_macro2::TokenStream;
use quote::quote;

/// The service's items in two runs: those before the build identity (`identity`) and those
/// after it. Neither reads `plan.identity`.
pub fn emit(plan: &Plan) -> [TokenStream; 2] {
    let s = &plan.service;
    let port = s.port;
    let listen_ip = &s.listen_ip;
    let read_timeout = opt_duration(s.read_timeout);
    let write_timeout = opt_duration(s.write_timeout);
    let idle_timeout = opt_duration(s.idle_timeout);
    let read_header_timeout = opt_duration(s.read_header_timeout);
    let max_header_bytes = s.max_header_bytes;
    let max_shutdown_wait = opt_duration(s.max_shutdown_wait);
    let debug_endpoint = s.debug_endpoint;
    let echo_endpoint = s.echo_endpoint;
    let health_path = opt_str(s.health_path.as_deref());
    let return_error_msg = s.return_error_msg;
    let version_header = &s.version_header;
    let log_level = opt_str(s.log_level.as_deref());
    let error_body_404 = opt_str(s.error_body_404.as_deref());
    let error_body_405 = opt_str(s.error_body_405.as_deref());
    let disable_redirect_trailing_slash = s.disable_redirect_trailing_slash;
    let disable_redirect_fixed_path = s.disable_redirect_fixed_path;
    let disable_handle_method_not_allowed = s.disable_handle_method_not_allowed;
    let remove_extra_slash = s.remove_extra_slash;
    let disable_path_decoding = s.disable_path_decoding;
    let forwarded_by_client_ip = s.forwarded_by_client_ip;
    let app_engine = s.app_engine;
    let ip_headers = &s.remote_ip_headers;
    let n_ip_headers = ip_headers.len();
    let trusted = match &s.trusted_proxies {
        None => quote! { ::core::option::Option::None },
        Some(list) => {
            let nets = list.iter().map(|(ip, bits)| match ip {
                std::net::IpAddr::V4(v4) => {
                    let o = v4.octets();
                    quote! { (::std::net::IpAddr::V4(::std::net::Ipv4Addr::new(#(#o),*)), #bits) }
                }
                std::net::IpAddr::V6(v6) => {
                    let seg = v6.segments();
                    quote! { (::std::net::IpAddr::V6(::std::net::Ipv6Addr::new(#(#seg),*)), #bits) }
                }
            });
            quote! { ::core::option::Option::Some(&[#(#nets),*]) }
        }
    };
    let access_log = match &s.access_log {
        None => quote! { ::core::option::Option::None },
        Some(skip) => quote! { ::core::option::Option::Some(&[#(#skip),*]) },
    };

    let routes = plan.routes.iter().map(|r| {
        let pattern = &r.pattern;
        let methods = &r.methods;
        quote! { __rt::Route { pattern: #pattern, methods: &[#(#methods),*] } }
    });
    let method_order = &plan.method_order;
    let telemetry = super::telemetry::emit(&plan.telemetry, &plan.endpoints);
    let telemetry_const = super::telemetry::gateway_const(&plan.telemetry);
    let transport = super::transport::emit(&plan.transport);
    let transport_const = super::transport::gateway_const(&plan.transport);
    let legacy_telemetry = super::telemetry_stats::emit(&plan.legacy_telemetry, &plan.endpoints);
    let legacy_telemetry_const = super::telemetry_stats::gateway_const(&plan.legacy_telemetry);

    // One `.route(path, method router)` per distinct path, methods in contract order.
    let mut by_path: std::collections::HashMap<&str, Vec<&crate::plan::Endpoint>> =
        std::collections::HashMap::new();
    for e in &plan.endpoints {
        by_path.entry(e.path.as_str()).or_default().push(e);
    }
    let registrations = plan.routes.iter().filter_map(|r| {
        let eps = by_path.get(r.pattern.as_str()).cloned().unwrap_or_default();
        if eps.is_empty() {
            return None;
        }
        let pattern = &r.pattern;
        let mut chain = quote! { __rt::axum::routing::MethodRouter::new() };
        for e in &eps {
            let filter = ident::fn_ident(&e.method);
            let handler = ident::fn_ident(&e.ident);
            chain = quote! { #chain.on(__rt::MethodFilter::#filter, #handler) };
        }
        if plan.service.auto_options {
            chain =
                quote! { #chain.on(__rt::MethodFilter::OPTIONS, __rt::auto_options::<Gateway>) };
        }
        if eps.iter().any(|e| e.method == "GET") {
            // axum would answer HEAD with the GET handler; KrakenD never routes HEAD.
            chain = quote! { #chain.on(__rt::MethodFilter::HEAD, __rt::not_matched::<Gateway>) };
        }
        Some(quote! {
            .route(#pattern, #chain.fallback(__rt::not_matched::<Gateway>))
        })
    });

    // `Gateway::direct`: the handlers of endpoints without path parameters, by method and path.
    let registered = plan
        .routes
        .iter()
        .flat_map(|r| by_path.get(r.pattern.as_str()).cloned().unwrap_or_default());
    let direct_arms = registered.filter(|e| e.params.is_empty()).map(|e| {
        let (method, path) = (&e.method, &e.path);
        let handler = ident::fn_ident(&e.ident);
        let call = if super::endpoint::returns_handled(e) {
            quote! { #handler(__rt::State(__state), __req) }
        } else {
            quote! { ::std::boxed::Box::pin(#handler(__rt::State(__state), __req)) }
        };
        quote! {
            (#method, #path) => ::core::option::Option::Some(|__state, __req| #call),
        }
    });

    let (security_items, security_methods) = super::security::service(s);
    // modifier/lua-endpoint (service level).
    let (lua_items, lua_methods) = super::lua::service(s);

    let before = quote! {
        /// Service settings of the contract.
        pub static SERVICE: __rt::ServiceSpec = __rt::ServiceSpec {
            port: #port,
            listen_ip: #listen_ip,
            read_timeout: #read_timeout,
            write_timeout: #write_timeout,
            idle_timeout: #idle_timeout,
            read_header_timeout: #read_header_timeout,
            max_header_bytes: #max_header_bytes,
            max_shutdown_wait: #max_shutdown_wait,
            debug_endpoint: #debug_endpoint,
            echo_endpoint: #echo_endpoint,
            health_path: #health_path,
            return_error_msg: #return_error_msg,
            version_header: #version_header,
            log_level: #log_level,
            disable_path_decoding: #disable_path_decoding,
            client_ip: &CLIENT_IP,
            access_log: #access_log,
        };

        static CLIENT_IP_HEADERS: [__rt::HeaderName; #n_ip_headers] =
            [#(__rt::HeaderName::from_static(#ip_headers)),*];

        /// Router options that decide the client IP.
        static CLIENT_IP: __rt::ClientIpPolicy = __rt::ClientIpPolicy {
            forwarded_by_client_ip: #forwarded_by_client_ip,
            headers: &CLIENT_IP_HEADERS,
            trusted: #trusted,
            app_engine: #app_engine,
        };
    };
    let after = quote! {
        /// Registered paths and methods, for redirects, 405 and 404.
        pub static ROUTES: __rt::RouteTable = __rt::RouteTable {
            routes: &[#(#routes),*],
            method_order: &[#(#method_order),*],
            version_header: #version_header,
            error_body_404: #error_body_404,
            error_body_405: #error_body_405,
            disable_redirect_trailing_slash: #disable_redirect_trailing_slash,
            disable_redirect_fixed_path: #disable_redirect_fixed_path,
            disable_handle_method_not_allowed: #disable_handle_method_not_allowed,
            remove_extra_slash: #remove_extra_slash,
        };

        #security_items
        #lua_items
        #telemetry
        #transport
        #legacy_telemetry

        /// The gateway compiled from the contract.
        pub struct Gateway;

        impl __rt::Gateway for Gateway {
            const SERVICE: &'static __rt::ServiceSpec = &SERVICE;
            const IDENTITY: &'static __rt::BuildIdentity = &IDENTITY;
            const ROUTES: &'static __rt::RouteTable = &ROUTES;
            #security_methods
            #lua_methods
            #telemetry_const
            #transport_const
            #legacy_telemetry_const

            fn endpoints(
                router: __rt::Router<__rt::SharedState>,
            ) -> __rt::Router<__rt::SharedState> {
                router #(#registrations)*
            }

            fn direct(
                __method: &__rt::Method,
                __path: &str,
            ) -> ::core::option::Option<__rt::Direct> {
                match (__method.as_str(), __path) {
                    #(#direct_arms)*
                    _ => ::core::option::Option::None,
                }
            }
        }
    };
    [before, after]
}

/// The `IDENTITY` static: the only item that reads `plan.identity`.
pub fn identity(id: &crate::plan::Identity) -> TokenStream {
    let (name, sha, version, release) = (&id.name, &id.contract_sha256, &id.version, &id.release);
    quote! {
        /// Identity of this build.
        pub static IDENTITY: __rt::BuildIdentity = __rt::BuildIdentity {
            name: #name,
            contract_sha256: #sha,
            version: #version,
            release: #release,
        };
    }
}
