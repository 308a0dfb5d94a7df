//! The HTTP clients of the OTLP exporters: hyper-util's client (HTTP/1.1 for OTLP/HTTP; OTLP/gRPC
//! opens an HTTP/2 cleartext connection per export with hyper's own client, [`super::grpc`]) on one dedicated thread with its own
//! current-thread tokio runtime ("krustd-otlp"). The span exporter task ([`super::spans`]) and
//! the periodic metric exports run there, so no export ever runs on a gateway worker and no new
//! TLS stack is needed. Failed
//! exports are logged at most once per [`LOG_EVERY`] (with the count of those not logged).

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use opentelemetry_http::{HttpError, Request, Response};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One export's deadline (OTLP's default).
pub const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest collector answer read.
const MAX_ANSWER: usize = 64 * 1024;

pub(super) type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// The exporter thread's runtime and its clients.
pub(super) struct ExporterThread {
    pub handle: tokio::runtime::Handle,
    /// OTLP/HTTP (HTTP/1.1).
    pub http: Http,
}

/// The exporter thread's runtime and clients, started on first use.
pub(super) fn exporter_thread() -> Result<&'static ExporterThread, String> {
    static THREAD: OnceLock<Result<ExporterThread, String>> = OnceLock::new();
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
            let http = Client::builder(TokioExecutor::new()).build_http();
            Ok(ExporterThread { handle, http })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The exporter thread's runtime (periodic metric exports run there).
pub fn handle() -> Result<&'static tokio::runtime::Handle, String> {
    exporter_thread().map(|t| &t.handle)
}

/// Failed exports are logged at most this often.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// Logs a failed export, at most once per [`LOG_EVERY`] for the whole process (a down
/// collector fails every batch); the failures not logged are counted in the next line.
pub fn export_failed(exporter: &str, what: &str, err: &str) {
    static NEXT_AT: AtomicU64 = AtomicU64::new(0);
    static SILENCED: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let next = NEXT_AT.load(Ordering::Relaxed);
    if now < next
        || NEXT_AT
            .compare_exchange(
                next,
                now + LOG_EVERY.as_secs(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
    {
        SILENCED.fetch_add(1, Ordering::Relaxed);
        return;
    }
    let silenced = SILENCED.swap(0, Ordering::Relaxed);
    let more = if silenced == 0 {
        String::new()
    } else {
        format!(" ({silenced} more failed exports not logged)")
    };
    crate::log::error(&format!(
        "[SERVICE: OpenTelemetry] OTLP exporter {exporter:?}: {what}: {err}{more}"
    ));
}

/// POSTs `request` from the exporter thread; the answer with its body (bounded).
pub async fn send(request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
    let thread = exporter_thread()?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let client = thread.http.clone();
    thread.handle.spawn(async move {
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
