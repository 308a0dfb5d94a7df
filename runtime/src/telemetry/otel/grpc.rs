//! OTLP over gRPC (`exporters.otlp[]` without `use_http`, KrakenD's default): the unary `Export`
//! call of `opentelemetry.proto.collector.{trace,metrics}.v1.*Service`, spoken directly over the
//! exporter thread's HTTP/2 cleartext client ([`super::transport`]): a POST to
//! `/<service>/Export` with `content-type: application/grpc` and `te: trailers`, the protobuf
//! message behind gRPC's 5-byte frame header (uncompressed flag, big-endian length), and the
//! outcome read from `grpc-status` in the trailers (or the headers of a trailers-only answer).
//! krakend-otel connects in cleartext too, whatever the host's scheme. No tonic: this is all a
//! unary call needs, and it adds no crate to the build.

use super::transport::{exporter_thread, EXPORT_TIMEOUT};
use bytes::{BufMut as _, Bytes, BytesMut};
use http_body_util::{BodyExt as _, Full, Limited};

/// The span service's unary method.
pub const TRACES: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
/// The metric service's unary method.
pub const METRICS: &str = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
/// Largest collector answer read (an `Export*ServiceResponse`, a few bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// `message` in gRPC's length-prefixed framing (uncompressed).
pub fn frame(message: &[u8]) -> Result<Bytes, String> {
    let len = u32::try_from(message.len()).map_err(|_| "message too large".to_owned())?;
    let mut out = BytesMut::with_capacity(5 + message.len());
    out.put_u8(0);
    out.put_u32(len);
    out.put_slice(message);
    Ok(out.freeze())
}

/// `grpc-message` as sent (percent-encoded, RFC 3986 style), decoded.
fn decode_message(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if raw[i] == b'%' && i + 2 < raw.len() {
            if let (Some(h), Some(l)) = (hex(raw[i + 1]), hex(raw[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The outcome of a call from its `grpc-status` (and `grpc-message`).
fn status_of(map: &http::HeaderMap) -> Option<Result<(), String>> {
    let status = map.get("grpc-status")?;
    if status.as_bytes() == b"0" {
        return Some(Ok(()));
    }
    let message = map
        .get("grpc-message")
        .map(|m| decode_message(m.as_bytes()))
        .unwrap_or_default();
    Some(Err(format!(
        "grpc-status {} {message}",
        String::from_utf8_lossy(status.as_bytes())
    )
    .trim_end()
    .to_owned()))
}

/// One unary call of `method` on the collector at `base_url` (`http://host:port`), from the
/// exporter thread, bounded by [`EXPORT_TIMEOUT`]. The answer's message is not needed.
pub async fn unary(base_url: &str, method: &'static str, message: &[u8]) -> Result<(), String> {
    let thread = exporter_thread()?;
    let request = http::Request::post(format!("{base_url}{method}"))
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .header(http::header::USER_AGENT, "krustd-otlp")
        .header("grpc-timeout", format!("{}S", EXPORT_TIMEOUT.as_secs()))
        .body(Full::new(frame(message)?))
        .map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    thread.handle.spawn(async move {
        let outcome = tokio::time::timeout(EXPORT_TIMEOUT, async move {
            let resp = h2c_request(request).await?;
            if resp.status() != http::StatusCode::OK {
                return Err(format!("HTTP status {}", resp.status()));
            }
            if let Some(outcome) = status_of(resp.headers()) {
                return outcome; // trailers-only answer
            }
            let body = Limited::new(resp.into_body(), MAX_ANSWER)
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            body.trailers()
                .and_then(status_of)
                .unwrap_or_else(|| Err("no grpc-status in the answer".to_owned()))
        })
        .await
        .unwrap_or_else(|_| Err("timed out".to_owned()));
        let _ = tx.send(outcome);
    });
    rx.await
        .unwrap_or_else(|_| Err("OTLP exporter thread stopped".to_owned()))
}

/// `request` over a new HTTP/2 cleartext connection (prior knowledge) to its URI's authority.
/// One connection per export: exports are seconds apart, and hyper's own HTTP/2 client keeps
/// hyper-util's pooled client (and its HTTP/2 half) out of the gateway's backend calls.
async fn h2c_request(
    request: http::Request<Full<Bytes>>,
) -> Result<http::Response<hyper::body::Incoming>, String> {
    let uri = request.uri();
    let host = uri.host().ok_or("no host in the collector URL")?;
    let port = uri.port_u16().unwrap_or(80);
    let addr = format!(
        "{}:{port}",
        host.trim_start_matches('[').trim_end_matches(']')
    );
    let tcp = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| format!("tcp connect error: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .map_err(|e| e.to_string())?;
    // The connection ends when the sender and the answer's body are dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_and_status() {
        assert_eq!(&frame(b"abc").unwrap_or_default()[..], b"\0\0\0\0\x03abc");
        let mut h = http::HeaderMap::new();
        assert!(status_of(&h).is_none());
        h.insert("grpc-status", http::HeaderValue::from_static("0"));
        assert_eq!(status_of(&h), Some(Ok(())));
        h.insert("grpc-status", http::HeaderValue::from_static("14"));
        h.insert(
            "grpc-message",
            http::HeaderValue::from_static("no%20collector%"),
        );
        assert_eq!(
            status_of(&h),
            Some(Err("grpc-status 14 no collector%".to_owned()))
        );
    }
}
