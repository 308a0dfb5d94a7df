//! Rules on the `backend/http/client` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::backend_http_client::{BackendHttpClientOptions, KEYS, NAME};

pub(super) fn check_backend_http_client(d: &mut Diagnostics, c: &BackendHttpClientOptions) {
    check_unknown_keys(d, &c.unknown, KEYS, &[], NAME);
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(client: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"backend/http/client": {{{client}}}}}"#),
        ))
    }

    #[test]
    fn keys_and_types() {
        assert_eq!(errors(r#""timeout": "1s""#).len(), 1);
        assert_eq!(errors(r#""send_body_on_redirect": "yes""#).len(), 1);
        assert!(errors(r#""send_body_on_redirect": true"#).is_empty());
    }
}
