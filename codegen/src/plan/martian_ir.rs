//! The IR of a backend's `modifier/martian` config: its request side and its response side,
//! each a tree of steps with scopes resolved (a step is on a side only if it and every group
//! or filter above it have that side in scope), priorities sorted, bodies decoded, cookies
//! written and static files read. Emitted as straight-line code (`emit/martian.rs`).

/// Both sides of a backend's martian config (`None`: nothing runs on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Martian {
    pub request: Option<Step>,
    pub response: Option<Step>,
}

/// One step. Header names are lower-case; values checked to be visible ASCII.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `fifo.Group` (and a sorted `priority.Group`, which never aggregates).
    Seq {
        steps: Vec<Step>,
        aggregate_errors: bool,
    },
    HeaderSet {
        name: String,
        value: String,
    },
    HeaderAppend {
        name: String,
        value: String,
    },
    HeaderCopy {
        from: String,
        to: String,
    },
    HeaderRemove(String),
    HeaderId(String),
    QuerySet {
        name: String,
        value: String,
    },
    /// `url.Modifier`; `path` escaped as Go's `URL.EscapedPath` writes it; empty parts kept.
    Url {
        scheme: String,
        host: String,
        path: String,
        query: String,
    },
    Body {
        body: Vec<u8>,
        content_type: String,
    },
    /// `cookie.Modifier` on the request: `name=value`.
    CookieRequest(String),
    /// `stash.Modifier` (request: stash the URL; response: copy it to the answer).
    Stash(String),
    Port(PortOp),
    Status(u16),
    /// `static.Modifier` on the request: skip the round trip.
    StaticRequest,
    /// `static.Modifier` on the answer: request path → (bytes, content type), sorted by path.
    StaticResponse(Vec<(String, Vec<u8>, String)>),
    Filter {
        cond: Cond,
        then: Option<Box<Step>>,
        otherwise: Option<Box<Step>>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortOp {
    To(u16),
    DefaultForScheme,
    Remove,
}

/// A filter's condition on the side it runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// On the headers of the request (request side) or of the answer (response side).
    Header {
        name: String,
        value: String,
    },
    /// Always on the request's headers.
    HeaderRegex {
        name: String,
        regex: String,
    },
    Query {
        name: String,
        value: String,
    },
    Url {
        scheme: String,
        host: String,
        path: String,
        query: String,
    },
    UrlRegex(String),
    /// `Cookie` (request side) or `Set-Cookie` (response side).
    Cookie {
        name: String,
        value: String,
    },
    /// Can fail (a malformed host).
    Port(u16),
}
