//! Traces of `telemetry/opentelemetry` (and of `telemetry/opencensus`, mapped onto it at build
//! time): a server span per request ([`server`], the `global` layer), a proxy span around the
//! endpoint's pipe ([`proxy`]), and per backend call a stage span and a client span for the
//! round trip ([`backend_call`]); W3C `traceparent` + `baggage` read from the client and written
//! to the backends. Ended spans are encoded as OTLP protobuf and queued ([`spans`]: a bounded
//! queue drained by the exporter thread; a full queue drops spans, a down collector never slows
//! a request) and exported over OTLP/HTTP protobuf ([`transport`]) or OTLP/gRPC ([`grpc`]).
//! Generated code calls these functions only for the layers whose traces are on; a contract
//! without traces names nothing here.

pub mod grpc;
mod ids;
pub mod metrics;
mod propagate;
mod server;
pub mod spans;
pub mod transport;

pub use server::ServerLayer;
pub use spans::Encoded;

use crate::backend::{BackendError, BackendResult, Decoder, Received};
use crate::ctx::{BuildIdentity, EndpointCtx};
use crate::spec::BackendSpec;
use crate::telemetry::CallOutcome;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceContextExt as _, TraceFlags, TraceId,
};
use opentelemetry::KeyValue;
use propagate::Propagated;
use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

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

/// A started pipeline: the span queue and the incoming-context propagators.
#[derive(Debug)]
pub struct Installed {
    /// Where ended, sampled spans go (none when no exporter has traces on).
    pipeline: Option<&'static spans::Pipeline>,
    /// Extracts the incoming `traceparent`/`tracestate` and `baggage` (once per request).
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
    /// The attributes of its spans, encoded at first use (`Encoded::new()`).
    pub attributes: spans::Encoded,
}

/// The installed pipelines, for [`flush`].
static INSTALLED: Mutex<Vec<&'static Installed>> = Mutex::new(Vec::new());

/// Starts the span pipeline of `spec` (once per spec; later calls do nothing).
pub fn install(spec: &'static OtelSpec, id: &'static BuildIdentity) {
    let mut fresh = false;
    let installed = spec.state.get_or_init(|| {
        fresh = true;
        let resource =
            resource_attributes(spec.service_name, spec.service_version, spec.deploy_env, id);
        let exporters: Vec<&'static OtlpSpec> =
            spec.exporters.iter().filter(|e| e.traces).collect();
        let pipeline = if exporters.is_empty() {
            None
        } else {
            match spans::Pipeline::start(exporters.clone(), &resource, "krustd") {
                Ok(p) => {
                    for e in &exporters {
                        crate::log::info(&format!(
                            "[SERVICE: OpenTelemetry] OTLP exporter {:?}: traces to {}",
                            e.name,
                            e.target("traces")
                        ));
                    }
                    Some(p)
                }
                Err(err) => {
                    crate::log::error(&format!("[SERVICE: OpenTelemetry] traces: {err}"));
                    None
                }
            }
        };
        Installed {
            pipeline,
            propagator: opentelemetry::propagation::TextMapCompositePropagator::new(vec![
                Box::new(opentelemetry_sdk::propagation::TraceContextPropagator::new()),
                Box::new(opentelemetry_sdk::propagation::BaggagePropagator::new()),
            ]),
        }
    });
    if fresh {
        if let Ok(mut list) = INSTALLED.lock() {
            list.push(installed);
        }
    }
}

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
    let installed = INSTALLED.lock().map(|l| l.clone()).unwrap_or_default();
    for p in installed.iter().filter_map(|i| i.pipeline) {
        p.flush(transport::EXPORT_TIMEOUT);
    }
}

// ---- spans -------------------------------------------------------------------------------
//
// The SDK's tracer and batch processor are not used: a span is an [`Open`] value owned by the
// code that times it; the trace context travels in a task-local ([`CURRENT`]) set by the server
// span and the proxy span; an ended, sampled span is encoded and queued by [`spans`] (why: see
// there). The API crate's types (`SpanContext`, `KeyValue`, `Status`), the SDK's propagators (for the incoming context) are used as they are. Sampling is the SDK's:
// `AlwaysOn` at rate 1, otherwise parent-based over `TraceIdRatioBased` (or `AlwaysOff` at 0).

