//! Host sanitising (spec: contract.md §5).

/// `localhost:8080` → `http://localhost:8080`; `http://a.b:8080/` → `http://a.b:8080`; anything
/// with a path, userinfo, an IPv6 literal, an upper-case scheme, a 1-digit port, or not exactly one
/// match of `(https?://)?[A-Za-z0-9._-]+(:[0-9]{2,6})?/?` is rejected.
pub fn sanitize(host: &str) -> Result<String, String> {
    // The regex must match exactly once and that match must be the whole string. Because the
    // name class excludes ':' and '/', and every quantifier is greedy, the leftmost match covers
    // the whole string exactly when the anchored pattern below matches the whole string (and
    // then it is the only match), so a hand-written anchored parser is equivalent.
    let invalid = || format!("host {host} not valid: invalid host");

    // (https?://)?  — case-sensitive, like the Go regexp.
    let (scheme, rest) = if let Some(rest) = host.strip_prefix("https://") {
        ("https://", rest)
    } else if let Some(rest) = host.strip_prefix("http://") {
        ("http://", rest)
    } else {
        ("", host)
    };

    // [A-Za-z0-9._-]+
    let name_len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        .count();
    if name_len == 0 {
        return Err(invalid());
    }
    let (name, rest) = rest.split_at(name_len);

    // (:[0-9]{2,6})?
    let (port, rest) = match rest.strip_prefix(':') {
        Some(after) => {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            if !(2..=6).contains(&digits) {
                return Err(invalid());
            }
            rest.split_at(1 + digits)
        }
        None => ("", rest),
    };

    // /?  and then the end of the string.
    if !(rest.is_empty() || rest == "/") {
        return Err(invalid());
    }

    let scheme = if scheme.is_empty() { "http://" } else { scheme };
    Ok(format!("{scheme}{name}{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(h: &str) -> String {
        match sanitize(h) {
            Ok(s) => s,
            Err(e) => panic!("{h:?}: {e}"),
        }
    }

    fn rejected(h: &str) {
        match sanitize(h) {
            Ok(s) => panic!("{h:?} accepted as {s:?}"),
            Err(e) => assert_eq!(e, format!("host {h} not valid: invalid host")),
        }
    }

    #[test]
    fn accepted() {
        assert_eq!(ok("localhost:8080"), "http://localhost:8080");
        assert_eq!(ok("http://a.b:8080/"), "http://a.b:8080");
        assert_eq!(ok("https://x.com"), "https://x.com");
        assert_eq!(ok("https://x.com/"), "https://x.com");
        assert_eq!(ok("x.com"), "http://x.com");
        assert_eq!(ok("x.com/"), "http://x.com");
        assert_eq!(ok("127.0.0.1:80"), "http://127.0.0.1:80");
        assert_eq!(
            ok("my_host-1.local:123456"),
            "http://my_host-1.local:123456"
        );
        assert_eq!(ok("http"), "http://http");
        assert_eq!(ok("http:80"), "http://http:80");
    }

    #[test]
    fn rejects() {
        rejected("https://x.com/api");
        rejected("http://user@x");
        rejected("http://[::1]:80");
        rejected("HTTP://x");
        rejected("x:8");
        rejected("x:1234567");
        rejected("x:");
        rejected("");
        rejected("http://");
        rejected("http:///");
        rejected("x//");
        rejected(" x");
        rejected("x ");
        rejected("ftp://x");
        rejected("a b");
        rejected("h\u{00e9}st");
    }
}
