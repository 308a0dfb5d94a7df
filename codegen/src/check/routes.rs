//! Rules on the route set as a whole: duplicates, parameter-name conflicts, and the route set
//! the runtime registers checked by the router it runs on (axum 0.8 over `matchit`).

use crate::diag::Diagnostics;
use crate::model::namespaces::RouterOptions;
use crate::model::Service;
use crate::path;

/// The same method and path twice.
pub(super) fn check_duplicate_routes(d: &mut Diagnostics, s: &Service) {
    let mut seen: std::collections::HashMap<(String, String), &str> =
        std::collections::HashMap::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        let method = e
            .method
            .as_ref()
            .map(|m| m.value.to_ascii_uppercase())
            .unwrap_or_else(|| "GET".into());
        let path = path::normalise(&p.value);
        if let Some(first) = seen.get(&(method.clone(), path.clone())) {
            d.error(
                &p.pointer,
                format!("handlers are already registered for path '{path}' ({method})"),
                Some(format!(
                    "the same method and path is declared at {first}; remove one"
                )),
            );
        } else {
            seen.insert((method, path), &e.pointer);
        }
    }
}

/// Routes axum (like KrakenD's router) cannot hold together: two parameters with different
/// names at the same position, a parameter or literal clashing with the health path. Returns
/// the pointers reported, so [`check_router_accepts`] does not report the same clash twice.
pub(super) fn check_route_conflicts(d: &mut Diagnostics, s: &Service) -> Vec<String> {
    let mut reported = Vec::new();
    let mut parsed: Vec<(path::EndpointPath, &str)> = Vec::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        if let Ok(ep) = path::EndpointPath::parse(&p.value) {
            parsed.push((ep, &p.pointer));
        }
    }
    // `a` clashes with an earlier `b` at the first position where both hold parameters of
    // different names, everything before it being the same. So index the earlier paths by each
    // prefix that ends just before a parameter: the first path with that prefix, its parameter
    // name there, and the first path after it whose name differs. The earliest clashing path
    // for `a` is then found per parameter of `a`, without comparing every pair.
    struct Seen<'p> {
        first: (usize, &'p str),
        other: Option<usize>,
    }
    let mut seen: std::collections::HashMap<String, Seen> = std::collections::HashMap::new();
    for (i, (a, pointer)) in parsed.iter().enumerate() {
        let mut prefix = String::new();
        let mut clash: Option<(usize, &str)> = None;
        for seg in &a.segments {
            if let path::Segment::Param(p) = seg {
                let earliest = seen.get(&prefix).and_then(|s| {
                    if s.first.1 != p.as_str() {
                        Some(s.first.0)
                    } else {
                        s.other
                    }
                });
                if let Some(j) = earliest.filter(|j| clash.is_none_or(|(c, _)| *j < c)) {
                    clash = Some((j, p.as_str()));
                }
            }
            match seg {
                path::Segment::Literal(l) => prefix.push_str(&format!("L{}:{l}/", l.len())),
                path::Segment::Param(p) => prefix.push_str(&format!("P{}:{p}/", p.len())),
            }
        }
        if let Some((j, x)) = clash {
            let b = &parsed[j].0;
            let y = path::param_name_conflict(a, b).map_or("", |(_, y)| y);
            reported.push((*pointer).to_owned());
            d.error(
                pointer,
                format!("route conflict: `{{{x}}}` in {} and `{{{y}}}` in {} are parameters at the same position with different names", a.raw, b.raw),
                Some("use the same parameter name at the same position in every endpoint".to_owned()),
            );
        }
        // Index this path under each prefix that ends before one of its parameters.
        let mut prefix = String::new();
        for seg in &a.segments {
            match seg {
                path::Segment::Param(p) => {
                    seen.entry(prefix.clone())
                        .and_modify(|s| {
                            if s.other.is_none() && s.first.1 != p.as_str() {
                                s.other = Some(i);
                            }
                        })
                        .or_insert(Seen {
                            first: (i, p.as_str()),
                            other: None,
                        });
                    prefix.push_str(&format!("P{}:{p}/", p.len()));
                }
                path::Segment::Literal(l) => prefix.push_str(&format!("L{}:{l}/", l.len())),
            }
        }
    }
    let health = RouterOptions::health_path(s.ns.router.as_ref());
    if let Some(h) = health {
        for (ep, pointer) in &parsed {
            if ep.raw == h {
                reported.push((*pointer).to_owned());
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
    reported
}

/// Who registers a route, for diagnostics.
#[derive(Clone)]
struct Registration {
    path: String,
    pointer: String,
    what: &'static str,
}

/// The routes the runtime registers with axum, in its order (`runtime/src/gateway.rs`,
/// `router_with`): one per distinct endpoint path, the health path, then `/__debug/` (which
/// `krustd -d` may add to any build, so it is always checked) and `/__echo/` when enabled.
fn registrations(s: &Service) -> Vec<Registration> {
    let mut out: Vec<Registration> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in &s.endpoints {
        let Some(p) = &e.endpoint else { continue };
        let Ok(ep) = path::EndpointPath::parse(&p.value) else {
            continue;
        };
        if seen.insert(ep.raw.clone()) {
            out.push(Registration {
                path: ep.raw,
                pointer: p.pointer.clone(),
                what: "the endpoint",
            });
        }
    }
    let router = s.ns.router.as_ref();
    if let Some(h) = RouterOptions::health_path(router) {
        let pointer = router
            .and_then(|r| r.health_path.as_ref().map(|h| h.pointer.clone()))
            .unwrap_or_default();
        out.push(Registration {
            path: h,
            pointer,
            what: "the health endpoint",
        });
    }
    let mut builtin = |path: &str, what| {
        out.push(Registration {
            path: path.to_owned(),
            pointer: String::new(),
            what,
        })
    };
    builtin("/__debug/", "the debug endpoint");
    builtin("/__debug/{*rest}", "the debug endpoint");
    if s.echo_endpoint {
        builtin("/__echo/", "the echo endpoint");
        builtin("/__echo/{*rest}", "the echo endpoint");
    }
    out
}

/// Where to point: at the route being added, or at the other one when this one is built in.
fn contract_side<'a>(reg: &'a Registration, other: Option<&'a Registration>) -> &'a str {
    match other {
        Some(o) if reg.pointer.is_empty() => &o.pointer,
        _ => &reg.pointer,
    }
}

/// axum 0.8's own path rules before a route reaches matchit (`validate_path` and
/// `validate_v07_paths` in axum's `routing/path_router.rs`, with its default v0.7 checks on).
fn axum_path_error(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("paths must start with a `/`");
    }
    path.split('/').find_map(|segment| {
        if segment.starts_with(':') {
            Some("a path segment must not start with `:` (axum reads it as a 0.7-style capture)")
        } else if segment.starts_with('*') {
            Some("a path segment must not start with `*` (axum reads it as a 0.7-style wildcard)")
        } else {
            None
        }
    })
}

/// Inserts every route the runtime registers into the router axum uses, so a set it would
/// refuse (and panic on, in every worker, at start-up) is a build error at the route that
/// cannot be added. Clashes `check_route_conflicts` already reported are not repeated.
pub(super) fn check_router_accepts(d: &mut Diagnostics, s: &Service, reported: &[String]) {
    let mut router = matchit::Router::new();
    let mut added: Vec<Registration> = Vec::new();
    let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let known = |p: &str| !p.is_empty() && reported.iter().any(|r| r == p);
    for reg in registrations(s) {
        if let Some(why) = axum_path_error(&reg.path) {
            d.error(
                &reg.pointer,
                format!("the router rejects `{}` ({}): {why}", reg.path, reg.what),
                Some("write parameters as `{name}`; KrakenD CE has no wildcard routes".to_owned()),
            );
            continue;
        }
        // axum merges two registrations of one path, and refuses to when both answer the
        // same method or both have a fallback: every registration here has one.
        if let Some(&i) = at.get(&reg.path) {
            let first = &added[i];
            if !known(&reg.pointer) && !known(&first.pointer) {
                d.error(
                    contract_side(&reg, Some(first)),
                    format!(
                        "route conflict: `{}` is registered by {} and by {}",
                        reg.path, first.what, reg.what
                    ),
                    Some(
                        "give each its own path (router.health_path moves the health endpoint)"
                            .to_owned(),
                    ),
                );
            }
            continue;
        }
        match router.insert(reg.path.as_str(), added.len()) {
            Ok(()) => {
                at.insert(reg.path.clone(), added.len());
                added.push(reg);
            }
            Err(e) => {
                let other = match &e {
                    matchit::InsertError::Conflict { with } => at.get(with).map(|&i| &added[i]),
                    _ => None,
                };
                if known(&reg.pointer) || other.is_some_and(|o| known(&o.pointer)) {
                    continue;
                }
                let message = match other {
                    Some(o) => format!(
                        "route conflict: the router cannot hold `{}` ({}) beside `{}` ({})",
                        reg.path, reg.what, o.path, o.what
                    ),
                    None => format!("the router rejects `{}` ({}): {e}", reg.path, reg.what),
                };
                d.error(
                    contract_side(&reg, other),
                    message,
                    Some(format!(
                        "axum's router would refuse it at start-up ({e}); parameters at the same position need the same name, and a wildcard cannot sit beside a parameter"
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::diagnostics_of;

    fn contract(router: &str, endpoints: &[&str]) -> String {
        let endpoints: Vec<String> = endpoints
            .iter()
            .map(|p| format!(r#"{{"endpoint": "{p}", "backend": [{{"url_pattern": "/"}}]}}"#))
            .collect();
        format!(
            r#"{{"version": 3, "host": ["http://b:8080"], "extra_config": {{"router": {{{router}}}}}, "endpoints": [{}]}}"#,
            endpoints.join(",")
        )
    }

    #[test]
    fn the_router_refuses_a_param_health_path_beside_another_param() {
        let d = diagnostics_of(&contract(r#""health_path": "/{x}""#, &["/{id}"]));
        assert_eq!(
            d,
            ["route conflict: the router cannot hold `/{x}` (the health endpoint) beside `/{id}` (the endpoint) @/extra_config/router/health_path"]
        );
    }

    #[test]
    fn the_router_refuses_a_wildcard_beside_a_param() {
        let d = diagnostics_of(&contract(r#""health_path": "/{*all}""#, &["/{id}/x"]));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(
            d[0].starts_with("route conflict: the router cannot hold `/{*all}`"),
            "{d:#?}"
        );
    }

    #[test]
    fn axum_path_rules_apply_to_every_route() {
        let d = diagnostics_of(&contract(r#""health_path": "/:x""#, &["/a/:id"]));
        assert_eq!(d.len(), 2, "{d:#?}");
        assert!(
            d[0].contains("`/a/:id` (the endpoint)") && d[0].ends_with("@/endpoints/0/endpoint")
        );
        assert!(d[1].contains("`/:x` (the health endpoint)"));
    }

    #[test]
    fn one_path_registered_twice_by_the_runtime() {
        let d = diagnostics_of(&contract(r#""health_path": "/__debug/""#, &["/a"]));
        assert_eq!(
            d,
            ["route conflict: `/__debug/` is registered by the health endpoint and by the debug endpoint @/extra_config/router/health_path"]
        );
    }

    #[test]
    fn what_the_router_holds_passes() {
        let ok = contract(
            r#""health_path": "/{x}""#,
            &["/users/{id}", "/users/me", "/users/{id}/posts", "/a/{x}/b"],
        );
        let d = diagnostics_of(&ok);
        assert!(d.is_empty(), "{d:#?}");
    }

    #[test]
    fn a_clash_is_reported_once() {
        // The parameter-name rule reports this pair; the router check does not repeat it.
        let d = diagnostics_of(&contract("", &["/u/{id}", "/u/{name}/x"]));
        assert_eq!(d.len(), 1, "{d:#?}");
        assert!(d[0].starts_with("route conflict: `{name}`"), "{d:#?}");
    }
}
