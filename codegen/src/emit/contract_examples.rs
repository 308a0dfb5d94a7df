//! `@test` examples → the data of a generated test: the mocks answer what the example says,
//! at the backend paths the example's request leads to.

use super::contract_data::{backend_path, decoded, shape, Case, MockData};
use crate::plan::{Endpoint, Example};

pub fn example_case(e: &Endpoint, x: &Example) -> Case {
    let segments: Vec<&str> = x.path.trim_start_matches('/').split('/').collect();
    let params: Vec<String> = e
        .param_segments
        .iter()
        .map(|i| segments.get(*i).copied().unwrap_or_default().to_owned())
        .collect();
    let mut shaped = Vec::new();
    let mut mocks = Vec::new();
    for (b, a) in e.backends.iter().zip(&x.backends) {
        let body = a.body.clone().unwrap_or_default();
        let path = backend_path(&b.path, &params, b, &shaped);
        shaped.push(decoded(&body, b.decode).and_then(|d| shape(d, &b.steps)));
        mocks.push(MockData {
            method: b.method.clone(),
            path,
            query: None,
            headers: Vec::new(),
            absent: Vec::new(),
            only_these_headers: false,
            status: a.status,
            content_type: a.content_type.clone(),
            body,
        });
    }
    let path = if x.query.is_empty() {
        x.path.clone()
    } else {
        format!("{}?{}", x.path, x.query)
    };
    Case {
        method: x.method.clone(),
        path,
        headers: x.headers.clone(),
        body: x.body.clone(),
        mocks,
        status: x.response.status,
        completed: None,
        response: x.response.body.clone(),
        response_is_text: x.response.body_is_text,
        response_headers: x.response.headers.clone(),
        unchecked: None,
    }
}
