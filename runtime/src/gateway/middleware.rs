//! Layers around every route: the router's path canonicalisation and gin's access log.

use super::Gateway;
use crate::ctx::{ClientIp, RawTarget};
use crate::router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Writes gin's access-log line for every request not in `logger_skip_paths`.
pub(super) async fn access_log<G: Gateway>(req: Request, next: Next) -> Response {
    let skip = G::SERVICE
        .access_log
        .is_some_and(|paths| paths.contains(&req.uri().path()));
    if skip || !crate::log::enabled(crate::log::Level::Info) {
        return next.run(req).await;
    }
    let now = std::time::SystemTime::now();
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let target = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    // Computed once: the endpoint handler takes it from the request's extensions.
    let ip = ClientIp::of(G::SERVICE.client_ip, &req);
    let mut req = req;
    req.extensions_mut().insert(ip.clone());
    let resp = next.run(req).await;
    crate::log::access(
        now,
        resp.status().as_u16(),
        started.elapsed(),
        &ip.0,
        method.as_str(),
        &target,
    );
    resp
}

/// Rewrites the request path to the decoded-then-re-encoded form the router matches on, so
/// that `%2F` is a separator as in KrakenD; keeps the original target for `/__echo/`.
pub(super) async fn canonicalize<G: Gateway>(mut req: Request, next: Next) -> Response {
    let mut canonical = match router::canonical_path(req.uri().path()) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(p) => Some(p),
    };
    if G::ROUTES.remove_extra_slash {
        let current = canonical.as_deref().unwrap_or(req.uri().path());
        if let std::borrow::Cow::Owned(p) = router::clean_path(current) {
            canonical = Some(p);
        }
    }
    if let Some(path) = canonical {
        let original = req.uri().clone();
        let pq = match original.query() {
            Some(q) => format!("{path}?{q}"),
            None => path,
        };
        let mut parts = original.clone().into_parts();
        match pq.parse() {
            Ok(p) => parts.path_and_query = Some(p),
            Err(_) => return http::StatusCode::BAD_REQUEST.into_response(),
        }
        if let Ok(uri) = http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
            req.extensions_mut().insert(RawTarget(original));
        }
    }
    next.run(req).await
}
