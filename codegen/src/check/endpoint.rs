//! Rules on one endpoint: its path, method, backends and output.

use crate::diag::Diagnostics;
use crate::model::{Endpoint, Service};
use crate::path;

pub(super) fn check_endpoint_path(d: &mut Diagnostics, e: &Endpoint) {
    let Some(p) = &e.endpoint else {
        d.error(
            &e.pointer,
            "endpoint without `endpoint` path",
            Some("add \"endpoint\": \"/path\"".to_owned()),
        );
        return;
    };
    if let Err(msg) = path::EndpointPath::parse(&p.value) {
        d.error(&p.pointer, msg, Some("KrakenD CE paths are `/literal/{param}/...`: each `{param}` fills a whole segment; wildcards are Enterprise-only".to_owned()));
    }
}

/// Methods KrakenD registers routes for.
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

pub(super) fn check_method(d: &mut Diagnostics, e: &Endpoint) {
    if let Some(m) = &e.method {
        if !METHODS.contains(&m.value.to_ascii_uppercase().as_str()) {
            d.error(
                &m.pointer,
                format!("method `{}` cannot be routed", m.value),
                Some(
                    "KrakenD only registers GET, POST, PUT, PATCH and DELETE endpoints".to_owned(),
                ),
            );
        }
    }
}

pub(super) fn check_backends_present(d: &mut Diagnostics, e: &Endpoint) {
    if e.backend.is_empty() {
        let what = e.endpoint.as_ref().map(|p| p.value.as_str()).unwrap_or("");
        d.error(
            &e.pointer,
            format!("the endpoint `{what}` has 0 backends defined"),
            Some("add at least one object to `backend`".to_owned()),
        );
    }
}

pub(super) fn check_concurrent_calls(d: &mut Diagnostics, e: &Endpoint) {
    if let Some(c) = &e.concurrent_calls {
        if c.value > 64 {
            d.error(
                &c.pointer,
                "`concurrent_calls` above 64 would flood the backend",
                None,
            );
        } else if c.value < 0 {
            d.error(&c.pointer, "`concurrent_calls` cannot be negative", None);
        }
    }
}

pub(super) fn endpoint_output<'a>(s: &'a Service, e: &'a Endpoint) -> &'a str {
    e.output_encoding
        .as_ref()
        .or(s.output_encoding.as_ref())
        .map(|o| o.value.as_str())
        .unwrap_or("json")
}

pub(super) fn check_no_op(d: &mut Diagnostics, s: &Service, e: &Endpoint) {
    if endpoint_output(s, e) != "no-op" {
        return;
    }
    let pointer = e
        .output_encoding
        .as_ref()
        .map(|o| o.pointer.as_str())
        .unwrap_or(&e.pointer);
    if e.backend.len() > 1 {
        d.error(
            pointer,
            "can not use NoOp encoding with more than one backends connected to the same endpoint",
            Some("use one backend, or another output_encoding to merge several".to_owned()),
        );
    }
    for b in &e.backend {
        let manip = [
            b.group.as_ref().map(|x| &x.pointer),
            b.target.as_ref().map(|x| &x.pointer),
            b.allow.as_ref().map(|x| &x.pointer),
            b.deny.as_ref().map(|x| &x.pointer),
            b.mapping.as_ref().map(|x| &x.pointer),
        ];
        for p in manip.into_iter().flatten() {
            d.error(
                p,
                "response manipulation has no effect on a no-op endpoint",
                Some("remove it, or use a decoding output_encoding such as json".to_owned()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(endpoint: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint("", endpoint, ""))
    }

    #[test]
    fn method() {
        assert_eq!(
            errors(r#""method": "OPTIONS""#),
            ["method `OPTIONS` cannot be routed @/endpoints/0/method"]
        );
        assert!(errors(r#""method": "patch""#).is_empty());
    }

    #[test]
    fn concurrent_calls() {
        assert_eq!(errors(r#""concurrent_calls": 65"#).len(), 1);
        assert_eq!(errors(r#""concurrent_calls": -1"#).len(), 1);
        assert!(errors(r#""concurrent_calls": 64"#).is_empty());
    }

    #[test]
    fn backends_present() {
        let d =
            diagnostics_of(r#"{"version": 3, "endpoints": [{"endpoint": "/a", "backend": []}]}"#);
        assert_eq!(
            d,
            ["the endpoint `/a` has 0 backends defined @/endpoints/0"]
        );
    }

    #[test]
    fn no_op() {
        let d = diagnostics_of(&one_endpoint(
            "",
            r#""output_encoding": "no-op""#,
            r#""group": "g""#,
        ));
        assert_eq!(d, ["response manipulation has no effect on a no-op endpoint @/endpoints/0/backend/0/group"]);
    }
}
