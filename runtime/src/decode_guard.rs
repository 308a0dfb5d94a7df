//! What decoding one backend body may cost (issue 10 item 6).
//!
//! Bytes are bounded elsewhere (64 MiB per backend body); here the *decoded* size is: a body of
//! `[0,0,0,…]` is 2 bytes per value but ~40–60 bytes per `serde_json::Value` (numbers keep their
//! text with `arbitrary_precision`), so 64 MiB would become ~2 GiB. Before decoding, a
//! single pass counts the values the body would produce (outside strings: `,`, `:`, `[`, `{`
//! for JSON; `<` and `=` for XML/RSS) and refuses bodies over [`MAX_DECODED_VALUES`]. Bodies
//! too short to hold that many values (every value takes at least 2 bytes) skip the pass.
//!
//! Large bodies are decoded on tokio's blocking pool ([`BLOCKING_DECODE_BYTES`] and above),
//! so one big answer does not stall the other requests of its core's runtime.

use crate::spec::Decode;
use bytes::Bytes;

/// Most values one backend body may decode into (about 200–250 MiB of `Value`s at worst).
pub const MAX_DECODED_VALUES: usize = 4 << 20;

/// Bodies of this size and above are decoded off the per-core runtime (`spawn_blocking`).
pub const BLOCKING_DECODE_BYTES: usize = 2 << 20;

/// An upper estimate of the values `body` decodes into with `how`; 0 for encodings that do not
/// build a tree (`string`, `no-op`).
pub fn estimate_values(how: Decode, body: &[u8]) -> usize {
    match how {
        Decode::Discard | Decode::String => 0,
        Decode::JsonObject | Decode::JsonCollection | Decode::SafeJson => json_values(body),
        Decode::Xml { .. } | Decode::Rss => xml_values(body),
    }
}

/// Counts `,` `:` `[` `{` outside JSON strings, plus one (the root).
fn json_values(body: &[u8]) -> usize {
    let mut n = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b':' | b'[' | b'{' => n += 1,
                _ => {}
            }
        }
    }
    n
}

/// Counts elements (`<`) and attributes (`=`), plus one.
fn xml_values(body: &[u8]) -> usize {
    1 + body.iter().filter(|&&b| b == b'<' || b == b'=').count()
}

/// Refuses a body that would decode into more than [`MAX_DECODED_VALUES`] values.
pub fn check(how: Decode, body: &[u8]) -> Result<(), String> {
    check_with(how, body, MAX_DECODED_VALUES)
}

fn check_with(how: Decode, body: &[u8], max: usize) -> Result<(), String> {
    // Every value takes at least two bytes (`0,`): shorter bodies cannot exceed the bound.
    if body.len() / 2 < max {
        return Ok(());
    }
    let n = estimate_values(how, body);
    if n > max {
        return Err(format!(
            "backend response too large to decode: about {n} values (at most {max})"
        ));
    }
    Ok(())
}

/// Decodes `body` with `decode` after [`check`]; on the blocking pool when the body is large.
/// (`T`: the decoded data, or what `render::canonical` writes from the body.)
pub async fn decode<T, F>(how: Decode, body: Bytes, decode: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(&[u8]) -> Result<T, String> + Send + 'static,
{
    check(how, &body)?;
    if body.len() < BLOCKING_DECODE_BYTES {
        return decode(&body);
    }
    match tokio::task::spawn_blocking(move || decode(&body)).await {
        Ok(r) => r,
        Err(e) => Err(format!("decoding the backend response failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::shape::Data;

    fn zeros(n: usize) -> Vec<u8> {
        let mut body = Vec::with_capacity(2 * n + 1);
        body.push(b'[');
        for i in 0..n {
            if i > 0 {
                body.push(b',');
            }
            body.push(b'0');
        }
        body.push(b']');
        body
    }

    #[test]
    fn estimates_follow_the_structure() {
        assert_eq!(json_values(b"[0,0,0]"), 4);
        assert_eq!(json_values(br#"{"a":1,"b":[2]}"#), 6);
        // Structure inside strings is not counted, escaped quotes do not end them.
        assert_eq!(json_values(br#"{"a":"x,y:[{\",\"}"}"#), 3);
        assert_eq!(xml_values(br#"<a x="1"><b/></a>"#), 5);
        assert_eq!(estimate_values(Decode::String, b"[0,0]"), 0);
    }

    #[test]
    fn adversarial_bodies_are_refused_before_decoding() {
        let body = zeros(1000);
        let e = check_with(Decode::JsonCollection, &body, 500).unwrap_err();
        assert!(e.contains("too large to decode"), "{e}");
        assert!(check_with(Decode::JsonCollection, &body, 2000).is_ok());
        let xml = "<a/>".repeat(1000);
        assert!(check_with(Decode::Xml { collection: false }, xml.as_bytes(), 500).is_err());
        // A body of long strings has few values: accepted whatever its size.
        let strings = format!(r#"["{}","{}"]"#, "x".repeat(4000), "y".repeat(4000));
        assert!(check_with(Decode::JsonCollection, strings.as_bytes(), 500).is_ok());
    }

    /// 16 MiB of `[0,0,…]` (8 M values; ~400 MiB as `Value`s) is refused at the real bound,
    /// without building anything.
    #[tokio::test]
    async fn a_zero_array_never_becomes_values() {
        let body = Bytes::from(zeros(8 << 20));
        let started = std::time::Instant::now();
        let r: Result<Data, String> = decode(Decode::JsonCollection, body, |_| {
            panic!("the decoder must not run")
        })
        .await;
        assert!(r.unwrap_err().contains("too large to decode"));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[tokio::test]
    async fn large_bodies_are_decoded_off_the_runtime_thread() {
        let here = std::thread::current().id();
        let thread_of = |len: usize| {
            let body = Bytes::from(vec![b' '; len]);
            decode(Decode::String, body, move |_| {
                let mut d = Data::new();
                let same = std::thread::current().id() == here;
                d.insert("same".to_owned(), serde_json::Value::Bool(same));
                Ok(d)
            })
        };
        let small = thread_of(10).await.unwrap();
        assert_eq!(small["same"], true, "small bodies stay on the runtime");
        let large = thread_of(BLOCKING_DECODE_BYTES).await.unwrap();
        assert_eq!(large["same"], false, "large bodies go to the blocking pool");
    }
}
