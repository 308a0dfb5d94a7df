//! `krustd/compression`: answers compressed with gzip or brotli as the client's
//! `Accept-Encoding` (q-values) prefers, `Vary: Accept-Encoding` added. tower-http's layer
//! (async-compression underneath, already built for the backend client's gzip): it negotiates
//! q-values, streams, and leaves alone answers that already have a `Content-Encoding`, images,
//! gRPC and event streams; answers of a known size below `min_size` are sent as they are.

use super::CompressionSpec;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;

/// The layer of `spec`.
pub fn layer(spec: &CompressionSpec) -> CompressionLayer<impl Predicate + Send + Sync + 'static> {
    let predicate = SizeAbove::new(spec.min_size)
        .and(NotForContentType::GRPC)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::SSE);
    CompressionLayer::new()
        .gzip(spec.gzip)
        .br(spec.br)
        .no_deflate()
        .no_zstd()
        .compress_when(predicate)
}
