//! Per-request state shared by the backends of one endpoint call.

use crate::client::{Base, ClientError};
use crate::forward;
use crate::router;
use crate::spec::{EndpointSpec, ServiceSpec};
use axum::extract::ConnectInfo;
use axum::response::Response;
use bytes::Bytes;
use http::HeaderMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
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

/// A backend host parsed once, or why it cannot be called.
pub type ParsedHost = Result<Arc<Base>, ClientError>;

/// State shared by every request of a gateway (one per core): the backend HTTP client, the
/// parsed backend hosts and run-time options.
#[derive(Debug)]
pub struct GatewayState {
    /// The pooled backend client of this core.
    pub client: crate::client::Client,
    pub service: &'static ServiceSpec,
    pub identity: &'static BuildIdentity,
    /// `KrakenD Version <version>` (User-Agent / X-Forwarded-Via), made once.
    pub agent: Option<http::HeaderValue>,
    /// Replaces every backend host (used by tests generated from the contract).
    pub host_override: Option<ParsedHost>,
    /// Contract host → replacement host (tests).
    pub host_map: Vec<(String, ParsedHost)>,
    /// The Redis of `krustd/ratelimit/redis` (`Options::redis_url`); `None`: limits per node.
    pub redis: Option<Arc<crate::ratelimit::redis::Cluster>>,
    /// Contract hosts parsed on first use (key: the `&'static str`'s address and length, a
    /// key no client sets, so an Fx hash instead of SipHash: one lookup per backend call).
    bases: Mutex<rustc_hash::FxHashMap<(usize, usize), ParsedHost>>,
    /// The URLs of backends whose URL is the same on every call (a pattern without parameters,
    /// no query string forwarded), made on first use: key, the contract host's address and
    /// length and the pattern's address (both `'static`, one per backend of the contract).
    fixed_urls: Mutex<rustc_hash::FxHashMap<(usize, usize, usize), http::Uri>>,
}

impl GatewayState {
    /// State for `service` with the test overrides parsed once.
    pub fn new(
        service: &'static ServiceSpec,
        identity: &'static BuildIdentity,
        host_override: Option<&str>,
        host_map: &[(String, String)],
    ) -> Self {
        let parse = |h: &str| Base::parse(h).map(Arc::new);
        GatewayState {
            client: crate::client::Client::new(),
            service,
            identity,
            agent: forward::krakend_agent(forward::KRAKEND_VERSION),
            host_override: host_override.map(parse),
            host_map: host_map
                .iter()
                .map(|(from, to)| (from.clone(), parse(to)))
                .collect(),
            redis: None,
            bases: Mutex::new(rustc_hash::FxHashMap::default()),
            fixed_urls: Mutex::new(rustc_hash::FxHashMap::default()),
        }
    }

    /// The parsed host to call for a contract host, after the test overrides.
    pub fn base(&self, host: &'static str) -> ParsedHost {
        if let Some(b) = &self.host_override {
            return b.clone();
        }
        if let Some((_, to)) = self.host_map.iter().find(|(from, _)| from == host) {
            return to.clone();
        }
        let key = (host.as_ptr() as usize, host.len());
        let mut bases = self
            .bases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        bases
            .entry(key)
            .or_insert_with(|| Base::parse(host).map(Arc::new))
            .clone()
    }

    /// The URL of `url` on contract host `host` when it takes no value from the request (see
    /// [`UrlTemplate::is_fixed`](crate::url::UrlTemplate::is_fixed)): built and checked once,
    /// then a copy per call.
    pub fn fixed_url(
        &self,
        host: &'static str,
        url: &'static crate::url::UrlTemplate,
    ) -> Result<http::Uri, ClientError> {
        let key = (
            host.as_ptr() as usize,
            host.len(),
            std::ptr::from_ref(url) as usize,
        );
        let cached = self
            .fixed_urls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&key)
            .cloned();
        if let Some(uri) = cached {
            return Ok(uri);
        }
        let base = self.base(host)?;
        let uri = base.uri(url.render_seq(&base.path, &[], &[], ""))?;
        self.fixed_urls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, uri.clone());
        Ok(uri)
    }
}

/// The handle handlers receive as axum state.
pub type SharedState = Arc<GatewayState>;

/// The client IP of a request (router client-IP options applied), computed once per request:
/// by the access log when it runs, else when the endpoint call starts. Kept as the header
/// value `X-Forwarded-For` gets (empty: unknown), so it is not copied again per request.
#[derive(Debug, Clone)]
pub struct ClientIp(pub http::HeaderValue);

