//! How Go's `net/http` server presents a request to a handler, for the tests whose mock
//! backends behave like krakend-ce's Go test backend (`krakend_specs.rs`, `ce_conformance.rs`).

use axum::http::HeaderMap;
use std::collections::BTreeMap;

/// Go's `textproto.CanonicalMIMEHeaderKey`.
pub fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// `r.Header` as Go's server holds it (canonical names, no `Host` or `Transfer-Encoding`),
/// without the `X-Forwarded-For` the mock checked.
pub fn go_headers(h: &HeaderMap) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in h {
        if matches!(
            name.as_str(),
            "host" | "transfer-encoding" | "x-forwarded-for"
        ) {
            continue;
        }
        out.entry(canonical(name.as_str()))
            .or_default()
            .push(String::from_utf8_lossy(value.as_bytes()).into_owned());
    }
    out
}

/// `r.URL.Query()`.
pub fn go_query(q: Option<&str>) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()) {
        out.entry(k.into_owned()).or_default().push(v.into_owned());
    }
    out
}
