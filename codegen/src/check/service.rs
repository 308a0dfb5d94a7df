//! Rules on the service's own settings: version, listener, durations, hosts.

use crate::diag::Diagnostics;
use crate::model::Service;
use crate::{duration, host};

pub(super) fn check_version(d: &mut Diagnostics, s: &Service) {
    match &s.version {
        None => d.error(
            "",
            "missing `version`",
            Some("add \"version\": 3 at the top of the contract".to_owned()),
        ),
        Some(v) if v.value != 3 => d.error(
            &v.pointer,
            format!("unsupported version: {} (want: 3)", v.value),
            Some("Krustd compiles KrakenD's format version 3; migrate the contract and set \"version\": 3".to_owned()),
        ),
        Some(_) => {}
    }
}

pub(super) fn check_listen_ip(d: &mut Diagnostics, s: &Service) {
    if let Some(ip) = &s.listen_ip {
        if !ip.value.is_empty() && ip.value.parse::<std::net::IpAddr>().is_err() {
            d.error(
                &ip.pointer,
                format!("invalid ip address {}", ip.value),
                Some("use an IPv4 or IPv6 literal such as \"127.0.0.1\", or remove the key to listen on every interface".to_owned()),
            );
        }
    }
}

pub(super) fn check_port(d: &mut Diagnostics, s: &Service) {
    if let Some(p) = &s.port {
        if !(0..=65535).contains(&p.value) {
            d.error(
                &p.pointer,
                format!("port {} is out of range", p.value),
                Some("use a port between 1 and 65535 (0 means the default, 8080)".to_owned()),
            );
        }
    }
}

pub(super) fn check_unsupported_root_keys(d: &mut Diagnostics, s: &Service) {
    for k in &s.unsupported {
        d.error(
            &k.pointer,
            format!("`{}` is not supported by Krustd yet", k.value),
            Some("remove it; Krustd will not silently ignore a setting that changes how the gateway behaves".to_owned()),
        );
    }
}

/// Every duration of the service and its endpoints must parse.
pub(super) fn check_durations(d: &mut Diagnostics, s: &Service) {
    let root = [
        &s.timeout,
        &s.cache_ttl,
        &s.read_timeout,
        &s.write_timeout,
        &s.idle_timeout,
        &s.read_header_timeout,
        &s.max_shutdown_wait_time,
    ];
    let endpoints = s.endpoints.iter().flat_map(|e| [&e.timeout, &e.cache_ttl]);
    for at in root.into_iter().chain(endpoints).flatten() {
        if let Err(msg) = duration::parse(&at.value) {
            d.error(
                &at.pointer,
                msg,
                Some("write a Go duration such as \"1500ms\", \"2s\" or \"1m30s\"".to_owned()),
            );
        }
    }
}

pub(super) fn check_hosts(d: &mut Diagnostics, s: &Service) {
    let mut lists = vec![(&s.host, false)];
    for e in &s.endpoints {
        for b in &e.backend {
            let raw = b.disable_host_sanitize.as_ref().is_some_and(|x| x.value);
            lists.push((&b.host, raw));
        }
    }
    for (list, raw) in lists {
        let Some(list) = list else { continue };
        for (i, h) in list.value.iter().enumerate() {
            let pointer = if list.value.len() == 1 {
                list.pointer.clone()
            } else {
                crate::model::child(&list.pointer, &i.to_string())
            };
            if raw {
                if url_scheme_ok(h) {
                    continue;
                }
                d.error(
                    &pointer,
                    format!("host {h} not valid: it needs an http:// or https:// scheme"),
                    None,
                );
            } else if let Err(msg) = host::sanitize(h) {
                d.error(
                    &pointer,
                    msg,
                    Some("write `scheme://name:port` without a path, e.g. \"http://users.internal:8080\"".to_owned()),
                );
            }
        }
    }
}

fn url_scheme_ok(h: &str) -> bool {
    h.starts_with("http://") || h.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use crate::check::{diagnostics_of, one_endpoint};

    fn errors(root: &str) -> Vec<String> {
        diagnostics_of(&one_endpoint(root, "", ""))
    }

    #[test]
    fn version() {
        assert_eq!(
            errors(r#""version": 2"#)[0],
            "unsupported version: 2 (want: 3) @/version"
        );
    }

    #[test]
    fn listen_ip() {
        assert_eq!(
            errors(r#""listen_ip": "x""#),
            ["invalid ip address x @/listen_ip"]
        );
        assert!(errors(r#""listen_ip": "::1""#).is_empty());
    }

    #[test]
    fn port() {
        assert_eq!(errors(r#""port": -1"#), ["port -1 is out of range @/port"]);
        assert!(errors(r#""port": 0"#).is_empty());
    }

    #[test]
    fn unsupported_root_keys() {
        assert_eq!(
            errors(r#""plugin": {}"#),
            ["`plugin` is not supported by Krustd yet @/plugin"]
        );
    }

    #[test]
    fn durations() {
        assert_eq!(errors(r#""timeout": "2 s""#).len(), 1);
        assert!(errors(r#""timeout": "1m30s""#).is_empty());
    }

    #[test]
    fn hosts() {
        assert_eq!(errors(r#""host": ["http://a/b"]"#).len(), 1);
        assert!(errors(r#""host": ["a:8080", "https://b"]"#).is_empty());
    }
}
