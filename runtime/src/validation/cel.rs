//! `validation/cel` (krakend-cel): rules evaluated before a call (`req_*` variables) and after
//! it (`resp_*`), at endpoint and backend level. The expressions were parsed at build time;
//! each phase's programs are compiled once, at first use. A rule that is false, not a boolean
//! or fails to evaluate aborts with `request aborted by evaluator #<i>` (`i` = position among
//! that phase's rules).

use crate::backend::{BackendError, BackendResult};
use crate::ctx::EndpointCtx;
use crate::respond::{error_response, Merged};
use crate::spec::BackendSpec;
use axum::response::Response;
use cel::objects::{Key, Map};
use cel::{Context, Env, Program, Value as Cel};
use http::HeaderMap;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

/// Bits of [`Rules::uses`]: the variables the rules of a phase reference (only those are built).
pub const REQ_METHOD: u16 = 1;
pub const REQ_PATH: u16 = 1 << 1;
pub const REQ_PARAMS: u16 = 1 << 2;
pub const REQ_HEADERS: u16 = 1 << 3;
pub const REQ_QUERYSTRING: u16 = 1 << 4;
pub const RESP_COMPLETED: u16 = 1 << 5;
pub const RESP_METADATA_STATUS: u16 = 1 << 6;
pub const RESP_METADATA_HEADERS: u16 = 1 << 7;
pub const RESP_DATA: u16 = 1 << 8;
pub const JWT: u16 = 1 << 9;
pub const NOW: u16 = 1 << 10;

/// The standard CEL environment, built once for the process.
static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// The rules of one phase (pre, post or JWT) of one endpoint or backend.
#[derive(Debug)]
pub struct Rules {
    /// The expressions, in contract order.
    pub exprs: &'static [&'static str],
    /// Which variables they reference ([`REQ_METHOD`] …).
    pub uses: u16,
    programs: OnceLock<Vec<Option<Program>>>,
}

impl Rules {
    /// Rules compiled at first use (codegen puts this in a `static`).
    pub const fn new(exprs: &'static [&'static str], uses: u16) -> Self {
        Rules {
            exprs,
            uses,
            programs: OnceLock::new(),
        }
    }

    fn programs(&self) -> &[Option<Program>] {
        // Parsed at build time with the same crate: `None` (a rule that always aborts) only on
        // a crate mismatch.
        self.programs
            .get_or_init(|| self.exprs.iter().map(|e| ENV.compile(e).ok()).collect())
    }

    fn uses(&self, bit: u16) -> bool {
        self.uses & bit != 0
    }

    /// Runs every rule against `ctx`; the first that does not give `true` aborts.
    fn eval(&self, ctx: &Context<'_, '_>) -> Result<(), String> {
        for (i, p) in self.programs().iter().enumerate() {
            let passed = p
                .as_ref()
                .is_some_and(|p| matches!(p.execute(ctx), Ok(Cel::Bool(true))));
            if !passed {
                return Err(format!("request aborted by evaluator #{i}"));
            }
        }
        Ok(())
    }

    fn context(&self) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(ENV.clone());
        if self.uses(NOW) {
            ctx.add_variable_from_value("now", now());
        }
        ctx
    }

    /// The pre-call phase over a request.
    pub fn check_request(&self, req: &RequestView<'_>) -> Result<(), String> {
        let mut ctx = self.context();
        if self.uses(REQ_METHOD) {
            ctx.add_variable_from_value("req_method", req.method);
        }
        if self.uses(REQ_PATH) {
            ctx.add_variable_from_value("req_path", req.path);
        }
        if self.uses(REQ_PARAMS) {
            let m: HashMap<Key, Cel> = req
                .param_names
                .iter()
                .zip(req.params)
                .map(|(k, v)| (Key::from(*k), Cel::from(v.as_str())))
                .chain(req.seq_params.iter().map(|(k, v)| {
                    (
                        Key::from(*k),
                        Cel::from(String::from_utf8_lossy(v).as_ref()),
                    )
                }))
                .collect();
            ctx.add_variable_from_value("req_params", map(m));
        }
        if self.uses(REQ_HEADERS) {
            ctx.add_variable_from_value("req_headers", headers(req.headers));
        }
        if self.uses(REQ_QUERYSTRING) {
            ctx.add_variable_from_value("req_querystring", query(req.query));
        }
        self.eval(&ctx)
    }

    /// The post-call phase over a response: its data, completeness and (no-op only) metadata.
    pub fn check_response(&self, completed: bool, data: Option<&Value>) -> Result<(), String> {
        let mut ctx = self.context();
        if self.uses(RESP_COMPLETED) {
            ctx.add_variable_from_value("resp_completed", completed);
        }
        if self.uses(RESP_METADATA_STATUS) {
            ctx.add_variable_from_value("resp_metadata_status", 0i64);
        }
        if self.uses(RESP_METADATA_HEADERS) {
            ctx.add_variable_from_value("resp_metadata_headers", map(HashMap::new()));
        }
        if self.uses(RESP_DATA) {
            let d = match data {
                Some(v @ Value::Object(_)) => json(v),
                _ => map(HashMap::new()),
            };
            ctx.add_variable_from_value("resp_data", d);
        }
        self.eval(&ctx)
    }

    /// The JWT phase over a validated token's claims: `true` when every rule passes. For the
    /// `auth/validator` (a failure there is a 401).
    pub fn check_jwt(&self, claims: &serde_json::Map<String, Value>) -> bool {
        let mut ctx = self.context();
        let m = claims.iter().map(|(k, v)| (Key::from(k.as_str()), json(v)));
        ctx.add_variable_from_value("JWT", map(m.collect()));
        self.eval(&ctx).is_ok()
    }
}

