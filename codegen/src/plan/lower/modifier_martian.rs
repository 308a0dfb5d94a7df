//! Lowering `modifier/martian` into its two straight-line sides (`plan/martian_ir.rs`): scopes
//! resolved, `priority.Group`s sorted as martian inserts them, header names lower-cased, the
//! `url.Modifier` path escaped, cookies written as Go writes them, static files typed.

use crate::model::namespaces::modifier_martian::{self as m, Kind, MartianOptions, Modifier};
use crate::plan::martian_ir::{Cond, Martian, PortOp, Step};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Request,
    Response,
}

pub(super) fn lower_martian(o: &MartianOptions) -> Option<Martian> {
    let root = o.root.as_ref()?;
    let request = lower(root, Side::Request);
    let response = lower(root, Side::Response);
    (request.is_some() || response.is_some()).then_some(Martian { request, response })
}

fn in_scope(m: &Modifier, side: Side) -> bool {
    let (req, resp) = m.kind.sides();
    let has = match side {
        Side::Request => req,
        Side::Response => resp,
    };
    let name = match side {
        Side::Request => "request",
        Side::Response => "response",
    };
    has && m
        .scope
        .as_ref()
        .is_none_or(|s| s.value.iter().any(|v| v == name))
}

/// The step of `md` on `side`; `None` when it does nothing there (out of scope, or a group or
/// filter left empty), so a side with nothing to do gets no code.
fn lower(md: &Modifier, side: Side) -> Option<Step> {
    if !in_scope(md, side) {
        return None;
    }
    match lower_in_scope(md, side)? {
        Step::Seq { steps, .. } if steps.is_empty() => None,
        Step::Filter {
            cond,
            then: None,
            otherwise: None,
        } if !matches!(cond, Cond::Port(_)) => None,
        step => Some(step),
    }
}

fn lower_in_scope(md: &Modifier, side: Side) -> Option<Step> {
    let lc = |s: &str| s.to_ascii_lowercase();
    Some(match &md.kind {
        Kind::HeaderSet { name, value } => Step::HeaderSet {
            name: lc(&name.value),
            value: value.value.clone(),
        },
        Kind::HeaderAppend { name, value } => Step::HeaderAppend {
            name: lc(&name.value),
            value: value.value.clone(),
        },
        Kind::HeaderCopy { from, to } => Step::HeaderCopy {
            from: lc(&from.value),
            to: lc(&to.value),
        },
        Kind::HeaderBlacklist { names } => Step::Seq {
            steps: names
                .value
                .iter()
                .map(|n| Step::HeaderRemove(lc(n)))
                .collect(),
            aggregate_errors: false,
        },
        Kind::HeaderId { header } => Step::HeaderId(if header.value.is_empty() {
            "x-krakend-id".to_owned()
        } else {
            lc(&header.value)
        }),
        Kind::QuerySet { name, value } => Step::QuerySet {
            name: name.clone(),
            value: value.clone(),
        },
        Kind::Url(u) => Step::Url {
            scheme: u.scheme.value.clone(),
            host: u.host.clone(),
            path: escape_path(&u.path),
            query: u.query.clone(),
        },
        Kind::Body { body, content_type } => Step::Body {
            body: body.clone(),
            content_type: content_type.value.clone(),
        },
        Kind::Cookie(c) => match side {
            Side::Request => {
                Step::CookieRequest(format!("{}={}", c.name.value, cookie_value(&c.value)))
            }
            Side::Response => Step::HeaderAppend {
                name: "set-cookie".to_owned(),
                value: set_cookie(c),
            },
        },
        Kind::Stash { header } => Step::Stash(lc(&header.value)),
        Kind::Port {
            port,
            default_for_scheme,
            remove,
        } => Step::Port(if *remove {
            PortOp::Remove
        } else if *default_for_scheme {
            PortOp::DefaultForScheme
        } else {
            PortOp::To(u16::try_from(port.value).unwrap_or_default())
        }),
        Kind::Status { code } => Step::Status(u16::try_from(code.value).unwrap_or(200)),
        Kind::Static { files } => match side {
            Side::Request => Step::StaticRequest,
            Side::Response => {
                let mut out: Vec<(String, Vec<u8>, String)> = files
                    .iter()
                    .map(|f| {
                        (
                            f.request_path.clone(),
                            f.bytes.clone(),
                            content_type(&f.file).to_owned(),
                        )
                    })
                    .collect();
                out.sort_by(|a, b| a.0.cmp(&b.0));
                out.dedup_by(|a, b| a.0 == b.0);
                Step::StaticResponse(out)
            }
        },
        Kind::Fifo {
            modifiers,
            aggregate_errors,
        } => Step::Seq {
            steps: modifiers.iter().filter_map(|c| lower(c, side)).collect(),
            aggregate_errors: *aggregate_errors,
        },
        Kind::Priority { modifiers } => {
            // martian inserts each modifier before the first one of lower or equal priority:
            // highest first, and among equals the later one first.
            let mut sorted: Vec<&(i64, Modifier)> = modifiers.iter().rev().collect();
            sorted.sort_by_key(|m| std::cmp::Reverse(m.0));
            Step::Seq {
                steps: sorted.iter().filter_map(|(_, c)| lower(c, side)).collect(),
                aggregate_errors: false,
            }
        }
        Kind::Filter {
            cond,
            then,
            otherwise,
        } => Step::Filter {
            cond: lower_cond(cond),
            then: lower(then, side).map(Box::new),
            otherwise: otherwise
                .as_ref()
                .and_then(|o| lower(o, side))
                .map(Box::new),
        },
    })
}

