//! Traces of `telemetry/opentelemetry` (and of `telemetry/opencensus`, mapped onto it at build
//! time): a server span per request ([`server`], the `global` layer), a proxy span around the
//! endpoint's pipe ([`proxy`]), and per backend call a stage span and a client span for the
//! round trip ([`backend_call`]); W3C `traceparent` + `baggage` read from the client and written
//! to the backends. Spans go to the OpenTelemetry SDK's batch processor (a bounded queue drained
//! by its own thread: a full queue drops spans, a down collector never slows a request) and are
//! exported over OTLP/HTTP protobuf ([`transport`]) or OTLP/gRPC ([`grpc`]). Generated code calls these functions only
//! for the layers whose traces are on; a contract without traces names nothing here.

pub mod grpc;
pub mod metrics;
pub mod transport;

use crate::backend::{BackendError, BackendResult, Decoder};
use crate::ctx::{BuildIdentity, EndpointCtx};
use crate::spec::BackendSpec;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    FutureExt as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracer};
use std::sync::{Mutex, OnceLock};

/// One `exporters.otlp[]` entry.
#[derive(Debug)]
pub struct OtlpSpec {
    pub name: &'static str,
    /// `http://host:port` (the contract's `host` and `port`, scheme defaulted to `http`).
    pub base_url: &'static str,
    /// OTLP/gRPC over HTTP/2 cleartext (no `use_http`), else OTLP/HTTP protobuf.
    pub grpc: bool,
    /// Spans are sent to it (`disable_traces` false).
    pub traces: bool,
    /// Metrics are sent to it (`disable_metrics` false).
    pub metrics: bool,
    /// Seconds between metric exports (`custom_metric_reporting_period`, else
    /// `metric_reporting_period`).
    pub metric_period_secs: u64,
}

impl OtlpSpec {
    /// Where `signal` (`traces`, `metrics`) goes, for the logs.
    pub fn target(&self, signal: &str) -> String {
        if self.grpc {
            format!("{} (OTLP/gRPC)", self.base_url)
        } else {
            format!("{}/v1/{signal}", self.base_url)
        }
    }
}

/// The switches of one layer (`layers.global|proxy`, `layers.backend.traces`).
#[derive(Debug, Clone, Copy)]
pub struct LayerSpec {
    /// Spans of this layer are recorded.
    pub traces: bool,
    /// Request (and response) headers become span attributes (`report_headers`).
    pub report_headers: bool,
}

/// The traces of a contract.
#[derive(Debug)]
pub struct OtelSpec {
    /// `service_name` (default: the contract `name`).
    pub service_name: &'static str,
    pub service_version: &'static str,
    pub deploy_env: &'static str,
    /// `trace_sample_rate` (0 to 1).
    pub sample_rate: f64,
    /// Paths without a server span (`skip_paths`).
    pub skip_paths: &'static [&'static str],
    /// Incoming trace context honoured and the outgoing one written (not
    /// `layers.global.disable_propagation`).
    pub propagation: bool,
    pub global: LayerSpec,
    /// Headers never reported (`skip_headers`, lower case).
    pub skip_headers: &'static [&'static str],
    pub exporters: &'static [OtlpSpec],
    /// The tracer, made by [`install`].
    pub state: OnceLock<Installed>,
}

/// A started pipeline.
#[derive(Debug)]
pub struct Installed {
    tracer: SdkTracer,
    propagator: opentelemetry::propagation::TextMapCompositePropagator,
}

/// What generated code passes for one backend: its span name and attributes.
#[derive(Debug)]
pub struct BackendTrace {
    pub otel: &'static OtelSpec,
    /// The backend's `url_pattern` (the stage span's name).
    pub url_pattern: &'static str,
    /// The client span's name (`GET /users/{id}`).
    pub client_span: &'static str,
    pub method: &'static str,
    /// The endpoint route and method (`krakend.endpoint.*`).
    pub endpoint: &'static str,
    pub endpoint_method: &'static str,
    /// The stage span around the whole backend call (not `disable_stage`).
    pub stage: bool,
    /// The client span around the HTTP exchange (`round_trip`).
    pub round_trip: bool,
    pub report_headers: bool,
}

