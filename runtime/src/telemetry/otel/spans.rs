//! The span pipeline behind [`super::Open::end`]: a sampled span is written as an OTLP `Span`
//! protobuf message on the worker that ended it, appended to that worker's buffer (bounded; a
//! full buffer drops the span and counts it, a request never waits), and a task on the exporter
//! thread ([`super::transport`]) takes the buffers every [`EXPORT_EVERY`], or as soon as one
//! holds [`EXPORT_AT`] bytes, and sends each as one `ExportTraceServiceRequest` to every
//! exporter (OTLP/HTTP protobuf or OTLP/gRPC).
//!
//! Why not the SDK's batch processor and opentelemetry-otlp's exporter: their conversion of
//! each `SpanData` into opentelemetry-proto's structs (every attribute key and value copied into
//! a `String`, the resource cloned per batch) and prost's encoding of those cost about 8,000
//! instructions per span, 33,000 per traced 1 KB proxy request (callgrind; a quarter of the
//! request). Written directly from the span's static names into a reused buffer, a span costs
//! about 2,500. The wire format is OTLP's `trace.proto` (field numbers below), written with
//! prost's encoding primitives; the tests decode it with opentelemetry-proto's generated types.
//!
//! A worker's buffer sits behind a mutex that only the exporter task also takes, a few times a
//! second at most: on the request path it is one uncontended compare-and-swap, and no span is
//! allocated, sent through a channel or freed on another thread.

use super::{Open, OtlpSpec};
use bytes::Bytes;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceState};
use opentelemetry::{Array, KeyValue, Value};
use prost::encoding::WireType;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A worker's buffer is exported as soon as it holds this many bytes (about 800 spans).
pub const EXPORT_AT: usize = 256 * 1024;
/// A worker's buffer holds this many bytes at most; more spans are dropped and counted.
pub const MAX_BUFFERED: usize = 2 * 1024 * 1024;
/// A worker's buffer is allocated with room for this many bytes: an export is due before it
/// fills.
const BUFFER_CAPACITY: usize = EXPORT_AT + EXPORT_AT / 4;
/// The longest a span waits for its export (the SDK's default scheduled delay).
pub const EXPORT_EVERY: Duration = Duration::from_secs(5);

/// One worker's encoded spans: a sequence of `ScopeSpans.spans` fields.
#[derive(Debug, Default)]
struct Buffer(Mutex<Vec<u8>>);

