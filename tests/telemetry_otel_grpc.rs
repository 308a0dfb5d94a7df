//! `telemetry/opentelemetry` over OTLP/gRPC (an `exporters.otlp[]` entry without `use_http`,
//! KrakenD's default) through real HTTP/2: a small gRPC receiver on 127.0.0.1 (hyper's HTTP/2
//! server answering `grpc-status: 0` in the trailers) gets the unary `Export` calls of the trace
//! and metric services, with the spans (build identity in the resource, the backend spans
//! children of the proxy span) and the request counter; an exporter whose collector is down
//! and one whose collector never answers do not slow the requests; an exporter without `host`
//! and `port` sends to krakend-otel's defaults, localhost:4317. Its own test binary:
//! telemetry is installed once per process.

mod common;
use common::*;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, Full};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value::Value as Any, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value as Number;
use prost::Message as _;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

/// What the receiver got: the decoded requests, and any call that was not a well-formed gRPC
/// unary call (described).
#[derive(Default)]
struct Got {
    traces: Vec<ExportTraceServiceRequest>,
    metrics: Vec<ExportMetricsServiceRequest>,
    malformed: Vec<String>,
}

type Shared = Arc<Mutex<Got>>;

/// The message of a gRPC length-prefixed frame (uncompressed, exactly one message).
fn unframe(body: &[u8]) -> Result<&[u8], String> {
    let (head, message) = body
        .split_at_checked(5)
        .ok_or_else(|| format!("short body: {body:?}"))?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if head[0] != 0 || len != message.len() {
        return Err(format!(
            "bad frame header {head:?} for {} bytes",
            message.len()
        ));
    }
    Ok(message)
}

async fn answer(
    got: Shared,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<UnsyncBoxBody<bytes::Bytes, Infallible>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut problems = Vec::new();
    if parts.version != http::Version::HTTP_2 || parts.method != http::Method::POST {
        problems.push(format!("{:?} {}", parts.version, parts.method));
    }
    let h = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok());
    if h("content-type") != Some("application/grpc") || h("te") != Some("trailers") {
        problems.push(format!("headers {:?}", parts.headers));
    }
    let path = parts.uri.path().to_owned();
    let decoded = unframe(&body).and_then(|m| {
        let mut g = got.lock().map_err(|e| e.to_string())?;
        match path.as_str() {
            TRACES => g
                .traces
                .push(ExportTraceServiceRequest::decode(m).map_err(|e| e.to_string())?),
            METRICS => g
                .metrics
                .push(ExportMetricsServiceRequest::decode(m).map_err(|e| e.to_string())?),
            other => return Err(format!("unknown method {other}")),
        }
        Ok(())
    });
    if let Err(e) = decoded {
        problems.push(e);
    }
    if !problems.is_empty() {
        if let Ok(mut g) = got.lock() {
            g.malformed.push(format!("{path}: {problems:?}"));
        }
    }
    // An empty Export*ServiceResponse, then `grpc-status: 0` in the trailers.
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let body = Full::new(bytes::Bytes::from_static(&[0, 0, 0, 0, 0]))
        .with_trailers(async move { Some(Ok(trailers)) })
        .boxed_unsync();
    let mut resp = http::Response::new(body);
    resp.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/grpc"),
    );
    Ok(resp)
}

/// A gRPC (HTTP/2 cleartext) receiver on `127.0.0.1:port`.
async fn receiver(port: u16) -> Shared {
    let got = Shared::default();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the OTLP/gRPC port");
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| answer(keep.clone(), req));
                let _ =
                    hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
            });
        }
    });
    got
}

/// A collector that accepts connections and never answers (held until the test ends).
async fn stuck(port: u16) {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind the stuck port");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            if held.len() < 16 {
                held.push(stream);
            }
        }
    });
}

fn text(kvs: &[KeyValue], key: &str) -> Option<String> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
        .and_then(|v| match v {
            Any::StringValue(s) => Some(s.clone()),
            _ => None,
        })
}

/// (resource attributes, span) of every span received.
fn spans(got: &Shared) -> Vec<(Vec<KeyValue>, opentelemetry_proto::tonic::trace::v1::Span)> {
    let g = got.lock().expect("lock");
    let mut out = Vec::new();
    for req in &g.traces {
        for rs in &req.resource_spans {
            let resource = rs
                .resource
                .clone()
                .map(|r| r.attributes)
                .unwrap_or_default();
            for ss in &rs.scope_spans {
                for s in &ss.spans {
                    out.push((resource.clone(), s.clone()));
                }
            }
        }
    }
    out
}

