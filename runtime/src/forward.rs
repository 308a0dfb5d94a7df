//! Zero-trust forwarding of client headers and query strings (spec: routing-and-forwarding.md
//! §3–§4). The allow-lists are `'static` data emitted by codegen.

use crate::go;
use http::header::{self, HeaderName, HeaderValue};
use http::HeaderMap;
use std::net::IpAddr;

/// Endpoint or backend `input_headers`. Names are lower-case (`HeaderName::from_static`).
#[derive(Debug)]
pub struct HeaderAllowList {
    /// `"*"` was listed (only meaningful at endpoint level).
    pub all: bool,
    pub names: &'static [HeaderName],
}

/// Endpoint or backend `input_query_strings` (case-sensitive names).
#[derive(Debug)]
pub struct QueryAllowList {
    pub all: bool,
    pub names: &'static [&'static str],
}

/// Headers a client can never make the gateway forward, even with `input_headers: ["*"]`:
/// `Host` (Go keeps it out of `Request.Header`; the HTTP client sets the backend host), the
/// hop-by-hop headers (`Connection`, `Keep-Alive`, `Proxy-Connection`, `Transfer-Encoding`,
/// `Upgrade`, `TE`, `Trailer`) and `Content-Length`: connection management and body framing
/// belong to the backend HTTP client, which sets them itself from the body it actually sends
/// (forwarding the client's values could desynchronise framing, i.e. request smuggling).
fn never_forwarded(name: &HeaderName) -> bool {
    name == header::HOST
        || name == header::CONNECTION
        || name == header::TRANSFER_ENCODING
        || name == header::UPGRADE
        || name == header::TE
        || name == header::TRAILER
        || name == header::CONTENT_LENGTH
        || name.as_str() == "keep-alive"
        || name.as_str() == "proxy-connection"
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_FORWARDED_VIA: HeaderName = HeaderName::from_static("x-forwarded-via");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");

/// Appends every value of `name` in `from` to `to` (once, even if listed twice).
fn copy_all(from: &HeaderMap, to: &mut HeaderMap, name: &HeaderName) {
    if to.contains_key(name) {
        return;
    }
    for v in from.get_all(name) {
        to.append(name.clone(), v.clone());
    }
}

/// The headers every backend of the endpoint starts from (step 1 and 2 of §3):
/// `allow == None` means `input_headers` was absent/empty (only `Content-Type` passes);
/// then `X-Forwarded-For` (= `client_ip`), `X-Forwarded-Host` (= the client's `Host` header, if
/// any) and `User-Agent`/`X-Forwarded-Via` (`KrakenD Version <version>`) are set.
pub fn endpoint_headers(
    client: &HeaderMap,
    allow: Option<&HeaderAllowList>,
    client_ip: &str,
    version: &str,
) -> HeaderMap {
    let ip = HeaderValue::from_str(client_ip).ok();
    endpoint_headers_with(client, allow, ip.as_ref(), krakend_agent(version).as_ref())
}

/// The KrakenD CE release whose behaviour Krustd reproduces, and the version it announces where
/// KrakenD announces `core.KrakendVersion`: `User-Agent`/`X-Forwarded-Via: KrakenD Version <v>`
/// to backends and `X-Krakend: Version <v>` to clients (backends and tests that check those
/// headers see what KrakenD sends). Krustd's own version stays in `--version`, the stats'
/// build info and telemetry. Keep equal to the code generator's `plan::KRAKEND_VERSION`.
pub const KRAKEND_VERSION: &str = "2.13.8";

/// `KrakenD Version <version>`: the gateway's `User-Agent`/`X-Forwarded-Via` value, built once
/// per gateway (not per request). `None` if the version is not a valid header value.
pub fn krakend_agent(version: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!("KrakenD Version {version}")).ok()
}

