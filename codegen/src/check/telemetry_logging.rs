//! Rules on the `telemetry/logging` namespace.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::telemetry_logging::{
    invalid_level, LoggingOptions, FACILITIES, FORMATS, KEYS, LEVELS, NAME,
};

pub(super) fn check_logging(d: &mut Diagnostics, l: &LoggingOptions) {
    check_unknown_keys(d, &l.unknown, KEYS, &[], NAME);
    match &l.level {
        Some(level) if !LEVELS.contains(&level.value.to_ascii_uppercase().as_str()) => {
            invalid_level(d, &level.pointer);
        }
        Some(_) => {}
        // KrakenD cannot build its logger without a level and falls back to DEBUG on stdout.
        None => d.warning(
            &l.pointer,
            format!("`{NAME}` has no `level`: KrakenD ignores the namespace and logs everything at DEBUG to stdout; so does Krustd"),
            Some("add \"level\": \"WARNING\" (or DEBUG, INFO, ERROR, CRITICAL)".to_owned()),
        ),
    }
    if let Some(f) = &l.syslog_facility {
        if !FACILITIES.contains(&f.value.to_ascii_lowercase().as_str()) {
            d.warning(
                &f.pointer,
                format!("unknown syslog facility {:?}: KrakenD uses local3", f.value),
                Some("use local0 to local7".to_owned()),
            );
        }
    }
    let format = l.format.as_ref().map(|f| f.value.as_str());
    if let (Some(f), Some(name)) = (&l.format, format) {
        if !FORMATS.contains(&name) {
            d.warning(
                &f.pointer,
                format!("unknown log format {name:?}: the default format is used"),
                Some("use default, logstash, elastic or custom".to_owned()),
            );
        }
    }
    if format == Some("custom") {
        match &l.custom_format {
            None => d.error(
                l.format.as_ref().map_or(&l.pointer, |f| &f.pointer),
                "`format: custom` needs `custom_format`",
                Some(
                    "e.g. \"custom_format\": \"%{time:2006-01-02 15:04:05} %{level} %{message}\""
                        .to_owned(),
                ),
            ),
            Some(c) => {
                if let Err(e) = crate::logfmt::parse(&c.value) {
                    d.error(&c.pointer, format!("invalid `custom_format`: {e}"), None);
                }
            }
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
        let d = diags(r#""stdout": true"#);
        assert!(d[0].contains("has no `level`"), "{d:#?}");
    }

    #[test]
    fn formats() {
        assert!(diags(
            r#""level": "INFO", "format": "custom", "custom_format": "%{time:15:04} %{level:.4s} %{message}", "prefix": "[X]", "syslog": true, "syslog_facility": "local5""#
        )
        .is_empty());
        assert_eq!(
            diags(r#""level": "INFO", "format": "custom""#),
            ["`format: custom` needs `custom_format` @/extra_config/telemetry~1logging/format"]
        );
        let d = diags(r#""level": "INFO", "format": "custom", "custom_format": "%{bogus}""#);
        assert!(d[0].contains("unknown verb `%{bogus}`"), "{d:#?}");
        let d = diags(r#""level": "INFO", "format": "xml""#);
        assert!(d[0].contains("unknown log format"), "{d:#?}");
        let d = diags(r#""level": "INFO", "syslog": "yes""#);
        assert!(d[0].contains("must be a boolean"), "{d:#?}");
    }
}
