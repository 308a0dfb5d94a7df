//! Rules on the `modifier/martian` namespace: what martian's parser would reject (a scope a
//! modifier does not have, `port.Modifier` options) and what KrakenD only finds out per request
//! or never (invalid regexes, header names and values, status codes, cookie dates). KrakenD
//! ignores an invalid martian config (logged); Krustd refuses to build it.

use crate::diag::Diagnostics;
use crate::model::namespaces::modifier_martian::{Cond, Kind, MartianOptions, Modifier};
use crate::model::At;

pub(super) fn check_martian(d: &mut Diagnostics, m: &MartianOptions) {
    if let Some(root) = &m.root {
        check_modifier(d, root);
    }
}

fn check_modifier(d: &mut Diagnostics, m: &Modifier) {
    check_scope(d, m);
    match &m.kind {
        Kind::HeaderSet { name, value } | Kind::HeaderAppend { name, value } => {
            header_name(d, name);
            header_value(d, value);
        }
        Kind::HeaderCopy { from, to } => {
            header_name(d, from);
            header_name(d, to);
        }
        Kind::HeaderBlacklist { names } => {
            for (i, n) in names.value.iter().enumerate() {
                let at = At {
                    value: n.clone(),
                    pointer: if names.value.len() == 1 && !names.pointer.ends_with("names") {
                        names.pointer.clone()
                    } else {
                        format!("{}/{i}", names.pointer)
                    },
                };
                header_name(d, &at);
            }
        }
        Kind::HeaderId { header } => {
            if !header.value.is_empty() {
                header_name(d, header);
            }
        }
        Kind::Stash { header } => header_name(d, header),
        Kind::Url(u) => {
            if !matches!(u.scheme.value.as_str(), "" | "http" | "https") {
                d.error(
                    &u.scheme.pointer,
                    format!("`url.Modifier` scheme `{}` cannot be sent", u.scheme.value),
                    Some("the backend client speaks `http` and `https`".to_owned()),
                );
            }
            if u.host.chars().any(|c| c.is_whitespace() || c == '/') {
                d.error(
                    &m.pointer,
                    format!("`url.Modifier` host `{}` is not a host", u.host),
                    None,
                );
            }
        }
        Kind::Body { content_type, .. } => header_value(d, content_type),
        Kind::Cookie(c) => {
            if !is_token(&c.name.value) {
                d.error(
                    &c.name.pointer,
                    format!("cookie name `{}` is not a valid token", c.name.value),
                    None,
                );
            }
            if let Some(e) = &c.expires {
                if crate::go_time::http_date(&e.value).is_none() {
                    d.error(
                        &e.pointer,
                        format!("`expires` `{}` is not an RFC 3339 time", e.value),
                        Some("as Go's time.Time reads it: `2026-12-31T23:59:59Z`".to_owned()),
                    );
                }
            }
        }
        Kind::Port {
            port,
            default_for_scheme,
            remove,
        } => {
            let set = usize::from(port.value != 0)
                + usize::from(*default_for_scheme)
                + usize::from(*remove);
            if set != 1 {
                d.error(
                    &m.pointer,
                    "Must specify only one of port, defaultForScheme or remove",
                    Some(
                        "martian rejects a `port.Modifier` with none or several of them".to_owned(),
                    ),
                );
            } else if !(0..=65535).contains(&port.value) {
                d.error(
                    &port.pointer,
                    format!("port {} is out of range", port.value),
                    None,
                );
            }
        }
        Kind::Status { code } => {
            if !(100..=999).contains(&code.value) {
                d.error(
                    &code.pointer,
                    format!("`statusCode` {} is not an HTTP status", code.value),
                    Some("use a status between 100 and 999".to_owned()),
                );
            }
        }
        Kind::Static { .. } | Kind::QuerySet { .. } => {}
        Kind::Fifo { modifiers, .. } => {
            for c in modifiers {
                check_modifier(d, c);
            }
        }
        Kind::Priority { modifiers } => {
            for (_, c) in modifiers {
                check_modifier(d, c);
            }
        }
        Kind::Filter {
            cond,
            then,
            otherwise,
        } => {
            match cond {
                Cond::Header { name, .. } => header_name(d, name),
                Cond::HeaderRegex { header, regex } => {
                    header_name(d, header);
                    check_regex(d, regex);
                }
                Cond::UrlRegex { regex } => check_regex(d, regex),
                Cond::Port { port } => {
                    if !(0..=65535).contains(&port.value) {
                        d.error(
                            &port.pointer,
                            format!("port {} is out of range", port.value),
                            None,
                        );
                    }
                }
                Cond::Query { .. } | Cond::Url(_) | Cond::Cookie { .. } => {}
            }
            check_modifier(d, then);
            if let Some(o) = otherwise {
                check_modifier(d, o);
            }
        }
    }
}

