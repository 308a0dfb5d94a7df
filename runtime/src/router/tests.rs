//! Unit tests of the router's cold paths.

#![allow(clippy::unwrap_used)]

use super::clean::{gin_clean_path, go_path_clean};
use super::escape::html_escape;
use super::*;
use crate::go::quote_bytes as go_quote;
use axum::response::Response;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

const ROUTES: &[Route] = &[
    Route {
        pattern: "/users",
        methods: &["GET", "POST"],
    },
    Route {
        pattern: "/users/{id}",
        methods: &["GET", "DELETE"],
    },
    Route {
        pattern: "/users/new",
        methods: &["PUT"],
    },
    Route {
        pattern: "/a/b",
        methods: &["GET"],
    },
    Route {
        pattern: "/b",
        methods: &["GET"],
    },
    Route {
        pattern: "/items/",
        methods: &["GET", "PATCH"],
    },
    Route {
        pattern: "/caf%C3%A9",
        methods: &["GET"],
    },
    Route {
        pattern: "/",
        methods: &["POST"],
    },
];

fn table() -> RouteTable {
    RouteTable {
        routes: ROUTES,
        method_order: &["GET", "POST", "PUT", "DELETE", "PATCH"],
        version_header: "Version 2.13.8",
        error_body_404: None,
        error_body_405: None,
        disable_redirect_trailing_slash: false,
        disable_redirect_fixed_path: false,
        disable_handle_method_not_allowed: false,
        remove_extra_slash: false,
    }
}