static PROVIDERS: Mutex<Vec<opentelemetry_sdk::trace::SdkTracerProvider>> = Mutex::new(Vec::new());

/// Starts the span pipeline of `spec` (once per spec; later calls do nothing).
pub fn install(spec: &'static OtelSpec, id: &'static BuildIdentity) {
    spec.state.get_or_init(|| {
        let resource = opentelemetry_sdk::Resource::builder_empty()
            .with_attributes(resource_attributes(
                spec.service_name,
                spec.service_version,
                spec.deploy_env,
                id,
            ))
            .build();
        let sampler = if spec.sample_rate >= 1.0 {
            Sampler::AlwaysOn
        } else if spec.sample_rate <= 0.0 {
            Sampler::ParentBased(Box::new(Sampler::AlwaysOff))
        } else {
            Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(spec.sample_rate)))
        };
        let mut builder = opentelemetry_sdk::trace::SdkTracerProvider::builder()
            .with_sampler(sampler)
            .with_resource(resource);
        for e in spec.exporters.iter().filter(|e| e.traces) {
            let processor = if e.grpc {
                grpc::SpanExporter::new(e).map(batch)
            } else {
                transport::span_exporter(e).map(batch)
            };
            match processor {
                Ok(processor) => {
                    builder = builder.with_span_processor(processor);
                    crate::log::info(&format!(
                        "[SERVICE: OpenTelemetry] OTLP exporter {:?}: traces to {}",
                        e.name,
                        e.target("traces")
                    ));
                }
                Err(err) => crate::log::error(&format!(
                    "[SERVICE: OpenTelemetry] OTLP exporter {:?}: {err}",
                    e.name
                )),
            }
        }
        let provider = builder.build();
        let tracer = provider.tracer("krustd");
        if let Ok(mut list) = PROVIDERS.lock() {
            list.push(provider);
        }
        Installed {
            tracer,
            propagator: opentelemetry::propagation::TextMapCompositePropagator::new(vec![
                Box::new(opentelemetry_sdk::propagation::TraceContextPropagator::new()),
                Box::new(opentelemetry_sdk::propagation::BaggagePropagator::new()),
            ]),
        }
    });
}

/// The batch processor (bounded queue, own thread) in front of `exporter`.
fn batch<E: opentelemetry_sdk::trace::SpanExporter + 'static>(exporter: E) -> BatchSpanProcessor {
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_max_queue_size(MAX_QUEUED_SPANS)
                .build(),
        )
        .build()
}

/// Spans waiting for export at most (KrakenD's SDK default); more are dropped.
const MAX_QUEUED_SPANS: usize = 2048;

/// The build identity and service attributes, on every span and metric (the resource).
pub fn resource_attributes(
    service_name: &'static str,
    service_version: &'static str,
    deploy_env: &'static str,
    id: &'static BuildIdentity,
) -> Vec<KeyValue> {
    let mut attrs = vec![
        KeyValue::new("service.name", service_name),
        KeyValue::new("krustd.contract.name", id.name),
        KeyValue::new("krustd.contract.sha256", id.contract_sha256),
        KeyValue::new("krustd.release", id.release),
        KeyValue::new("krustd.version", id.version),
    ];
    // krakend-otel's default is the gateway's version: here Krustd's.
    let version = if service_version.is_empty() {
        id.version
    } else {
        service_version
    };
    attrs.push(KeyValue::new("service.version", version));
    if !deploy_env.is_empty() {
        attrs.push(KeyValue::new("deployment.environment", deploy_env));
    }
    attrs
}

/// Exports every span ended so far (tests; a shutdown hook). Blocks: not for request paths.
pub fn flush() {
    let providers = PROVIDERS.lock().map(|l| l.clone()).unwrap_or_default();
    for p in providers {
        let _ = p.force_flush();
    }
}

