//! `security/bot-detector` (service and endpoint level): User-Agent allow/deny lists and
//! patterns, as krakend-botdetector (spec: security-and-traffic.md §4).

use super::security_values::SecReader;
use crate::diag::Diagnostics;
use crate::model::At;
use serde_json::Value;

pub const NAME: &str = "security/bot-detector";
pub const KEYS: &[&str] = &[
    "allow",
    "deny",
    "patterns",
    "empty_user_agent_is_bot",
    "cache_size",
];

#[derive(Debug, Default)]
pub struct BotDetectorOptions {
    pub pointer: String,
    pub allow: Option<At<Vec<At<String>>>>,
    pub deny: Option<At<Vec<At<String>>>>,
    /// RE2 regexes, unanchored.
    pub patterns: Option<At<Vec<At<String>>>>,
    pub empty_user_agent_is_bot: bool,
    /// KrakenD's LRU size: no behavioural effect.
    pub cache_size: Option<At<i64>>,
    pub unknown: Vec<At<String>>,
}

impl BotDetectorOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = SecReader::new(d, NAME, value, pointer);
        BotDetectorOptions {
            pointer: pointer.to_owned(),
            allow: r.strings(d, "allow"),
            deny: r.strings(d, "deny"),
            patterns: r.strings(d, "patterns"),
            empty_user_agent_is_bot: r
                .bool(d, "empty_user_agent_is_bot")
                .is_some_and(|b| b.value),
            cache_size: r.int(d, "cache_size"),
            unknown: r.finish(),
        }
    }
}