impl Buffer {
    fn lock(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One started pipeline: the workers' buffers, and what the exporter task needs.
#[derive(Debug)]
pub struct Pipeline {
    buffers: Mutex<Vec<Arc<Buffer>>>,
    dropped: AtomicU64,
    wake: tokio::sync::Notify,
    /// Flush requests ([`Pipeline::flush`]) the exporter task answers after its next export.
    flushes: Mutex<Vec<SyncSender<()>>>,
    /// Bytes left free at the start of a worker's buffer, where the request's head is written
    /// at export ([`Head::request`]: the spans are not copied).
    room: usize,
}

/// A worker's state: its buffer in each pipeline (keyed by the pipeline's address).
#[derive(Default)]
struct Local {
    buffers: Vec<(usize, Arc<Buffer>)>,
}

thread_local! {
    static LOCAL: RefCell<Local> = RefCell::new(Local::default());
}

impl Pipeline {
    /// Starts the exporter task for `exporters` (the ones with traces on) on the exporter
    /// thread; `resource` and the scope name are encoded once here.
    pub fn start(
        exporters: Vec<&'static OtlpSpec>,
        resource: &[KeyValue],
        scope: &str,
    ) -> Result<&'static Pipeline, String> {
        let thread = super::transport::exporter_thread()?;
        let head = Head::new(resource, scope);
        let pipeline: &'static Pipeline = Box::leak(Box::new(Pipeline {
            buffers: Mutex::new(Vec::new()),
            dropped: AtomicU64::new(0),
            wake: tokio::sync::Notify::new(),
            flushes: Mutex::new(Vec::new()),
            room: head.room(),
        }));
        thread.handle.spawn(export_loop(pipeline, head, exporters));
        Ok(pipeline)
    }

    /// This thread's buffer (made and registered on its first span).
    fn register(&'static self, list: &mut Vec<(usize, Arc<Buffer>)>) {
        let buf = Arc::new(Buffer(Mutex::new(self.fresh_buffer())));
        if let Ok(mut all) = self.buffers.lock() {
            all.push(buf.clone());
        }
        list.push((self as *const Pipeline as usize, buf));
    }

    /// Appends one ended, sampled span to this worker's buffer (never blocks on I/O).
    pub(super) fn push(&'static self, span: &Open) {
        let key = self as *const Pipeline as usize;
        let state = trace_state(span);
        let end = nanos(SystemTime::now());
        let len = span_len(span, &state);
        LOCAL.with(|local| {
            let Local { buffers } = &mut *local.borrow_mut();
            if !buffers.iter().any(|(k, _)| *k == key) {
                self.register(buffers);
            }
            let Some((_, buffer)) = buffers.iter().find(|(k, _)| *k == key) else {
                return;
            };
            let mut buf = buffer.lock();
            let before = buf.len();
            if before + len + 11 > MAX_BUFFERED {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            // `ScopeSpans.spans`: the key, the length, the span written in place.
            encode_key(2, WireType::LengthDelimited, &mut buf);
            encode_varint(len as u64, &mut buf);
            let start = buf.len();
            buf.reserve(len);
            write_span(&mut buf, span, &state, end);
            if buf.len() - start != len {
                // Not reached (`span_len` follows `write_span`); dropped rather than sent wrong.
                buf.truncate(before);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let full = before < EXPORT_AT && buf.len() >= EXPORT_AT;
            drop(buf);
            if full {
                self.wake.notify_one();
            }
        });
    }

    /// An empty worker buffer: the head's room, and capacity for the spans of one export (so
    /// pushing a span does not reallocate and copy the buffer on the request path).
    fn fresh_buffer(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(self.room + BUFFER_CAPACITY);
        buf.resize(self.room, 0);
        buf
    }

    /// Spans dropped because a buffer was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Exports what is buffered and waits (at most `timeout`) until it was sent. Blocks.
    pub fn flush(&self, timeout: Duration) {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        if let Ok(mut f) = self.flushes.lock() {
            f.push(tx);
        }
        self.wake.notify_one();
        let _ = rx.recv_timeout(timeout);
    }
}

async fn export_loop(pipeline: &'static Pipeline, head: Head, exporters: Vec<&'static OtlpSpec>) {
    let mut dropped = 0;
    loop {
        let _ = tokio::time::timeout(EXPORT_EVERY, pipeline.wake.notified()).await;
        let now_dropped = pipeline.dropped();
        if now_dropped > dropped {
            crate::log::warning(&format!(
                "[SERVICE: OpenTelemetry] {} spans dropped: a worker's span buffer was full",
                now_dropped - dropped
            ));
            dropped = now_dropped;
        }
        let flushes = pipeline
            .flushes
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default();
        let buffers = pipeline
            .buffers
            .lock()
            .map(|b| b.clone())
            .unwrap_or_default();
        for b in buffers {
            let spans = {
                let mut held = b.lock();
                if held.len() <= pipeline.room {
                    continue;
                }
                std::mem::replace(&mut *held, pipeline.fresh_buffer())
            };
            let body = head.request(spans, pipeline.room);
            for e in &exporters {
                send(e, body.clone()).await;
            }
        }
        for f in flushes {
            let _ = f.try_send(());
        }
    }
}

async fn send(e: &'static OtlpSpec, body: Bytes) {
    if e.grpc {
        if let Err(err) = super::grpc::unary(e.base_url, super::grpc::TRACES, &body).await {
            super::transport::export_failed(
                e.name,
                &format!("traces to {} (gRPC)", e.base_url),
                &err,
            );
        }
        return;
    }
    let url = format!("{}/v1/traces", e.base_url);
    let request = match http::Request::post(&url)
        .header(http::header::CONTENT_TYPE, "application/x-protobuf")
        .body(body)
    {
        Ok(r) => r,
        Err(err) => {
            super::transport::export_failed(e.name, &format!("traces to {url}"), &err.to_string());
            return;
        }
    };
    match super::transport::send(request).await {
        Err(err) => {
            super::transport::export_failed(e.name, &format!("traces to {url}"), &err.to_string())
        }
        Ok(r) if !r.status().is_success() => super::transport::export_failed(
            e.name,
            &format!("traces to {url}"),
            &format!("status {}", r.status()),
        ),
        Ok(_) => {}
    }
}

// ---- OTLP protobuf (opentelemetry-proto's trace.proto, common.proto, resource.proto) --------

/// The encoded `resource` and `scope` fields of the one `ResourceSpans`/`ScopeSpans`.
struct Head {
    resource: Vec<u8>,
    scope: Vec<u8>,
}

impl Head {
    fn new(resource: &[KeyValue], scope: &str) -> Head {
        // Resource { attributes = 1 }
        let mut r = Vec::new();
        for kv in resource {
            key_value(&mut r, 1, kv);
        }
        // InstrumentationScope { name = 1 }
        let mut s = Vec::new();
        string(&mut s, 1, scope);
        Head {
            resource: r,
            scope: s,
        }
    }

    /// The most bytes the head of a request takes ([`Head::request`]).
    fn room(&self) -> usize {
        // Two keys with 10-byte varints, and the resource and scope fields.
        2 * 11 + 11 + self.resource.len() + 11 + self.scope.len()
    }

    /// `ExportTraceServiceRequest { resource_spans = 1 { resource = 1, scope_spans = 2 {
    /// scope = 1, spans = 2 } } }` around the spans of `buf` (already encoded as `spans`
    /// fields after `room` bytes): the head is written into the room, the spans stay where
    /// they are.
    fn request(&self, mut buf: Vec<u8>, room: usize) -> Bytes {
        let spans = buf.len().saturating_sub(room);
        let scope_spans = delimited_len(self.scope.len()) + spans;
        let resource_spans = delimited_len(self.resource.len()) + delimited_len(scope_spans);
        let mut head = Vec::with_capacity(self.room());
        encode_key(1, WireType::LengthDelimited, &mut head);
        encode_varint(resource_spans as u64, &mut head);
        bytes_field(&mut head, 1, &self.resource);
        encode_key(2, WireType::LengthDelimited, &mut head);
        encode_varint(scope_spans as u64, &mut head);
        bytes_field(&mut head, 1, &self.scope);
        let start = room.saturating_sub(head.len());
        match buf.get_mut(start..room) {
            Some(free) if free.len() == head.len() => free.copy_from_slice(&head),
            // Not reached (`room` bounds the head); copied rather than sent wrong.
            _ => {
                head.extend_from_slice(buf.get(room..).unwrap_or_default());
                return Bytes::from(head);
            }
        }
        Bytes::from(buf).slice(start..)
    }
}

/// `Span` (trace.proto): trace_id 1, span_id 2, trace_state 3, parent_span_id 4, name 5,
/// kind 6, start 7, end 8, attributes 9, status 15, flags 16.
#[cfg(test)]
fn encode_span(buf: &mut Vec<u8>, span: &Open) {
    let state = trace_state(span);
    let before = buf.len();
    write_span(buf, span, &state, nanos(SystemTime::now()));
    assert_eq!(buf.len() - before, span_len(span, &state));
}

/// The span's `tracestate` header (empty without one).
fn trace_state(span: &Open) -> String {
    let state = span.cx.trace_state();
    if *state == TraceState::NONE {
        String::new()
    } else {
        state.header()
    }
}

/// The status's message and code (`Status { message = 2, code = 3 }`).
fn status_parts(span: &Open) -> (&str, u64) {
    match &span.status {
        Status::Error { description } => (description.as_ref(), 2),
        Status::Ok => ("", 1),
        Status::Unset => ("", 0),
    }
}

/// The length of the status message's body.
fn status_len(message: &str, code: u64) -> usize {
    (if message.is_empty() {
        0
    } else {
        delimited_len(message.len())
    }) + if code == 0 { 0 } else { 2 }
}

/// The length [`write_span`] writes (the span is written straight into a worker's buffer
/// after its length, not encoded elsewhere first and copied).
fn span_len(span: &Open, state: &str) -> usize {
    let (message, code) = status_parts(span);
    let mut n = 18 + 10; // trace and span ids
    if !state.is_empty() {
        n += delimited_len(state.len());
    }
    if span.parent != SpanId::INVALID {
        n += 10;
    }
    n += delimited_len(span.name.len());
    n += 2 + 9 + 9; // kind, start, end
    n += span.fixed.len() + span.attrs.len();
    if let Some(code) = span.status_code {
        n += int_attribute_len(STATUS_CODE, i64::from(code));
    }
    n += delimited_len(status_len(message, code));
    n + 6 // flags: a two-byte key and a fixed32
}

fn write_span(buf: &mut Vec<u8>, span: &Open, state: &str, end: u64) {
    let cx = &span.cx;
    // The fixed-size fields are assembled on the stack and written as a few slices.
    let mut ids = [0u8; 28];
    ids[0] = 0x0a; // trace_id, 16 bytes
    ids[1] = 16;
    ids[2..18].copy_from_slice(&cx.trace_id().to_bytes());
    ids[18] = 0x12; // span_id, 8 bytes
    ids[19] = 8;
    ids[20..28].copy_from_slice(&cx.span_id().to_bytes());
    buf.extend_from_slice(&ids);
    if !state.is_empty() {
        string(buf, 3, state);
    }
    if span.parent != SpanId::INVALID {
        let mut parent = [0u8; 10];
        parent[0] = 0x22; // parent_span_id, 8 bytes
        parent[1] = 8;
        parent[2..10].copy_from_slice(&span.parent.to_bytes());
        buf.extend_from_slice(&parent);
    }
    string(buf, 5, &span.name);
    let kind = match span.kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let mut times = [0u8; 20];
    times[0] = 0x30; // kind
    times[1] = kind;
    times[2] = 0x39; // start_time_unix_nano, fixed64
    times[3..11].copy_from_slice(&nanos(span.start).to_le_bytes());
    times[11] = 0x41; // end_time_unix_nano, fixed64
    times[12..20].copy_from_slice(&end.to_le_bytes());
    buf.extend_from_slice(&times);
    buf.extend_from_slice(span.fixed);
    buf.extend_from_slice(&span.attrs);
    if let Some(code) = span.status_code {
        int_attribute(buf, ATTRIBUTES, STATUS_CODE, i64::from(code));
    }
    // Status (always written, as opentelemetry-proto does).
    let (message, code) = status_parts(span);
    encode_key(15, WireType::LengthDelimited, buf);
    encode_varint(status_len(message, code) as u64, buf);
    if !message.is_empty() {
        string(buf, 2, message);
    }
    if code != 0 {
        encode_key(3, WireType::Varint, buf);
        encode_varint(code, buf);
    }
    // SpanFlags: the W3C flags, "has is-remote" (0x100) and "is remote" (0x200) of the parent.
    let mut flags = u32::from(cx.trace_flags().to_u8()) | 0x100;
    if span.parent_remote {
        flags |= 0x200;
    }
    encode_key(16, WireType::ThirtyTwoBit, buf);
    buf.extend_from_slice(&flags.to_le_bytes());
}

fn nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The field number of `Span.attributes`.
pub(super) const ATTRIBUTES: u32 = 9;

/// Span attributes that are the same for every span of their kind (a backend's names, route
/// and method), encoded as `Span.attributes` fields once, at first use, then copied as one
/// slice.
#[derive(Debug, Default)]
pub struct Encoded(OnceLock<Box<[u8]>>);

impl Encoded {
    pub const fn new() -> Encoded {
        Encoded(OnceLock::new())
    }

    /// The bytes `encode` writes, the first time.
    pub(super) fn get(&'static self, encode: impl FnOnce(&mut Vec<u8>)) -> &'static [u8] {
        self.0.get_or_init(|| {
            let mut buf = Vec::new();
            encode(&mut buf);
            buf.into_boxed_slice()
        })
    }
}

/// A string attribute with `uri` as its value, written as `Uri`'s `Display` does (no
/// intermediate `String`).
pub(super) fn uri_attribute(buf: &mut Vec<u8>, key: &str, uri: &http::Uri) {
    let scheme = uri.scheme_str();
    let authority = uri.authority().map(http::uri::Authority::as_str);
    let query = uri.query();
    let parts = [
        scheme.unwrap_or(""),
        if scheme.is_some() { "://" } else { "" },
        authority.unwrap_or(""),
        uri.path(),
        if query.is_some() { "?" } else { "" },
        query.unwrap_or(""),
    ];
    str_attribute(buf, ATTRIBUTES, key, &parts);
}

/// `KeyValue { key = 1, value = 2 }` as field `field` (lengths computed first: no nested
/// buffers).
pub(super) fn key_value(buf: &mut Vec<u8>, field: u32, kv: &KeyValue) {
    let key = kv.key.as_str();
    if let Value::String(s) = &kv.value {
        return str_attribute(buf, field, key, &[s.as_str()]);
    }
    let value = any_value_len(&kv.value);
    encode_key(field, WireType::LengthDelimited, buf);
    encode_varint(
        (delimited_len(key.len()) + delimited_len(value)) as u64,
        buf,
    );
    string(buf, 1, key);
    encode_key(2, WireType::LengthDelimited, buf);
    encode_varint(value as u64, buf);
    any_value(buf, &kv.value);
}

/// `KeyValue { key, value: AnyValue { string_value } }` as field `field`, the value being the
/// concatenation of `value`'s parts.
pub(super) fn str_attribute(buf: &mut Vec<u8>, field: u32, key: &str, value: &[&str]) {
    let len: usize = value.iter().map(|p| p.len()).sum();
    let any = delimited_len(len);
    let body = delimited_len(key.len()) + delimited_len(any);
    // The usual case, every length a one-byte varint: the tags and lengths as two slices.
    if field < 16 && body < 0x80 {
        buf.reserve(2 + body);
        buf.extend_from_slice(&[short_key(field), body as u8, 0x0a, key.len() as u8]);
        buf.extend_from_slice(key.as_bytes());
        buf.extend_from_slice(&[0x12, any as u8, 0x0a, len as u8]);
        for p in value {
            buf.extend_from_slice(p.as_bytes());
        }
        return;
    }
    buf.reserve(delimited_len(body) + 2);
    encode_key(field, WireType::LengthDelimited, buf);
    encode_varint(body as u64, buf);
    string(buf, 1, key);
    encode_key(2, WireType::LengthDelimited, buf);
    encode_varint(any as u64, buf);
    encode_key(1, WireType::LengthDelimited, buf);
    encode_varint(len as u64, buf);
    for p in value {
        buf.extend_from_slice(p.as_bytes());
    }
}

/// The attribute of [`Open::set_status_code`].
const STATUS_CODE: &str = "http.response.status_code";

/// The length [`int_attribute`] writes.
fn int_attribute_len(key: &str, value: i64) -> usize {
    let any = 1 + encoded_len_varint(value as u64);
    delimited_len(delimited_len(key.len()) + delimited_len(any))
}

/// `KeyValue { key, value: AnyValue { int_value } }` as field `field`.
pub(super) fn int_attribute(buf: &mut Vec<u8>, field: u32, key: &str, value: i64) {
    let any = 1 + encoded_len_varint(value as u64);
    let body = delimited_len(key.len()) + delimited_len(any);
    // The usual case (a short key, a status code): the tags and lengths as two slices.
    if field < 16 && body < 0x80 && (0..0x4000).contains(&value) {
        buf.reserve(2 + body);
        buf.extend_from_slice(&[short_key(field), body as u8, 0x0a, key.len() as u8]);
        buf.extend_from_slice(key.as_bytes());
        if value < 0x80 {
            buf.extend_from_slice(&[0x12, any as u8, 0x18, value as u8]);
        } else {
            let (low, high) = ((value as u8) | 0x80, (value >> 7) as u8);
            buf.extend_from_slice(&[0x12, any as u8, 0x18, low, high]);
        }
        return;
    }
    buf.reserve(delimited_len(body));
    encode_key(field, WireType::LengthDelimited, buf);
    encode_varint(body as u64, buf);
    string(buf, 1, key);
    encode_key(2, WireType::LengthDelimited, buf);
    encode_varint(any as u64, buf);
    encode_key(3, WireType::Varint, buf);
    encode_varint(value as u64, buf);
}

/// A one-byte field key and a length-delimited body of `n` bytes.
fn delimited_len(n: usize) -> usize {
    1 + encoded_len_varint(n as u64) + n
}

/// The encoded length of [`any_value`]'s output.
fn any_value_len(v: &Value) -> usize {
    match v {
        Value::String(s) => delimited_len(s.as_str().len()),
        Value::Bool(_) => 2,
        Value::I64(i) => 1 + encoded_len_varint(*i as u64),
        Value::F64(_) => 9,
        Value::Array(a) => delimited_len(array_len(a)),
        _ => delimited_len(v.as_str().len()),
    }
}

/// The encoded length of an `ArrayValue`'s items.
fn array_len(a: &Array) -> usize {
    match a {
        Array::String(items) => items
            .iter()
            .map(|s| delimited_len(delimited_len(s.as_str().len())))
            .sum(),
        Array::Bool(items) => items.len() * delimited_len(2),
        Array::I64(items) => items
            .iter()
            .map(|i| delimited_len(1 + encoded_len_varint(*i as u64)))
            .sum(),
        Array::F64(items) => items.len() * delimited_len(9),
        _ => 0,
    }
}

/// `AnyValue { string 1, bool 2, int 3, double 4, array 5 { values = 1 } }` (the fields only).
fn any_value(buf: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => string(buf, 1, s.as_str()),
        Value::Bool(b) => {
            encode_key(2, WireType::Varint, buf);
            encode_varint(u64::from(*b), buf);
        }
        Value::I64(i) => {
            encode_key(3, WireType::Varint, buf);
            encode_varint(*i as u64, buf);
        }
        Value::F64(f) => fixed64(buf, 4, f.to_bits()),
        Value::Array(a) => {
            encode_key(5, WireType::LengthDelimited, buf);
            encode_varint(array_len(a) as u64, buf);
            let item = |buf: &mut Vec<u8>, v: Value| {
                encode_key(1, WireType::LengthDelimited, buf);
                encode_varint(any_value_len(&v) as u64, buf);
                any_value(buf, &v);
            };
            match a {
                Array::String(items) => {
                    for s in items {
                        item(buf, Value::String(s.clone()));
                    }
                }
                Array::Bool(items) => items.iter().for_each(|x| item(buf, Value::Bool(*x))),
                Array::I64(items) => items.iter().for_each(|x| item(buf, Value::I64(*x))),
                Array::F64(items) => items.iter().for_each(|x| item(buf, Value::F64(*x))),
                _ => {}
            }
        }
        _ => string(buf, 1, &v.as_str()),
    }
}

// prost's `encode_varint` is not inlined; these are (most values here take one byte).

#[inline]
fn encode_varint(mut v: u64, buf: &mut Vec<u8>) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

#[inline]
fn encode_key(field: u32, wire: WireType, buf: &mut Vec<u8>) {
    encode_varint(u64::from((field << 3) | wire as u32), buf);
}

/// The one-byte key of a length-delimited field numbered under 16.
#[inline]
fn short_key(field: u32) -> u8 {
    ((field << 3) | WireType::LengthDelimited as u32) as u8
}

#[inline]
fn encoded_len_varint(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

#[inline]
fn string(buf: &mut Vec<u8>, field: u32, s: &str) {
    bytes_field(buf, field, s.as_bytes());
}

#[inline]
fn bytes_field(buf: &mut Vec<u8>, field: u32, b: &[u8]) {
    encode_key(field, WireType::LengthDelimited, buf);
    encode_varint(b.len() as u64, buf);
    buf.extend_from_slice(b);
}

fn fixed64(buf: &mut Vec<u8>, field: u32, v: u64) {
    encode_key(field, WireType::SixtyFourBit, buf);
    buf.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, TraceFlags, TraceId};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message as _;
    use std::borrow::Cow;

    /// What opentelemetry-proto's decoder reads back from the hand-written encoding.
    #[test]
    fn a_span_decodes_as_otlp() {
        static FIXED: Encoded = Encoded::new();
        let mut span = Open {
            cx: SpanContext::new(
                TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
                SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
                TraceFlags::SAMPLED,
                false,
                TraceState::from_key_value([("vendor", "x")]).unwrap_or_default(),
            ),
            parent: SpanId::from(7_u64),
            parent_remote: true,
            kind: SpanKind::Client,
            name: Cow::Borrowed("GET /users/{id}"),
            start: UNIX_EPOCH + Duration::from_secs(1),
            fixed: FIXED.get(|b| str_attribute(b, ATTRIBUTES, "http.request.method", &["GET"])),
            attrs: Vec::new(),
            status_code: None,
            status: Status::error("boom"),
        };
        span.set(KeyValue::new("http.response.status_code", 503_i64));
        span.set_i64("small", 5);
        span.set_i64("large", 1 << 40);
        span.set_i64("negative", -3);
        span.set_str("long", &"x".repeat(200));
        span.set(KeyValue::new("ok", true));
        span.set(KeyValue::new("ratio", 0.5));
        span.set(KeyValue::new(
            "http.request.header.accept",
            Value::Array(Array::String(vec!["a".into(), "b".into()])),
        ));
        let uris = [
            "http://127.0.0.1:9100/users/1?a=b&c",
            "https://h/",
            "http://h:1/p/",
        ];
        for u in uris {
            let uri: http::Uri = u.parse().unwrap_or_default();
            uri_attribute(&mut span.attrs, "url.full", &uri);
        }
        span.set_status_code(404);
        let mut buf = Vec::new();
        encode_span(&mut buf, &span);
        let head = Head::new(&[KeyValue::new("service.name", "gw")], "krustd");
        let room = head.room();
        let mut spans = vec![0; room];
        bytes_field(&mut spans, 2, &buf);
        bytes_field(&mut spans, 2, &buf);
        let body = head.request(spans, room);
        let req = ExportTraceServiceRequest::decode(body).unwrap_or_default();
        assert_eq!(req.resource_spans.len(), 1);
        let rs = &req.resource_spans[0];
        let resource = rs.resource.clone().unwrap_or_default();
        assert_eq!(resource.attributes[0].key, "service.name");
        let ss = &rs.scope_spans[0];
        assert_eq!(ss.scope.clone().unwrap_or_default().name, "krustd");
        assert_eq!(ss.spans.len(), 2);
        let s = &ss.spans[0];
        assert_eq!(s.name, "GET /users/{id}");
        assert_eq!(s.kind, 3);
        assert_eq!(s.trace_id.len(), 16);
        assert_eq!(s.span_id, 0x00f0_67aa_0ba9_02b7_u64.to_be_bytes());
        assert_eq!(s.parent_span_id, 7_u64.to_be_bytes());
        assert_eq!(s.trace_state, "vendor=x");
        assert_eq!(s.start_time_unix_nano, 1_000_000_000);
        assert!(s.end_time_unix_nano > s.start_time_unix_nano);
        assert_eq!(s.flags, 0x301);
        let status = s.status.clone().unwrap_or_default();
        assert_eq!((status.code, status.message.as_str()), (2, "boom"));
        use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
        let value = |i: usize| s.attributes[i].value.clone().and_then(|v| v.value);
        assert_eq!(value(0), Some(V::StringValue("GET".into())));
        assert_eq!(value(1), Some(V::IntValue(503)));
        // The short encodings and the general one read the same.
        assert_eq!(value(2), Some(V::IntValue(5)));
        assert_eq!(value(3), Some(V::IntValue(1 << 40)));
        assert_eq!(value(4), Some(V::IntValue(-3)));
        assert_eq!(value(5), Some(V::StringValue("x".repeat(200))));
        // The attributes set before the short ones above, further on.
        let value = |i: usize| s.attributes[i + 4].value.clone().and_then(|v| v.value);
        assert_eq!(value(2), Some(V::BoolValue(true)));
        assert_eq!(value(3), Some(V::DoubleValue(0.5)));
        match value(4) {
            Some(V::ArrayValue(a)) => assert_eq!(a.values.len(), 2),
            other => panic!("not an array: {other:?}"),
        }
        // `url.full` as `Uri`'s `Display` writes it.
        for (i, u) in uris.iter().enumerate() {
            let shown = u.parse::<http::Uri>().unwrap_or_default().to_string();
            assert_eq!(s.attributes[9 + i].key, "url.full");
            assert_eq!(value(5 + i), Some(V::StringValue(shown)));
        }
        // The status code, kept aside, is written last.
        assert_eq!(s.attributes[12].key, "http.response.status_code");
        assert_eq!(value(8), Some(V::IntValue(404)));
        assert_eq!(s.attributes.len(), 13);
    }
}