fn report_headers(
    span: &opentelemetry::trace::SpanRef<'_>,
    prefix: &str,
    headers: &http::HeaderMap,
    skip: &[&str],
) {
    for name in headers.keys() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let values: Vec<opentelemetry::StringValue> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned().into())
            .collect();
        span.set_attribute(KeyValue::new(
            format!("{prefix}{name}"),
            opentelemetry::Value::Array(values.into()),
        ));
    }
}

/// The `global` layer (a `Router::layer` around the routes): the incoming trace context is
/// honoured, and a server span named after the path covers the request (unless skipped).
pub async fn server(
    spec: &'static OtelSpec,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let Some(otel) = spec.state.get() else {
        return next.run(req).await;
    };
    let parent = if spec.propagation {
        otel.propagator
            .extract(&opentelemetry_http::HeaderExtractor(req.headers()))
    } else {
        Context::new()
    };
    let path = req.uri().path();
    if !spec.global.traces || spec.skip_paths.iter().any(|p| path.starts_with(p)) {
        return next.run(req).with_context(parent).await;
    }
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let span = otel
        .tracer
        .span_builder(path.to_owned())
        .with_kind(SpanKind::Server)
        .start_with_context(&otel.tracer, &parent);
    let cx = parent.with_span(span);
    {
        let span = cx.span();
        span.set_attributes([
            KeyValue::new("http.request.method", req.method().as_str().to_owned()),
            KeyValue::new("url.path", path.to_owned()),
            KeyValue::new("krakend.stage", "global"),
        ]);
        if let Some(r) = route {
            span.set_attribute(KeyValue::new("http.route", r));
        }
        if spec.global.report_headers && span.is_recording() {
            report_headers(
                &span,
                "http.request.header.",
                req.headers(),
                spec.skip_headers,
            );
        }
    }
    let resp = next.run(req).with_context(cx.clone()).await;
    let span = cx.span();
    let status = resp.status().as_u16();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        span.set_status(Status::error(""));
    }
    if spec.global.report_headers && span.is_recording() {
        report_headers(
            &span,
            "http.response.header.",
            resp.headers(),
            spec.skip_headers,
        );
    }
    span.end();
    resp
}

/// The `proxy` layer: a span named after the endpoint around its pipe (merge included).
pub async fn proxy<F>(
    spec: &'static OtelSpec,
    endpoint: &'static str,
    method: &'static str,
    pipe: F,
) -> axum::response::Response
where
    F: std::future::Future<Output = axum::response::Response>,
{
    let Some(otel) = spec.state.get() else {
        return pipe.await;
    };
    let parent = Context::current();
    let span = otel.tracer.start_with_context(endpoint, &parent);
    let cx = parent.with_span(span);
    cx.span().set_attributes([
        KeyValue::new("krakend.stage", "proxy"),
        KeyValue::new("krakend.endpoint.route", endpoint),
        KeyValue::new("krakend.endpoint.method", method),
    ]);
    let resp = pipe.with_context(cx.clone()).await;
    let span = cx.span();
    let status = resp.status().as_u16();
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    if status >= 500 {
        span.set_status(Status::error(""));
    }
    span.end();
    resp
}