/// The span context requests and backend calls run in, and the incoming `baggage` (as the
/// baggage propagator writes it back), kept for the backends.
#[derive(Clone, Debug)]
struct Current {
    span: SpanContext,
    baggage: Option<http::HeaderValue>,
}

impl Current {
    /// No span (backend calls start root spans) and no baggage.
    fn none() -> Current {
        Current {
            span: SpanContext::empty_context(),
            baggage: None,
        }
    }
}

tokio::task_local! {
    /// One scope per request (the server layer's); the proxy span replaces the context in
    /// place while the pipe runs ([`ProxySpan`]).
    static CURRENT: std::cell::RefCell<Current>;
}

/// Makes `cx` the current context in place (nothing outside a scope).
fn set_current(cx: Current) {
    let _ = CURRENT.try_with(|c| {
        if let Ok(mut held) = c.try_borrow_mut() {
            *held = cx;
        }
    });
}

/// A started span: ended (and exported when sampled) by [`Open::end`].
struct Open {
    cx: SpanContext,
    parent: SpanId,
    parent_remote: bool,
    kind: SpanKind,
    name: Cow<'static, str>,
    start: SystemTime,
    /// Attributes encoded once for every span of their kind ([`spans::Encoded`]), written
    /// first.
    fixed: &'static [u8],
    /// The other attributes, encoded as they are set (OTLP `Span.attributes` fields); empty
    /// when not sampled (nothing is recorded).
    attrs: Vec<u8>,
    /// `http.response.status_code`, the last attribute, encoded with the span (no `attrs`
    /// allocation for it).
    status_code: Option<u16>,
    status: Status,
}

impl Open {
    /// A span under `parent` (a new trace when there is none or it is invalid).
    #[inline]
    fn start(
        spec: &OtelSpec,
        parent: Option<&SpanContext>,
        kind: SpanKind,
        name: Cow<'static, str>,
    ) -> Open {
        let parent = parent.filter(|p| p.is_valid());
        let trace_id = match parent {
            Some(p) => p.trace_id(),
            None => ids::trace_id(),
        };
        let sampled = if spec.sample_rate >= 1.0 {
            true
        } else if let Some(p) = parent {
            p.is_sampled()
        } else {
            spec.sample_rate > 0.0 && ratio_sampled(spec.sample_rate, trace_id)
        };
        let flags = if sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let state = parent.map(|p| p.trace_state().clone()).unwrap_or_default();
        Open {
            cx: SpanContext::new(trace_id, ids::span_id(), flags, false, state),
            parent: parent.map_or(SpanId::INVALID, SpanContext::span_id),
            parent_remote: parent.is_some_and(SpanContext::is_remote),
            kind,
            name,
            // Read only for a recorded span.
            start: if sampled {
                SystemTime::now()
            } else {
                SystemTime::UNIX_EPOCH
            },
            fixed: &[],
            attrs: Vec::new(),
            status_code: None,
            status: Status::Unset,
        }
    }

    fn recording(&self) -> bool {
        self.cx.is_sampled()
    }

    fn set(&mut self, kv: KeyValue) {
        if self.recording() {
            self.settle_status_code();
            spans::key_value(&mut self.attrs, spans::ATTRIBUTES, &kv);
        }
    }

    /// A string attribute (a no-op when not recording).
    fn set_str(&mut self, key: &str, value: &str) {
        if self.recording() {
            self.settle_status_code();
            spans::str_attribute(&mut self.attrs, spans::ATTRIBUTES, key, &[value]);
        }
    }

    /// An integer attribute (a no-op when not recording).
    fn set_i64(&mut self, key: &'static str, value: i64) {
        if self.recording() {
            spans::int_attribute(&mut self.attrs, spans::ATTRIBUTES, key, value);
        }
    }

    /// `http.response.status_code` (a no-op when not recording): encoded after the attributes
    /// set so far, as [`Open::set_i64`] would.
    fn set_status_code(&mut self, code: u16) {
        if self.recording() {
            self.status_code = Some(code);
        }
    }

    /// Writes a pending status code into `attrs`, so that attributes set after it follow it.
    fn settle_status_code(&mut self) {
        if let Some(code) = self.status_code.take() {
            self.set_i64("http.response.status_code", i64::from(code));
        }
    }

    fn fail(&mut self, message: &str) {
        if self.recording() {
            self.set_str("error", message);
            self.status = Status::error(message.to_owned());
        }
    }

