//! Rules on the `backend/graphql` namespace. KrakenD drops a GraphQL config whose `type` is not
//! `query` or `mutation` (the request then goes out as a plain one); Krustd refuses it.

use super::namespaces::check_unknown_keys;
use crate::diag::Diagnostics;
use crate::model::namespaces::backend_graphql::{GraphQlOptions, KEYS, NAME};

pub(super) fn check_backend_graphql(d: &mut Diagnostics, g: &GraphQlOptions) {
    check_unknown_keys(d, &g.unknown, KEYS, &[], NAME);
    match &g.kind {
        Some(k) if matches!(k.value.to_ascii_lowercase().as_str(), "query" | "mutation") => {}
        Some(k) => d.error(
            &k.pointer,
            format!(
                "GraphQL `type` must be `query` or `mutation`, found `{}`",
                k.value
            ),
            Some("KrakenD would send the request without GraphQL".to_owned()),
        ),
        None => d.error(
            &g.pointer,
            "`backend/graphql` needs a `type` (`query` or `mutation`)",
            None,
        ),
    }
    if let Some(m) = &g.method {
        if !matches!(m.value.to_ascii_uppercase().as_str(), "GET" | "POST") {
            d.warning(
                &m.pointer,
                format!("GraphQL `method` `{}` is sent as POST", m.value),
                Some("KrakenD only knows GET and POST here".to_owned()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(g: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"backend/graphql": {{{g}}}}}"#),
        ))
    }

    #[test]
    fn type_is_required_and_known() {
        assert_eq!(errors(r#""query": "{ a }""#).len(), 1);
        assert_eq!(errors(r#""type": "subscription""#).len(), 1);
        assert!(errors(r#""type": "Query", "query": "{ a }", "variables": {"a": 1}"#).is_empty());
    }
}
