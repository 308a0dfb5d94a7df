//! Rules on the `backend/http` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::backend_http::{BackendHttpOptions, DETAILS_MESSAGE, KEYS, NAME};

pub(super) fn check_backend_http(d: &mut Diagnostics, h: &BackendHttpOptions) {
    check_unknown_keys(d, &h.unknown, KEYS, &[], NAME);
    if let Some(details) = h
        .return_error_details
        .as_ref()
        .filter(|a| a.value.is_empty())
    {
        d.error(&details.pointer, DETAILS_MESSAGE, None);
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(http: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"backend/http": {{{http}}}}}"#),
        ))
    }

    #[test]
    fn return_error_details() {
        let p = "@/endpoints/0/backend/0/extra_config/backend~1http/return_error_details";
        assert_eq!(
            errors(r#""return_error_details": """#),
            [format!("{} {p}", super::DETAILS_MESSAGE)]
        );
        assert_eq!(
            errors(r#""return_error_details": 1"#),
            [format!("{} {p}", super::DETAILS_MESSAGE)]
        );
        assert!(errors(r#""return_error_details": "b", "return_error_code": true"#).is_empty());
    }

    #[test]
    fn unknown_keys() {
        assert_eq!(errors(r#""x": 1"#).len(), 1);
    }
}
