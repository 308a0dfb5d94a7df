//! Rules on one backend: its method, discovery, manipulation paths and url_pattern.

use crate::diag::Diagnostics;
use crate::model::{Backend, Endpoint};
use crate::path;

pub(super) fn check_backend_method(d: &mut Diagnostics, b: &Backend) {
    if let Some(m) = &b.method {
        let up = m.value.to_ascii_uppercase();
        if http_method_ok(&up) {
            return;
        }
        d.error(
            &m.pointer,
            format!("backend method `{}` is not supported", m.value),
            Some("use GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, CONNECT or TRACE".to_owned()),
        );
    }
}

fn http_method_ok(m: &str) -> bool {
    [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ]
    .contains(&m)
}

pub(super) fn check_sd(d: &mut Diagnostics, b: &Backend) {
    if let Some(sd) = &b.sd {
        if sd.value == "dns" {
            d.error(
                &sd.pointer,
                "`sd: dns` (SRV discovery) is not supported by Krustd yet",
                Some("list the hosts in `host`".to_owned()),
            );
        }
    }
}

pub(super) fn check_manipulation(d: &mut Diagnostics, b: &Backend) {
    let paths = [&b.allow, &b.deny];
    for list in paths.into_iter().flatten() {
        for (i, p) in list.value.iter().enumerate() {
            if p.is_empty() || p.split('.').any(str::is_empty) {
                d.error(
                    &crate::model::child(&list.pointer, &i.to_string()),
                    format!("`{p}` is not a dot path"),
                    Some("write paths like \"user.address.city\"".to_owned()),
                );
            }
        }
    }
    if let Some(t) = &b.target {
        if !t.value.is_empty() && t.value.split('.').any(str::is_empty) {
            d.error(&t.pointer, format!("`{}` is not a dot path", t.value), None);
        }
    }
}

pub(super) fn check_url_pattern(d: &mut Diagnostics, e: &Endpoint, i: usize, b: &Backend) {
    let Some(ep) = &e.endpoint else { return };
    let Ok(path) = path::EndpointPath::parse(&ep.value) else {
        return;
    };
    let pattern = b
        .url_pattern
        .as_ref()
        .map(|u| u.value.as_str())
        .unwrap_or("/");
    let pointer = b
        .url_pattern
        .as_ref()
        .map(|u| u.pointer.as_str())
        .unwrap_or(&b.pointer);
    let placeholders = path::placeholders(pattern);
    let method = e
        .method
        .as_ref()
        .map(|m| m.value.to_ascii_uppercase())
        .unwrap_or_else(|| "GET".into());
    let mut distinct: Vec<&str> = Vec::new();
    let sequential = e.backend.len() > 1 && e.ns.proxy.as_ref().is_some_and(|p| p.sequential);
    for p in &placeholders {
        if p.starts_with("JWT.") {
            if e.ns.auth_validator.is_none() {
                d.error(
                    pointer,
                    format!("placeholder `{{{p}}}` needs an `auth/validator` on the endpoint"),
                    Some("KrakenD would send it unresolved; add the validator or remove the placeholder".to_owned()),
                );
            }
            continue;
        }
        if let Some((n, field)) = path::parse_sequential_ref(p) {
            if !sequential {
                d.warning(
                    pointer,
                    format!(
                        "`{{{p}}}` is only resolved by the sequential proxy; it is sent unresolved"
                    ),
                    Some("set extra_config.proxy.sequential: true on the endpoint".to_owned()),
                );
            } else if n >= e.backend.len() {
                d.error(
                    pointer,
                    format!("`{{{p}}}` refers to backend {n}, which does not exist"),
                    None,
                );
            } else if n >= i {
                d.error(
                    pointer,
                    format!(
                        "`{{{p}}}` refers to backend {n}, which runs after this one (backend {i})"
                    ),
                    Some(
                        "a sequential step can only use the responses of earlier steps".to_owned(),
                    ),
                );
            } else if field.is_empty() {
                d.error(
                    pointer,
                    format!("`{{{p}}}` needs a field: `{{resp{n}_field}}`"),
                    None,
                );
            }
            continue;
        }
        if !path.params.iter().any(|n| n == p) {
            d.error(
                pointer,
                format!(
                    "undefined output param '{p}'! endpoint: {method} {}, backend: {i}",
                    ep.value
                ),
                Some(format!(
                    "declare `{{{p}}}` in the endpoint path, or use one of: {}",
                    if path.params.is_empty() {
                        "(no params declared)".to_owned()
                    } else {
                        path.params.join(", ")
                    }
                )),
            );
        }
        if !distinct.contains(&p.as_str()) {
            distinct.push(p);
        }
    }
    if distinct.len() > path.params.len() {
        d.error(
            pointer,
            format!(
                "input and output params do not match. endpoint: {method} {}, backend: {i}",
                ep.value
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(backend: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint("", "", backend))
    }

    #[test]
    fn backend_method() {
        assert_eq!(
            errors(r#""method": "FETCH""#),
            ["backend method `FETCH` is not supported @/endpoints/0/backend/0/method"]
        );
        assert!(errors(r#""method": "head""#).is_empty());
    }

    #[test]
    fn sd() {
        assert_eq!(errors(r#""sd": "dns""#).len(), 1);
        assert!(errors(r#""sd": "static""#).is_empty());
    }

    #[test]
    fn manipulation_paths() {
        assert_eq!(
            errors(r#""deny": ["a."]"#),
            ["`a.` is not a dot path @/endpoints/0/backend/0/deny/0"]
        );
        assert_eq!(
            errors(r#""target": ".a""#),
            ["`.a` is not a dot path @/endpoints/0/backend/0/target"]
        );
        assert!(errors(r#""allow": ["a.b", "c"], "target": "d""#).is_empty());
    }

    #[test]
    fn url_pattern_params() {
        let d = errors(r#""url_pattern": "/x/{id}""#);
        assert!(d[0].starts_with("undefined output param 'id'!"), "{d:#?}");
        assert_eq!(errors(r#""url_pattern": "/x/{JWT.sub}""#).len(), 1);
    }
}
