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

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn diags(logging: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            &format!(r#""extra_config": {{"telemetry/logging": {{{logging}}}}}"#),
            "",
            "",
        ))
    }

    #[test]
    fn level() {
        assert_eq!(
            diags(r#""level": "LOUD""#),
            ["invalid log level @/extra_config/telemetry~1logging/level"]
        );
        assert_eq!(
            diags(r#""level": 3"#),
            ["invalid log level @/extra_config/telemetry~1logging/level"]
        );
        assert!(diags(r#""level": "debug", "stdout": true"#).is_empty());
    }

    #[test]
    fn keys_not_implemented_yet_are_warnings() {
        let d = diags(r#""format": "custom""#);
        assert_eq!(d.len(), 1);
        assert!(d[0].contains("is not implemented by Krustd yet"), "{d:#?}");
    }
}
