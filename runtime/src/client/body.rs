//! Request and answer bodies of the backend client: framing as Go writes it, bounded
//! buffering, Go's transparent gzip decoding, and streaming under a deadline.

use super::ClientError;
use bytes::{Buf, Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A request body: the buffered client body, sent with a `Content-Length` (`exact`) or
/// chunked; or the client's body streamed through as it arrives (`no-op` endpoints), with the
/// client's `Content-Length` when it was forwarded.
pub struct OutBody(Out);

enum Out {
    Buffered {
        data: Option<Bytes>,
        exact: bool,
    },
    Streamed {
        stream: BoxStream,
        length: Option<u64>,
        done: bool,
    },
}

impl std::fmt::Debug for OutBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Out::Buffered { data, exact } => f
                .debug_struct("Buffered")
                .field("len", &data.as_ref().map_or(0, Bytes::len))
                .field("exact", exact)
                .finish(),
            Out::Streamed { length, .. } => {
                f.debug_struct("Streamed").field("length", length).finish()
            }
        }
    }
}

impl OutBody {
    pub fn new(data: Bytes, exact: bool) -> Self {
        OutBody(Out::Buffered {
            data: (!data.is_empty()).then_some(data),
            exact,
        })
    }

    /// A body read from `stream` while it is sent; `length` when it is known.
    pub fn streamed(stream: BoxStream, length: Option<u64>) -> Self {
        OutBody(Out::Streamed {
            stream,
            length,
            done: length == Some(0),
        })
    }
}

impl Body for OutBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match &mut self.0 {
            Out::Buffered { data, .. } => Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Out::Streamed { done: true, .. } => Poll::Ready(None),
            Out::Streamed { stream, done, .. } => match stream.as_mut().poll_next(cx) {
                Poll::Ready(None) => {
                    *done = true;
                    Poll::Ready(None)
                }
                Poll::Ready(Some(Err(e))) => {
                    *done = true;
                    Poll::Ready(Some(Err(e)))
                }
                Poll::Ready(Some(Ok(chunk))) => Poll::Ready(Some(Ok(Frame::data(chunk)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            Out::Buffered { data, .. } => data.is_none(),
            Out::Streamed { done, .. } => *done,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.0 {
            Out::Buffered { data, exact } => {
                let len = data.as_ref().map_or(0, |d| d.len() as u64);
                if *exact || data.is_none() {
                    SizeHint::with_exact(len)
                } else {
                    // Unknown to hyper: chunked, as Go sends a body of unknown length.
                    let mut h = SizeHint::new();
                    h.set_lower(len);
                    h
                }
            }
            Out::Streamed {
                length: Some(n), ..
            } => SizeHint::with_exact(*n),
            Out::Streamed { .. } => SizeHint::new(),
        }
    }
}

/// Reads a whole answer body, at most `limit` bytes (after gzip decoding when `gzip`).
pub async fn read(body: Incoming, gzip: bool, limit: usize) -> Result<Bytes, ClientError> {
    let raw = read_raw(body, limit).await?;
    if !gzip || raw.is_empty() {
        return Ok(raw);
    }
    // Go's gzip reader reads concatenated members.
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(raw.reader()).take(limit as u64 + 1);
    decoder
        .read_to_end(&mut out)
        .map_err(|e| ClientError::new(go_gzip_error(&e)))?;
    if out.len() > limit {
        return Err(ClientError::too_large(limit));
    }
    Ok(Bytes::from(out))
}

async fn read_raw(mut body: Incoming, limit: usize) -> Result<Bytes, ClientError> {
    if http_body::Body::size_hint(&body)
        .exact()
        .is_some_and(|n| n > limit as u64)
    {
        return Err(ClientError::too_large(limit));
    }
    // A body that arrives in one chunk is returned without a copy.
    let mut first: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ClientError::from_hyper(&e))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len();
        if total > limit {
            return Err(ClientError::too_large(limit));
        }
        if first.is_none() && buf.is_empty() {
            first = Some(chunk);
        } else {
            if let Some(f) = first.take() {
                buf.extend_from_slice(&f);
            }
            buf.extend_from_slice(&chunk);
        }
    }
    Ok(first.unwrap_or_else(|| buf.freeze()))
}

/// Go's texts for a broken gzip stream.
fn go_gzip_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "unexpected EOF".to_owned(),
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
            let text = e.to_string();
            if text.contains("header") {
                "gzip: invalid header".to_owned()
            } else if text.contains("crc") || text.contains("checksum") {
                "gzip: invalid checksum".to_owned()
            } else {
                "flate: corrupt input".to_owned()
            }
        }
        _ => e.to_string(),
    }
}

/// A body as a stream of chunks.
pub type BoxStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// The body as a stream for the client response: gzip-decoded when `gzip`, and ended with an
/// error (the client sees a truncated answer) once `deadline` passes.
pub fn stream(body: Incoming, gzip: bool, deadline: tokio::time::Instant) -> BoxStream {
    let raw = http_body_util::BodyStream::new(body).filter_map(|frame| async move {
        match frame {
            Ok(f) => f.into_data().ok().map(Ok),
            Err(e) => Some(Err(std::io::Error::other(e))),
        }
    });
    let inner: BoxStream = if gzip {
        let reader = tokio_util::io::StreamReader::new(raw);
        let mut decoder = async_compression::tokio::bufread::GzipDecoder::new(reader);
        decoder.multiple_members(true);
        Box::pin(tokio_util::io::ReaderStream::new(decoder))
    } else {
        Box::pin(raw)
    };
    with_deadline(inner, deadline)
}

/// `inner`, ended with a `context deadline exceeded` error once `deadline` passes.
pub fn with_deadline(inner: BoxStream, deadline: tokio::time::Instant) -> BoxStream {
    Box::pin(Deadline {
        inner,
        sleep: Box::pin(tokio::time::sleep_until(deadline)),
        done: false,
    })
}

/// A stream that fails once its deadline has passed.
struct Deadline {
    inner: BoxStream,
    sleep: Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.done = true;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "context deadline exceeded",
            ))));
        }
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            self.done = true;
        }
        next
    }
}

use std::future::Future as _;
