//! The mock backend and the comparison of `tests/ce_conformance.rs`.

use crate::go_http::{canonical, go_headers, go_query};
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::time::Duration;

/// One spec file: the request, and what the answer must be.
pub struct Spec {
    pub error: String,
    pub input: Input,
    pub out: Output,
}

pub struct Input {
    pub url: String,
    pub method: String,
    pub header: Vec<(String, String)>,
    pub body: Value,
}

pub struct Output {
    pub status_code: u16,
    pub body: Value,
    pub header: BTreeMap<String, Vec<String>>,
    pub schema: Map<String, Value>,
}

impl Spec {
    pub fn parse(v: &Value) -> Result<Spec, String> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let input = &v["in"];
        let out = &v["out"];
        let header = input["header"]
            .as_object()
            .map(|h| h.iter().map(|(k, v)| (k.clone(), text(v))).collect())
            .unwrap_or_default();
        let mut want = BTreeMap::new();
        for (k, vs) in out["header"].as_object().into_iter().flatten() {
            let vs = vs.as_array().ok_or(format!("header {k}: not a list"))?;
            want.insert(k.clone(), vs.iter().map(text).collect());
        }
        Ok(Spec {
            error: text(&v["error"]),
            input: Input {
                url: text(&input["url"]),
                method: text(&input["method"]),
                header,
                body: input["body"].clone(),
            },
            out: Output {
                status_code: out["status_code"].as_u64().ok_or("no status_code")? as u16,
                body: out["body"].clone(),
                header: want,
                schema: out["schema"].as_object().cloned().unwrap_or_default(),
            },
        })
    }
}