    fn end(&self, otel: &Installed) {
        if let Some(p) = otel.pipeline.filter(|_| self.recording()) {
            p.push(self);
        }
    }
}

/// The SDK's `TraceIdRatioBased` decision.
fn ratio_sampled(rate: f64, trace_id: TraceId) -> bool {
    let bound = (rate.max(0.0) * (1u64 << 63) as f64) as u64;
    let bytes = trace_id.to_bytes();
    let low = u64::from_be_bytes([
        bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
    ]);
    (low >> 1) < bound
}

fn report_headers(span: &mut Open, prefix: &str, headers: &http::HeaderMap, skip: &[&str]) {
    if !span.recording() {
        return;
    }
    span.settle_status_code();
    for name in headers.keys() {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let values: Vec<opentelemetry::StringValue> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned().into())
            .collect();
        span.set(KeyValue::new(
            format!("{prefix}{name}"),
            opentelemetry::Value::Array(values.into()),
        ));
    }
}

static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
static TRACESTATE: http::HeaderName = http::HeaderName::from_static("tracestate");
static BAGGAGE: http::HeaderName = http::HeaderName::from_static("baggage");

/// The incoming trace context: the remote span and the baggage, as the propagators read them.
fn extract(otel: &Installed, headers: &http::HeaderMap) -> Option<Current> {
    // One pass over the names (a request has a few) rather than two hashed lookups.
    let (mut has_parent, mut has_baggage) = (false, false);
    for name in headers.keys() {
        has_parent |= *name == TRACEPARENT;
        has_baggage |= *name == BAGGAGE;
    }
    if !has_parent && !has_baggage {
        return None;
    }
    let cx = otel
        .propagator
        .extract(&opentelemetry_http::HeaderExtractor(headers));
    let baggage = if has_baggage {
        let mut out = http::HeaderMap::new();
        opentelemetry_sdk::propagation::BaggagePropagator::new()
            .inject_context(&cx, &mut opentelemetry_http::HeaderInjector(&mut out));
        out.remove(&BAGGAGE).filter(|v| !v.is_empty())
    } else {
        None
    };
    Some(Current {
        span: cx.span().span_context().clone(),
        baggage,
    })
}

/// Starts a child of the current span (a root when there is none) and the context to run its
/// work in.
#[inline]
fn child(spec: &OtelSpec, name: &'static str) -> (Open, Current) {
    let (span, baggage) = child_span(spec, name, true);
    let here = Current {
        span: span.cx.clone(),
        baggage,
    };
    (span, here)
}

/// Starts a child of the current span (a root when there is none), and with `baggage` the
/// current baggage. The current context is read in place, not cloned.
#[inline]
fn child_span(
    spec: &OtelSpec,
    name: &'static str,
    baggage: bool,
) -> (Open, Option<http::HeaderValue>) {
    let start = |parent: Option<&Current>| {
        let span = Open::start(
            spec,
            parent.map(|p| &p.span),
            SpanKind::Internal,
            Cow::Borrowed(name),
        );
        let baggage = parent.filter(|_| baggage).and_then(|p| p.baggage.clone());
        (span, baggage)
    };
    match CURRENT.try_with(|p| p.try_borrow().ok().map(|p| start(Some(&p)))) {
        Ok(Some(started)) => started,
        _ => start(None),
    }
}

/// The `proxy` layer: a span named after the endpoint around its pipe (merge included).
/// Generated code awaits the pipe between [`ProxySpan::enter`] and [`ProxySpan::exit`] (the
/// pipe's future is neither wrapped nor moved), and the span becomes the current context in
/// place, in the request's one task-local scope (the server layer's), while the pipe runs.
#[must_use]
pub struct ProxySpan(Option<Box<Entered>>);

struct Entered {
    span: Open,
    otel: &'static Installed,
}

impl ProxySpan {
    /// Starts the proxy span of an endpoint as a child of the current context and makes it
    /// current (a no-op when the pipeline is not installed).
    pub fn enter(
        spec: &'static OtelSpec,
        endpoint: &'static str,
        method: &'static str,
        attributes: &'static Encoded,
    ) -> ProxySpan {
        let Some(otel) = spec.state.get() else {
            return ProxySpan(None);
        };
        let (mut span, here) = child(spec, endpoint);
        if span.recording() {
            // The same for every request of the endpoint: encoded once.
            span.fixed = attributes.get(|buf| {
                for (key, value) in [
                    ("krakend.stage", "proxy"),
                    ("krakend.endpoint.route", endpoint),
                    ("krakend.endpoint.method", method),
                ] {
                    spans::str_attribute(buf, spans::ATTRIBUTES, key, &[value]);
                }
            });
        }
        // Not put back at exit: nothing of the request reads it after its pipe.
        set_current(here);
        ProxySpan(Some(Box::new(Entered { span, otel })))
    }

