//! Per-request state shared by the backends of one endpoint call.

use crate::forward;
use crate::router;
use crate::spec::{EndpointSpec, ServiceSpec};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::time::Instant;

/// Largest request body the gateway buffers (it is copied to every backend). Larger bodies are
/// answered with 413 before any backend is called.
pub const MAX_REQUEST_BODY: usize = 32 * 1024 * 1024;

/// Identity of a build: what `--version` prints and `/__health` reports.
#[derive(Debug)]
pub struct BuildIdentity {
    /// Contract `name`.
    pub name: &'static str,
    /// sha256 of the contract bytes, hex.
    pub contract_sha256: &'static str,
    /// Version of the krustd crates that built the gateway.
    pub version: &'static str,
    /// `KRUSTD_RELEASE`, else the git SHA of the build, else `unknown`.
    pub release: &'static str,
}

/// State shared by every request of a gateway: the backend HTTP client and run-time options.
#[derive(Debug)]
pub struct GatewayState {
    /// Follows every redirect, replaying the request body on 307/308.
    pub client: reqwest::Client,
    /// Does not follow 307/308 (requests with a body, without `send_body_on_redirect`).
    pub client_no_replay: reqwest::Client,
    pub service: &'static ServiceSpec,
    pub identity: &'static BuildIdentity,
    /// Replaces every backend host (used by tests generated from the contract).
    pub host_override: Option<String>,
    /// Contract host → replacement host (tests).
    pub host_map: Vec<(String, String)>,
}

impl GatewayState {
    /// The host to call for a contract host, after the test overrides.
    pub fn resolve_host<'a>(&'a self, host: &'a str) -> &'a str {
        if let Some(h) = &self.host_override {
            return h;
        }
        self.host_map
            .iter()
            .find(|(from, _)| from == host)
            .map_or(host, |(_, to)| to.as_str())
    }
}

/// The handle handlers receive as axum state.
pub type SharedState = Arc<GatewayState>;

/// The original request target, before the router canonicalised the path.
#[derive(Debug, Clone)]
pub struct RawTarget(pub http::Uri);

/// Everything the backends of one endpoint call need, built once per request.
#[derive(Debug)]
pub struct EndpointCtx {
    pub state: SharedState,
    pub spec: &'static EndpointSpec,
    /// Decoded `{param}` values, in endpoint declaration order.
    pub params: Vec<String>,
    /// Headers allowed by the endpoint, plus the ones the gateway always sets.
    pub headers: HeaderMap,
    /// Query allowed by the endpoint, encoded (may be empty).
    pub query: String,
    pub body: Bytes,
    /// When the backend calls give up.
    pub deadline: Instant,
    /// The client's first `Accept` value, kept only for `output_encoding: negotiate`.
    pub accept: Option<http::HeaderValue>,
}

impl EndpointCtx {
    /// Admits a request for `spec`: checks its parameters (400), filters headers and query and
    /// buffers the body (413 past [`MAX_REQUEST_BODY`]).
    pub async fn start(
        state: &SharedState,
        spec: &'static EndpointSpec,
        req: axum::extract::Request,
    ) -> Result<Self, Response> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let params = extract_params(
            parts.uri.path(),
            spec.param_segments,
            state.service.disable_path_decoding,
        )?;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let client_ip = forward::client_ip_with(state.service.client_ip, &parts.headers, peer);
        let headers = forward::endpoint_headers(
            &parts.headers,
            spec.input_headers,
            &client_ip,
            state.identity.version,
        );
        let query = forward::query(parts.uri.query(), spec.input_query);
        let accept = match spec.output {
            crate::spec::Output::Negotiate => parts.headers.get(http::header::ACCEPT).cloned(),
            _ => None,
        };
        // Hardening (body_budget.rs): a default deadline and the process-wide body budget.
        let body = crate::body_budget::read(body, state.service.read_timeout).await?;
        Ok(EndpointCtx {
            state: state.clone(),
            spec,
            params,
            headers,
            query,
            body,
            deadline: started + spec.backend_timeout,
            accept,
        })
    }

    /// `return_error_msg` of the service.
    pub fn return_error_msg(&self) -> bool {
        self.state.service.return_error_msg
    }

    /// The `X-Krakend` value.
    pub fn version_header(&self) -> &'static str {
        self.state.service.version_header
    }
}

fn extract_params(
    path: &str,
    segments: &[usize],
    unchecked: bool,
) -> Result<Vec<String>, Response> {
    let mut params = Vec::with_capacity(segments.len());
    if segments.is_empty() {
        return Ok(params);
    }
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for &i in segments {
        let raw = parts.get(i).copied().unwrap_or_default();
        params.push(if unchecked {
            router::decode_param_unchecked(raw)?
        } else {
            router::decode_param(raw)?
        });
    }
    Ok(params)
}

/// Buffers a request body up to [`MAX_REQUEST_BODY`], within `read_timeout` when set.
pub async fn read_body(
    body: Body,
    read_timeout: Option<std::time::Duration>,
) -> Result<Bytes, Response> {
    let limited = http_body_util::Limited::new(body, MAX_REQUEST_BODY);
    let collect = limited.collect();
    let collected = match read_timeout {
        Some(d) => match tokio::time::timeout(d, collect).await {
            Ok(r) => r,
            Err(_) => return Err(StatusCode::REQUEST_TIMEOUT.into_response()),
        },
        None => collect.await,
    };
    match collected {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if e.is::<http_body_util::LengthLimitError>() {
                Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    [(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                    format!("request body larger than {MAX_REQUEST_BODY} bytes"),
                )
                    .into_response())
            } else {
                Err(StatusCode::BAD_REQUEST.into_response())
            }
        }
    }
}
