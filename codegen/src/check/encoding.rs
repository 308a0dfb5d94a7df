//! Rules on `output_encoding` and backend `encoding` values.

use crate::diag::Diagnostics;
use crate::model::{Backend, Service};

/// `output_encoding` values Krustd implements.
pub const OUTPUT_ENCODINGS: &[&str] = &[
    "json",
    "json-collection",
    "string",
    "no-op",
    "xml",
    "yaml",
    "negotiate",
];

/// KrakenD output encodings not implemented yet.
const OUTPUT_ENCODINGS_LATER: &[&str] = &[];

/// Backend `encoding` values Krustd implements (`fast-json` is KrakenD's alias of `json`).
pub const BACKEND_ENCODINGS: &[&str] = &[
    "json",
    "safejson",
    "string",
    "no-op",
    "fast-json",
    "xml",
    "rss",
];

const BACKEND_ENCODINGS_LATER: &[&str] = &[];

pub(super) fn check_output_encodings(d: &mut Diagnostics, s: &Service) {
    let all =
        std::iter::once(&s.output_encoding).chain(s.endpoints.iter().map(|e| &e.output_encoding));
    for enc in all.flatten() {
        check_one_encoding(
            d,
            &enc.value,
            &enc.pointer,
            OUTPUT_ENCODINGS,
            OUTPUT_ENCODINGS_LATER,
            "output encoding",
        );
    }
}

fn check_one_encoding(
    d: &mut Diagnostics,
    value: &str,
    pointer: &str,
    known: &[&str],
    later: &[&str],
    what: &str,
) {
    if known.contains(&value) {
        return;
    }
    if later.contains(&value) {
        d.error(
            pointer,
            format!("{what} `{value}` is not supported by Krustd yet"),
            Some(format!("use one of: {}", known.join(", "))),
        );
    } else {
        d.error(
            pointer,
            format!("unknown {what} `{value}`"),
            Some(format!("use one of: {}", known.join(", "))),
        );
    }
}

pub(super) fn check_encoding(d: &mut Diagnostics, b: &Backend) {
    if let Some(enc) = &b.encoding {
        check_one_encoding(
            d,
            &enc.value.to_ascii_lowercase(),
            &enc.pointer,
            BACKEND_ENCODINGS,
            BACKEND_ENCODINGS_LATER,
            "backend encoding",
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    #[test]
    fn output_encodings() {
        let d = diagnostics_of(&one_endpoint("", r#""output_encoding": "csv""#, ""));
        assert_eq!(
            d,
            ["unknown output encoding `csv` @/endpoints/0/output_encoding"]
        );
        assert!(diagnostics_of(&one_endpoint(r#""output_encoding": "yaml""#, "", "")).is_empty());
    }

    #[test]
    fn backend_encodings() {
        let d = diagnostics_of(&one_endpoint("", "", r#""encoding": "protobuf""#));
        assert_eq!(
            d,
            ["unknown backend encoding `protobuf` @/endpoints/0/backend/0/encoding"]
        );
        assert!(diagnostics_of(&one_endpoint("", "", r#""encoding": "RSS""#)).is_empty());
    }
}
