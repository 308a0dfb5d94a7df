//! Lowering of `validation/json-schema` and `validation/cel`.

use crate::model::namespaces::{CelOptions, JsonSchemaOptions};
use crate::plan::{Cel, CelPhase};
use crate::validation::{self, Class};

/// The schema as embedded JSON text (`$schema` defaulted to draft 7 when absent).
pub(super) fn lower_json_schema(o: &JsonSchemaOptions) -> String {
    validation::with_default_draft(&o.schema).to_string()
}

/// The rules split by phase as KrakenD classifies them; `None` when no rule ever runs.
pub(super) fn lower_cel(o: &CelOptions, params: &[String]) -> Option<Cel> {
    let mut cel = Cel {
        param_names: params.iter().map(|p| capitalise(p)).collect(),
        ..Cel::default()
    };
    for r in &o.rules {
        let Some(e) = &r.check_expr else { continue };
        // `check` rejected the expressions that do not parse.
        let Ok(uses) = validation::analyse(&e.value) else {
            continue;
        };
        for class in validation::classes(&e.value) {
            let phase: &mut CelPhase = match class {
                Class::Pre => &mut cel.pre,
                Class::Post => &mut cel.post,
                Class::Jwt => &mut cel.jwt,
            };
            phase.exprs.push(e.value.clone());
            phase.uses |= uses;
        }
    }
    let empty = cel.pre.exprs.is_empty() && cel.post.exprs.is_empty() && cel.jwt.exprs.is_empty();
    (!empty).then_some(cel)
}

/// lura's parameter key: the first letter upper-case.
fn capitalise(p: &str) -> String {
    let mut c = p.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
