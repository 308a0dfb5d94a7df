//! Traces (`telemetry/opentelemetry`, `telemetry/opencensus`): the `static OTEL` the runtime
//! starts its span pipeline from, the proxy span around an endpoint's pipe and the backend
//! spans around a call. Nothing is emitted for a layer whose traces are off.

use crate::naming;
use crate::plan::telemetry::{EndpointTracing, LayerPlan, OtlpPlan, TracesPlan};
use crate::plan::{Backend, Endpoint};
use proc_macro2::TokenStream;
use quote::quote;

fn layer(l: &LayerPlan) -> TokenStream {
    let (traces, report_headers) = (l.traces, l.report_headers);
    quote! { __rt::telemetry::otel::LayerSpec { traces: #traces, report_headers: #report_headers } }
}

/// One `OtlpSpec` value.
pub fn otlp(e: &OtlpPlan) -> TokenStream {
    let (name, url, grpc, traces, metrics, period) = (
        &e.name,
        &e.base_url,
        e.grpc,
        e.traces,
        e.metrics,
        e.metric_period_secs,
    );
    quote! {
        __rt::telemetry::otel::OtlpSpec {
            name: #name,
            base_url: #url,
            grpc: #grpc,
            traces: #traces,
            metrics: #metrics,
            metric_period_secs: #period,
        }
    }
}

/// `static OTEL`.
pub fn spec(t: &TracesPlan) -> TokenStream {
    let TracesPlan {
        service_name,
        service_version,
        deploy_env,
        sample_rate,
        skip_paths,
        propagation,
        global,
        skip_headers,
        exporters,
    } = t;
    let global = layer(global);
    let exporters = exporters.iter().map(otlp);
    quote! {
        /// Traces: the span pipeline and its exporters.
        static OTEL: __rt::telemetry::otel::OtelSpec = __rt::telemetry::otel::OtelSpec {
            service_name: #service_name,
            service_version: #service_version,
            deploy_env: #deploy_env,
            sample_rate: #sample_rate,
            skip_paths: &[#(#skip_paths),*],
            propagation: #propagation,
            global: #global,
            skip_headers: &[#(#skip_headers),*],
            exporters: &[#(#exporters),*],
            state: ::std::sync::OnceLock::new(),
        };
    }
}

/// The endpoint's pipe inside the proxy span (unchanged without it), with a static for the
/// span's attributes (the same for every request: encoded once).
pub fn proxy(e: &Endpoint, body: TokenStream) -> TokenStream {
    if !e.tracing.proxy {
        return body;
    }
    let (path, method) = (&e.path, &e.method);
    quote! {
        {
            static PROXY_SPAN: __rt::telemetry::otel::Encoded = __rt::telemetry::otel::Encoded::new();
            let __proxy = __rt::telemetry::otel::ProxySpan::enter(&OTEL, #path, #method, &PROXY_SPAN);
            let __resp = async { #body }.await;
            __proxy.exit(__resp)
        }
    }
}

/// The `static` of a traced backend and its call: `backend_call` (spans and trace context)
/// for a plain call, the stage span around any other (`qos/http-cache`).
pub fn backend(
    e: &Endpoint,
    b: &Backend,
    plain: bool,
    spec: &impl quote::ToTokens,
    seq: &impl quote::ToTokens,
    decoder: &impl quote::ToTokens,
    call: TokenStream,
) -> (TokenStream, TokenStream) {
    let Some((t, item)) = backend_trace(e, b) else {
        return (TokenStream::new(), call);
    };
    let call = if plain {
        quote! { __rt::telemetry::otel::backend_call(&#t, __ctx, &#spec, #seq, #decoder) }
    } else {
        quote! { __rt::telemetry::otel::backend_stage(&#t, #call) }
    };
    (item, call)
}

/// The `static` of a traced backend on the canonical JSON path and its call: the same spans
/// as `backend_call`, around `canonical_json::call`.
pub fn canonical_backend(
    e: &Endpoint,
    b: &Backend,
    spec: &impl quote::ToTokens,
    call: TokenStream,
) -> (TokenStream, TokenStream) {
    match backend_trace(e, b) {
        Some((t, item)) => (
            item,
            quote! { __rt::canonical_json::traced(&#t, __ctx, &#spec) },
        ),
        None => (TokenStream::new(), call),
    }
}

/// The name and `static` of a traced backend's span data (`None`: no backend spans).
fn backend_trace(e: &Endpoint, b: &Backend) -> Option<(proc_macro2::Ident, TokenStream)> {
    let EndpointTracing {
        backend_stage,
        backend_round_trip,
        backend_report_headers,
        ..
    } = e.tracing;
    if !e.tracing.backend() {
        return None;
    }
    let t = naming::static_ident(&b.ident, "_TRACE");
    let (url, method, route, route_method) = (&b.url_pattern, &b.method, &e.path, &e.method);
    let client_span = format!("{method} {url}");
    let item = quote! {
        static #t: __rt::telemetry::otel::BackendTrace = __rt::telemetry::otel::BackendTrace {
            otel: &OTEL,
            url_pattern: #url,
            client_span: #client_span,
            method: #method,
            endpoint: #route,
            endpoint_method: #route_method,
            stage: #backend_stage,
            round_trip: #backend_round_trip,
            report_headers: #backend_report_headers,
            attributes: __rt::telemetry::otel::Encoded::new(),
        };
    };
    Some((t, item))
}