/// JSON numbers as Go decodes them into `interface{}`: all `float64`.
fn floats(v: Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(a) => Value::Array(a.into_iter().map(floats).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

type Hyper = hyper_util::client::legacy::Client<
    hyper_util::client::legacy::connect::HttpConnector,
    http_body_util::Full<bytes::Bytes>,
>;

/// Go's `http.DefaultClient`, as far as these specs see it: no header of its own but
/// `User-Agent: Go-http-client/1.1` and `Accept-Encoding: gzip` (whose answer it then
/// un-gzips, dropping `Content-Encoding` and `Content-Length`), `Content-Length: 0` on a
/// body-less POST/PUT/PATCH, and up to 10 redirects followed (301/302/303 as GET without the
/// body, 307/308 as they were) with the previous URL as `Referer`.
pub struct GoClient(Hyper);

impl Default for GoClient {
    fn default() -> Self {
        Self::new()
    }
}

impl GoClient {
    pub fn new() -> Self {
        GoClient(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
        )
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<(u16, axum::http::HeaderMap, Vec<u8>), String> {
        let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        let gzip = !has("accept-encoding") && !has("range");
        // Go sends an empty method as GET.
        let mut method = if method.is_empty() { "GET" } else { method }.to_owned();
        let mut url = url::Url::parse(url).map_err(|e| e.to_string())?;
        let mut body = body;
        let mut referer: Option<String> = None;
        for _ in 0..=10 {
            let mut req = hyper::Request::builder()
                .method(method.as_str())
                .uri(url.as_str());
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            if !has("user-agent") {
                req = req.header("user-agent", "Go-http-client/1.1");
            }
            if gzip {
                req = req.header("accept-encoding", "gzip");
            }
            if let Some(r) = &referer {
                req = req.header("referer", r.as_str());
            }
            if body.is_none() && matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                req = req.header("content-length", "0");
            }
            let req = req
                .body(http_body_util::Full::new(bytes::Bytes::from(
                    body.clone().unwrap_or_default(),
                )))
                .map_err(|e| e.to_string())?;
            let resp = tokio::time::timeout(Duration::from_secs(10), self.0.request(req))
                .await
                .map_err(|_| "timeout".to_owned())?
                .map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let mut head = resp.headers().clone();
            let bytes = tokio::time::timeout(
                Duration::from_secs(10),
                http_body_util::BodyExt::collect(resp.into_body()),
            )
            .await
            .map_err(|_| "timeout reading the body".to_owned())?
            .map_err(|e| e.to_string())?
            .to_bytes()
            .to_vec();
            let location = head
                .get("location")
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            match (status, location) {
                (301..=303 | 307 | 308, Some(next)) => {
                    if status <= 303 {
                        if method != "GET" && method != "HEAD" {
                            method = "GET".to_owned();
                        }
                        body = None;
                    }
                    referer = Some(url.to_string());
                    url = next;
                }
                _ => {
                    let gzipped = head.get("content-encoding").is_some_and(|v| v == "gzip");
                    if gzip && gzipped {
                        let mut plain = Vec::new();
                        flate2::read::GzDecoder::new(&bytes[..])
                            .read_to_end(&mut plain)
                            .map_err(|e| e.to_string())?;
                        head.remove("content-encoding");
                        head.remove("content-length");
                        return Ok((status, head, plain));
                    }
                    return Ok((status, head, bytes));
                }
            }
        }
        Err("stopped after 10 redirects".to_owned())
    }
}

/// The request of `spec`, sent as the runner does, compared as `assertResponse` does; the
/// differences otherwise.
pub async fn compare(client: &GoClient, spec: &Spec) -> Result<(), Vec<String>> {
    let body = match &spec.input.body {
        Value::Null => None,
        Value::String(s) => Some(s.clone().into_bytes()),
        other => Some(other.to_string().into_bytes()),
    };
    let sent = client
        .send(
            &spec.input.method,
            &spec.input.url,
            &spec.input.header,
            body,
        )
        .await;
    let (status, headers, mut bytes) = match sent {
        Ok(r) => r,
        // The runner passes when Go's error text is the expected one; ours differs in
        // wording, so only "an error was expected and happened" is checked.
        Err(_) if !spec.error.is_empty() => return Ok(()),
        Err(e) => return Err(vec![format!("request failed: {e}")]),
    };
    let mut errs = Vec::new();
    let out = &spec.out;
    if status != out.status_code {
        errs.push(format!(
            "unexpected status code. have: {status}, want: {}",
            out.status_code
        ));
    }
    for (k, want) in &out.header {
        let k = canonical(k);
        let have: Vec<String> = headers
            .get_all(k.as_str())
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        if !have.is_empty() && &have == want {
            continue;
        }
        if !have.is_empty() {
            errs.push(format!(
                "unexpected value for header {k}. have: {have:?}, want: {want:?}"
            ));
        } else if want.first().is_some_and(|w| !w.is_empty()) {
            errs.push(format!("header {k} not present (want {want:?})"));
        }
    }
    let gzipped = headers
        .get("content-encoding")
        .is_some_and(|v| v == "gzip" || v == "x-gzip");
    if gzipped {
        let mut plain = Vec::new();
        if flate2::read::GzDecoder::new(&bytes[..])
            .read_to_end(&mut plain)
            .is_ok()
        {
            bytes = plain;
        }
    }
    if !out.schema.is_empty() {
        if bytes.is_empty() {
            errs.push("cannot validate empty body".to_owned());
            return Err(errs);
        }
        let schema = Value::Object(out.schema.clone());
        let validator = match jsonschema::validator_for(&schema) {
            Ok(v) => v,
            Err(e) => {
                errs.push(format!("problem generating json-schema schema: {e}"));
                return Err(errs);
            }
        };
        match serde_json::from_slice::<Value>(&bytes) {
            Err(e) => errs.push(format!("problem unmarshaling the body: {e}")),
            Ok(doc) => {
                let problems: Vec<String> =
                    validator.iter_errors(&doc).map(|e| e.to_string()).collect();
                if !problems.is_empty() {
                    errs.push(format!(
                        "problem validating the body: {}",
                        problems.join("; ")
                    ));
                }
            }
        }
    } else if !out.body.is_null() {
        let (have, want) = match &out.body {
            Value::String(_) => (
                Value::String(String::from_utf8_lossy(&bytes).into_owned()),
                out.body.clone(),
            ),
            other => (
                floats(serde_json::from_slice(&bytes).unwrap_or(Value::Null)),
                floats(other.clone()),
            ),
        };
        if have != want {
            errs.push(format!(
                "unexpected body.\n\t\thave: {have}\n\t\twant: {want}"
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

fn json(v: Value) -> Response {
    // json.Encoder ends the document with a newline.
    let mut resp = Response::new(Body::from(format!("{v}\n")));
    resp.headers_mut()
        .insert("content-type", "application/json".parse().expect("value"));
    resp
}

async fn echo(req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let query = go_query(parts.uri.query());
    let mut v = Map::new();
    if query.get("dump_body").is_some_and(|d| d == &["1"]) {
        let b = axum::body::to_bytes(body, 1 << 20)
            .await
            .unwrap_or_default();
        v.insert(
            "body".into(),
            String::from_utf8_lossy(&b).into_owned().into(),
        );
    }
    v.insert("foo".into(), 42.into());
    v.insert(
        "headers".into(),
        serde_json::to_value(go_headers(&parts.headers)).unwrap_or_default(),
    );
    v.insert("path".into(), parts.uri.path().into());
    v.insert(
        "query".into(),
        serde_json::to_value(query).unwrap_or_default(),
    );
    let mut resp = json(Value::Object(v));
    let h = resp.headers_mut();
    h.append("set-cookie", "test1=test1".parse().expect("value"));
    h.append("set-cookie", "test2=test2".parse().expect("value"));
    resp
}

/// `http.Redirect` to a path: `Location`, and for GET/HEAD a short HTML body.
fn redirect(to: String, code: u16, method: &axum::http::Method) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::MOVED_PERMANENTLY);
    let mut resp = if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        let text = status.canonical_reason().unwrap_or_default();
        (
            status,
            [("content-type", "text/html; charset=utf-8")],
            format!("<a href=\"{to}\">{text}</a>.\n\n"),
        )
            .into_response()
    } else {
        status.into_response()
    };
    if let Ok(v) = to.parse() {
        resp.headers_mut().insert("location", v);
    }
    resp
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ],
        "404 page not found\n",
    )
        .into_response()
}

const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<user type="admin">
  <name>Elliot</name>
  <social>
    <facebook>https://facebook.com</facebook>
    <twitter>https://twitter.com</twitter>
    <youtube>https://youtube.com</youtube>
  </social>
</user>"#;

/// A symmetric key set: an A128KW key and the HS256 key `sim2` the specs' tokens are signed
/// with (public test values of those specs).
const JWK: &str = r#"{"keys":[{"kty":"oct","alg":"A128KW","k":"GawgguFyGrWKav7AX4VKUg","kid":"sim1"},{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"sim2","alg":"HS256"}]}"#;

/// The runner's backend: a Go `ServeMux` with subtree patterns (`/x/` also answers `/x` with a
/// 301 to `/x/`), each but the key set behind a loopback `X-Forwarded-For` check.
async fn backend(req: Request) -> Response {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let with_query = |p: &str| match &query {
        Some(q) => format!("{p}?{q}"),
        None => p.to_owned(),
    };
    if path == "/jwk/symmetric" {
        let mut resp = Response::new(Body::from(JWK));
        resp.headers_mut()
            .insert("content-type", "application/json".parse().expect("value"));
        return resp;
    }
    const SUBTREES: [&str; 4] = ["/param_forwarding", "/collection", "/delayed", "/redirect"];
    if SUBTREES.contains(&path.as_str()) {
        return redirect(with_query(&format!("{path}/")), 301, req.method());
    }
    let known = path == "/xml" || SUBTREES.iter().any(|s| path.starts_with(&format!("{s}/")));
    if !known {
        return not_found();
    }
    let xff_ok = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<std::net::IpAddr>().ok())
        .is_some_and(|ip| ip.is_loopback());
    if !xff_ok {
        return (
            StatusCode::BAD_REQUEST,
            [
                ("content-type", "text/plain; charset=utf-8"),
                ("x-content-type-options", "nosniff"),
            ],
            "invalid X-Forwarded-For\n",
        )
            .into_response();
    }
    if path == "/xml" {
        return ([("content-type", "application/xml; charset=utf-8")], XML).into_response();
    }
    if path.starts_with("/collection/") {
        let items: Vec<Value> = (0..10)
            .map(|i| serde_json::json!({ "path": path, "i": i }))
            .collect();
        return json(Value::Array(items));
    }
    if path.starts_with("/delayed/") {
        tokio::time::sleep(Duration::from_millis(200)).await;
        return echo(req).await;
    }
    if path.starts_with("/redirect/") {
        let q = go_query(query.as_deref());
        let code = match q.get("status").and_then(|s| s.first()) {
            None => 301,
            Some(s) => match s.parse::<u16>() {
                Ok(c) => c,
                Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
            },
        };
        return redirect(with_query("/param_forwarding/"), code, req.method());
    }
    echo(req).await
}

pub fn mock_backend() -> axum::Router {
    axum::Router::new().fallback(backend)
}
