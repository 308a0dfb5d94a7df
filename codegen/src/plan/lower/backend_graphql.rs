//! Lowering `backend/graphql`: `"{param}"` variables resolved to endpoint parameter indexes
//! (KrakenD looks the name up with its first letter upper-cased, as its params are stored).

use crate::model::namespaces::backend_graphql::GraphQlOptions;
use crate::plan::graphql_ir::{GraphQl, GraphQlVar};
use serde_json::Value;

fn title(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(super) fn lower_graphql(g: &GraphQlOptions, params: &[String]) -> GraphQl {
    let mut variables: Vec<(String, GraphQlVar)> = g
        .variables
        .iter()
        .map(|(k, v)| {
            let var = match v {
                Value::String(s) if s.len() >= 2 && s.starts_with('{') && s.ends_with('}') => {
                    let wanted = title(&s[1..s.len() - 1]);
                    match params.iter().position(|p| title(p) == wanted) {
                        None if crate::path::is_sequential_ref(
                            &s[1..s.len() - 1].replacen('R', "r", 1),
                        ) =>
                        {
                            GraphQlVar::Seq(wanted)
                        }
                        i => GraphQlVar::Param(i),
                    }
                }
                other => GraphQlVar::Json(other.to_string()),
            };
            (k.clone(), var)
        })
        .collect();
    variables.sort_by(|a, b| a.0.cmp(&b.0));
    GraphQl {
        get: g
            .method
            .as_ref()
            .is_some_and(|m| m.value.eq_ignore_ascii_case("GET")),
        mutation: g
            .kind
            .as_ref()
            .is_some_and(|k| k.value.eq_ignore_ascii_case("mutation")),
        query: g.query.clone(),
        operation_name: g.operation_name.clone(),
        variables,
    }
}
