//! The martian modifiers, one small function each, as google/martian (v2.1, the version KrakenD
//! CE links) applies them. Names and values are checked at build time; what is left here can
//! only depend on the request or answer at hand.

use super::go_url::{clean_path, encode_query, parse_query, unescape};
use super::{Error, Request, Response};
use bytes::Bytes;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE, COOKIE};
use http::uri::Scheme;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

/// `header.Modifier`: sets the header (replacing its values).
pub fn header_set(h: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    h.insert(name, value);
}

/// `header.Append`: adds a value.
pub fn header_append(h: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    h.append(name, value);
}

/// `header.Copy`: sets `to` to the first value of `from` (empty when absent).
pub fn header_copy(h: &mut HeaderMap, from: HeaderName, to: HeaderName) {
    let v = h
        .get(&from)
        .cloned()
        .unwrap_or(HeaderValue::from_static(""));
    h.insert(to, v);
}

/// `header.Blacklist`: removes a header (one call per listed name).
pub fn header_remove(h: &mut HeaderMap, name: HeaderName) {
    h.remove(name);
}

/// `header.Id`: sets a random (v4) UUID unless the header already has a non-empty value.
pub fn header_id(h: &mut HeaderMap, name: HeaderName) {
    if h.get(&name).is_some_and(|v| !v.is_empty()) {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&uuid_v4()) {
        h.insert(name, v);
    }
}

fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if getrandom::getrandom(&mut b).is_err() {
        // No OS randomness: still unique per process, if not unpredictable.
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(1);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        b[..8].copy_from_slice(&t.to_le_bytes());
        b[8..].copy_from_slice(&N.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `querystring.Modifier`: sets the parameter; the whole query is re-encoded as Go's
/// `Values.Encode` does (sorted by key).
pub fn query_set(req: &mut Request, name: &str, value: &str) {
    let mut q = parse_query(&req.query);
    q.insert(name.to_owned(), vec![value.to_owned()]);
    req.query = encode_query(&q);
}

/// `url.Modifier`: replaces the non-empty parts (`path` comes escaped from codegen, `query`
/// replaces the whole raw query). The `Host` header keeps the original host.
pub fn url_set(req: &mut Request, scheme: &str, host: &str, path: &str, query: &str) {
    if !scheme.is_empty() {
        if let Ok(s) = scheme.parse::<Scheme>() {
            req.scheme = s;
        }
    }
    if !host.is_empty() {
        host.clone_into(&mut req.host);
    }
    if !path.is_empty() {
        path.clone_into(&mut req.path);
    }
    if !query.is_empty() {
        query.clone_into(&mut req.query);
    }
}

/// `body.Modifier` on the request: the body, its `Content-Type`, no `Content-Encoding`, and a
/// `Content-Length`.
pub fn body_request(req: &mut Request, body: &'static [u8], content_type: HeaderValue) {
    req.headers.insert(CONTENT_TYPE, content_type);
    req.headers.remove(CONTENT_ENCODING);
    req.body = Bytes::from_static(body);
    req.body_set = true;
}

/// `body.Modifier` on the answer.
pub fn body_response(resp: &mut Response<'_>, body: &'static [u8], content_type: HeaderValue) {
    let h = &mut resp.answer.headers;
    h.insert(CONTENT_TYPE, content_type);
    h.remove(CONTENT_ENCODING);
    h.remove(http::header::CONTENT_LENGTH);
    resp.answer.set_body(Bytes::from_static(body));
}

/// `cookie.Modifier` on the request: `name=value` joined to the first `Cookie` line (Go's
/// `AddCookie`).
pub fn cookie_request(h: &mut HeaderMap, pair: &'static str) {
    let joined = match h.get(COOKIE).filter(|v| !v.is_empty()) {
        Some(v) => {
            let mut s = v.as_bytes().to_vec();
            s.extend_from_slice(b"; ");
            s.extend_from_slice(pair.as_bytes());
            HeaderValue::from_bytes(&s).ok()
        }
        None => HeaderValue::from_str(pair).ok(),
    };
    if let Some(v) = joined {
        h.insert(COOKIE, v);
    }
}

/// `stash.Modifier` on the request: the full request URL in a header.
pub fn stash_request(req: &mut Request, name: HeaderName) {
    if let Ok(v) = HeaderValue::from_str(&req.url()) {
        req.headers.insert(name, v);
    }
}

/// `stash.Modifier` on the answer: the request's stashed URL copied to the answer.
pub fn stash_response(resp: &mut Response<'_>, name: HeaderName) {
    let v = resp
        .request
        .headers
        .get(&name)
        .cloned()
        .unwrap_or(HeaderValue::from_static(""));
    resp.answer.headers.insert(name, v);
}

/// What a `port.Modifier` does to the URL's port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Port {
    To(u16),
    DefaultForScheme,
    Remove,
}

/// `port.Modifier`: changes the URL's port (where the request goes; the `Host` header keeps
/// the original, as Go ignores a `Host` entry in the header map).
pub fn port_set(req: &mut Request, port: Port) -> Result<(), Error> {
    let host = if req.host.contains(':') {
        split_host_port(&req.host)?.0.to_owned()
    } else {
        req.host.clone()
    };
    let port = match port {
        Port::Remove => {
            req.host = host;
            return Ok(());
        }
        Port::DefaultForScheme if req.scheme == Scheme::HTTP => 80,
        Port::DefaultForScheme if req.scheme == Scheme::HTTPS => 443,
        Port::DefaultForScheme => return Ok(()),
        Port::To(p) => p,
    };
    req.host = join_host_port(&host, port);
    Ok(())
}

/// Go's `net.SplitHostPort`.
pub(crate) fn split_host_port(hostport: &str) -> Result<(&str, &str), Error> {
    let err = |why: &str| Error(format!("address {hostport}: {why}"));
    if let Some(rest) = hostport.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| err("missing ']' in address"))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| err("missing port in address"))?;
        if port.contains(':') {
            return Err(err("too many colons in address"));
        }
        return Ok((host, port));
    }
    let (host, port) = hostport
        .rsplit_once(':')
        .ok_or_else(|| err("missing port in address"))?;
    if host.contains(':') {
        return Err(err("too many colons in address"));
    }
    Ok((host, port))
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `status.Modifier`: the answer's status.
pub fn status_set(resp: &mut Response<'_>, code: u16) {
    if let Ok(s) = StatusCode::from_u16(code) {
        resp.answer.status = s;
    }
}