    /// Ends the span with the pipe's answer.
    pub fn exit(self, resp: axum::response::Response) -> axum::response::Response {
        if let Some(mut e) = self.0 {
            let status = resp.status().as_u16();
            e.span.set_status_code(status);
            if status >= 500 {
                e.span.status = Status::error("");
            }
            e.span.end(e.otel);
        }
        resp
    }
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
    let (mut span, here) = start_stage(t);
    let r = CURRENT.scope(std::cell::RefCell::new(here), call).await;
    end_with(otel, &mut span, &r);
    span.end(otel);
    r
}

#[inline]
fn start_stage(t: &'static BackendTrace) -> (Open, Current) {
    let (mut span, here) = child(t.otel, t.url_pattern);
    if span.recording() {
        span.fixed = backend_attributes(t);
    }
    (span, here)
}

/// [`start_stage`]'s span alone (no context: its call passes the span as the parent).
#[inline]
fn stage_span(t: &'static BackendTrace) -> Open {
    let (mut span, _) = child_span(t.otel, t.url_pattern, false);
    if span.recording() {
        span.fixed = backend_attributes(t);
    }
    span
}

/// The attributes of both backend spans, the same for every call of `t`: encoded once.
fn backend_attributes(t: &'static BackendTrace) -> &'static [u8] {
    t.attributes.get(|buf| {
        for (key, value) in [
            ("http.request.method", t.method),
            ("http.route", t.url_pattern),
            ("krakend.endpoint.route", t.endpoint),
            ("krakend.endpoint.method", t.endpoint_method),
            ("krakend.stage", "backend-request"),
        ] {
            spans::str_attribute(buf, spans::ATTRIBUTES, key, &[value]);
        }
    })
}

fn end_with(_otel: &Installed, span: &mut Open, r: &impl CallOutcome) {
    if let Some(e) = r.failure() {
        span.fail(&e.message);
    }
}

/// `backend::call` with the backend layer's spans: the stage span around the whole call
/// (decoding included), the client span around the HTTP exchange, and the trace context of the
/// innermost span written into the backend request (`traceparent`, `baggage`).
pub fn backend_call<'a>(
    t: &'static BackendTrace,
    ctx: &'a EndpointCtx,
    spec: &'static BackendSpec,
    seq: &'a [Option<String>],
    decoder: Option<Decoder>,
) -> impl std::future::Future<Output = BackendResult> + 'a {
    traced_call(
        t,
        ctx,
        spec,
        seq,
        move || crate::backend::call(ctx, spec, seq, decoder),
        move |r| crate::backend::answer(spec, r, decoder),
    )
}