impl ClientIp {
    /// The IP `policy` gives for `req` (its headers and TCP peer).
    pub fn of(policy: &forward::ClientIpPolicy, req: &axum::extract::Request) -> Self {
        Self::from_parts(policy, req.headers(), req.extensions())
    }

    fn from_parts(
        policy: &forward::ClientIpPolicy,
        headers: &HeaderMap,
        extensions: &http::Extensions,
    ) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let ip = forward::client_ip_with(policy, headers, peer);
        // The IP comes from a header value's visible-ASCII text or an address: always valid.
        ClientIp(
            http::HeaderValue::from_maybe_shared(Bytes::from(ip))
                .unwrap_or(http::HeaderValue::from_static("")),
        )
    }

    /// The IP as text (empty when unknown).
    pub fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or_default()
    }
}

/// The original request target, before the router canonicalised the path.
#[derive(Debug, Clone)]
pub struct RawTarget(pub http::Uri);

/// Everything the backends of one endpoint call need, built once per request.
#[derive(Debug, Clone)]
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
    /// The client sent `Content-Length` and the endpoint's `input_headers` pass it: KrakenD
    /// then knows the body size and sends a `Content-Length` instead of a chunked body.
    pub length_forwarded: bool,
    /// `modifier/lua-backend`: the backend request as its `pre` script left it (set only on
    /// the context such a backend's call gets).
    pub lua_request: Option<std::sync::Arc<crate::lua::BackendRequest>>,
    /// Sequential values a step's request parameters carry (`Resp0_id`; `sequential.rs`),
    /// for its Lua, CEL and GraphQL; empty elsewhere. Bytes: a propagated `no-op` answer
    /// (`Resp0`) is the raw body, as lura's Go string (Lua gets it unchanged).
    pub seq_params: Vec<(&'static str, Bytes)>,
}

impl EndpointCtx {
    /// Admits a request for `spec`: checks its parameters (400), filters headers and query and
    /// buffers the body (413 past [`MAX_REQUEST_BODY`]).
    pub async fn start(
        state: &SharedState,
        spec: &'static EndpointSpec,
        req: axum::extract::Request,
    ) -> Result<Self, Response> {
        let (mut ctx, body) = Self::admit(state, spec, req)?;
        // Hardening (body_budget.rs): a default deadline and the process-wide body budget.
        ctx.body = crate::body_budget::read(body, state.service.read_timeout).await?;
        Ok(ctx)
    }

    /// [`start`](Self::start) for a `no-op` endpoint: the body is not buffered but streamed to
    /// the backend as it arrives (at most [`MAX_REQUEST_BODY`] bytes, within the endpoint's
    /// deadline); `ctx.body` stays empty.
    pub fn start_streaming(
        state: &SharedState,
        spec: &'static EndpointSpec,
        req: axum::extract::Request,
    ) -> Result<(Self, crate::client::ReqBody), Response> {
        let (ctx, body) = Self::admit(state, spec, req)?;
        let body = crate::body_budget::stream(body, ctx.deadline)?;
        Ok((ctx, body))
    }

    /// Everything but the body, which is handed back as it came.
    fn admit(
        state: &SharedState,
        spec: &'static EndpointSpec,
        req: axum::extract::Request,
    ) -> Result<(Self, axum::body::Body), Response> {
        let started = Instant::now();
        let (parts, body) = req.into_parts();
        let params = extract_params(
            parts.uri.path(),
            spec.param_segments,
            state.service.disable_path_decoding,
        )?;
        let client_ip = match parts.extensions.get::<ClientIp>() {
            Some(ip) => ip.clone(),
            None => {
                ClientIp::from_parts(state.service.client_ip, &parts.headers, &parts.extensions)
            }
        };
        let headers = forward::endpoint_headers_with(
            &parts.headers,
            spec.input_headers,
            Some(&client_ip.0),
            state.agent.as_ref(),
        );
        let query = forward::query(parts.uri.query(), spec.input_query);
        let accept = match spec.output {
            crate::spec::Output::Negotiate => parts.headers.get(http::header::ACCEPT).cloned(),
            _ => None,
        };
        let length_forwarded = parts.headers.contains_key(http::header::CONTENT_LENGTH)
            && spec
                .input_headers
                .is_some_and(|a| a.all || a.names.contains(&http::header::CONTENT_LENGTH));
        let ctx = EndpointCtx {
            state: state.clone(),
            spec,
            params,
            headers,
            query,
            body: Bytes::new(),
            deadline: started + spec.backend_timeout,
            accept,
            length_forwarded,
            lua_request: None,
            seq_params: Vec::new(),
        };
        Ok((ctx, body))
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
