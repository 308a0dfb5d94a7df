//! The HTTP client of the OTLP exporters: hyper-util's client on one dedicated thread with its
//! own current-thread tokio runtime ("krustd-otlp"). The SDK's batch processors export from
//! their own threads (outside any runtime); they hand each request to this thread and wait for
//! its answer, so no export ever runs on a gateway worker and no new TLS stack is needed.

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig as _, WithHttpConfig as _};
use std::sync::OnceLock;
use std::time::Duration;

/// One export's deadline (OTLP's default).
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest collector answer read.
const MAX_ANSWER: usize = 64 * 1024;

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// The exporter thread's runtime and client, started on first use.
fn exporter_thread() -> Result<&'static (tokio::runtime::Handle, Http), String> {
    static THREAD: OnceLock<Result<(tokio::runtime::Handle, Http), String>> = OnceLock::new();
    THREAD
        .get_or_init(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("OTLP exporter runtime: {e}"))?;
            let handle = rt.handle().clone();
            std::thread::Builder::new()
                .name("krustd-otlp".to_owned())
                .spawn(move || rt.block_on(std::future::pending::<()>()))
                .map_err(|e| format!("OTLP exporter thread: {e}"))?;
            let client = Client::builder(TokioExecutor::new()).build_http();
            Ok((handle, client))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The exporter thread's runtime (periodic metric exports run there).
pub fn handle() -> Result<&'static tokio::runtime::Handle, String> {
    exporter_thread().map(|(h, _)| h)
}

/// [`HttpClient`] over the exporter thread.
#[derive(Debug, Clone, Copy)]
pub struct OtlpHttp;

/// POSTs `request` from the exporter thread; the answer with its body (bounded).
pub async fn send(request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
    let (handle, client) = exporter_thread()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let client = client.clone();
    handle.spawn(async move {
        let (parts, body) = request.into_parts();
        let request = http::Request::from_parts(parts, Full::new(body));
        let answer = tokio::time::timeout(EXPORT_TIMEOUT, async move {
            let resp = client.request(request).await.map_err(|e| e.to_string())?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>(http::Response::from_parts(parts, body))
        })
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()));
        let _ = tx.send(answer);
    });
    match rx.await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => Err("OTLP exporter thread stopped".into()),
    }
}

#[async_trait::async_trait]
impl HttpClient for OtlpHttp {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        send(request).await
    }
}

/// The OTLP/HTTP protobuf span exporter of one `exporters.otlp[]` entry.
pub fn span_exporter(e: &super::OtlpSpec) -> Result<opentelemetry_otlp::SpanExporter, String> {
    exporter_thread()?;
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpHttp)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(format!("{}/v1/traces", e.base_url))
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|err| err.to_string())
}
