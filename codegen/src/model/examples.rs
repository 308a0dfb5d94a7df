//! `@test` on an endpoint: examples that become generated tests (a Krustd extension; KrakenD
//! skips `@` keys as comments). Every malformed example is reported at its place.

use super::reader::type_error;
use super::{child, At, ObjectReader};
use crate::diag::Diagnostics;
use serde_json::{Map, Value};

/// One example: what the backends answer, the client request, and the expected answer.
#[derive(Debug, Clone, Default)]
pub struct Example {
    pub pointer: String,
    pub name: Option<String>,
    pub request: ExampleRequest,
    /// By backend index; a missing one answers `200 {}`.
    pub backends: Vec<ExampleAnswer>,
    pub response: ExampleAnswer,
}

#[derive(Debug, Clone, Default)]
pub struct ExampleRequest {
    pub method: Option<String>,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// A string is sent as it is, any other JSON value as its JSON text.
    pub body: Option<Value>,
}

/// A backend's answer or the expected gateway answer.
#[derive(Debug, Clone, Default)]
pub struct ExampleAnswer {
    pub status: Option<At<i64>>,
    pub body: Option<Value>,
    pub headers: Vec<(String, String)>,
}

/// Reads `@test` (one example or a list of them). `backends` is the endpoint's backend count.
pub fn read(d: &mut Diagnostics, v: &Value, pointer: &str, backends: usize) -> Vec<Example> {
    let items: Vec<(&Value, String)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (x, child(pointer, &i.to_string())))
            .collect(),
        other => vec![(other, pointer.to_owned())],
    };
    let mut out = Vec::new();
    for (item, p) in items {
        match item {
            Value::Object(m) => out.extend(read_one(d, m, p, backends)),
            other => type_error(d, &p, "@test", "an example object", other),
        }
    }
    out
}