/// `static.Modifier` on the request: no round trip (the answer starts as an empty 200), and
/// `https` becomes `http`.
pub fn static_request(req: &mut Request) {
    req.skip_round_trip = true;
    if req.scheme == Scheme::HTTPS {
        req.scheme = Scheme::HTTP;
    }
}

/// The files of a `static.Modifier`, read at build time: request path (cleaned) → body and
/// content type.
pub type StaticFiles = fn(&str) -> Option<(&'static [u8], &'static str)>;

/// `static.Modifier` on the answer: the file for the request path as the body with its
/// content type; a path without a file answers 404.
pub fn static_response(resp: &mut Response<'_>, files: StaticFiles) {
    let decoded = unescape(&resp.request.path, false).unwrap_or_default();
    match files(&clean_path(&decoded)) {
        Some((body, content_type)) => {
            let h = &mut resp.answer.headers;
            h.remove(http::header::CONTENT_LENGTH);
            h.remove(CONTENT_ENCODING);
            if let Ok(v) = HeaderValue::from_str(content_type) {
                h.insert(CONTENT_TYPE, v);
            }
            resp.answer.set_body(Bytes::from_static(body));
        }
        None => resp.answer.status = StatusCode::NOT_FOUND,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn host_ports_split_as_go() {
        assert_eq!(split_host_port("a:80").unwrap(), ("a", "80"));
        assert_eq!(split_host_port("[::1]:8").unwrap(), ("::1", "8"));
        assert!(split_host_port("a:b:c").is_err());
        assert_eq!(join_host_port("::1", 9), "[::1]:9");
    }

    #[test]
    fn uuids_are_v4() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid_v4());
    }
}
