//! `telemetry/opentelemetry` traces and metrics through real HTTP: an OTLP/HTTP receiver on
//! 127.0.0.1 (protobuf decoded with opentelemetry-proto) gets the server span with the build
//! identity in its resource, the proxy span and the backend client span as children, and the
//! request metrics; the backend gets a `traceparent` continuing the client's trace; an
//! unsampled incoming context exports nothing; a `telemetry/opencensus` contract exports to the mapped Jaeger OTLP
//! port. One test runs the three in order: telemetry is installed once per process, and the
//! metrics registry belongs to the first gateway (the traced one).

mod common;
use common::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Any, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Received = Arc<Mutex<Vec<ExportTraceServiceRequest>>>;
type Metrics = Arc<Mutex<Vec<ExportMetricsServiceRequest>>>;

/// An OTLP/HTTP receiver on `127.0.0.1:port`, keeping every decoded request.
async fn receiver(port: u16) -> (Received, Metrics) {
    let got: Received = Arc::default();
    let metrics: Metrics = Arc::default();
    let keep = got.clone();
    let keep_metrics = metrics.clone();
    let app = axum::Router::new().route(
        "/v1/metrics",
        axum::routing::post(move |body: bytes::Bytes| {
            let keep = keep_metrics.clone();
            async move {
                let req = ExportMetricsServiceRequest::decode(body).expect("OTLP protobuf");
                keep.lock().expect("lock").push(req);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let app = app.route(
        "/v1/traces",
        axum::routing::post(move |headers: http::HeaderMap, body: bytes::Bytes| {
            let keep = keep.clone();
            async move {
                assert_eq!(
                    header(&headers, "content-type"),
                    Some("application/x-protobuf")
                );
                let req = ExportTraceServiceRequest::decode(body).expect("OTLP protobuf");
                keep.lock().expect("lock").push(req);
                (
                    [("content-type", "application/x-protobuf")],
                    Vec::<u8>::new(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the OTLP port");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (got, metrics)
}

fn text(kvs: &[KeyValue], key: &str) -> Option<String> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|v| match v {
            Any::StringValue(s) => Some(s.clone()),
            Any::IntValue(i) => Some(i.to_string()),
            _ => None,
        })
}

/// A flat view of one span: resource attributes, name, ids, kind and attributes.
#[derive(Debug, Clone)]
struct Span {
    resource: Vec<KeyValue>,
    name: String,
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent: Vec<u8>,
    kind: i32,
    attrs: Vec<KeyValue>,
    /// `Status { code, message }`.
    status: (i32, String),
}

fn spans(got: &Received) -> Vec<Span> {
    let mut out = Vec::new();
    for req in got.lock().expect("lock").iter() {
        for rs in &req.resource_spans {
            let resource = rs
                .resource
                .as_ref()
                .map(|r| r.attributes.clone())
                .unwrap_or_default();
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.push(Span {
                        resource: resource.clone(),
                        name: s.name.clone(),
                        trace_id: s.trace_id.clone(),
                        span_id: s.span_id.clone(),
                        parent: s.parent_span_id.clone(),
                        kind: s.kind,
                        attrs: s.attributes.clone(),
                        status: s
                            .status
                            .as_ref()
                            .map(|st| (st.code, st.message.clone()))
                            .unwrap_or_default(),
                    });
                }
            }
        }
    }
    out
}

/// Flushes the span pipelines until `n` spans arrived (at most `rounds` times 100 ms).
async fn wait_for(got: &Received, n: usize, rounds: usize) -> Vec<Span> {
    for _ in 0..rounds {
        tokio::task::spawn_blocking(krustd_runtime::telemetry::otel::flush)
            .await
            .expect("flush");
        let s = spans(got);
        if s.len() >= n {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    spans(got)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The `/c/*` twins do take the canonical JSON path with their backend spans (and the `/g/*`
/// ones the generic path), so the comparison below compares the two paths.
#[test]
fn traced_endpoints_take_the_canonical_path() {
    let code = include_str!("../generated/features/telemetry_otel.rs");
    // /traced, /broken and the three /c/* endpoints; the three /g/* ones do not.
    assert_eq!(code.matches("__rt::canonical_json::traced(").count(), 5);
    assert_eq!(
        code.matches("__rt::telemetry::otel::backend_call(").count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_traces_and_metrics() {
    spans_reach_the_otlp_receiver_with_the_identity_and_the_backend_continues_the_trace().await;
    an_unsampled_parent_exports_nothing_but_still_propagates().await;
    opencensus_jaeger_is_exported_over_otlp_to_port_4318().await;
}

async fn spans_reach_the_otlp_receiver_with_the_identity_and_the_backend_continues_the_trace() {
    let (got, metrics) = receiver(27931).await;
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/telemetry_otel.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://broken", "http://127.0.0.1:9")
        ])
    ))
    .await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let incoming = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/traced"))
            .header("traceparent", &incoming)
            .header("authorization", "Bearer secret"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // The backend (the echo mock) saw the trace continued: same trace id, a new parent.
    let echoed = json(&body);
    let tp = echoed["headers"]["traceparent"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no traceparent reached the backend: {body}"))
        .to_owned();
    // No empty `tracestate` is written.
    assert!(echoed["headers"].get("tracestate").is_none(), "{body}");
    let parts: Vec<&str> = tp.split('-').collect();
    assert_eq!(parts.len(), 4, "{tp}");
    assert_eq!(parts[1], trace_id);
    assert_ne!(parts[2], "00f067aa0ba902b7");
    assert_eq!(parts[3], "01");
    // A `tracestate` and the baggage travel on to the backend as the propagators write them.
    let (status, _, body) = send(
        client()
            .get(format!("{gw}/traced"))
            .header(
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            )
            .header("tracestate", "vendor=opaque")
            .header("baggage", "user=alice"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echoed = json(&body);
    assert_eq!(
        echoed["headers"]["tracestate"][0], "vendor=opaque",
        "{body}"
    );
    assert_eq!(echoed["headers"]["baggage"][0], "user=alice", "{body}");
    assert_eq!(get(&format!("{gw}/broken")).await.0, 500);

    // server + proxy + stage + client per request.
    let all = wait_for(&got, 12, 50).await;
    let ours: Vec<&Span> = all
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .collect();
    let server = ours
        .iter()
        .find(|s| s.kind == 2)
        .unwrap_or_else(|| panic!("no server span: {all:#?}"));
    assert_eq!(server.name, "/traced");
    assert_eq!(hex(&server.parent), "00f067aa0ba902b7");
    assert_eq!(
        text(&server.attrs, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        text(&server.attrs, "http.route").as_deref(),
        Some("/traced")
    );
    // report_headers, with skip_headers honoured.
    assert!(server
        .attrs
        .iter()
        .any(|kv| kv.key == "http.request.header.traceparent"));
    assert!(!server
        .attrs
        .iter()
        .any(|kv| kv.key == "http.request.header.authorization"));
    let r = &server.resource;
    assert_eq!(text(r, "service.name").as_deref(), Some("traced-gateway"));
    assert_eq!(text(r, "service.version").as_deref(), Some("1.2.3"));
    assert_eq!(text(r, "deployment.environment").as_deref(), Some("test"));
    assert_eq!(
        text(r, "krustd.contract.name").as_deref(),
        Some("telemetry otel")
    );
    assert_eq!(text(r, "krustd.contract.sha256").map(|s| s.len()), Some(64));
    assert!(text(r, "krustd.release").is_some());
    let proxy = ours
        .iter()
        .find(|s| text(&s.attrs, "krakend.stage").as_deref() == Some("proxy"))
        .unwrap_or_else(|| panic!("no proxy span: {ours:#?}"));
    assert_eq!(proxy.parent, server.span_id);
    let stage = ours
        .iter()
        .find(|s| {
            s.kind != 3 && text(&s.attrs, "krakend.stage").as_deref() == Some("backend-request")
        })
        .unwrap_or_else(|| panic!("no backend stage span: {ours:#?}"));
    assert_eq!(stage.parent, proxy.span_id);
    assert_eq!(stage.name, "/echo/traced");
    let client_span = ours
        .iter()
        .find(|s| s.kind == 3)
        .unwrap_or_else(|| panic!("no client span: {ours:#?}"));
    assert_eq!(client_span.parent, stage.span_id);
    assert_eq!(
        text(&client_span.attrs, "http.response.status_code").as_deref(),
        Some("200")
    );
    // The backend's parent is the client span.
    assert_eq!(parts[2], hex(&client_span.span_id));
    // The failing backend: its client span carries the error.
    let failed = all
        .iter()
        .find(|s| s.kind == 3 && s.name.ends_with("/a"))
        .unwrap_or_else(|| panic!("no client span for /broken: {all:#?}"));
    assert!(text(&failed.attrs, "error").is_some(), "{failed:#?}");
    assert_eq!(
        text(&failed.resource, "service.name").as_deref(),
        Some("traced-gateway")
    );

    // Metrics: pushed every second (`custom_metric_reporting_period`), with the identity.
    let mut found = None;
    for _ in 0..30 {
        found = metrics.lock().expect("lock").iter().find_map(|m| {
            let rm = m.resource_metrics.first()?;
            let metric = rm
                .scope_metrics
                .first()?
                .metrics
                .iter()
                .find(|x| x.name == "http.server.requests")?;
            let Some(Data::Sum(sum)) = &metric.data else {
                return None;
            };
            let point = sum
                .data_points
                .iter()
                .find(|p| text(&p.attributes, "http.route").as_deref() == Some("/traced"))?;
            Some((rm.resource.clone()?.attributes, point.clone()))
        });
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (resource, point) = found.expect("the request counter reached the receiver");
    assert_eq!(
        text(&resource, "krustd.contract.name").as_deref(),
        Some("telemetry otel")
    );
    assert_eq!(
        text(&point.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );
    assert_eq!(
        point.value,
        // Two requests to /traced answered 200 (with and without `tracestate`/baggage).
        Some(opentelemetry_proto::tonic::metrics::v1::number_data_point::Value::AsInt(2))
    );
    canonical_and_generic_paths_record_the_same_backend_spans(&gw, &got).await;
}

/// One backend span as compared: name, kind, status, attributes as text.
type BackendSpan = (String, i32, (i32, String), Vec<(String, String)>);

/// The backend spans of one request, the stage span first, `krakend.endpoint.route` left out
/// (it names the endpoint).
fn backend_spans(all: &[Span], trace_id: &str) -> Vec<BackendSpan> {
    let mut out: Vec<_> = all
        .iter()
        .filter(|s| hex(&s.trace_id) == trace_id)
        .filter(|s| text(&s.attrs, "krakend.stage").as_deref() == Some("backend-request"))
        .map(|s| {
            let attrs = s
                .attrs
                .iter()
                .filter(|kv| kv.key != "krakend.endpoint.route")
                .map(|kv| (kv.key.clone(), text(&s.attrs, &kv.key).unwrap_or_default()))
                .collect();
            (s.name.clone(), s.kind, s.status.clone(), attrs)
        })
        .collect();
    out.sort_by_key(|s| s.1);
    out
}

/// An endpoint on the canonical JSON path (`/c/...`) and its shaped twin on the generic path
/// (`/g/...`) export the same backend spans: a success, a backend's 503 and an invalid body.
async fn canonical_and_generic_paths_record_the_same_backend_spans(gw: &str, got: &Received) {
    let cases = ["echo", "status", "invalid"];
    let mut traces = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let mut answers = Vec::new();
        for (m, path) in ["c", "g"].iter().enumerate() {
            let trace_id = format!("{:032x}", 0xc0de_0000 + n * 2 + m);
            let (status, _, body) = send(
                client()
                    .get(format!("{gw}/{path}/{case}"))
                    .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01")),
            )
            .await;
            answers.push((status, body));
            traces.push(trace_id);
        }
        assert_eq!(answers[0].0, answers[1].0, "{case}: {answers:?}");
    }
    let before = spans(got).len();
    let all = wait_for(got, before + 4 * 2 * cases.len(), 50).await;
    for (n, case) in cases.iter().enumerate() {
        let canonical = backend_spans(&all, &traces[2 * n]);
        let generic = backend_spans(&all, &traces[2 * n + 1]);
        assert_eq!(
            canonical.len(),
            2,
            "{case}: stage and client span: {canonical:#?}"
        );
        assert_eq!(canonical, generic, "{case}");
        let stage = &canonical[0];
        match *case {
            "echo" => assert_eq!(stage.2 .0, 0, "{stage:?}"),
            _ => {
                assert_eq!(stage.2 .0, 2, "{case}: an error status: {stage:?}");
                assert!(stage.3.iter().any(|(k, _)| k == "error"), "{stage:?}");
            }
        }
    }
}

async fn an_unsampled_parent_exports_nothing_but_still_propagates() {
    let (got, _) = receiver(27932).await;
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/otel_unsampled.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    // Sampled at 0.5, parent-based: the client's unsampled context (flags 00) is followed.
    for _ in 0..3 {
        let (status, _, body) = send(client().get(format!("{gw}/unsampled")).header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4737-00f067aa0ba902b8-00",
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        // A context is still written: unsampled (flags 00).
        assert!(body.contains("-00\""), "{body}");
    }
    let s = wait_for(&got, 1, 3).await;
    assert!(s.is_empty(), "{s:#?}");
}

async fn opencensus_jaeger_is_exported_over_otlp_to_port_4318() {
    // The contract names Jaeger's thrift collector (127.0.0.1:14268): mapped to :4318.
    let (got, _) = receiver(4318).await;
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/opencensus.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;
    assert_eq!(get(&format!("{gw}/census")).await.0, 200);
    let s = wait_for(&got, 4, 50).await;
    let server = s
        .iter()
        .find(|s| s.name == "/census")
        .unwrap_or_else(|| panic!("{s:#?}"));
    assert_eq!(
        text(&server.resource, "service.name").as_deref(),
        Some("census-gateway")
    );
    assert_eq!(
        text(&server.resource, "krustd.contract.name").as_deref(),
        Some("telemetry opencensus")
    );
}