/// The `backend` layer around one backend call made elsewhere (`qos/http-cache`): the stage
/// span only, no trace context written (the cache owns the request).
pub async fn backend_stage<F>(t: &'static BackendTrace, call: F) -> BackendResult
where
    F: std::future::Future<Output = BackendResult>,
{
    let Some(otel) = t.otel.state.get().filter(|_| t.stage) else {
        return call.await;
    };
    let cx = start_stage(otel, t);
    let r = call.with_context(cx.clone()).await;
    end_with(&cx, &r);
    r
}

fn start_stage(otel: &Installed, t: &'static BackendTrace) -> Context {
    let parent = Context::current();
    let span = otel.tracer.start_with_context(t.url_pattern, &parent);
    let cx = parent.with_span(span);
    cx.span()
        .set_attributes(backend_attributes(t, "backend-request"));
    cx
}

fn backend_attributes(t: &'static BackendTrace, stage: &'static str) -> [KeyValue; 5] {
    [
        KeyValue::new("http.request.method", t.method),
        KeyValue::new("http.route", t.url_pattern),
        KeyValue::new("krakend.endpoint.route", t.endpoint),
        KeyValue::new("krakend.endpoint.method", t.endpoint_method),
        KeyValue::new("krakend.stage", stage),
    ]
}

fn end_with(cx: &Context, r: &BackendResult) {
    let span = cx.span();
    if let BackendResult::Failed(e) = r {
        span.set_attribute(KeyValue::new("error", e.message.clone()));
        span.set_status(Status::error(e.message.clone()));
    }
    span.end();
}

/// `backend::call` with the backend layer's spans: the stage span around the whole call
/// (decoding included), the client span around the HTTP exchange, and the trace context of the
/// innermost span written into the backend request (`traceparent`, `baggage`).
pub async fn backend_call(
    t: &'static BackendTrace,
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    decoder: Option<Decoder>,
) -> BackendResult {
    let fetch = async {
        let Some(otel) = t.otel.state.get() else {
            return crate::backend::call(ctx, spec, seq, decoder).await;
        };
        let stage = t.stage.then(|| start_stage(otel, t));
        let fetched = async {
            let (uri, headers) = match crate::backend::prepare(ctx, spec, seq) {
                Ok(p) => p,
                Err(e) => return BackendResult::Failed(e),
            };
            let parent = Context::current();
            let cx = if t.round_trip {
                let span = otel
                    .tracer
                    .span_builder(t.client_span)
                    .with_kind(SpanKind::Client)
                    .start_with_context(&otel.tracer, &parent);
                let cx = parent.with_span(span);
                {
                    let span = cx.span();
                    if span.is_recording() {
                        span.set_attributes(backend_attributes(t, "backend-request"));
                        span.set_attribute(KeyValue::new("url.full", uri.to_string()));
                    }
                }
                Some(cx)
            } else {
                None
            };
            let mut headers = headers.into_owned();
            if t.otel.propagation {
                let from = cx.as_ref().unwrap_or(&parent);
                otel.propagator
                    .inject_context(from, &mut opentelemetry_http::HeaderInjector(&mut headers));
                // The SDK writes an empty `tracestate` when there is none.
                if headers
                    .get("tracestate")
                    .is_some_and(|v| v.as_bytes().is_empty())
                {
                    headers.remove("tracestate");
                }
            }
            if let Some(cx) = cx.as_ref().filter(|_| t.report_headers) {
                report_headers(
                    &cx.span(),
                    "http.request.header.",
                    &headers,
                    t.otel.skip_headers,
                );
            }
            let received = crate::backend::exchange(ctx, spec, uri, &headers).await;
            if let Some(cx) = &cx {
                let span = cx.span();
                match &received {
                    Ok(r) => {
                        let status = r.status.as_u16();
                        span.set_attribute(KeyValue::new(
                            "http.response.status_code",
                            i64::from(status),
                        ));
                        if status >= 400 {
                            span.set_status(Status::error(""));
                        }
                        if t.report_headers {
                            report_headers(
                                &span,
                                "http.response.header.",
                                &r.headers,
                                t.otel.skip_headers,
                            );
                        }
                    }
                    Err(e) => {
                        span.set_attribute(KeyValue::new("error", e.message.clone()));
                        span.set_status(Status::error(e.message.clone()));
                    }
                }
                span.end();
            }
            match received {
                Ok(r) => crate::backend::answer(spec, r, decoder).await,
                Err(e) => BackendResult::Failed(e),
            }
        };
        match stage {
            Some(cx) => {
                let r = fetched.with_context(cx.clone()).await;
                end_with(&cx, &r);
                r
            }
            None => fetched.await,
        }
    };
    match tokio::time::timeout_at(ctx.deadline, fetch).await {
        Ok(r) => r,
        Err(_) => BackendResult::Failed(BackendError::plain("context deadline exceeded")),
    }
}
