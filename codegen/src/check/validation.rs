//! Rules on `validation/json-schema` and `validation/cel`: the schema compiles (drafts 4, 6,
//! 7, 2019-09, 2020-12) and every CEL expression parses and names only the variables KrakenD
//! declares. KrakenD finds out at run time and drops the schema or the rule set silently.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::validation_cel::{CelOptions, IGNORED, KEYS};
use crate::model::namespaces::JsonSchemaOptions;
use crate::model::{At, Endpoint, Service};
use crate::validation::{self as cel_rules, Class};

/// The schema must compile; the error is reported where the schema goes wrong.
pub(super) fn check_json_schema(d: &mut Diagnostics, o: &JsonSchemaOptions) {
    if let Err(e) = jsonschema::validator_for(&cel_rules::with_default_draft(&o.schema)) {
        let at = e.instance_path().to_string();
        d.error(
            &format!("{}{at}", o.pointer),
            format!("invalid JSON schema: {e}"),
            Some(
                "the schema is compiled at build time (drafts 4, 6, 7, 2019-09, 2020-12; \
                 no remote `$ref`); KrakenD would switch the validation off at run time"
                    .to_owned(),
            ),
        );
    }
}

/// Where the rules are: an endpoint (with or without `auth/validator`) or a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Level {
    Endpoint { has_validator: bool },
    Backend,
}

pub(super) fn check_cel(d: &mut Diagnostics, o: &CelOptions, level: Level) {
    for r in &o.rules {
        check_unknown_keys(d, &r.unknown, KEYS, IGNORED, "validation/cel");
        match &r.check_expr {
            Some(e) => check_expr(d, e, level),
            None => d.warning(
                &r.pointer,
                "this `validation/cel` rule has no `check_expr`: KrakenD never evaluates it",
                None,
            ),
        }
    }
}

fn check_expr(d: &mut Diagnostics, e: &At<String>, level: Level) {
    let classes = cel_rules::classes(&e.value);
    if classes.is_empty() {
        d.warning(
            &e.pointer,
            "this CEL expression contains neither `req`, `resp` nor `JWT`: KrakenD never \
             evaluates it",
            None,
        );
        return;
    }
    if let Err(msg) = cel_rules::analyse(&e.value) {
        d.error(&e.pointer, msg, Some(cel_rules::HELP.to_owned()));
        return;
    }
    if classes.contains(&Class::Jwt) {
        match level {
            Level::Backend if classes.len() == 1 => d.error(
                &e.pointer,
                "a CEL rule that only uses `JWT` is never evaluated at backend level",
                Some("JWT rules belong in the endpoint's `validation/cel`".to_owned()),
            ),
            Level::Endpoint {
                has_validator: false,
            } => d.error(
                &e.pointer,
                "a CEL rule containing `JWT` needs `auth/validator` on the endpoint",
                Some(
                    "KrakenD evaluates JWT rules in the token validator only; without one the \
                     rule never runs"
                        .to_owned(),
                ),
            ),
            _ => {}
        }
    }
}

/// A no-op endpoint streams the backend answer: Krustd runs its endpoint pre-rules, but has no
/// response for post-rules nor a backend call to wrap (not supported yet).
pub(super) fn check_cel_no_op(
    d: &mut Diagnostics,
    s: &Service,
    e: &Endpoint,
    o: &CelOptions,
    backend: bool,
) {
    if super::endpoint::endpoint_output(s, e) != "no-op" {
        return;
    }
    for r in &o.rules {
        let Some(x) = &r.check_expr else { continue };
        let classes = cel_rules::classes(&x.value);
        let unsupported = if backend {
            classes.contains(&Class::Pre) || classes.contains(&Class::Post)
        } else {
            classes.contains(&Class::Post)
        };
        if unsupported {
            d.error(
                &x.pointer,
                if backend {
                    "backend-level `validation/cel` on a no-op endpoint is not supported by Krustd yet"
                } else {
                    "CEL post-rules (`resp…`) on a no-op endpoint are not supported by Krustd yet"
                },
                Some(
                    "use endpoint-level pre-rules (`req…`), or a decoding output_encoding"
                        .to_owned(),
                ),
            );
        }
    }
}
