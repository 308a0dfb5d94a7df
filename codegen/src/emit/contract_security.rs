//! The generated contract tests under `security/http` and the bot detectors: the test request
//! carries what those checks look at (a `User-Agent`, an allowed `Host`, an HTTPS proxy header)
//! and expects the answer the gateway must give, decided here at build time with the same
//! rules: the endpoint's answer when the request passes, else the rejection (500 bad host, 301
//! to HTTPS, 403 bot) and no backend call. CORS changes no status: nothing to adjust.

use super::contract_data::Case;
use crate::plan::{AllowedHosts, BotDetector, Endpoint, Plan};

/// The `User-Agent` contract tests send when a bot detector applies.
const TEST_AGENT: &str = "krustd-contract-test";
/// The `Host` sent to a regex `allowed_hosts` (expected to be refused unless it matches).
const TEST_HOST: &str = "krustd.test";

fn is_bot(b: &BotDetector, ua: &str) -> bool {
    if ua.is_empty() {
        return b.empty_is_bot;
    }
    if b.allow.iter().any(|a| a == ua) {
        return false;
    }
    if b.deny.iter().any(|d| d == ua) {
        return true;
    }
    b.patterns
        .iter()
        .filter_map(|p| regex::Regex::new(p).ok())
        .any(|r| r.is_match(ua))
}

fn reject(case: &mut Case, status: u16, body: Option<&str>) {
    case.status = status;
    case.mocks.clear();
    case.completed = None;
    case.response = body.map(str::to_owned);
    case.response_is_text = body.is_some();
    case.response_headers.clear();
    case.unchecked = None;
}

/// `case` as the security namespaces of `plan` and `e` make it.
pub(super) fn secure(plan: &Plan, e: &Endpoint, mut case: Case) -> Case {
    let s = &plan.service;
    let mut rejected = false;
    if let Some(h) = &s.http_secure {
        match &h.allowed_hosts {
            _ if case
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("host")) => {}
            Some(AllowedHosts::Plain(list)) => {
                if let Some(first) = list.first() {
                    case.headers.push(("host".into(), first.clone()));
                }
            }
            Some(AllowedHosts::Regex(list)) => {
                case.headers.push(("host".into(), TEST_HOST.into()));
                let good = list
                    .iter()
                    .filter_map(|p| regex::Regex::new(p).ok())
                    .any(|r| r.is_match(TEST_HOST));
                if !good {
                    reject(&mut case, 500, Some("Bad Host\n"));
                    rejected = true;
                }
            }
            None => {}
        }
        if h.ssl_redirect && !rejected {
            match h.ssl_proxy_headers.first() {
                Some((k, v)) => case.headers.push((k.clone(), v.clone())),
                None => {
                    reject(&mut case, 301, None);
                    rejected = true;
                }
            }
        }
    }
    let detectors: Vec<&BotDetector> = s.bot_detector.iter().chain(&e.bot_detector).collect();
    if !detectors.is_empty() && !rejected {
        let sent = case
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
            .map(|(_, v)| v.clone());
        let ua = match sent {
            Some(ua) => ua,
            None => {
                case.headers.push(("user-agent".into(), TEST_AGENT.into()));
                TEST_AGENT.to_owned()
            }
        };
        if detectors.iter().any(|b| is_bot(b, &ua)) {
            reject(&mut case, 403, Some(""));
        }
    }
    case
}
