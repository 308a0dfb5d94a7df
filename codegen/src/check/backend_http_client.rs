//! Rules on the `backend/http/client` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::backend_http_client::{BackendHttpClientOptions, KEYS, NAME};

pub(super) fn check_backend_http_client(d: &mut Diagnostics, c: &BackendHttpClientOptions) {
    check_unknown_keys(d, &c.unknown, KEYS, &[], NAME);
}
