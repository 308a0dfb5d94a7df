//! `telemetry/metrics`, `telemetry/influx` and `telemetry/gelf`: one `static LEGACY_TELEMETRY`
//! the runtime starts once, and the `Gateway::LEGACY_TELEMETRY` line pointing at it. Nothing is
//! emitted without one of them.

use crate::plan::telemetry_stats::LegacyTelemetry;
use proc_macro2::TokenStream;
use quote::quote;

/// The `const LEGACY_TELEMETRY` line of the `Gateway` impl (empty without these namespaces).
pub fn gateway_const(t: &LegacyTelemetry) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    quote! {
        const LEGACY_TELEMETRY: &'static __rt::telemetry::LegacyTelemetrySpec = &LEGACY_TELEMETRY;
    }
}

/// The `static LEGACY_TELEMETRY` item (empty without these namespaces).
pub fn emit(t: &LegacyTelemetry, endpoints: &[crate::plan::Endpoint]) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    let none = quote! { ::core::option::Option::None };
    let stats = t.stats.as_ref().map_or_else(
        || none.clone(),
        |s| {
            let (ip, port, ms) = (&s.listen_ip, s.port, s.collection_ms);
            let (router, proxy, backend, endpoint) = (s.router, s.proxy, s.backend, s.endpoint);
            // The statics `pipe_item` writes for measured endpoints.
            let pipes = endpoints
                .iter()
                .filter(|e| e.pipe_metrics)
                .map(|e| crate::naming::static_ident(&e.ident, "_PIPE_METRICS"));
            quote! {
                ::core::option::Option::Some(__rt::telemetry::StatsSpec {
                    listen_ip: #ip,
                    port: #port,
                    collection_ms: #ms,
                    router: #router,
                    proxy: #proxy,
                    backend: #backend,
                    endpoint: #endpoint,
                    pipes: &[#(&#pipes),*],
                })
            }
        },
    );
    let influx = t.influx.as_ref().map_or_else(
        || none.clone(),
        |i| {
            let (address, db, user, password) = (&i.address, &i.db, &i.username, &i.password);
            let (ttl, buffer) = (i.ttl_ms, i.buffer_size);
            quote! {
                ::core::option::Option::Some(__rt::telemetry::InfluxSpec {
                    address: #address,
                    db: #db,
                    username: #user,
                    password: #password,
                    ttl_ms: #ttl,
                    buffer_size: #buffer,
                })
            }
        },
    );
    let gelf = t.gelf.as_ref().map_or_else(
        || none.clone(),
        |g| {
            let (host, port, tcp, record) = (&g.host, g.port, g.tcp, g.record);
            quote! {
                ::core::option::Option::Some(__rt::telemetry::GelfSpec {
                    host: #host,
                    port: #port,
                    tcp: #tcp,
                    record: #record,
                })
            }
        },
    );
    quote! {
        /// `telemetry/metrics`, `telemetry/influx` and `telemetry/gelf`.
        static LEGACY_TELEMETRY: __rt::telemetry::LegacyTelemetrySpec =
            __rt::telemetry::LegacyTelemetrySpec {
                stats: #stats,
                influx: #influx,
                gelf: #gelf,
            };
    }
}

/// `telemetry/metrics` (`pipe` layer): the endpoint's proxy pipe measured in a static of its
/// own, `(item, wrapped pipe)`; unchanged without `pipe_metrics`.
pub fn pipe(e: &crate::plan::Endpoint, pipe: TokenStream) -> (TokenStream, TokenStream) {
    if !e.pipe_metrics {
        return (TokenStream::new(), pipe);
    }
    let m = crate::naming::static_ident(&e.ident, "_PIPE_METRICS");
    let (path, no_op) = (&e.path, e.output == crate::plan::Output::NoOp);
    (
        quote! {
            static #m: __rt::telemetry::PipeMetrics = __rt::telemetry::PipeMetrics::new(#path, #no_op);
        },
        quote! { __rt::telemetry::pipe_metrics::pipe(&#m, async { #pipe }).await },
    )
}