fn read_one(
    d: &mut Diagnostics,
    m: &Map<String, Value>,
    pointer: String,
    n_backends: usize,
) -> Option<Example> {
    let mut r = ObjectReader::new(m, pointer.clone());
    let name = r.string(d, "name").map(|n| n.value);
    let request = match r.raw("request") {
        Some((Value::Object(m), p)) => read_request(d, m, p),
        Some((other, p)) => {
            type_error(d, &p, "request", "an object", other);
            None
        }
        None => {
            d.error(
                &pointer,
                "this `@test` example has no `request`",
                Some(r#"add "request": {"path": "/…"}"#.to_owned()),
            );
            None
        }
    };
    let mut backends = Vec::new();
    if let Some((v, p)) = r.raw("backends") {
        match v {
            Value::Array(items) => {
                if items.len() > n_backends {
                    d.error(
                        &p,
                        format!(
                            "{} backend answers, but the endpoint has {n_backends} backend(s)",
                            items.len()
                        ),
                        Some("give one answer per backend, in the order of `backend`".to_owned()),
                    );
                }
                for (i, item) in items.iter().enumerate() {
                    let ip = child(&p, &i.to_string());
                    match item {
                        Value::Object(m) => {
                            backends.push(read_answer(d, m, ip, "a backend answer"))
                        }
                        other => type_error(d, &ip, "backends", "an answer object", other),
                    }
                }
            }
            other => type_error(d, &p, "backends", "a list of answers", other),
        }
    }
    let response = match r.raw("response") {
        Some((Value::Object(m), p)) => {
            let a = read_answer(d, m, p.clone(), "the expected answer");
            if a.status.is_none() {
                d.error(
                    &p,
                    "the expected `response` has no `status`",
                    Some(r#"add "status": 200"#.to_owned()),
                );
            }
            a
        }
        Some((other, p)) => {
            type_error(d, &p, "response", "an object", other);
            ExampleAnswer::default()
        }
        None => {
            d.error(
                &pointer,
                "this `@test` example has no `response`",
                Some(r#"add "response": {"status": 200}"#.to_owned()),
            );
            ExampleAnswer::default()
        }
    };
    r.warn_unknown(d, "a `@test` example");
    // Any error above fails the build, so a partial example is never emitted.
    Some(Example {
        pointer,
        name,
        request: request?,
        backends,
        response,
    })
}

fn read_request(d: &mut Diagnostics, m: &Map<String, Value>, p: String) -> Option<ExampleRequest> {
    let mut r = ObjectReader::new(m, p.clone());
    let method = r.string(d, "method").map(|m| m.value);
    let path = r.string(d, "path");
    let query = r
        .string_map(d, "query")
        .map(|q| q.value)
        .unwrap_or_default();
    let headers = r
        .string_map(d, "headers")
        .map(|h| h.value)
        .unwrap_or_default();
    let body = r.raw("body").map(|(v, _)| v.clone());
    r.warn_unknown(d, "a `@test` request");
    let Some(path) = path else {
        d.error(
            &p,
            "the `@test` request has no `path`",
            Some(r#"add "path": "/…""#.to_owned()),
        );
        return None;
    };
    if !path.value.starts_with('/') || path.value.contains(['?', '#']) {
        d.error(
            &path.pointer,
            format!("`{}` is not a request path", path.value),
            Some("start it with `/` and give the query string in `query`".to_owned()),
        );
    }
    Some(ExampleRequest {
        method,
        path: path.value,
        query,
        headers,
        body,
    })
}

fn read_answer(
    d: &mut Diagnostics,
    m: &Map<String, Value>,
    p: String,
    what: &str,
) -> ExampleAnswer {
    let mut r = ObjectReader::new(m, p);
    let status = r.int(d, "status");
    if let Some(s) = &status {
        if !(100..=599).contains(&s.value) {
            d.error(
                &s.pointer,
                format!("status {} is not an HTTP status", s.value),
                Some("use a code from 100 to 599".to_owned()),
            );
        }
    }
    let body = r.raw("body").map(|(v, _)| v.clone());
    let headers = r
        .string_map(d, "headers")
        .map(|h| h.value)
        .unwrap_or_default();
    r.warn_unknown(d, what);
    ExampleAnswer {
        status,
        body,
        headers,
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Source;
    use crate::Builder;

    fn errors(contract: &str) -> String {
        let source = Source {
            name: "c.json".to_owned(),
            text: contract.to_owned(),
        };
        match Builder::new().generate(source) {
            Ok(_) => String::new(),
            Err(r) => r.to_string(),
        }
    }

    #[test]
    fn malformed_examples_are_reported_where_they_are() {
        let text = r#"{
  "version": 3,
  "host": ["http://b"],
  "endpoints": [{
    "endpoint": "/a",
    "backend": [{ "url_pattern": "/a" }],
    "@test": [
      { "request": { "path": "a?x=1" }, "response": { "status": 200 } },
      { "request": { "path": "/a" }, "backends": [{}, {}], "response": {} },
      { "response": { "status": 700 } },
      7
    ]
  }]
}"#;
        let r = errors(text);
        for want in [
            "c.json:8:",
            "`a?x=1` is not a request path",
            "c.json:9:",
            "2 backend answers, but the endpoint has 1 backend(s)",
            "the expected `response` has no `status`",
            "this `@test` example has no `request`",
            "status 700 is not an HTTP status",
            "c.json:11:",
        ] {
            assert!(r.contains(want), "missing {want:?} in:\n{r}");
        }
    }

    #[test]
    fn a_valid_example_becomes_a_test() {
        let text = r#"{
  "version": 3,
  "host": ["http://b"],
  "endpoints": [{
    "endpoint": "/a/{id}",
    "backend": [{ "url_pattern": "/b/{id}" }],
    "@test": { "name": "one", "request": { "path": "/a/7", "query": { "q": "a b" } },
               "backends": [{ "body": { "x": 1 } }],
               "response": { "status": 200, "body": { "x": 1 } } }
  }]
}"#;
        let source = Source {
            name: "c.json".to_owned(),
            text: text.to_owned(),
        };
        let g = Builder::new()
            .emit_contract_tests(true)
            .generate(source)
            .expect("valid contract");
        assert!(
            g.code.contains("fn contract_get_a_id_example_0()"),
            "{}",
            g.code
        );
        assert!(g.code.contains(r#"path: "/a/7?q=a%20b""#), "{}", g.code);
        assert!(g.code.contains(r#"path: "/b/7""#), "{}", g.code);
    }
}