/// martian's `parse.NewResult`: a scope the modifier does not have is an error; so is a
/// response-only `stash.Modifier` (it copies what its request side stashed).
fn check_scope(d: &mut Diagnostics, m: &Modifier) {
    let Some(scope) = &m.scope else {
        return;
    };
    let (req, resp) = m.kind.sides();
    for (side, has) in [("request", req), ("response", resp)] {
        if !has && scope.value.iter().any(|s| s == side) {
            d.error(
                &scope.pointer,
                format!("`{}` has no {side} side: invalid scope \"{side}\"", m.name),
                Some(format!(
                    "remove \"{side}\" from `scope`; KrakenD rejects the whole martian config"
                )),
            );
        }
    }
    if matches!(m.kind, Kind::Stash { .. })
        && scope.value.iter().any(|s| s == "response")
        && !scope.value.iter().any(|s| s == "request")
    {
        d.error(
            &scope.pointer,
            "to write header on a response, specify scope as both request and response",
            Some("`stash.Modifier` copies to the answer what it stashed on the request".to_owned()),
        );
    }
}

fn check_regex(d: &mut Diagnostics, r: &At<String>) {
    if let Err(e) = regex::Regex::new(&r.value) {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or_default().trim().to_owned();
        d.error(
            &r.pointer,
            format!("invalid regex `{}`: {last}", r.value),
            Some("KrakenD would drop the whole martian config at start-up".to_owned()),
        );
    }
}

/// An HTTP token (RFC 9110 `tchar`s).
pub fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn header_name(d: &mut Diagnostics, n: &At<String>) {
    if !is_token(&n.value) {
        d.error(
            &n.pointer,
            format!("`{}` is not a valid header name", n.value),
            Some("a header name is a non-empty HTTP token".to_owned()),
        );
    }
}

fn header_value(d: &mut Diagnostics, v: &At<String>) {
    if !v
        .value
        .bytes()
        .all(|b| (32..127).contains(&b) || b == b'\t')
    {
        d.error(
            &v.pointer,
            "a martian header value must be visible ASCII",
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(martian: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(
            "",
            "",
            &format!(r#""extra_config": {{"modifier/martian": {martian}}}"#),
        ))
    }

    #[test]
    fn one_top_level_entry() {
        let e = errors(r#"{"header.Modifier": {"name": "A", "value": "1"}, "@comment": "x"}"#);
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("exactly one modifier"), "{e:?}");
        assert!(errors(r#"{"header.Modifier": {"name": "A", "value": "1"}}"#).is_empty());
    }

    #[test]
    fn values_checked_at_build_time() {
        assert_eq!(
            errors(r#"{"body.Modifier": {"body": "not base64!"}}"#).len(),
            1
        );
        assert_eq!(errors(r#"{"url.RegexFilter": {"regex": "(", "modifier": {"status.Modifier": {"statusCode": 200}}}}"#).len(), 1);
        assert_eq!(errors(r#"{"nope.Modifier": {}}"#).len(), 1);
        assert_eq!(
            errors(r#"{"status.Modifier": {"scope": ["request"], "statusCode": 200}}"#).len(),
            1
        );
        assert_eq!(
            errors(r#"{"port.Modifier": {"port": 81, "remove": true}}"#).len(),
            1
        );
        assert_eq!(
            errors(r#"{"stash.Modifier": {"scope": ["response"], "headerName": "X-U"}}"#).len(),
            1
        );
        assert_eq!(errors(r#"{"header.Filter": {"name": "A"}}"#).len(), 1);
        assert_eq!(
            errors(r#"{"cookie.Modifier": {"name": "a", "expires": "tomorrow"}}"#).len(),
            1
        );
        assert!(
            errors(r#"{"cookie.Modifier": {"name": "a", "expires": "2030-01-02T03:04:05Z"}}"#)
                .is_empty()
        );
    }
}
