//! Where the service-level checks plug into the router: a route layer over every route
//! registered (endpoints, auto-OPTIONS, `/__debug`, `/__echo`, their 405s), the `GET` of the
//! health path excepted as in KrakenD (registered before the middlewares), and the not-matched
//! fallback, whose 404/405 are covered and whose redirects are not (gin redirects before any
//! middleware runs). CORS wraps everything, see [`cors_layer`].

use super::cors::{self, CorsSpec};
use crate::gateway::Gateway;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::Method;

/// URL-param check (400), `security/http`, the service-level `modifier/lua-endpoint` (when the
/// contract has one: krakend-ce registers it between them), the service bot detector, then
/// the route.
pub(crate) async fn guard_layer<G: Gateway>(req: Request, next: Next) -> Response {
    let Some(guard) = G::guard() else {
        return next.run(req).await;
    };
    if let Some(pattern) = req.extensions().get::<MatchedPath>() {
        if req.method() == Method::GET && Some(pattern.as_str()) == G::SERVICE.health_path {
            return next.run(req).await;
        }
        // lura's paramChecker runs before the security middlewares: its 400 comes first.
        if let Err(resp) = check_params::<G>(pattern.as_str(), req.uri().path()) {
            return resp;
        }
    }
    let admitted = match guard.admit_http(&req) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let req = match G::service_lua() {
        Some(lua) => match crate::lua::service_run(lua, G::service_lua_pool(), req).await {
            Ok(req) => req,
            Err(mut resp) => {
                guard.decorate(resp.headers_mut(), admitted);
                return resp;
            }
        },
        None => req,
    };
    if let Err(resp) = guard.admit_bots(&req, admitted) {
        return resp;
    }
    let mut resp = next.run(req).await;
    guard.decorate(resp.headers_mut(), admitted);
    resp
}

/// The router's `{param}` segments of `pattern`, checked as the endpoint handler checks them.
fn check_params<G: Gateway>(pattern: &str, path: &str) -> Result<(), Response> {
    let mut parts = path.split('/').skip(1);
    for seg in pattern.split('/').skip(1) {
        let raw = parts.next().unwrap_or_default();
        if seg.starts_with('{') && !seg.starts_with("{*") {
            if G::SERVICE.disable_path_decoding {
                crate::router::decode_param_unchecked(raw)?;
            } else {
                crate::router::decode_param(raw)?;
            }
        }
    }
    Ok(())
}

/// The not-matched answer under the guard and the service-level `modifier/lua-endpoint`, in
/// [`guard_layer`]'s order: redirects as they are, 404/405 guarded.
pub(crate) async fn guard_not_matched<G: Gateway>(req: Request, answer: Response) -> Response {
    if answer.status().is_redirection() {
        return answer;
    }
    let Some(guard) = G::guard() else {
        return match G::service_lua() {
            Some(lua) => {
                crate::lua::service_not_matched(lua, G::service_lua_pool(), req, answer).await
            }
            None => answer,
        };
    };
    let admitted = match guard.admit_http(&req) {
        Ok(a) => a,
        Err(resp) => return resp,
    };
    let req = match G::service_lua() {
        Some(lua) => match crate::lua::service_run(lua, G::service_lua_pool(), req).await {
            Ok(req) => req,
            Err(mut resp) => {
                guard.decorate(resp.headers_mut(), admitted);
                return resp;
            }
        },
        None => req,
    };
    if let Err(resp) = guard.admit_bots(&req, admitted) {
        return resp;
    }
    let mut answer = answer;
    guard.decorate(answer.headers_mut(), admitted);
    answer
}

/// `security/cors` around the whole server.
pub(crate) async fn cors_layer<G: Gateway>(req: Request, next: Next) -> Response {
    let Some(spec) = G::cors() else {
        return next.run(req).await;
    };
    run_cors(spec, req, next).await
}

async fn run_cors(spec: &'static CorsSpec, req: Request, next: Next) -> Response {
    if CorsSpec::is_preflight(&req) {
        let headers = spec.preflight(&req);
        if !spec.passthrough {
            return spec.preflight_answer(headers);
        }
        let mut resp = next.run(req).await;
        cors::add(resp.headers_mut(), headers);
        return resp;
    }
    let headers = spec.actual(&req);
    let mut resp = next.run(req).await;
    cors::add(resp.headers_mut(), headers);
    resp
}