/// What pre-call rules see of a request.
#[derive(Debug)]
pub struct RequestView<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Parameter names, first letter upper-case (lura's `Params` keys).
    pub param_names: &'static [&'static str],
    pub params: &'a [String],
    /// Sequential values a step carries (`Resp0_id`; empty elsewhere).
    pub seq_params: &'a [(&'static str, bytes::Bytes)],
    pub headers: &'a HeaderMap,
    /// Encoded query string.
    pub query: &'a str,
}

fn map(m: HashMap<Key, Cel>) -> Cel {
    Cel::Map(Map { map: Arc::new(m) })
}

/// A JSON value as CEL sees KrakenD's decoded data: numbers are doubles (Go's `float64`).
fn json(v: &Value) -> Cel {
    match v {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => Cel::Float(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Cel::from(s.as_str()),
        Value::Array(a) => Cel::List(Arc::new(a.iter().map(json).collect())),
        Value::Object(o) => map(o
            .iter()
            .map(|(k, v)| (Key::from(k.as_str()), json(v)))
            .collect()),
    }
}

/// Headers as Go's `http.Header`: canonical names → all values.
fn headers(h: &HeaderMap) -> Cel {
    let mut m: HashMap<Key, Vec<Cel>> = HashMap::with_capacity(h.keys_len());
    for (name, value) in h {
        let key = Key::from(crate::builtin_routes::canonical_header_key(name.as_str()));
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        m.entry(key).or_default().push(Cel::from(v));
    }
    map(m
        .into_iter()
        .map(|(k, v)| (k, Cel::List(Arc::new(v))))
        .collect())
}

/// An encoded query string as Go's `url.Values`.
fn query(q: &str) -> Cel {
    let mut m: HashMap<Key, Vec<Cel>> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        m.entry(Key::from(k.into_owned()))
            .or_default()
            .push(Cel::from(v.into_owned()));
    }
    map(m
        .into_iter()
        .map(|(k, v)| (k, Cel::List(Arc::new(v))))
        .collect())
}

