//! Rules on the route set as a whole.

use crate::diag::Diagnostics;
use crate::model::namespaces::RouterOptions;
use crate::model::Service;
use crate::path;

/// The same method and path twice.
pub(super) fn check_duplicate_routes(d: &mut Diagnostics, s: &Service) {
    let mut seen: Vec<(String, String, &str)> = Vec::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        let method = e
            .method
            .as_ref()
            .map(|m| m.value.to_ascii_uppercase())
            .unwrap_or_else(|| "GET".into());
        let path = path::normalise(&p.value);
        if let Some((_, _, first)) = seen.iter().find(|(m, q, _)| *m == method && *q == path) {
            d.error(
                &p.pointer,
                format!("handlers are already registered for path '{path}' ({method})"),
                Some(format!(
                    "the same method and path is declared at {first}; remove one"
                )),
            );
        } else {
            seen.push((method, path, &e.pointer));
        }
    }
}

/// Routes axum (like KrakenD's router) cannot hold together: two parameters with different
/// names at the same position, a parameter or literal clashing with the health path.
pub(super) fn check_route_conflicts(d: &mut Diagnostics, s: &Service) {
    let mut parsed: Vec<(path::EndpointPath, &str)> = Vec::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        if let Ok(ep) = path::EndpointPath::parse(&p.value) {
            parsed.push((ep, &p.pointer));
        }
    }
    for (i, (a, pointer)) in parsed.iter().enumerate() {
        for (b, _) in parsed.iter().take(i) {
            if let Some((x, y)) = path::param_name_conflict(a, b) {
                d.error(
                    pointer,
                    format!("route conflict: `{{{x}}}` in {} and `{{{y}}}` in {} are parameters at the same position with different names", a.raw, b.raw),
                    Some("use the same parameter name at the same position in every endpoint".to_owned()),
                );
                break;
            }
        }
    }
    let health = RouterOptions::health_path(s.ns.router.as_ref());
    if let Some(h) = health {
        for (ep, pointer) in &parsed {
            if ep.raw == h {
                d.error(
                    pointer,
                    format!("the endpoint {h} collides with the health endpoint"),
                    Some(
                        "rename the endpoint, or move the health endpoint with router.health_path"
                            .to_owned(),
                    ),
                );
            }
        }
    }
}
