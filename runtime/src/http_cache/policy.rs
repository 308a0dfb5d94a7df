//! The RFC 9111 rules as KrakenD's cache (krakend/httpcache, a fork of gregjones/httpcache)
//! applies them: a private cache keyed by URL, `Cache-Control` `max-age`/`no-cache`/
//! `no-store`/`only-if-cached`/`min-fresh`/`max-stale`/`stale-if-error`, `Expires`, `Date`.
//! `s-maxage`, `public` and `private` mean nothing to it, as to any private cache.

use http::header::{HeaderName, CACHE_CONTROL, DATE, EXPIRES, VARY};
use http::HeaderMap;
use std::time::SystemTime;

/// The directives of the first `Cache-Control` field: names (lower-cased) with their values
/// (`""` when none). Go's `parseCacheControl` reads `Header.Get`, the first field only.
#[derive(Debug, Default)]
pub struct CacheControl(Vec<(String, String)>);

impl CacheControl {
    pub fn of(headers: &HeaderMap) -> Self {
        let Some(v) = headers.get(CACHE_CONTROL).and_then(|v| v.to_str().ok()) else {
            return CacheControl::default();
        };
        let mut out = Vec::new();
        for part in v.split(',') {
            let part = part.trim_matches(' ');
            if part.is_empty() {
                continue;
            }
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => {
                    // Go keeps the text up to a second `=`.
                    let v = v.split('=').next().unwrap_or_default();
                    (k.trim_matches(' '), v.trim_matches(','))
                }
                None => (part, ""),
            };
            out.push((k.to_ascii_lowercase(), v.to_owned()));
        }
        CacheControl(out)
    }

    pub fn get(&self, directive: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == directive)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, directive: &str) -> bool {
        self.get(directive).is_some()
    }
}

/// Go's `time.ParseDuration(v + "s")` for the seconds of a directive: an optional sign,
/// digits and an optional fraction; anything else is `None`.
pub fn seconds(v: &str) -> Option<f64> {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    let valid = !digits.is_empty()
        && digits != "."
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if !valid {
        return None;
    }
    v.parse::<f64>().ok().filter(|s| s.is_finite())
}

/// Whether a stored answer may be used as is, must be revalidated, or must not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    Fresh,
    Stale,
    /// The request said `no-cache`: ask the backend, without validators.
    Transparent,
}