/// `now` as KrakenD formats it (`2006-01-02T15:04:05.999Z07:00`, UTC).
fn now() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let (y, mo, da) = crate::go::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    let mut out = format!(
        "{y:04}-{mo:02}-{da:02}T{:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    );
    let ms = d.subsec_millis();
    if ms != 0 {
        let frac = format!(".{ms:03}");
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Endpoint pre-rules over the filtered request (`path`: the client's path). `Err` is the
/// 500 to send.
pub fn endpoint_pre(
    ctx: &EndpointCtx,
    rules: &'static Rules,
    method: &str,
    path: &str,
    param_names: &'static [&'static str],
) -> Result<(), Response> {
    let view = RequestView {
        method,
        path,
        param_names,
        params: &ctx.params,
        seq_params: &[],
        headers: &ctx.headers,
        query: &ctx.query,
    };
    rules
        .check_request(&view)
        .map_err(|m| error_response(ctx, BackendError::plain(m)))
}

/// Endpoint post-rules over the merged response; only when every backend succeeded (KrakenD
/// skips them when the merge reports an error). A failure replaces the response.
pub fn endpoint_post(
    ctx: &EndpointCtx,
    rules: &'static Rules,
    m: Merged,
) -> Result<Merged, Response> {
    if !m.errors.is_empty() {
        return Ok(m);
    }
    match rules.check_response(m.complete, m.data.as_ref()) {
        Ok(()) => Ok(m),
        Err(e) => Err(error_response(ctx, BackendError::plain(e))),
    }
}

/// Backend pre-rules over the backend request (its method, path, filtered headers and query).
pub fn backend_pre(
    ctx: &EndpointCtx,
    spec: &'static BackendSpec,
    rules: &'static Rules,
    param_names: &'static [&'static str],
    seq: &[Option<String>],
) -> Result<(), BackendError> {
    let path = if rules.uses(REQ_PATH) {
        let full = spec.url.render_seq("", &ctx.params, seq, "");
        match full.split_once('?') {
            Some((p, _)) => p.to_owned(),
            None => full,
        }
    } else {
        String::new()
    };
    let filtered;
    let headers = match spec.input_headers {
        Some(allow) if rules.uses(REQ_HEADERS) => {
            filtered = crate::forward::backend_headers(&ctx.headers, allow);
            &filtered
        }
        _ => &ctx.headers,
    };
    let query = match spec.input_query {
        Some(allow) if rules.uses(REQ_QUERYSTRING) => {
            std::borrow::Cow::Owned(crate::forward::backend_query(&ctx.query, allow))
        }
        _ => std::borrow::Cow::Borrowed(ctx.query.as_str()),
    };
    let view = RequestView {
        method: spec.method.as_str(),
        path: &path,
        param_names,
        params: &ctx.params,
        seq_params: &ctx.seq_params,
        headers,
        query: &query,
    };
    rules.check_request(&view).map_err(BackendError::plain)
}

/// Backend post-rules over the shaped data of a successful call; a failure fails the backend.
pub fn backend_post(r: BackendResult, rules: &'static Rules) -> BackendResult {
    let BackendResult::Ok(d) = r else {
        return r;
    };
    let v = Value::Object(d);
    match rules.check_response(true, Some(&v)) {
        Ok(()) => match v {
            Value::Object(d) => BackendResult::Ok(d),
            _ => BackendResult::Ok(crate::shape::Data::new()),
        },
        Err(e) => BackendResult::Failed(BackendError::plain(e)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn view<'a>(h: &'a HeaderMap, params: &'a [String]) -> RequestView<'a> {
        RequestView {
            method: "GET",
            path: "/a/42",
            param_names: &["Id"],
            params,
            seq_params: &[],
            headers: h,
            query: "a=1&a=2&b=x%20y",
        }
    }

    #[test]
    fn request_variables() {
        let mut h = HeaderMap::new();
        h.append("x-header", "one".parse().unwrap());
        h.append("x-header", "two".parse().unwrap());
        let params = ["42".to_owned()];
        static R: Rules = Rules::new(
            &[
                "req_method == 'GET' && req_path == '/a/42'",
                "int(req_params.Id) % 2 == 0",
                "'two' in req_headers['X-Header'] && size(req_headers['X-Header']) == 2",
                "req_querystring.a == ['1', '2'] && req_querystring.b[0] == 'x y'",
                "now.endsWith('Z') && now.startsWith('20')",
            ],
            REQ_METHOD | REQ_PATH | REQ_PARAMS | REQ_HEADERS | REQ_QUERYSTRING | NOW,
        );
        assert_eq!(R.check_request(&view(&h, &params)), Ok(()));
        let odd = ["41".to_owned()];
        assert_eq!(
            R.check_request(&view(&h, &odd)),
            Err("request aborted by evaluator #1".to_owned())
        );
    }

    #[test]
    fn errors_and_non_booleans_abort() {
        let h = HeaderMap::new();
        static R: Rules = Rules::new(&["true", "req_headers['X-Missing'][0] == 'a'"], REQ_HEADERS);
        assert_eq!(
            R.check_request(&view(&h, &[])),
            Err("request aborted by evaluator #1".to_owned())
        );
        static S: Rules = Rules::new(&["1"], 0);
        assert!(S.check_request(&view(&h, &[])).is_err());
    }

    #[test]
    fn response_variables_and_jwt() {
        static R: Rules = Rules::new(
            &[
                "resp_completed && resp_metadata_status == 0 && size(resp_metadata_headers) == 0",
                "resp_data.n == 42 && resp_data.n > 41.5 && resp_data.list[1] == 'b' && resp_data.o.k",
            ],
            RESP_COMPLETED | RESP_METADATA_STATUS | RESP_METADATA_HEADERS | RESP_DATA,
        );
        let data = serde_json::json!({"n": 42, "list": ["a", "b"], "o": {"k": true}});
        assert_eq!(R.check_response(true, Some(&data)), Ok(()));
        assert!(R.check_response(false, Some(&data)).is_err());
        static J: Rules = Rules::new(&["size(JWT.roles) > 1 && JWT.sub == 'u'"], JWT);
        let claims = serde_json::json!({"roles": ["a", "b"], "sub": "u"});
        assert!(J.check_jwt(claims.as_object().unwrap()));
        let claims = serde_json::json!({"roles": ["a"], "sub": "u"});
        assert!(!J.check_jwt(claims.as_object().unwrap()));
    }

    #[test]
    fn now_format() {
        let n = now();
        assert_eq!(&n[10..11], "T");
        assert!(n.ends_with('Z'));
        assert!(n.len() >= 20 && n.len() <= 24, "{n}");
    }
}