struct Got {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

fn run(resp: Response) -> Got {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bytes = rt
        .block_on(axum::body::to_bytes(resp.into_body(), usize::MAX))
        .unwrap();
    Got {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn call_with(
    t: &RouteTable,
    method: &str,
    raw_path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Got {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let path = canonical_path(raw_path);
    run(not_matched(t, &[], &method, &path, query, headers))
}

fn call(method: &str, raw_path: &str, query: Option<&str>) -> Got {
    call_with(&table(), method, raw_path, query, &HeaderMap::new())
}

fn assert_redirect(g: &Got, status: u16, location: &str) {
    assert_eq!(g.status, status);
    assert_eq!(g.header("location"), Some(location));
    assert!(g.header("x-krakend").is_none());
    assert!(g.header("x-krakend-completed").is_none());
    if status == 301 {
        assert_eq!(g.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(
            g.body,
            format!(
                "<a href=\"{}\">Moved Permanently</a>.\n\n",
                html_escape(location)
            )
        );
    } else {
        assert!(g.body.is_empty());
    }
}

// ---- canonical_path -----------------------------------------------------------------

#[test]
fn canonical_borrowed_when_unchanged() {
    assert!(matches!(canonical_path("/users/42"), Cow::Borrowed(_)));
    assert!(matches!(
        canonical_path("/a-b_c.d~e!$&'()*+,;=:@/"),
        Cow::Borrowed(_)
    ));
    assert!(matches!(canonical_path("/a%20b"), Cow::Borrowed(_)));
    assert!(matches!(canonical_path("/%25"), Cow::Borrowed(_)));
}

#[test]
fn canonical_cases() {
    assert_eq!(canonical_path("/a%2Fb"), "/a/b");
    assert_eq!(canonical_path("/a%2fb"), "/a/b");
    assert_eq!(canonical_path("/a%252Fb"), "/a%252Fb");
    assert_eq!(canonical_path("/%61bc"), "/abc");
    assert_eq!(canonical_path("/a%20b"), "/a%20b");
    assert_eq!(canonical_path("/a b"), "/a%20b");
    assert_eq!(canonical_path("/caf%c3%a9"), "/caf%C3%A9");
    assert_eq!(canonical_path("/café"), "/caf%C3%A9");
    assert_eq!(canonical_path("/%zz"), "/%25zz");
    assert_eq!(canonical_path("/a%4"), "/a%254");
    assert_eq!(canonical_path("/a%"), "/a%25");
    assert_eq!(canonical_path("/x%3Fy%23z"), "/x%3Fy%23z");
    assert_eq!(canonical_path("/{a}|^`\""), "/%7Ba%7D%7C%5E%60%22");
    assert_eq!(canonical_path("/%21%40"), "/!@");
}

#[test]
fn canonical_round_trips() {
    for raw in [
        "/a%2Fb",
        "/%25%2541",
        "/%zz%4",
        "/caf%c3%a9 x",
        "/%FF%00",
        "/plain",
        "/a%",
    ] {
        let canon = canonical_path(raw);
        assert_eq!(
            percent_decode_lenient(canon.as_bytes()),
            percent_decode_lenient(raw.as_bytes()),
            "{raw}"
        );
        // Canonical form is a fixpoint.
        assert_eq!(canonical_path(&canon), canon);
    }
}

// ---- redirects ----------------------------------------------------------------------

#[test]
fn trailing_slash_get_301_and_query_kept() {
    assert_redirect(&call("GET", "/users/", None), 301, "/users");
    assert_redirect(
        &call("GET", "/users/", Some("a=1&b=2")),
        301,
        "/users?a=1&b=2",
    );
    assert_redirect(&call("GET", "/users/", Some("")), 301, "/users");
    assert_redirect(&call("GET", "/items", None), 301, "/items/");
    assert_redirect(&call("GET", "/users/42/", None), 301, "/users/42");
}

#[test]
fn trailing_slash_other_methods_307() {
    assert_redirect(&call("POST", "/users/", Some("x=1")), 307, "/users?x=1");
    assert_redirect(&call("PATCH", "/items", None), 307, "/items/");
    assert_redirect(&call("DELETE", "/users/7/", None), 307, "/users/7");
    // CONNECT is never redirected.
    let g = call("CONNECT", "/users/", None);
    assert_eq!(g.status, 404);
}

#[test]
fn trailing_slash_only_for_the_request_method() {
    // PUT only has /users/new: /users/ → /users is a GET/POST route, so no PUT redirect, and
    // /users/ itself matches nothing → 404.
    assert_eq!(call("PUT", "/users/", None).status, 404);
    // /users/new/ for PUT → redirect to /users/new.
    assert_redirect(&call("PUT", "/users/new/", None), 307, "/users/new");
}

#[test]
fn x_forwarded_prefix() {
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-prefix", HeaderValue::from_static("/api/v1/"));
    let g = call_with(&table(), "GET", "/users/", Some("q=1"), &h);
    assert_redirect(&g, 301, "/api/v1/users?q=1");

    let mut h = HeaderMap::new();
    h.insert(
        "x-forwarded-prefix",
        HeaderValue::from_static("//evil.com/../x"),
    );
    let g = call_with(&table(), "GET", "/users/", None, &h);
    assert_redirect(&g, 301, "/x/users");

    let mut h = HeaderMap::new();
    h.insert("x-forwarded-prefix", HeaderValue::from_static("/a.b/c_d"));
    let g = call_with(&table(), "GET", "/items", None, &h);
    assert_redirect(&g, 301, "/ab/cd/items/");

    // Empty header: no prefix.
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-prefix", HeaderValue::from_static(""));
    let g = call_with(&table(), "GET", "/items", None, &h);
    assert_redirect(&g, 301, "/items/");

    // Fixed-path redirects ignore the prefix (gin).
    let mut h = HeaderMap::new();
    h.insert("x-forwarded-prefix", HeaderValue::from_static("/api"));
    let g = call_with(&table(), "GET", "/USERS", None, &h);
    assert_redirect(&g, 301, "/users");
}

#[test]
fn root_never_redirected() {
    // GET / : no GET route at /, POST exists → 405.
    let g = call("GET", "/", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("POST"));
    let t = RouteTable {
        routes: &[Route {
            pattern: "//",
            methods: &["GET"],
        }],
        ..table()
    };
    assert_eq!(
        call_with(&t, "GET", "/", None, &HeaderMap::new()).status,
        404
    );
}

#[test]
fn fixed_path_case() {
    assert_redirect(&call("GET", "/Users", None), 301, "/users");
    assert_redirect(&call("POST", "/USERS", None), 307, "/users");
    assert_redirect(&call("GET", "/A/B", Some("k=v")), 301, "/a/b?k=v");
    // Static segment spelled by the route, param text kept as sent.
    assert_redirect(&call("GET", "/USERS/AbC", None), 301, "/users/AbC");
    assert_redirect(&call("GET", "/Users/a%20B", None), 301, "/users/a%20B");
    // Static beats param: /USERS/NEW for PUT → /users/new.
    assert_redirect(&call("PUT", "/USERS/NEW", None), 307, "/users/new");
    // Non-ASCII case folding.
    assert_redirect(&call("GET", "/CAF%C3%89", None), 301, "/caf%C3%A9");
}

#[test]
fn fixed_path_cleaning() {
    assert_redirect(&call("GET", "//a/b", None), 301, "/a/b");
    assert_redirect(&call("GET", "/a//b", None), 301, "/a/b");
    assert_redirect(&call("GET", "/a/./b", None), 301, "/a/b");
    assert_redirect(&call("GET", "/a/../b", None), 301, "/b");
    assert_redirect(&call("GET", "/x/../A/./B/", None), 301, "/a/b");
    assert_redirect(&call("GET", "//b", None), 301, "/b");
    assert_redirect(&call("GET", "/a%2F%2Fb", None), 301, "/a/b");
    // Cleaning also fixes the trailing slash.
    assert_redirect(&call("GET", "//Items", None), 301, "/items/");
}

#[test]
fn disable_trailing_slash_still_fixed_by_fixed_path() {
    let t = RouteTable {
        disable_redirect_trailing_slash: true,
        ..table()
    };
    let h = HeaderMap::new();
    assert_redirect(&call_with(&t, "GET", "/users/", None, &h), 301, "/users");
    let mut hp = HeaderMap::new();
    hp.insert("x-forwarded-prefix", HeaderValue::from_static("/api"));
    // Through the fixed-path rule: no prefix.
    assert_redirect(&call_with(&t, "GET", "/users/", None, &hp), 301, "/users");

    let t = RouteTable {
        disable_redirect_trailing_slash: true,
        disable_redirect_fixed_path: true,
        ..table()
    };
    let g = call_with(&t, "GET", "/users/", None, &h);
    assert_eq!(g.status, 404);
    let g = call_with(&t, "GET", "/Users", None, &h);
    assert_eq!(g.status, 404);
    // With both redirects off, the unmatched path falls through to 404 for any method.
    let g = call_with(&t, "POST", "/users/", None, &h);
    assert_eq!(g.status, 404);
}

#[test]
fn disable_fixed_path_keeps_trailing_slash() {
    let t = RouteTable {
        disable_redirect_fixed_path: true,
        ..table()
    };
    let h = HeaderMap::new();
    assert_redirect(&call_with(&t, "GET", "/users/", None, &h), 301, "/users");
    assert_eq!(call_with(&t, "GET", "/Users", None, &h).status, 404);
}

#[test]
fn redirect_location_escaping() {
    // A decoded space in a param is re-escaped in Location; `!` is escaped like Go does.
    assert_redirect(&call("GET", "/users/a%20b!/", None), 301, "/users/a%20b%21");
    // Param text `..` reached through the trailing-slash rule is cleaned by net/http.
    assert_redirect(&call("GET", "/users/%2E%2E/", None), 301, "/");
    // html escaping of the body.
    let g = call("GET", "/users/", Some("a=<b>&c='d'"));
    assert_eq!(g.header("location"), Some("/users?a=<b>&c='d'"));
    assert_eq!(
        g.body,
        "<a href=\"/users?a=&lt;b&gt;&amp;c=&#39;d&#39;\">Moved Permanently</a>.\n\n"
    );
}

// ---- 405 / 404 ----------------------------------------------------------------------

#[test]
fn method_not_allowed_with_allow_order() {
    let g = call("PUT", "/users", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("GET, POST"));
    assert_eq!(g.body, "405 method not allowed");
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-krakend"), Some("Version 2.13.8"));
    assert_eq!(g.header("x-krakend-completed"), Some("false"));

    // method_order order, not route order: DELETE route listed before GET in contract.
    let t = RouteTable {
        routes: &[Route {
            pattern: "/x",
            methods: &["DELETE", "GET"],
        }],
        ..table()
    };
    let g = call_with(&t, "POST", "/x", None, &HeaderMap::new());
    assert_eq!(g.header("allow"), Some("GET, DELETE"));

    // A param route and a static route for other methods at the same path.
    let g = call("POST", "/users/new", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("GET, PUT, DELETE"));
}

#[test]
fn head_on_get_route_is_405() {
    let g = call("HEAD", "/a/b", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("GET"));
    // No redirect for HEAD either (no HEAD routes).
    let g = call("HEAD", "/a/b/", None);
    assert_eq!(g.status, 404);
    let g = call("OPTIONS", "/users", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("GET, POST"));
}

#[test]
fn method_not_allowed_is_exact_and_case_sensitive() {
    // /Users has no exact match for other methods → 404 (no GET fixed-path for PUT).
    assert_eq!(call("PATCH", "/Users", None).status, 404);
    // Param must be a non-empty segment.
    assert_eq!(call("PUT", "/users/", None).status, 404);
    // Canonical `%2F` is a separator: /users/a%2Fb is /users/a/b → 404.
    assert_eq!(call("PUT", "/users/a%2Fb", None).status, 404);
    // Encoded text inside a param still matches it.
    let g = call("PUT", "/users/a%20b", None);
    assert_eq!(g.status, 405);
    assert_eq!(g.header("allow"), Some("GET, DELETE"));
}

#[test]
fn disable_method_not_allowed_gives_404() {
    let t = RouteTable {
        disable_handle_method_not_allowed: true,
        ..table()
    };
    let g = call_with(&t, "PUT", "/users", None, &HeaderMap::new());
    assert_eq!(g.status, 404);
    assert!(g.header("allow").is_none());
    assert_eq!(g.body, "404 page not found");
}

#[test]
fn not_found() {
    let g = call("GET", "/nope", None);
    assert_eq!(g.status, 404);
    assert_eq!(g.body, "404 page not found");
    assert_eq!(g.header("content-type"), Some("text/plain"));
    assert_eq!(g.header("x-krakend"), Some("Version 2.13.8"));
    assert_eq!(g.header("x-krakend-completed"), Some("false"));
    assert!(g.header("allow").is_none());
}

#[test]
fn custom_error_bodies() {
    let t = RouteTable {
        error_body_404: Some(r#"{"msg":"nope"}"#),
        error_body_405: Some(r#"{"msg":"wrong method"}"#),
        version_header: "Version undefined",
        ..table()
    };
    let h = HeaderMap::new();
    let g = call_with(&t, "GET", "/nope", None, &h);
    assert_eq!(g.status, 404);
    assert_eq!(g.body, r#"{"msg":"nope"}"#);
    assert_eq!(
        g.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(g.header("x-krakend"), Some("Version undefined"));
    assert_eq!(g.header("x-krakend-completed"), Some("false"));

    let g = call_with(&t, "PUT", "/users", None, &h);
    assert_eq!(g.status, 405);
    assert_eq!(g.body, r#"{"msg":"wrong method"}"#);
    assert_eq!(g.header("allow"), Some("GET, POST"));
    assert_eq!(
        g.header("content-type"),
        Some("application/json; charset=utf-8")
    );
}

#[test]
fn catch_all_and_braces_patterns() {
    let t = RouteTable {
        routes: &[
            Route {
                pattern: "/__debug/{*rest}",
                methods: &["GET"],
            },
            Route {
                pattern: "/file.{ext}",
                methods: &["GET"],
            },
            Route {
                pattern: "/lit/{{x}}",
                methods: &["GET"],
            },
        ],
        ..table()
    };
    let h = HeaderMap::new();
    assert_redirect(
        &call_with(&t, "GET", "/__debug", None, &h),
        301,
        "/__debug/",
    );
    assert_eq!(call_with(&t, "POST", "/__debug/a/b", None, &h).status, 405);
    assert_redirect(
        &call_with(&t, "GET", "/FILE.Json", None, &h),
        301,
        "/file.Json",
    );
    assert_eq!(call_with(&t, "POST", "/file.", None, &h).status, 404);
    assert_eq!(call_with(&t, "POST", "/lit/%7Bx%7D", None, &h).status, 405);
    assert_eq!(call_with(&t, "POST", "/lit/abc", None, &h).status, 404);
}

// ---- decode_param -------------------------------------------------------------------

fn param_err(seg: &str) -> Got {
    run(decode_param(seg).err().unwrap())
}

#[test]
fn clean_path_for_remove_extra_slash() {
    assert_eq!(clean_path("/a//b/./c/../d/"), "/a/b/d/");
    assert!(matches!(clean_path("/a/b"), Cow::Borrowed(_)));
}

#[test]
fn decode_param_rejects_dot_segments() {
    for raw in [".", "..", "%2E", "%2e%2E", ".%2E"] {
        let r = decode_param(raw).unwrap_err();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{raw}");
    }
    assert_eq!(decode_param("...").unwrap(), "...");
    assert_eq!(decode_param("a.b").unwrap(), "a.b");
}

#[test]
fn decode_param_ok() {
    assert_eq!(decode_param("abc").unwrap(), "abc");
    assert_eq!(decode_param("a%20b").unwrap(), "a b");
    assert_eq!(decode_param("caf%C3%A9").unwrap(), "café");
    assert_eq!(decode_param("a+b:c@d").unwrap(), "a+b:c@d");
    assert_eq!(decode_param("%FF").unwrap(), "\u{fffd}");
}

#[test]
fn decode_param_encoded() {
    for seg in ["a%3Fb", "a%23", "%2541", "%252F", "%25%32%46"] {
        let g = param_err(seg);
        assert_eq!(g.status, 400, "{seg}");
        assert_eq!(g.body, "error: encoded url params", "{seg}");
        assert_eq!(g.header("content-type"), Some("text/plain; charset=utf-8"));
        assert!(g.header("x-krakend").is_none());
        assert!(g.header("x-krakend-completed").is_none());
    }
}

#[test]
fn decode_param_bad_escape() {
    let g = param_err("%25zz");
    assert_eq!(g.status, 400);
    assert_eq!(g.body, r#"error: invalid URL escape "%zz""#);
    assert_eq!(g.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(param_err("ab%25").body, r#"error: invalid URL escape "%""#);
    assert_eq!(
        param_err("ab%254").body,
        r#"error: invalid URL escape "%4""#
    );
    // The bad escape wins over an earlier valid one and over `?` (PathUnescape runs first).
    assert_eq!(
        param_err("%2541%3F%25g1").body,
        r#"error: invalid URL escape "%g1""#
    );
    assert_eq!(
        param_err("%25%C3%A9").body,
        r#"error: invalid URL escape "%é""#
    );
    assert_eq!(
        param_err("%25%E4%B8%AD").body,
        r#"error: invalid URL escape "%\xe4\xb8""#
    );
    assert_eq!(
        param_err("%25%0A").body,
        r#"error: invalid URL escape "%\n""#
    );
}

// ---- helpers ------------------------------------------------------------------------

#[test]
fn path_cleaning_helpers() {
    assert_eq!(gin_clean_path(b"/a/."), b"/a/");
    assert_eq!(gin_clean_path(b"/a/b/.."), b"/a");
    assert_eq!(gin_clean_path(b"/../a/"), b"/a/");
    assert_eq!(gin_clean_path(b"//"), b"/");
    assert_eq!(go_path_clean(b""), b".");
    assert_eq!(go_path_clean(b"a/../.."), b"..");
    assert_eq!(go_path_clean(b"/a/./b/../c/"), b"/a/c");
    assert_eq!(go_quote(b"%\xff"), r#""%\xff""#);
}
