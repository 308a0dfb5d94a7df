//! Rules on the `auth/client-credentials` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::auth_client_credentials::{ClientCredentialsOptions, KEYS, NAME};

pub(super) fn check_client_credentials(d: &mut Diagnostics, c: &ClientCredentialsOptions) {
    check_unknown_keys(d, &c.unknown, KEYS, &[], NAME);
    match &c.token_url {
        Some(u) if u.value.starts_with("http://") || u.value.starts_with("https://") => {}
        Some(u) => d.error(
            &u.pointer,
            format!("`token_url` `{}` is not an http(s) URL", u.value),
            None,
        ),
        None => d.error(
            &c.pointer,
            "`auth/client-credentials` needs a `token_url`",
            None,
        ),
    }
}