/// [`endpoint_headers`] with the per-request values already made: the client IP as a header
/// value (`None` or empty: unknown) and the gateway agent of [`krakend_agent`].
pub fn endpoint_headers_with(
    client: &HeaderMap,
    allow: Option<&HeaderAllowList>,
    client_ip: Option<&HeaderValue>,
    krakend: Option<&HeaderValue>,
) -> HeaderMap {
    // Step 1: the allow-list.
    let mut out = match allow {
        None => {
            // Only Content-Type is copied, so none of step 2's headers is there yet: each is
            // added (in step 2's order) without looking for one to replace.
            let mut out = HeaderMap::with_capacity(4);
            copy_all(client, &mut out, &header::CONTENT_TYPE);
            if let Some(v) = client_ip.filter(|v| !v.is_empty()) {
                out.append(X_FORWARDED_FOR, v.clone());
            }
            if let Some(host) = client.get(header::HOST) {
                out.append(X_FORWARDED_HOST, host.clone());
            }
            if let Some(v) = krakend {
                out.append(header::USER_AGENT, v.clone());
            }
            return out;
        }
        Some(list) if list.all => {
            let mut out = HeaderMap::with_capacity(client.keys_len() + 3);
            for (name, value) in client {
                if !never_forwarded(name) {
                    out.append(name.clone(), value.clone());
                }
            }
            out
        }
        Some(list) => {
            let mut out = HeaderMap::with_capacity(list.names.len() + 3);
            for name in list.names {
                if !never_forwarded(name) {
                    copy_all(client, &mut out, name);
                }
            }
            out
        }
    };

    // Step 2: always set by the gateway, overwriting whatever the client sent. When a value
    // cannot be produced, the client's copy is still dropped: it is never forwarded unchecked.
    match client_ip {
        Some(v) if !v.is_empty() => {
            out.insert(X_FORWARDED_FOR, v.clone());
        }
        _ => {
            out.remove(X_FORWARDED_FOR);
        }
    }
    match client.get(header::HOST) {
        Some(host) => {
            out.insert(X_FORWARDED_HOST, host.clone());
        }
        None => {
            out.remove(X_FORWARDED_HOST);
        }
    }
    if out.contains_key(header::USER_AGENT) {
        match krakend {
            Some(v) => out.insert(X_FORWARDED_VIA, v.clone()),
            None => out.remove(X_FORWARDED_VIA),
        };
    } else {
        out.remove(X_FORWARDED_VIA);
        if let Some(v) = krakend {
            out.insert(header::USER_AGENT, v.clone());
        }
    }
    out
}

/// Backend-level `input_headers` (step 3): keep only the listed names (`*` matches nothing).
pub fn backend_headers(base: &HeaderMap, allow: &HeaderAllowList) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(allow.names.len());
    for name in allow.names {
        copy_all(base, &mut out, name);
    }
    out
}

/// The forwarded query string (§4): the allowed parameters of the client's raw query, keys
/// sorted (stable: values of one key keep their order), form-encoded (`application/x-www-form-
/// urlencoded`, space as `+`). `allow == None` forwards nothing. Empty when nothing passes.
pub fn query(raw_query: Option<&str>, allow: Option<&QueryAllowList>) -> String {
    let (Some(raw), Some(allow)) = (raw_query, allow) else {
        return String::new();
    };
    if !allow.all && allow.names.is_empty() {
        return String::new();
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = parse_query_bytes(raw)
        .filter(|(k, _)| allow.all || allow.names.iter().any(|n| n.as_bytes() == k.as_slice()))
        .collect();
    encode_pairs(pairs.iter().map(|(k, v)| (k.as_slice(), v.as_slice())))
}

/// A raw query parsed like Go's `url.ParseQuery` (what `URL.Query()` returns, errors ignored):
/// split on `&`, pairs containing `;` or an invalid `%` escape skipped, `+` is a space, a pair
/// without `=` has an empty value. Pairs in received order; decoded bytes that are not UTF-8
/// are replaced lossily (U+FFFD, as Go's JSON encoder does).
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    parse_query_bytes(raw)
        .map(|(k, v)| (lossy(k), lossy(v)))
        .collect()
}

/// Go's `url.Values.Encode`: keys sorted (byte order; the values of one key keep their
/// order), `QueryEscape`d keys and values (space as `+`), pairs joined with `&`.
pub fn encode_query(pairs: &[(String, String)]) -> String {
    encode_pairs(pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())))
}

fn lossy(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn encode_pairs<'a>(pairs: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> String {
    let mut pairs: Vec<(&[u8], &[u8])> = pairs.collect();
    // Stable: the values of one key keep their received order (Go's url.Values).
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    let len: usize = pairs
        .iter()
        .map(|(k, v)| escaped_len(k) + escaped_len(v) + 2)
        .sum();
    let mut out = String::with_capacity(len.saturating_sub(1));
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        query_escape(&mut out, k);
        out.push('=');
        query_escape(&mut out, v);
    }
    out
}

