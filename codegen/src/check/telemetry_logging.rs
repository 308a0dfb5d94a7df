//! Rules on the `telemetry/logging` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::telemetry_logging::{
    invalid_level, LoggingOptions, KEYS, LEVELS, NAME, NOT_YET,
};

pub(super) fn check_logging(d: &mut Diagnostics, l: &LoggingOptions) {
    let supported: Vec<&str> = KEYS.iter().chain(NOT_YET).copied().collect();
    check_unknown_keys(d, &l.unknown, &supported, &[], NAME);
    // Log formatting does not change what the gateway serves: a warning, not an error.
    for k in &l.not_yet {
        d.warning(
            &k.pointer,
            format!("`{NAME}.{}` is not implemented by Krustd yet; logs go to stdout in Krustd's format", k.value),
            None,
        );
    }
    if let Some(level) = &l.level {
        if !LEVELS.contains(&level.value.to_ascii_uppercase().as_str()) {
            invalid_level(d, &level.pointer);
        }
    }
}
