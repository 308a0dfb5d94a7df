//! Answers of the router itself: auto-OPTIONS and the not-matched answer (redirect, 405, 404).

use super::Gateway;
use crate::router;
use axum::extract::Request;
use axum::response::Response;

/// `router.auto_options`: 200, empty body, `Allow` = the path's methods sorted.
pub async fn auto_options<G: Gateway>(path: axum::extract::MatchedPath) -> Response {
    let mut methods: Vec<&str> = G::ROUTES
        .routes
        .iter()
        .filter(|r| r.pattern == path.as_str())
        .flat_map(|r| r.methods.iter().copied())
        .collect();
    methods.sort_unstable();
    methods.dedup();
    let mut resp = Response::new(axum::body::Body::empty());
    if let Ok(v) = http::HeaderValue::from_str(&methods.join(", ")) {
        resp.headers_mut().insert(http::header::ALLOW, v);
    }
    resp.headers_mut().insert(
        crate::respond::X_KRAKEND,
        http::HeaderValue::from_static(G::SERVICE.version_header),
    );
    resp
}

/// The answer when no handler matched: redirect, 405 or 404 (see [`router::not_matched`]).
pub async fn not_matched<G: Gateway>(req: Request) -> Response {
    not_matched_with::<G>(&[], &req)
}

/// [`not_matched`] with the gateway's own catch-all routes taken into account.
pub(super) fn not_matched_with<G: Gateway>(builtin: &[router::Route], req: &Request) -> Response {
    router::not_matched(
        G::ROUTES,
        builtin,
        req.method(),
        req.uri().path(),
        req.uri().query(),
        req.headers(),
    )
}
