//! `backend/graphql` (backend level; spec: security-and-traffic.md §13): the backend request
//! becomes a GraphQL request, as lura's GraphQL middleware builds it. A `query` takes its
//! `variables` from the contract, `"{param}"` values from the endpoint parameters; a `mutation`
//! takes the client's JSON body as its variables (the contract's fill the keys it lacks). `POST`
//! sends `{"query", "operationName", "variables"}` as a JSON body; `GET` adds them to the query
//! string. The query text (`query` or the file `query_path`) is embedded at build time.

use crate::backend::BackendError;
use crate::client;
use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde_json::{Map, Value};

/// A backend's GraphQL operation, as codegen emits it.
#[derive(Debug)]
pub struct GraphQl {
    /// `method: GET` (else POST).
    pub get: bool,
    /// `type: mutation` (else query).
    pub mutation: bool,
    pub query: &'static str,
    /// `operationName` (empty: left out).
    pub operation_name: &'static str,
    /// `variables`, sorted by key.
    pub variables: &'static [(&'static str, Var)],
}

/// One contract variable.
#[derive(Debug)]
pub enum Var {
    /// A constant, as JSON text.
    Json(&'static str),
    /// `"{param}"`: the endpoint parameter at this index (`None`: the endpoint has no such
    /// parameter, and the value is empty, as in KrakenD).
    Param(Option<usize>),
    /// `"{resp0_id}"` on a sequential step: the value lura put in its params (`Resp0_id`;
    /// empty when unresolved).
    Seq(&'static str),
}

/// Turns the backend request into the GraphQL request: method, body or query string, and
/// `Content-Type: application/json` (in `headers`, which replaces the request's map).
pub fn apply<'a>(
    g: &'static GraphQl,
    params: &[String],
    seq_params: &[(&'static str, Bytes)],
    client_body: &Bytes,
    headers: &'a mut HeaderMap,
    req: &mut client::Request<'a>,
) -> Result<(), BackendError> {
    let mut vars = if g.mutation {
        body_variables(client_body)?
    } else {
        Map::new()
    };
    for (k, v) in g.variables {
        if vars.contains_key(*k) {
            continue;
        }
        let value = match v {
            Var::Json(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            Var::Param(i) => {
                Value::String(i.and_then(|i| params.get(i)).cloned().unwrap_or_default())
            }
            Var::Seq(name) => Value::String(
                seq_params
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                    .unwrap_or_default(),
            ),
        };
        vars.insert((*k).to_owned(), value);
    }
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if g.get {
        // url.Values.Encode: sorted keys, Go's query escaping.
        let mut pairs = std::collections::BTreeMap::new();
        if !g.operation_name.is_empty() {
            pairs.insert(
                "operationName".to_owned(),
                vec![g.operation_name.to_owned()],
            );
        }
        pairs.insert("query".to_owned(), vec![g.query.to_owned()]);
        if !vars.is_empty() {
            let mut out = Vec::new();
            crate::render::json::write_map(&mut out, &vars);
            pairs.insert(
                "variables".to_owned(),
                vec![String::from_utf8_lossy(&out).into_owned()],
            );
        }
        let added = crate::martian::go_url::encode_query(&pairs);
        let uri = &req.uri;
        let pq = match uri.query().filter(|q| !q.is_empty()) {
            Some(q) => format!("{}?{q}&{added}", uri.path()),
            None => format!("{}?{added}", uri.path()),
        };
        let mut parts = uri.clone().into_parts();
        parts.path_and_query = Some(
            pq.parse()
                .map_err(|e| BackendError::plain(format!("invalid GraphQL query string: {e}")))?,
        );
        req.uri = http::Uri::from_parts(parts)
            .map_err(|e| BackendError::plain(format!("invalid GraphQL URL: {e}")))?;
        req.method = Method::GET;
        req.body = crate::client::ReqBody::Buffered(Bytes::new());
    } else {
        let mut out = Vec::with_capacity(g.query.len() + 64);
        out.extend_from_slice(b"{\"query\":");
        crate::render::json::write_str(&mut out, g.query);
        if !g.operation_name.is_empty() {
            out.extend_from_slice(b",\"operationName\":");
            crate::render::json::write_str(&mut out, g.operation_name);
        }
        if !vars.is_empty() {
            out.extend_from_slice(b",\"variables\":");
            crate::render::json::write_map(&mut out, &vars);
        }
        out.push(b'}');
        req.method = Method::POST;
        req.body = crate::client::ReqBody::Buffered(Bytes::from(out));
        req.known_length = true;
    }
    req.headers = headers;
    Ok(())
}

/// A mutation's variables: the client body, a JSON object (Go's texts for the failures).
fn body_variables(body: &[u8]) -> Result<Map<String, Value>, BackendError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BackendError::plain("unexpected end of JSON input"));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(other) => Err(BackendError::plain(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            match other {
                Value::Array(_) => "array",
                Value::String(_) => "string",
                Value::Number(_) => "number",
                _ => "bool",
            }
        ))),
        Err(e) => Err(BackendError::plain(format!("invalid JSON body: {e}"))),
    }
}
