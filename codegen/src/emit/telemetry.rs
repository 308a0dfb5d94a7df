//! The `telemetry/*` namespaces: one `static TELEMETRY` the runtime installs at start-up, and
//! the `Gateway::TELEMETRY` line pointing at it. Nothing is emitted without telemetry.

use crate::plan::telemetry::{LoggingPlan, Piece, Spec, Telemetry, TimePart};
use proc_macro2::TokenStream;
use quote::quote;

/// The `const TELEMETRY` line of the `Gateway` impl (empty without telemetry).
pub fn gateway_const(t: &Telemetry) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    quote! { const TELEMETRY: &'static __rt::telemetry::TelemetrySpec = &TELEMETRY; }
}

/// A backend's call measured in a `static` of its own (the endpoint has metrics): the wrapped
/// call and the static (`call` as it is and nothing without metrics).
pub fn measured(
    e: &crate::plan::Endpoint,
    b: &crate::plan::Backend,
    call: TokenStream,
) -> (TokenStream, TokenStream) {
    if !e.metrics {
        return (call, TokenStream::new());
    }
    let m = crate::naming::static_ident(&b.ident, "_METRICS");
    let (route, method) = (&e.path, &e.method);
    let backend = &b.url_pattern;
    (
        quote! { __rt::telemetry::measured(&#m, async { #call }).await },
        quote! {
            static #m: __rt::telemetry::BackendMetrics =
                __rt::telemetry::BackendMetrics::new(#route, #method, #backend);
        },
    )
}

/// The `static TELEMETRY` item (empty without telemetry).
pub fn emit(t: &Telemetry, endpoints: &[crate::plan::Endpoint]) -> TokenStream {
    if !t.any() {
        return TokenStream::new();
    }
    let logging = match &t.logging {
        None => quote! { ::core::option::Option::None },
        Some(l) => {
            let l = logging(l);
            quote! { ::core::option::Option::Some(&#l) }
        }
    };
    let metrics = match &t.metrics {
        None => quote! { ::core::option::Option::None },
        Some(m) => {
            let service_name = &m.service_name;
            let skip = &m.skip_paths;
            let exporters = m.prometheus.iter().map(|p| {
                let (name, ip, port) = (&p.name, &p.listen_ip, p.port);
                quote! { __rt::telemetry::PrometheusSpec { name: #name, listen_ip: #ip, port: #port } }
            });
            let otlp = m.otlp.iter().map(super::telemetry_otel::otlp);
            let server = m.server;
            // The statics `emit/backend.rs` writes for measured backends (no-op ones stream).
            let backends = endpoints
                .iter()
                .filter(|e| e.metrics)
                .flat_map(|e| &e.backends)
                .filter(|b| b.decode != crate::plan::Decode::Stream)
                .map(|b| crate::naming::static_ident(&b.ident, "_METRICS"));
            quote! {
                ::core::option::Option::Some(&__rt::telemetry::MetricsSpec {
                    service_name: #service_name,
                    skip_paths: &[#(#skip),*],
                    prometheus: &[#(#exporters),*],
                    backends: &[#(&#backends),*],
                    otlp: &[#(#otlp),*],
                    server: #server,
                })
            }
        }
    };
    let (traces, otel) = match &t.traces {
        None => (quote! { ::core::option::Option::None }, TokenStream::new()),
        Some(tr) => (
            quote! { ::core::option::Option::Some(&OTEL) },
            super::telemetry_otel::spec(tr),
        ),
    };
    quote! {
        /// The contract's telemetry (`telemetry/*` namespaces).
        static TELEMETRY: __rt::telemetry::TelemetrySpec = __rt::telemetry::TelemetrySpec {
            logging: #logging,
            metrics: #metrics,
            traces: #traces,
        };
        #otel
    }
}

fn logging(l: &LoggingPlan) -> TokenStream {
    let prefix = &l.prefix;
    let stdout = l.stdout;
    let syslog = match &l.syslog {
        None => quote! { ::core::option::Option::None },
        Some(s) => {
            let (facility, severity, tag) = (s.facility, s.severity, &s.tag);
            quote! {
                ::core::option::Option::Some(__rt::telemetry::SyslogSpec {
                    facility: #facility,
                    severity: #severity,
                    tag: #tag,
                })
            }
        }
    };
    let pieces = l.pattern.iter().map(piece);
    quote! {
        __rt::telemetry::LoggingSpec {
            prefix: #prefix,
            stdout: #stdout,
            syslog: #syslog,
            pattern: &[#(#pieces),*],
        }
    }
}

fn spec(s: &Spec) -> TokenStream {
    let Spec {
        left,
        zero,
        width,
        precision,
        hex,
    } = *s;
    let precision = match precision {
        None => quote! { ::core::option::Option::None },
        Some(p) => quote! { ::core::option::Option::Some(#p) },
    };
    quote! {
        __rt::telemetry::LogSpec { left: #left, zero: #zero, width: #width, precision: #precision, hex: #hex }
    }
}

fn piece(p: &Piece) -> TokenStream {
    let t = quote! { __rt::telemetry::LogPiece };
    match p {
        Piece::Lit(s) => quote! { #t::Lit(#s) },
        Piece::Time(parts) => {
            let parts = parts.iter().map(time_part);
            quote! { #t::Time(&[#(#parts),*]) }
        }
        Piece::Level(s) => {
            let s = spec(s);
            quote! { #t::Level(#s) }
        }
        Piece::LevelLower => quote! { #t::LevelLower },
        Piece::Message(s) => {
            let s = spec(s);
            quote! { #t::Message(#s) }
        }
        Piece::MessageJson => quote! { #t::MessageJson },
        Piece::Module(s) => {
            let s = spec(s);
            quote! { #t::Module(#s) }
        }
        Piece::Program(s) => {
            let s = spec(s);
            quote! { #t::Program(#s) }
        }
        Piece::Pid(s) => {
            let s = spec(s);
            quote! { #t::Pid(#s) }
        }
        Piece::Id(s) => {
            let s = spec(s);
            quote! { #t::Id(#s) }
        }
        Piece::Caller => quote! { #t::Caller },
        Piece::Host => quote! { #t::Host },
    }
}

fn time_part(p: &TimePart) -> TokenStream {
    let t = quote! { __rt::telemetry::TimePart };
    match p {
        TimePart::Lit(s) => quote! { #t::Lit(#s) },
        TimePart::Year4 => quote! { #t::Year4 },
        TimePart::Year2 => quote! { #t::Year2 },
        TimePart::Month2 => quote! { #t::Month2 },
        TimePart::Month1 => quote! { #t::Month1 },
        TimePart::MonthName => quote! { #t::MonthName },
        TimePart::MonthLong => quote! { #t::MonthLong },
        TimePart::Day2 => quote! { #t::Day2 },
        TimePart::Day1 => quote! { #t::Day1 },
        TimePart::Weekday => quote! { #t::Weekday },
        TimePart::WeekdayLong => quote! { #t::WeekdayLong },
        TimePart::Hour24 => quote! { #t::Hour24 },
        TimePart::Hour12 => quote! { #t::Hour12 },
        TimePart::Hour12Pad => quote! { #t::Hour12Pad },
        TimePart::Minute2 => quote! { #t::Minute2 },
        TimePart::Second2 => quote! { #t::Second2 },
        TimePart::Frac { digits, trim } => {
            quote! { #t::Frac { digits: #digits, trim: #trim } }
        }
        TimePart::AmPm => quote! { #t::AmPm },
        TimePart::ZoneName => quote! { #t::ZoneName },
        TimePart::Offset { colon, z } => quote! { #t::Offset { colon: #colon, z: #z } },
    }
}
