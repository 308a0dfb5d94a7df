//! The access policies a client must satisfy: `auth/validator` (required auth, roles, scopes,
//! audience, issuer) and `qos/ratelimit/*` (rates). These namespaces have no typed model struct
//! yet, so this is the one place the gate reads their JSON, through the pointer the model keeps
//! for every namespace. When typed structs land, only this file changes.

use super::{Change, Contract, Severity, Sink};
use crate::model::{Endpoint, ExtraConfig};
use serde_json::Value;
use std::collections::BTreeSet;

const AUTH: &str = "auth/validator";
const RATE_ROUTER: &str = "qos/ratelimit/router";
const RATE_PROXY: &str = "qos/ratelimit/proxy";

/// The raw value of namespace `name` in `ec`, with its pointer.
fn raw<'a>(c: &'a Contract, ec: &ExtraConfig, name: &str) -> Option<(&'a Value, String)> {
    let ns = ec.get(name)?;
    Some((c.root.pointer(&ns.pointer)?, ns.pointer.clone()))
}

fn str_set(v: &Value, key: &str) -> BTreeSet<String> {
    match v.get(key) {
        Some(Value::String(s)) => std::iter::once(s.clone()).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        _ => BTreeSet::new(),
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn list(s: &BTreeSet<String>) -> String {
    let v: Vec<String> = s.iter().map(|x| format!("`{x}`")).collect();
    v.join(", ")
}

/// Service-level rate limit (`qos/ratelimit/router` at the root applies to every endpoint).
pub(super) fn service(old: &Contract, new: &Contract, out: &mut Vec<Change>) {
    let mut sink = Sink {
        out,
        endpoint: String::new(),
    };
    rate(
        &mut sink,
        "",
        raw(old, &old.service.extra_config, RATE_ROUTER),
        raw(new, &new.service.extra_config, RATE_ROUTER),
        &["max_rate", "client_max_rate"],
    );
}

/// Endpoint-level auth and rate limits, and every matched backend's proxy rate limit.
pub(super) fn endpoint(
    old: &Contract,
    new: &Contract,
    eo: &Endpoint,
    en: &Endpoint,
    sink: &mut Sink<'_>,
) {
    auth(
        sink,
        raw(old, &eo.extra_config, AUTH),
        raw(new, &en.extra_config, AUTH),
    );
    rate(
        sink,
        "",
        raw(old, &eo.extra_config, RATE_ROUTER),
        raw(new, &en.extra_config, RATE_ROUTER),
        &["max_rate", "client_max_rate"],
    );
    for (i, (bo, bn)) in eo.backend.iter().zip(&en.backend).enumerate() {
        rate(
            sink,
            &format!("backend {i}: "),
            raw(old, &bo.extra_config, RATE_PROXY),
            raw(new, &bn.extra_config, RATE_PROXY),
            &["max_rate"],
        );
    }
}

fn auth(sink: &mut Sink<'_>, old: Option<(&Value, String)>, new: Option<(&Value, String)>) {
    let (o, po, n, pn) = match (old, new) {
        (None, None) => return,
        (None, Some((_, pn))) => {
            sink.push(
                Severity::Breaking,
                "auth-added",
                "`auth/validator` added: a valid token is now required".to_owned(),
                None,
                Some(&pn),
            );
            return;
        }
        (Some((_, po)), None) => {
            sink.push(
                Severity::Compatible,
                "auth-removed",
                "`auth/validator` removed: no token required".to_owned(),
                Some(&po),
                None,
            );
            return;
        }
        (Some((o, po)), Some((n, pn))) => (o, po, n, pn),
    };
    let (po, pn) = (Some(po.as_str()), Some(pn.as_str()));
    // roles: the token needs one of them; none written = no role check.
    let (ro, rn) = (str_set(o, "roles"), str_set(n, "roles"));
    if ro.is_empty() && !rn.is_empty() {
        sink.push(
            Severity::Breaking,
            "roles-changed",
            format!("roles now required: one of {}", list(&rn)),
            po,
            pn,
        );
    } else if !rn.is_empty() {
        let lost: BTreeSet<String> = ro.difference(&rn).cloned().collect();
        if !lost.is_empty() {
            sink.push(
                Severity::Breaking,
                "roles-changed",
                format!("roles no longer accepted: {}", list(&lost)),
                po,
                pn,
            );
        }
    }
    let role_key = |v: &Value| str_of(v, "roles_key");
    if !rn.is_empty() && role_key(o) != role_key(n) {
        sink.push(
            Severity::Breaking,
            "roles-changed",
            "`roles_key` changed: roles are read from another claim".to_owned(),
            po,
            pn,
        );
    }
    // scopes: `scopes_matcher` `any` (default) needs one of them, `all` needs every one.
    let (so, sn) = (str_set(o, "scopes"), str_set(n, "scopes"));
    let all = |v: &Value| str_of(v, "scopes_matcher").is_some_and(|m| m == "all");
    let scopes_breaking = if sn.is_empty() {
        None
    } else if so.is_empty() {
        Some(format!("scopes now required: {}", list(&sn)))
    } else if all(n) {
        let added: BTreeSet<String> = sn.difference(&so).cloned().collect();
        if !all(o) {
            Some(format!(
                "scopes_matcher is now `all`: {} all required",
                list(&sn)
            ))
        } else if !added.is_empty() {
            Some(format!("scopes now also required: {}", list(&added)))
        } else {
            None
        }
    } else {
        let lost: BTreeSet<String> = so.difference(&sn).cloned().collect();
        (!lost.is_empty()).then(|| format!("scopes no longer accepted: {}", list(&lost)))
    };
    if let Some(message) = scopes_breaking {
        sink.push(Severity::Breaking, "scopes-changed", message, po, pn);
    }
    // audience: every one written must be in the token; issuer: must match.
    let (ao, an) = (str_set(o, "audience"), str_set(n, "audience"));
    let added: BTreeSet<String> = an.difference(&ao).cloned().collect();
    if !added.is_empty() {
        sink.push(
            Severity::Breaking,
            "audience-changed",
            format!("token audience now required: {}", list(&added)),
            po,
            pn,
        );
    }
    let (io, inew) = (str_of(o, "issuer"), str_of(n, "issuer"));
    if inew.is_some() && io != inew {
        sink.push(
            Severity::Breaking,
            "issuer-changed",
            format!("token issuer now required: `{}`", inew.unwrap_or_default()),
            po,
            pn,
        );
    }
}

/// Requests per second of `key` (`max_rate` per `every`, default 1s); `None` when unlimited.
fn per_second(v: &Value, key: &str) -> Option<f64> {
    let rate = match v.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if rate <= 0.0 {
        return None;
    }
    let every = str_of(v, "every")
        .and_then(|e| crate::duration::parse(&e).ok())
        .filter(|d| !d.is_zero())
        .map_or(1.0, |d| d.as_secs_f64());
    Some(rate / every)
}

fn rate(
    sink: &mut Sink<'_>,
    level: &str,
    old: Option<(&Value, String)>,
    new: Option<(&Value, String)>,
    keys: &[&str],
) {
    for key in keys {
        let o = old.as_ref().and_then(|(v, _)| per_second(v, key));
        let n = new.as_ref().and_then(|(v, _)| per_second(v, key));
        let (po, pn) = (
            old.as_ref().map(|(_, p)| p.as_str()),
            new.as_ref().map(|(_, p)| p.as_str()),
        );
        let show = |r: Option<f64>| r.map_or("unlimited".to_owned(), |r| format!("{r}/s"));
        let lowered = match (o, n) {
            (None, Some(_)) => true,
            (Some(a), Some(b)) => b < a,
            _ => false,
        };
        let raised = match (o, n) {
            (Some(_), None) => true,
            (Some(a), Some(b)) => b > a,
            _ => false,
        };
        if lowered || raised {
            sink.push(
                if lowered {
                    Severity::Breaking
                } else {
                    Severity::Compatible
                },
                if lowered {
                    "ratelimit-lowered"
                } else {
                    "ratelimit-raised"
                },
                format!("{level}`{key}` from {} to {}", show(o), show(n)),
                po,
                pn,
            );
        }
    }
}
