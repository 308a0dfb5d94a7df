//! `security/bot-detector`, as krakend-botdetector decides: on the first `User-Agent` value,
//! empty → bot only with `empty_user_agent_is_bot`; in `allow` → not a bot; in `deny` → bot;
//! any pattern matching (unanchored) → bot. A bot gets a bare 403.
//!
//! The lists are sorted at build time and searched by bisection; the patterns form one
//! `RegexSet`, compiled once (at startup for the service level, on first use for an endpoint)
//! from sources that `check` already compiled with the same crate. KrakenD's LRU cache
//! (`cache_size`) is not reproduced: it changes no answer.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderMap, StatusCode};
use regex::bytes::RegexSet;
use std::sync::OnceLock;

/// One detector's compiled rules.
#[derive(Debug)]
pub struct BotDetectorSpec {
    /// Sorted, unique.
    pub allow: &'static [&'static str],
    /// Sorted, unique.
    pub deny: &'static [&'static str],
    pub patterns: Patterns,
    pub empty_is_bot: bool,
}

/// Regex sources compiled into one set on first use.
#[derive(Debug)]
pub struct Patterns {
    sources: &'static [&'static str],
    set: OnceLock<Option<RegexSet>>,
}

impl Patterns {
    pub const fn new(sources: &'static [&'static str]) -> Self {
        Patterns {
            sources,
            set: OnceLock::new(),
        }
    }

    /// The compiled set (`None` without patterns).
    pub fn compiled(&self) -> Option<&RegexSet> {
        self.set
            .get_or_init(|| {
                if self.sources.is_empty() {
                    return None;
                }
                match RegexSet::new(self.sources) {
                    Ok(set) => Some(set),
                    Err(e) => {
                        // `check` compiled the same sources with the same crate: unreachable
                        // unless the runtime and codegen disagree on the regex version.
                        crate::log::error(&format!("regex set does not compile: {e}"));
                        None
                    }
                }
            })
            .as_ref()
    }

    /// Whether any pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &[u8]) -> bool {
        self.compiled().is_some_and(|set| set.is_match(text))
    }
}

fn listed(list: &[&str], value: &[u8]) -> bool {
    list.binary_search_by(|s| s.as_bytes().cmp(value)).is_ok()
}

impl BotDetectorSpec {
    /// Whether the request's `User-Agent` is a bot's.
    pub fn is_bot(&self, headers: &HeaderMap) -> bool {
        let ua = headers
            .get(http::header::USER_AGENT)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if ua.is_empty() {
            return self.empty_is_bot;
        }
        if listed(self.allow, ua) {
            return false;
        }
        if listed(self.deny, ua) {
            return true;
        }
        self.patterns.is_match(ua)
    }
}

/// 403, no body, no `Content-Type` (gin's `AbortWithStatus`), logged as KrakenD does.
pub fn forbidden() -> Response {
    crate::log::error("[SERVICE: Gin][Botdetector] bot rejected");
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp
}

/// The endpoint-level detector: the generated handler returns this answer when it is `Some`,
/// before anything else of the endpoint runs.
pub fn reject(spec: &'static BotDetectorSpec, req: &Request) -> Option<Response> {
    spec.is_bot(req.headers()).then(forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPEC: BotDetectorSpec = BotDetectorSpec {
        allow: &["Pingdom.com_bot_version_1.1", "c"],
        deny: &["a", "b"],
        patterns: Patterns::new(&["(Pingdom.com_bot_version_).*", "(facebookexternalhit)/.*"]),
        empty_is_bot: false,
    };

    fn ua(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = v.parse() {
            h.insert(http::header::USER_AGENT, v);
        }
        h
    }

    #[test]
    fn decision_order() {
        assert!(SPEC.is_bot(&ua("a")));
        assert!(!SPEC.is_bot(&ua("c")));
        assert!(!SPEC.is_bot(&ua("Pingdom.com_bot_version_1.1")));
        assert!(SPEC.is_bot(&ua("Pingdom.com_bot_version_1.14")));
        assert!(SPEC.is_bot(&ua("x facebookexternalhit/1.2")));
        assert!(!SPEC.is_bot(&ua("Mozilla/5.0")));
        assert!(!SPEC.is_bot(&HeaderMap::new()));
    }
}