/// A backend call with the backend layer's spans, whichever path answers (the generic path's
/// decode or the canonical JSON path's render, [`CallOutcome`]): `answer` turns the received
/// answer into the outcome, `untraced` is the whole call when the pipeline is not installed.
/// The spans read the same from both outcomes, so they are the same on both paths.
pub async fn traced_call<R, U, UF, A, AF>(
    t: &'static BackendTrace,
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    seq: &[Option<String>],
    untraced: U,
    answer: A,
) -> R
where
    R: CallOutcome,
    U: FnOnce() -> UF,
    UF: std::future::Future<Output = R>,
    A: FnOnce(Received) -> AF,
    AF: std::future::Future<Output = R>,
{
    let fetch = async {
        let Some(otel) = t.otel.state.get() else {
            return untraced().await;
        };
        // The spans are boxed: held across the awaits below, they would otherwise grow the
        // handler's future, which axum moves whole.
        let mut stage = t.stage.then(|| Box::new(stage_span(t)));
        let (uri, headers) = match crate::backend::prepare(ctx, spec, seq) {
            Ok(p) => p,
            Err(e) => {
                let r = R::failed(e);
                if let Some(mut s) = stage {
                    end_with(otel, &mut s, &r);
                    s.end(otel);
                }
                return r;
            }
        };
        // Of the current context: the span only when there is no stage span, the baggage.
        let (outer, baggage) = CURRENT
            .try_with(|c| {
                let c = c.try_borrow().ok()?;
                let span = stage.is_none().then(|| c.span.clone());
                Some((span, c.baggage.clone()))
            })
            .ok()
            .flatten()
            .unwrap_or_default();
        let parent = match &stage {
            Some(s) => Some(s.cx.clone()),
            None => outer,
        };
        let mut client = t.round_trip.then(|| {
            let mut span = Open::start(
                t.otel,
                parent.as_ref(),
                SpanKind::Client,
                Cow::Borrowed(t.client_span),
            );
            if span.recording() {
                span.fixed = backend_attributes(t);
                // `url.full`, the status code and maybe an error: one allocation.
                span.attrs.reserve(128);
                spans::uri_attribute(&mut span.attrs, "url.full", &uri);
            }
            Box::new(span)
        });
        // The trace context goes to the client as header overrides, written straight into the
        // outgoing request (the forwarded map is not copied for it).
        let propagated = t.otel.propagation.then(|| {
            let from = client.as_ref().map(|c| &c.cx).or(parent.as_ref());
            Propagated::new(from, baggage.as_ref())
        });
        let mut overrides = propagated.as_ref().map_or(&[][..], Propagated::as_slice);
        // Reported request headers are the final ones: only then is the map copied.
        let merged = match client.as_mut().filter(|_| t.report_headers) {
            Some(c) => {
                let merged = crate::client::with_overrides(&headers, overrides);
                report_headers(c, "http.request.header.", &merged, t.otel.skip_headers);
                overrides = &[];
                Some(merged)
            }
            None => None,
        };
        let sent = merged.as_ref().unwrap_or(&headers);
        let received = crate::backend::exchange_with(ctx, spec, uri, sent, overrides).await;
        if let Some(mut span) = client {
            match &received {
                Ok(r) => {
                    let status = r.status.as_u16();
                    span.set_status_code(status);
                    if status >= 400 {
                        span.status = Status::error("");
                    }
                    if t.report_headers {
                        report_headers(
                            &mut span,
                            "http.response.header.",
                            &r.headers,
                            t.otel.skip_headers,
                        );
                    }
                }
                Err(e) => span.fail(&e.message),
            }
            span.end(otel);
        }
        let r = match received {
            Ok(r) => answer(r).await,
            Err(e) => R::failed(e),
        };
        if let Some(s) = stage.as_mut() {
            end_with(otel, s, &r);
        }
        if let Some(s) = stage {
            s.end(otel);
        }
        r
    };
    match tokio::time::timeout_at(ctx.deadline, fetch).await {
        Ok(r) => r,
        Err(_) => R::failed(BackendError::plain("context deadline exceeded")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::TraceState;

    static SPEC: OtelSpec = OtelSpec {
        service_name: "t",
        service_version: "",
        deploy_env: "",
        sample_rate: 1.0,
        skip_paths: &[],
        propagation: true,
        global: LayerSpec {
            traces: true,
            report_headers: false,
        },
        skip_headers: &[],
        exporters: &[],
        state: OnceLock::new(),
    };

    /// The proxy span is the current context while the pipe runs, a child of the request's.
    #[test]
    fn the_proxy_span_is_current_in_place() {
        let _ = SPEC.state.set(Installed {
            pipeline: None,
            propagator: opentelemetry::propagation::TextMapCompositePropagator::new(vec![]),
        });
        static ATTRIBUTES: Encoded = Encoded::new();
        let current = || CURRENT.with(|c| c.borrow().span.clone());
        let request = Current {
            span: SpanContext::new(
                ids::trace_id(),
                ids::span_id(),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            baggage: None,
        };
        let outer = request.span.clone();
        let rt = tokio::runtime::Builder::new_current_thread().build();
        let Ok(rt) = rt else { return };
        rt.block_on(CURRENT.scope(std::cell::RefCell::new(request), async {
            let span = ProxySpan::enter(&SPEC, "/x", "GET", &ATTRIBUTES);
            let inner = current();
            assert_eq!(inner.trace_id(), outer.trace_id());
            assert_ne!(inner.span_id(), outer.span_id());
            tokio::task::yield_now().await;
            assert_eq!(current().span_id(), inner.span_id());
            let resp = span.exit(axum::response::Response::default());
            assert_eq!(resp.status(), http::StatusCode::OK);
        }));
    }
}