/// Backend-level `input_query_strings`: the subset of an already built forwarded query.
pub fn backend_query(forwarded: &str, allow: &QueryAllowList) -> String {
    let mut out = String::with_capacity(forwarded.len());
    for pair in forwarded.split('&').filter(|p| !p.is_empty()) {
        let raw_key = pair.split_once('=').map_or(pair, |(k, _)| k);
        let Some(key) = query_unescape(raw_key) else {
            continue;
        };
        if allow.names.iter().any(|n| n.as_bytes() == key.as_slice()) {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(pair);
        }
    }
    out
}

/// The client IP KrakenD reports in `X-Forwarded-For` with default router options: the
/// leftmost item of the first of `X-Forwarded-For`, `X-Real-IP` whose comma-separated items all
/// parse as IPs; otherwise the TCP peer; otherwise an empty string.
/// The router options that decide the client IP (operations.md §1): gin's `ClientIP`.
#[derive(Debug)]
pub struct ClientIpPolicy {
    /// `forwarded_by_client_ip` (KrakenD's effective default: true).
    pub forwarded_by_client_ip: bool,
    /// `remote_ip_headers`, canonical order (default `X-Forwarded-For`, `X-Real-IP`).
    pub headers: &'static [HeaderName],
    /// `trusted_proxies` as (network, prefix length); `None` trusts every address.
    pub trusted: Option<&'static [(IpAddr, u8)]>,
    /// `app_engine`: `X-Appengine-Remote-Addr` first.
    pub app_engine: bool,
}

static DEFAULT_IP_HEADERS: [HeaderName; 2] = [X_FORWARDED_FOR, X_REAL_IP];

/// KrakenD's default: headers trusted from any peer.
pub static DEFAULT_CLIENT_IP: ClientIpPolicy = ClientIpPolicy {
    forwarded_by_client_ip: true,
    headers: &DEFAULT_IP_HEADERS,
    trusted: None,
    app_engine: false,
};

fn in_network(ip: IpAddr, (net, bits): (IpAddr, u8)) -> bool {
    match (ip.to_canonical(), net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let bits = u32::from(bits.min(32));
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let bits = u32::from(bits.min(128));
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

fn trusted(policy: &ClientIpPolicy, ip: IpAddr) -> bool {
    match policy.trusted {
        None => true,
        Some(nets) => nets.iter().any(|n| in_network(ip, *n)),
    }
}

/// gin's `ClientIP` with the contract's router options: headers are read only from a trusted
/// peer; their items are scanned right to left and the first untrusted IP wins (all trusted →
/// the leftmost); otherwise the peer.
pub fn client_ip_with(
    policy: &ClientIpPolicy,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> String {
    if policy.app_engine {
        if let Some(v) = headers
            .get("x-appengine-remote-addr")
            .and_then(|v| v.to_str().ok())
        {
            if !v.is_empty() {
                return v.to_owned();
            }
        }
    }
    // Without a peer (a router used outside a server), headers are read as from a trusted one.
    if policy.forwarded_by_client_ip && peer.is_none_or(|p| trusted(policy, p)) {
        for name in policy.headers {
            let Some(value) = headers.get(name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let items: Vec<&str> = value.split(',').map(str::trim).collect();
            for (i, item) in items.iter().enumerate().rev() {
                let Ok(ip) = item.parse::<IpAddr>() else {
                    break;
                };
                if i == 0 || !trusted(policy, ip) {
                    return (*item).to_owned();
                }
            }
        }
    }
    // Go reports an IPv4 client of a dual-stack listener as plain IPv4.
    peer.map(|p| ip_text(p.to_canonical())).unwrap_or_default()
}

/// `ip` as `Display` writes it; an IPv4 address (every request's peer, usually) without the
/// formatting machinery, which cost more than the rest of the client-IP decision.
fn ip_text(ip: IpAddr) -> String {
    let IpAddr::V4(v4) = ip else {
        return ip.to_string();
    };
    let mut s = String::with_capacity(15);
    for (i, octet) in v4.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        if octet >= 100 {
            s.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            s.push(char::from(b'0' + octet / 10 % 10));
        }
        s.push(char::from(b'0' + octet % 10));
    }
    s
}

/// [`client_ip_with`] for KrakenD's defaults.
pub fn client_ip(headers: &HeaderMap, peer: Option<IpAddr>) -> String {
    client_ip_with(&DEFAULT_CLIENT_IP, headers, peer)
}

/// Go's `url.ParseQuery` (errors ignored, as `URL.Query()` does): pairs split on `&`, a pair
/// containing `;` or an invalid `%` escape is skipped, empty pairs are skipped, `+` is a space,
/// a pair without `=` has an empty value. Keys and values are bytes (may be non-UTF-8).
fn parse_query_bytes(raw: &str) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    raw.split('&')
        .filter(|p| !p.is_empty() && !p.contains(';'))
        .filter_map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((query_unescape(k)?, query_unescape(v)?))
        })
}