fn lower_cond(c: &m::Cond) -> Cond {
    match c {
        m::Cond::Header { name, value } => Cond::Header {
            name: name.value.to_ascii_lowercase(),
            value: value.clone(),
        },
        m::Cond::HeaderRegex { header, regex } => Cond::HeaderRegex {
            name: header.value.to_ascii_lowercase(),
            regex: regex.value.clone(),
        },
        m::Cond::Query { name, value } => Cond::Query {
            name: name.clone(),
            value: value.clone(),
        },
        m::Cond::Url(u) => Cond::Url {
            scheme: u.scheme.value.clone(),
            host: u.host.clone(),
            path: u.path.clone(),
            query: u.query.clone(),
        },
        m::Cond::UrlRegex { regex } => Cond::UrlRegex(regex.value.clone()),
        m::Cond::Cookie { name, value } => Cond::Cookie {
            name: name.clone(),
            value: value.clone(),
        },
        m::Cond::Port { port } => Cond::Port(u16::try_from(port.value).unwrap_or_default()),
    }
}

/// Go's `escape(path, encodePath)`.
fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Go's `sanitizeCookieValue`: invalid bytes dropped, quoted when it holds a space or comma.
fn cookie_value(v: &str) -> String {
    let kept: String = v
        .chars()
        .filter(|c| (' '..'\u{7f}').contains(c) && !matches!(c, '"' | ';' | '\\'))
        .collect();
    if kept.contains([' ', ',']) {
        format!("\"{kept}\"")
    } else {
        kept
    }
}

/// Go's `http.Cookie.String` (no SameSite: martian's JSON has none).
fn set_cookie(c: &m::Cookie) -> String {
    let mut s = format!("{}={}", c.name.value, cookie_value(&c.value));
    if !c.path.is_empty() {
        let p: String = c
            .path
            .chars()
            .filter(|ch| (' '..'\u{7f}').contains(ch) && *ch != ';')
            .collect();
        s.push_str("; Path=");
        s.push_str(&p);
    }
    if !c.domain.is_empty() {
        s.push_str("; Domain=");
        s.push_str(c.domain.strip_prefix('.').unwrap_or(&c.domain));
    }
    if let Some(date) = c
        .expires
        .as_ref()
        .and_then(|e| crate::go_time::http_date(&e.value))
    {
        s.push_str("; Expires=");
        s.push_str(&date);
    }
    if c.max_age > 0 {
        s.push_str(&format!("; Max-Age={}", c.max_age));
    } else if c.max_age < 0 {
        s.push_str("; Max-Age=0");
    }
    if c.http_only {
        s.push_str("; HttpOnly");
    }
    if c.secure {
        s.push_str("; Secure");
    }
    s
}

/// Go's built-in `mime.TypeByExtension` table (the system's mime.types is not consulted:
/// the answer must not depend on the build machine).
fn content_type(file: &str) -> &'static str {
    let ext = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "avif" => "image/avif",
        "css" => "text/css; charset=utf-8",
        "gif" => "image/gif",
        "htm" | "html" => "text/html; charset=utf-8",
        "jpeg" | "jpg" => "image/jpeg",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "webp" => "image/webp",
        "xml" => "text/xml; charset=utf-8",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_escapes_and_cookies() {
        assert_eq!(escape_path("/a b/ü!/x;y"), "/a%20b/%C3%BC%21/x;y");
        assert_eq!(cookie_value("a b"), "\"a b\"");
        assert_eq!(cookie_value("x\"y"), "xy");
        assert_eq!(content_type("dir/health.JSON"), "application/json");
    }
}
