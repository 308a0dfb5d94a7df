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