/// Seconds between two instants, negative when `to` is before `from`.
fn signed_secs(from: SystemTime, to: SystemTime) -> f64 {
    match to.duration_since(from) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// The answer's `Date`, else the time it was received (RFC 9111 §4.2.3; Go's cache would
/// call an answer without `Date` stale).
fn date(resp: &HeaderMap, received: SystemTime) -> SystemTime {
    resp.get(DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        .unwrap_or(received)
}

/// How long the answer is fresh from its `Date`: `max-age`, else `Expires - Date`, else 0.
pub fn lifetime(resp: &HeaderMap, resp_cc: &CacheControl, received: SystemTime) -> f64 {
    if let Some(v) = resp_cc.get("max-age") {
        return seconds(v).unwrap_or(0.0);
    }
    match resp.get(EXPIRES).and_then(|v| v.to_str().ok()) {
        Some(v) => httpdate::parse_http_date(v)
            .map(|e| signed_secs(date(resp, received), e))
            .unwrap_or(0.0),
        None => 0.0,
    }
}

/// gregjones' `getFreshness`, with the request's directives (only those the backend request
/// carries: a client's `Cache-Control` counts only when `input_headers` forwards it).
pub fn freshness(
    resp: &HeaderMap,
    received: SystemTime,
    req_cc: &CacheControl,
    now: SystemTime,
) -> Freshness {
    let resp_cc = CacheControl::of(resp);
    if req_cc.has("no-cache") {
        return Freshness::Transparent;
    }
    if resp_cc.has("no-cache") {
        return Freshness::Stale;
    }
    if req_cc.has("only-if-cached") {
        return Freshness::Fresh;
    }
    let mut age = signed_secs(date(resp, received), now);
    let mut lifetime = lifetime(resp, &resp_cc, received);
    if let Some(v) = req_cc.get("max-age") {
        lifetime = seconds(v).unwrap_or(0.0);
    }
    if let Some(v) = req_cc.get("min-fresh").and_then(seconds) {
        age += v;
    }
    if let Some(v) = req_cc.get("max-stale") {
        if v.is_empty() {
            return Freshness::Fresh;
        }
        if let Some(s) = seconds(v) {
            age -= s;
        }
    }
    if lifetime > age {
        Freshness::Fresh
    } else {
        Freshness::Stale
    }
}

/// `stale-if-error` of the answer or the request (RFC 5861), as gregjones' `canStaleOnError`.
pub fn stale_on_error(
    resp: &HeaderMap,
    received: SystemTime,
    req_cc: &CacheControl,
    now: SystemTime,
) -> bool {
    let resp_cc = CacheControl::of(resp);
    let mut lifetime = -1.0;
    for cc in [&resp_cc, req_cc] {
        if let Some(v) = cc.get("stale-if-error") {
            if v.is_empty() {
                return true;
            }
            match seconds(v) {
                Some(s) => lifetime = s,
                None => return false,
            }
        }
    }
    lifetime >= 0.0 && lifetime > signed_secs(date(resp, received), now)
}

/// Whether an answer may be stored at all (`no-store` on either side).
pub fn storable(req_cc: &CacheControl, resp_cc: &CacheControl) -> bool {
    !resp_cc.has("no-store") && !req_cc.has("no-store")
}

/// Whether a stored answer could ever be used again: fresh for a while, revalidatable, or
/// usable on errors. KrakenD stores the others too and never serves them; Krustd keeps them
/// out of the bounded store.
pub fn worth_storing(resp: &HeaderMap, resp_cc: &CacheControl, received: SystemTime) -> bool {
    lifetime(resp, resp_cc, received) > signed_secs(date(resp, received), received)
        || resp.contains_key(http::header::ETAG)
        || resp.contains_key(http::header::LAST_MODIFIED)
        || resp_cc.has("stale-if-error")
}

/// The names an answer's `Vary` lists (every field, comma-separated, trimmed), as Go's
/// `headerAllCommaSepValues`; names that are not header names are skipped.
pub fn vary_names(resp: &HeaderMap) -> Vec<HeaderName> {
    resp.get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;
    use std::time::Duration;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(v) {
                h.append(*k, v);
            }
        }
        h
    }

    #[test]
    fn cache_control_directives() {
        let cc = CacheControl::of(&headers(&[(
            "cache-control",
            "public, Max-Age=60,no-store",
        )]));
        assert_eq!(cc.get("max-age"), Some("60"));
        assert!(cc.has("no-store") && cc.has("public") && !cc.has("no-cache"));
    }

    #[test]
    fn seconds_as_go_parses_them() {
        assert_eq!(seconds("60"), Some(60.0));
        assert_eq!(seconds("1.5"), Some(1.5));
        assert_eq!(seconds("-1"), Some(-1.0));
        assert_eq!(seconds("\"60\""), None);
        assert_eq!(seconds("1e3"), None);
        assert_eq!(seconds(""), None);
    }

    #[test]
    fn freshness_from_max_age_expires_and_date() {
        let now = SystemTime::now();
        let date = httpdate::fmt_http_date(now);
        let none = CacheControl::default();
        let fresh = headers(&[("cache-control", "max-age=60"), ("date", &date)]);
        assert_eq!(freshness(&fresh, now, &none, now), Freshness::Fresh);
        let later = now + Duration::from_secs(61);
        assert_eq!(freshness(&fresh, now, &none, later), Freshness::Stale);
        let expires = httpdate::fmt_http_date(now + Duration::from_secs(30));
        let exp = headers(&[("expires", &expires), ("date", &date)]);
        assert_eq!(freshness(&exp, now, &none, now), Freshness::Fresh);
        let zero = headers(&[("cache-control", "max-age=0"), ("date", &date)]);
        assert_eq!(freshness(&zero, now, &none, now), Freshness::Stale);
        let req = CacheControl::of(&headers(&[("cache-control", "no-cache")]));
        assert_eq!(freshness(&fresh, now, &req, now), Freshness::Transparent);
        let req = CacheControl::of(&headers(&[("cache-control", "max-stale")]));
        assert_eq!(freshness(&zero, now, &req, later), Freshness::Fresh);
    }

    #[test]
    fn what_is_worth_storing() {
        let now = SystemTime::now();
        let plain = headers(&[]);
        assert!(!worth_storing(&plain, &CacheControl::of(&plain), now));
        let etag = headers(&[("etag", "\"v1\"")]);
        assert!(worth_storing(&etag, &CacheControl::of(&etag), now));
        let ma = headers(&[("cache-control", "max-age=5")]);
        assert!(worth_storing(&ma, &CacheControl::of(&ma), now));
        let zero = headers(&[("cache-control", "max-age=0")]);
        assert!(!worth_storing(&zero, &CacheControl::of(&zero), now));
    }
}
