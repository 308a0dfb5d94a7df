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
pub fn emit(t: &LegacyTelemetry) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    let none = quote! { ::core::option::Option::None };
    let stats = t.stats.as_ref().map_or_else(
        || none.clone(),
        |s| {
            let (ip, port, ms) = (&s.listen_ip, s.port, s.collection_ms);
            let (router, proxy, backend, endpoint) = (s.router, s.proxy, s.backend, s.endpoint);
            quote! {
                ::core::option::Option::Some(__rt::telemetry::StatsSpec {
                    listen_ip: #ip,
                    port: #port,
                    collection_ms: #ms,
                    router: #router,
                    proxy: #proxy,
                    backend: #backend,
                    endpoint: #endpoint,
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