/// The request counter of `/grpc-traced` (status 200) in the metrics received, with the
/// resource attributes of its export.
fn counter(got: &Shared) -> Option<(Vec<KeyValue>, i64)> {
    let g = got.lock().expect("lock");
    g.metrics.iter().rev().find_map(|m| {
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
        let point = sum.data_points.iter().find(|p| {
            text(&p.attributes, "http.route").as_deref() == Some("/grpc-traced")
                && text(&p.attributes, "http.response.status_code").as_deref() == Some("200")
        })?;
        let Some(Number::AsInt(n)) = point.value else {
            return None;
        };
        Some((rm.resource.clone()?.attributes, n))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_grpc_traces_and_metrics() {
    let got = receiver(27933).await;
    // The `defaults` exporter (no `host`, no `port`): krakend-otel's localhost:4317.
    let defaults = receiver(4317).await;
    stuck(27935).await;
    // Nothing listens on 27934: the `down` exporter's calls are refused.
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/otel_grpc.json",
        hosts(&[("http://mock", mock_url.as_str())])
    ))
    .await;

    // Requests are not slowed by the down and the stuck collectors (a stuck export waits up
    // to 10 s on the exporter thread, never on a request).
    const REQUESTS: i64 = 5;
    let began = Instant::now();
    for _ in 0..REQUESTS {
        let (status, _, body) = get(&format!("{gw}/grpc-traced")).await;
        assert_eq!(status, 200, "{body}");
    }
    assert!(
        began.elapsed() < Duration::from_secs(3),
        "{REQUESTS} requests took {:?}",
        began.elapsed()
    );

    // Spans: server + proxy + stage + client per request.
    let want = 4 * REQUESTS as usize;
    let mut all = Vec::new();
    for _ in 0..50 {
        tokio::task::spawn_blocking(krustd_runtime::telemetry::otel::flush)
            .await
            .expect("flush");
        all = spans(&got);
        if all.len() >= want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(all.len() >= want, "{} spans: {all:#?}", all.len());
    let mut at_defaults = 0;
    for _ in 0..50 {
        at_defaults = spans(&defaults).len();
        if at_defaults >= want {
            break;
        }
        tokio::task::spawn_blocking(krustd_runtime::telemetry::otel::flush)
            .await
            .expect("flush");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(at_defaults >= want, "{at_defaults} spans at localhost:4317");
    let (resource, server) = all
        .iter()
        .find(|(_, s)| s.kind == 2)
        .unwrap_or_else(|| panic!("no server span: {all:#?}"));
    assert_eq!(server.name, "/grpc-traced");
    assert_eq!(
        text(resource, "service.name").as_deref(),
        Some("grpc-traced-gateway")
    );
    assert_eq!(
        text(resource, "krustd.contract.name").as_deref(),
        Some("telemetry otel grpc")
    );
    assert_eq!(
        text(resource, "krustd.contract.sha256").map(|s| s.len()),
        Some(64)
    );
    assert!(text(resource, "krustd.release").is_some());
    // No `service_version`: the gateway's version, as krakend-otel (KrakenD's there).
    assert_eq!(
        text(resource, "service.version"),
        text(resource, "krustd.version")
    );
    assert!(text(resource, "service.version").is_some());
    let child_of =
        |parent: &[u8], pred: &dyn Fn(&opentelemetry_proto::tonic::trace::v1::Span) -> bool| {
            all.iter()
                .map(|(_, s)| s)
                .find(|s| s.trace_id == server.trace_id && s.parent_span_id == parent && pred(s))
                .unwrap_or_else(|| panic!("missing child span: {all:#?}"))
                .clone()
        };
    let stage_is = |s: &opentelemetry_proto::tonic::trace::v1::Span, v: &str| {
        text(&s.attributes, "krakend.stage").as_deref() == Some(v)
    };
    let proxy = child_of(&server.span_id, &|s| stage_is(s, "proxy"));
    assert_eq!(proxy.name, "/grpc-traced");
    let stage = child_of(&proxy.span_id, &|s| {
        s.kind != 3 && stage_is(s, "backend-request")
    });
    assert_eq!(stage.name, "/echo/grpc-traced");
    let client = child_of(&stage.span_id, &|s| s.kind == 3);
    assert_eq!(client.name, "GET /echo/grpc-traced");

    // Metrics: pushed every second (`custom_metric_reporting_period`), with the identity.
    let mut found = None;
    for _ in 0..40 {
        found = counter(&got).filter(|(_, n)| *n == REQUESTS);
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (resource, _) = found.unwrap_or_else(|| {
        panic!(
            "the request counter ({REQUESTS}) did not reach the receiver: {:?}",
            counter(&got)
        )
    });
    assert_eq!(
        text(&resource, "krustd.contract.name").as_deref(),
        Some("telemetry otel grpc")
    );
    let malformed = got.lock().expect("lock").malformed.clone();
    assert!(malformed.is_empty(), "{malformed:#?}");
    let malformed = defaults.lock().expect("lock").malformed.clone();
    assert!(malformed.is_empty(), "{malformed:#?}");
}
