//! `krustd/compression` (service level, a Krustd extension): response compression negotiated
//! from `Accept-Encoding`. KrakenD CE has none (krakend-ce#353); off unless this is present.

use super::NsReader;
use crate::diag::Diagnostics;
use crate::model::{child, At};
use serde_json::Value;

pub const NAME: &str = "krustd/compression";
pub const KEYS: &[&str] = &["algorithms", "min_size"];

#[derive(Debug, Default)]
pub struct CompressionOptions {
    pub pointer: String,
    /// `None`: not written (every algorithm).
    pub algorithms: Option<Vec<At<String>>>,
    /// Bytes; `check` rejects negative values.
    pub min_size: Option<At<i64>>,
    pub unknown: Vec<At<String>>,
}

impl CompressionOptions {
    pub fn read(d: &mut Diagnostics, value: &Value, pointer: &str) -> Self {
        let mut r = NsReader::new(d, NAME, value, pointer);
        let algorithms = match r.get("algorithms") {
            None => None,
            Some((Value::Array(items), p)) => Some(
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| {
                        let ip = child(&p, &i.to_string());
                        match v {
                            Value::String(s) => Some(At {
                                value: s.clone(),
                                pointer: ip,
                            }),
                            _ => {
                                d.error(&ip, "`algorithms` must be a list of strings", None);
                                None
                            }
                        }
                    })
                    .collect(),
            ),
            Some((_, p)) => {
                d.error(&p, "`algorithms` must be a list of strings", None);
                None
            }
        };
        let min_size = match r.get("min_size") {
            None => None,
            Some((Value::Number(n), p)) if n.as_i64().is_some() => Some(At {
                value: n.as_i64().unwrap_or_default(),
                pointer: p,
            }),
            Some((_, p)) => {
                d.error(&p, "`min_size` must be a whole number of bytes", None);
                None
            }
        };
        CompressionOptions {
            pointer: pointer.to_owned(),
            algorithms,
            min_size,
            unknown: r.finish(),
        }
    }
}