/// Go's `url.QueryUnescape`: `+` → space, `%XX` decoded; `None` on a malformed escape.
fn query_unescape(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hi = go::hex_val(bytes.next()?)?;
                let lo = go::hex_val(bytes.next()?)?;
                out.push(hi << 4 | lo);
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    Some(out)
}

/// Bytes Go's `url.QueryEscape` keeps as they are.
fn query_keep(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn escaped_len(s: &[u8]) -> usize {
    s.iter()
        .map(|&b| if query_keep(b) || b == b' ' { 1 } else { 3 })
        .sum()
}

/// Go's `url.QueryEscape`: unreserved kept, space → `+`, everything else `%XX` upper-case.
fn query_escape(out: &mut String, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s {
        if query_keep(b) {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

#[cfg(test)]
mod client_ip_policy_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    static TRUST_LOOPBACK: [(IpAddr, u8); 1] =
        [(IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 0)), 8)];
    static CUSTOM_HEADERS: [HeaderName; 1] = [HeaderName::from_static("x-client")];

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn trusted_proxies_scan_right_to_left() {
        let policy = ClientIpPolicy {
            forwarded_by_client_ip: true,
            headers: &DEFAULT_IP_HEADERS,
            trusted: Some(&TRUST_LOOPBACK),
            app_engine: false,
        };
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 2.2.2.2, 127.0.0.5")]);
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let remote: IpAddr = "9.9.9.9".parse().unwrap();
        assert_eq!(client_ip_with(&policy, &h, Some(local)), "2.2.2.2");
        assert_eq!(
            client_ip_with(&policy, &h, Some(remote)),
            "9.9.9.9",
            "untrusted peer"
        );
    }

    #[test]
    fn options_switch_sources() {
        let off = ClientIpPolicy {
            forwarded_by_client_ip: false,
            headers: &DEFAULT_IP_HEADERS,
            trusted: None,
            app_engine: false,
        };
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-client", "3.3.3.3"),
            ("x-appengine-remote-addr", "4.4.4.4"),
        ]);
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(client_ip_with(&off, &h, Some(peer)), "127.0.0.1");
        let custom = ClientIpPolicy {
            headers: &CUSTOM_HEADERS,
            forwarded_by_client_ip: true,
            ..off
        };
        assert_eq!(client_ip_with(&custom, &h, Some(peer)), "3.3.3.3");
        let app = ClientIpPolicy {
            app_engine: true,
            ..custom
        };
        assert_eq!(client_ip_with(&app, &h, Some(peer)), "4.4.4.4");
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ip_text_is_display() {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        for o in 0..=255u8 {
            for ip in [
                Ipv4Addr::new(o, 0, 255, o),
                Ipv4Addr::new(9, o, 10, 99),
                Ipv4Addr::new(100, 199, o, 1),
            ] {
                assert_eq!(super::ip_text(IpAddr::V4(ip)), ip.to_string());
            }
        }
        let v6 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        assert_eq!(super::ip_text(v6), "2001:db8::1");
    }

    const V: &str = "2.13.8";
    const UA_KRAKEND: &str = "KrakenD Version 2.13.8";

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        m
    }

    fn all_of<'a>(m: &'a HeaderMap, name: &str) -> Vec<&'a str> {
        m.get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    fn one<'a>(m: &'a HeaderMap, name: &str) -> Option<&'a str> {
        m.get(name).map(|v| v.to_str().unwrap())
    }

    fn client() -> HeaderMap {
        map(&[
            ("host", "gw.example.com:8080"),
            ("content-type", "application/json"),
            ("user-agent", "curl/8"),
            ("x-user", "a"),
            ("x-user", "b"),
            ("cookie", "s=1"),
            ("authorization", "Bearer t"),
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-host", "evil"),
            ("x-forwarded-via", "spoof"),
            ("connection", "keep-alive"),
            ("keep-alive", "timeout=5"),
            ("proxy-connection", "close"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("te", "trailers"),
            ("trailer", "X-T"),
            ("content-length", "10"),
        ])
    }

    // `HeaderName::from_static` is a call returning an interior-mutable type (a custom name
    // holds `Bytes`), so a `static` cannot borrow an inline array of such calls (E0492): the
    // names live in their own `static`, which a `static` may reference.
    static USER: [HeaderName; 3] = [
        HeaderName::from_static("x-user"),
        HeaderName::from_static("x-missing"),
        HeaderName::from_static("x-user"),
    ];
    static NAMES_USER: HeaderAllowList = HeaderAllowList {
        all: false,
        names: &USER,
    };
    static NAMES_UA_CT: HeaderAllowList = HeaderAllowList {
        all: false,
        names: &[
            header::USER_AGENT,
            header::CONTENT_TYPE,
            header::HOST,
            header::CONTENT_LENGTH,
        ],
    };
    static STAR: HeaderAllowList = HeaderAllowList {
        all: true,
        names: &[],
    };
    static STAR_NAMES: HeaderAllowList = HeaderAllowList {
        all: true,
        names: &USER,
    };

    #[test]
    fn default_only_content_type() {
        let h = endpoint_headers(&client(), None, "1.2.3.4", V);
        assert_eq!(one(&h, "content-type"), Some("application/json"));
        assert_eq!(one(&h, "x-forwarded-for"), Some("1.2.3.4"));
        assert_eq!(one(&h, "x-forwarded-host"), Some("gw.example.com:8080"));
        assert_eq!(one(&h, "user-agent"), Some(UA_KRAKEND));
        assert_eq!(h.get("x-forwarded-via"), None);
        assert_eq!(h.len(), 4);

        let h = endpoint_headers(&HeaderMap::new(), None, "", V);
        assert_eq!(h.len(), 1);
        assert_eq!(one(&h, "user-agent"), Some(UA_KRAKEND));
    }

    #[test]
    fn listed_headers_drop_implicit_content_type() {
        let h = endpoint_headers(&client(), Some(&NAMES_USER), "1.2.3.4", V);
        assert_eq!(all_of(&h, "x-user"), ["a", "b"]);
        assert_eq!(h.get("content-type"), None);
        assert_eq!(h.get("x-missing"), None);
        assert_eq!(h.get("cookie"), None);
        assert_eq!(one(&h, "user-agent"), Some(UA_KRAKEND));
        assert_eq!(h.get("x-forwarded-via"), None);
        assert_eq!(h.len(), 5);
    }

    #[test]
    fn listed_user_agent_is_kept() {
        let h = endpoint_headers(&client(), Some(&NAMES_UA_CT), "1.2.3.4", V);
        assert_eq!(one(&h, "user-agent"), Some("curl/8"));
        assert_eq!(one(&h, "x-forwarded-via"), Some(UA_KRAKEND));
        assert_eq!(one(&h, "content-type"), Some("application/json"));
        // Host and Content-Length are never forwarded, even when listed.
        assert_eq!(h.get("host"), None);
        assert_eq!(h.get("content-length"), None);

        // Listed but not sent: the gateway UA.
        let c = map(&[("content-type", "text/plain")]);
        let h = endpoint_headers(&c, Some(&NAMES_UA_CT), "1.2.3.4", V);
        assert_eq!(one(&h, "user-agent"), Some(UA_KRAKEND));
        assert_eq!(h.get("x-forwarded-via"), None);
        assert_eq!(h.get("x-forwarded-host"), None);
    }

    #[test]
    fn star_forwards_all_but_overwrites_gateway_headers() {
        for allow in [&STAR, &STAR_NAMES] {
            let h = endpoint_headers(&client(), Some(allow), "1.2.3.4", V);
            assert_eq!(all_of(&h, "x-user"), ["a", "b"]);
            assert_eq!(one(&h, "cookie"), Some("s=1"));
            assert_eq!(one(&h, "authorization"), Some("Bearer t"));
            assert_eq!(one(&h, "content-type"), Some("application/json"));
            assert_eq!(all_of(&h, "x-forwarded-for"), ["1.2.3.4"]);
            assert_eq!(all_of(&h, "x-forwarded-host"), ["gw.example.com:8080"]);
            assert_eq!(one(&h, "user-agent"), Some("curl/8"));
            assert_eq!(all_of(&h, "x-forwarded-via"), [UA_KRAKEND]);
            for name in [
                "host",
                "connection",
                "keep-alive",
                "proxy-connection",
                "transfer-encoding",
                "upgrade",
                "te",
                "trailer",
                "content-length",
            ] {
                assert_eq!(h.get(name), None, "{name}");
            }
        }
    }

    #[test]
    fn star_without_user_agent_drops_client_via() {
        let c = map(&[("x-forwarded-via", "spoof"), ("x-forwarded-for", "6.6.6.6")]);
        let h = endpoint_headers(&c, Some(&STAR), "", V);
        assert_eq!(one(&h, "user-agent"), Some(UA_KRAKEND));
        assert_eq!(h.get("x-forwarded-via"), None);
        // No client IP: the client's value is not passed through either.
        assert_eq!(h.get("x-forwarded-for"), None);
        assert_eq!(h.get("x-forwarded-host"), None);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn backend_headers_filter() {
        let base = endpoint_headers(&client(), Some(&STAR), "1.2.3.4", V);
        let h = backend_headers(&base, &NAMES_USER);
        assert_eq!(all_of(&h, "x-user"), ["a", "b"]);
        assert_eq!(h.len(), 2);
        // `*` matches nothing at backend level.
        assert!(backend_headers(&base, &STAR).is_empty());
        let h = backend_headers(&base, &STAR_NAMES);
        assert_eq!(h.len(), 2);
        let h = backend_headers(&base, &NAMES_UA_CT);
        assert_eq!(one(&h, "user-agent"), Some("curl/8"));
        assert_eq!(h.get("x-forwarded-for"), None);
    }

    static Q_ALL: QueryAllowList = QueryAllowList {
        all: true,
        names: &[],
    };
    static Q_SOME: QueryAllowList = QueryAllowList {
        all: false,
        names: &["page", "b", "a", "a", "sp ace", "Ünï"],
    };
    static Q_NONE: QueryAllowList = QueryAllowList {
        all: false,
        names: &[],
    };

    #[test]
    fn query_filter_and_sort() {
        let raw = Some("z=1&page=2&Page=3&b=x&a=2&a=1&b=y");
        assert_eq!(query(raw, Some(&Q_SOME)), "a=2&a=1&b=x&b=y&page=2");
        assert_eq!(
            query(raw, Some(&Q_ALL)),
            "Page=3&a=2&a=1&b=x&b=y&page=2&z=1"
        );
        assert_eq!(query(raw, None), "");
        assert_eq!(query(raw, Some(&Q_NONE)), "");
        assert_eq!(query(None, Some(&Q_ALL)), "");
        assert_eq!(query(Some(""), Some(&Q_ALL)), "");
        assert_eq!(query(Some("x=1"), Some(&Q_SOME)), "");
    }

    #[test]
    fn query_parse_like_go() {
        // Empty values and bare keys kept as `k=`.
        assert_eq!(query(Some("a=&b"), Some(&Q_ALL)), "a=&b=");
        // Semicolons and bad escapes skip the pair; empty pairs skipped.
        assert_eq!(
            query(Some("a=1;b=2&&b=%zz&b=%4&b=3&a=%41"), Some(&Q_ALL)),
            "a=A&b=3"
        );
        // `+` is a space, re-encoded as `+`; escapes decoded for matching.
        assert_eq!(query(Some("sp+ace=a+b%20c"), Some(&Q_SOME)), "sp+ace=a+b+c");
        assert_eq!(query(Some("sp%20ace=1"), Some(&Q_SOME)), "sp+ace=1");
        assert_eq!(
            query(Some("%C3%9Cn%C3%AF=%E2%82%AC"), Some(&Q_SOME)),
            "%C3%9Cn%C3%AF=%E2%82%AC"
        );
        // Empty key allowed by `*`.
        assert_eq!(query(Some("=x"), Some(&Q_ALL)), "=x");
        // `=` inside the value.
        assert_eq!(query(Some("a=b=c"), Some(&Q_ALL)), "a=b%3Dc");
    }

    #[test]
    fn query_encode_like_go() {
        assert_eq!(
            query(Some("a=-_.~!*'()%26%3D%2B%23%25%2F%3A/"), Some(&Q_ALL)),
            "a=-_.~%21%2A%27%28%29%26%3D%2B%23%25%2F%3A%2F"
        );
        // Non-UTF-8 bytes survive.
        assert_eq!(query(Some("a=%FF%00"), Some(&Q_ALL)), "a=%FF%00");
        // Raw non-ASCII input.
        assert_eq!(query(Some("a=é"), Some(&Q_ALL)), "a=%C3%A9");
    }

    #[test]
    fn backend_query_subset() {
        let fwd = query(Some("page=2&a=1&b=x&sp+ace=1"), Some(&Q_ALL));
        assert_eq!(fwd, "a=1&b=x&page=2&sp+ace=1");
        static B: QueryAllowList = QueryAllowList {
            all: false,
            names: &["page", "sp ace", "a"],
        };
        assert_eq!(backend_query(&fwd, &B), "a=1&page=2&sp+ace=1");
        assert_eq!(backend_query(&fwd, &Q_ALL), "");
        assert_eq!(backend_query("", &B), "");
        assert_eq!(backend_query("a=&a=2&zz", &B), "a=&a=2");
    }

    #[test]
    fn client_ip_from_headers() {
        let peer = Some("10.0.0.1".parse().unwrap());
        let h = map(&[
            ("x-forwarded-for", " 1.2.3.4 , 5.6.7.8"),
            ("x-real-ip", "9.9.9.9"),
        ]);
        assert_eq!(client_ip(&h, peer), "1.2.3.4");
        // One bad item invalidates the whole header; next header tried.
        let h = map(&[
            ("x-forwarded-for", "1.2.3.4, nope"),
            ("x-real-ip", "9.9.9.9"),
        ]);
        assert_eq!(client_ip(&h, peer), "9.9.9.9");
        let h = map(&[("x-forwarded-for", "1.2.3.4,"), ("x-real-ip", "bad")]);
        assert_eq!(client_ip(&h, peer), "10.0.0.1");
        let h = map(&[("x-forwarded-for", ""), ("x-real-ip", "2001:db8::1")]);
        assert_eq!(client_ip(&h, peer), "2001:db8::1");
        // Only the first X-Forwarded-For line counts.
        let h = map(&[("x-forwarded-for", "bad"), ("x-forwarded-for", "1.1.1.1")]);
        assert_eq!(client_ip(&h, peer), "10.0.0.1");
        let h = map(&[("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "bad")]);
        assert_eq!(client_ip(&h, None), "1.1.1.1");
        // Ports, zones and leading zeros are not IPs.
        for bad in ["1.2.3.4:80", "fe80::1%eth0", "01.2.3.4", "[::1]"] {
            let h = map(&[("x-forwarded-for", bad)]);
            assert_eq!(client_ip(&h, peer), "10.0.0.1", "{bad}");
        }
    }

    #[test]
    fn client_ip_from_peer() {
        let h = HeaderMap::new();
        assert_eq!(client_ip(&h, Some("::1".parse().unwrap())), "::1");
        assert_eq!(
            client_ip(&h, Some("::ffff:1.2.3.4".parse().unwrap())),
            "1.2.3.4"
        );
        assert_eq!(client_ip(&h, None), "");
    }

    #[test]
    fn parse_and_encode_query() {
        let pairs = parse_query("b=2&a=x+y&b=1&bad=%g&c;d=1&e&%FF=1");
        let own = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        assert_eq!(
            pairs,
            [
                own("b", "2"),
                own("a", "x y"),
                own("b", "1"),
                own("e", ""),
                own("\u{FFFD}", "1")
            ]
        );
        assert_eq!(encode_query(&pairs[..4]), "a=x+y&b=2&b=1&e=");
        assert_eq!(encode_query(&[]), "");
        assert!(parse_query("").is_empty());
    }
}
