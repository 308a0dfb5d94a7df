//! krakend-lua's `http_response` module: `http_response.new(url[, method, body[, headers]])`
//! makes an HTTP request from a script and gives its answer (`statusCode()`, `headers(k)`,
//! `headerList(k)`, `body()`, `close()`).
//!
//! Only a state that runs on an offloaded thread (`offload.rs`, a tokio blocking-pool thread,
//! never a runtime worker) has the module: the call blocks that thread while the request is
//! out, through the gateway's own backend client, bounded by the call's deadline, and the
//! answer's body is read whole, bounded by [`MAX_BODY`]. The generated code offloads exactly the
//! configs whose sources mention `http_response` (decided at build time).
//!
//! As krakend-lua (`decorator/http.go`): 1, 3 or 4 arguments (else `need 1, 3 or 4 arguments`);
//! one argument is a `GET` without a body; the fourth, a Lua table, adds headers (a string
//! value, or each value of a table); `User-Agent` is `KrakenD Version <v>` unless the script set
//! one; any status is an answer, and a transport error (or the deadline) raises a Lua error
//! (Go's `url.Error` text), which fails the script as any other error.

use super::data::{LuaList, Node};
use crate::client::{Client, ReqBody, Request};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use mlua::{Lua, MultiValue, UserData, UserDataMethods, Value as LuaValue};
use std::cell::RefCell;
use std::rc::Rc;

/// Bytes of an `http_response` answer's body a script may read (past it the call fails).
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// What `http_response.new` needs from the call it runs in.
pub(super) struct Outbound {
    pub client: Client,
    /// `KrakenD Version <v>`.
    pub agent: Option<HeaderValue>,
    pub deadline: tokio::time::Instant,
    pub handle: tokio::runtime::Handle,
}

thread_local! {
    static OUTBOUND: RefCell<Option<Outbound>> = const { RefCell::new(None) };
}

/// Runs `f` (a script call on an offloaded thread) with `o` for its `http_response.new`.
pub(super) fn with_outbound<T>(o: Outbound, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            OUTBOUND.with(|c| c.borrow_mut().take());
        }
    }
    OUTBOUND.with(|c| *c.borrow_mut() = Some(o));
    let _reset = Reset;
    f()
}

/// Whether this thread runs offloaded calls (a state built here gets `http_response`).
pub(super) fn offloaded() -> bool {
    OUTBOUND.with(|c| c.borrow().is_some())
}

/// Adds the `http_response` table to the state's globals.
pub(super) fn register(lua: &Lua) -> mlua::Result<()> {
    let t = lua.create_table()?;
    t.set("new", lua.create_function(new)?)?;
    lua.globals().set("http_response", t)
}

/// A Lua value as gopher-lua's `LValue.String()` writes it (bytes of a string unchanged).
fn bytes_of(v: Option<&LuaValue>) -> Vec<u8> {
    match v {
        Some(LuaValue::String(s)) => s.as_bytes().to_vec(),
        Some(LuaValue::Integer(n)) => n.to_string().into_bytes(),
        Some(LuaValue::Number(f)) => match super::data::number(*f) {
            Node::Num(n) => n.to_string().into_bytes(),
            _ => f.to_string().into_bytes(),
        },
        Some(LuaValue::Boolean(b)) => b.to_string().into_bytes(),
        Some(LuaValue::Nil) | None => b"nil".to_vec(),
        Some(other) => other.type_name().as_bytes().to_vec(),
    }
}

fn text_of(v: Option<&LuaValue>) -> String {
    String::from_utf8_lossy(&bytes_of(v)).into_owned()
}

fn add_header(h: &mut HeaderMap, name: &[u8], value: &[u8]) -> mlua::Result<()> {
    let n = HeaderName::from_bytes(name).map_err(|_| {
        mlua::Error::runtime(format!(
            "invalid header name {:?}",
            String::from_utf8_lossy(name)
        ))
    })?;
    let v =
        HeaderValue::from_bytes(value).map_err(|_| mlua::Error::runtime("invalid header value"))?;
    h.append(n, v);
    Ok(())
}

/// The fourth argument: a string value is one header value, a table's values are several;
/// other values (and a `luaTable` userdata, not a Lua table) are ignored, as in krakend-lua.
fn headers_of(v: Option<&LuaValue>) -> mlua::Result<HeaderMap> {
    let mut h = HeaderMap::new();
    let Some(LuaValue::Table(t)) = v else {
        return Ok(h);
    };
    for pair in t.pairs::<LuaValue, LuaValue>() {
        let (k, v) = pair?;
        let name = bytes_of(Some(&k));
        match v {
            LuaValue::String(s) => add_header(&mut h, &name, &s.as_bytes())?,
            LuaValue::Table(list) => {
                for item in list.pairs::<LuaValue, LuaValue>() {
                    let (_, item) = item?;
                    add_header(&mut h, &name, &bytes_of(Some(&item)))?;
                }
            }
            _ => {}
        }
    }
    Ok(h)
}

/// Go's `url.Error` operation: `Get`, `Post`, …
fn op(method: &Method) -> String {
    let m = method.as_str();
    match m.split_at_checked(1) {
        Some((first, rest)) => format!("{first}{}", rest.to_ascii_lowercase()),
        None => m.to_owned(),
    }
}

fn target(method: &Method, url: &str) -> mlua::Result<Uri> {
    let unsupported = |scheme: &str| {
        mlua::Error::runtime(format!(
            "{} {url:?}: unsupported protocol scheme {scheme:?}",
            op(method)
        ))
    };
    let parsed = url::Url::parse(url).map_err(|_| unsupported(""))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(unsupported(parsed.scheme()));
    }
    let mut s: String = parsed.into();
    if let Some(i) = s.find('#') {
        s.truncate(i);
    }
    s.parse::<Uri>()
        .map_err(|e| mlua::Error::runtime(format!("parse {url:?}: {e}")))
}

/// `http_response.new(url[, method, body[, headers]])`.
fn new(_: &Lua, args: MultiValue) -> mlua::Result<HttpResponse> {
    let n = args.len();
    if n == 0 || n == 2 {
        return Err(mlua::Error::runtime("need 1, 3 or 4 arguments"));
    }
    let url = text_of(args.front());
    let (method, body, mut headers) = if n == 1 {
        (Method::GET, None, HeaderMap::new())
    } else {
        let m = text_of(args.get(1));
        let method = if m.is_empty() {
            Method::GET
        } else {
            Method::from_bytes(m.as_bytes())
                .map_err(|_| mlua::Error::runtime(format!("net/http: invalid method {m:?}")))?
        };
        let headers = if n == 4 {
            headers_of(args.get(3))?
        } else {
            HeaderMap::new()
        };
        (method, Some(Bytes::from(bytes_of(args.get(2)))), headers)
    };
    let uri = target(&method, &url)?;
    let Some((client, agent, deadline, handle)) = OUTBOUND.with(|c| {
        c.borrow().as_ref().map(|o| {
            (
                o.client.clone(),
                o.agent.clone(),
                o.deadline,
                o.handle.clone(),
            )
        })
    }) else {
        return Err(mlua::Error::runtime("http_response: not available here"));
    };
    // Go writes the first User-Agent value only; KrakenD adds its own after the script's.
    if let Some(ua) = headers.get(http::header::USER_AGENT).cloned() {
        headers.insert(http::header::USER_AGENT, ua);
    } else if let Some(a) = agent {
        headers.insert(http::header::USER_AGENT, a);
    }
    let known = body.is_some();
    let req = Request {
        method: method.clone(),
        uri: uri.clone(),
        headers: &headers,
        overrides: &[],
        body: ReqBody::Buffered(body.unwrap_or_default()),
        known_length: known,
        replayable: known,
    };
    let exchange = async {
        let mut answer = client.send(req).await.map_err(|e| e.message)?;
        let status = answer.status.as_u16();
        let headers = std::mem::take(&mut answer.headers);
        let body = answer.bytes(MAX_BODY).await.map_err(|e| e.message)?;
        Ok::<_, String>((status, headers, body))
    };
    let done = handle.block_on(tokio::time::timeout_at(deadline, exchange));
    match done {
        Ok(Ok((status, headers, body))) => Ok(HttpResponse(
            Some(Answer {
                status,
                headers,
                body,
            }),
            None,
        )),
        Ok(Err(message)) => Err(mlua::Error::runtime(message)),
        Err(_) => Err(mlua::Error::runtime(format!(
            "{} {:?}: context deadline exceeded",
            op(&method),
            uri.to_string()
        ))),
    }
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// An `http_response` answer (`None` once closed) and the body as `body()` first gave it
/// (krakend-lua reads it once; after `close()` only a body already read is there).
struct HttpResponse(Option<Answer>, Option<Bytes>);

impl HttpResponse {
    fn open(&self) -> mlua::Result<&Answer> {
        self.0
            .as_ref()
            .ok_or_else(|| mlua::Error::runtime("response expected"))
    }
}

fn canonical_get<'a>(h: &'a HeaderMap, name: &LuaValue) -> Vec<&'a [u8]> {
    match HeaderName::from_bytes(&bytes_of(Some(name))) {
        Ok(n) => h.get_all(n).iter().map(|v| v.as_bytes()).collect(),
        Err(_) => Vec::new(),
    }
}

impl UserData for HttpResponse {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("statusCode", |_, this, ()| {
            Ok(i64::from(this.open()?.status))
        });
        m.add_method("headers", |lua, this, args: MultiValue| {
            let a = this.open()?;
            if args.len() != 1 {
                return Err(mlua::Error::runtime("need arguments"));
            }
            let first = args
                .front()
                .map(|k| canonical_get(&a.headers, k))
                .and_then(|v| v.first().map(|b| b.to_vec()))
                .unwrap_or_default();
            lua.create_string(first)
        });
        m.add_method("headerList", |lua, this, args: MultiValue| {
            let a = this.open()?;
            if args.len() != 1 {
                return Err(mlua::Error::runtime("need arguments"));
            }
            let values = args
                .front()
                .map(|k| canonical_get(&a.headers, k))
                .unwrap_or_default()
                .into_iter()
                .map(|b| Node::Str(String::from_utf8_lossy(b).into_owned()))
                .collect();
            lua.create_userdata(LuaList(Rc::new(RefCell::new(values))))
        });
        m.add_method_mut("body", |lua, this, ()| {
            if this.1.is_none() {
                this.1 = Some(this.open()?.body.clone());
            }
            lua.create_string(this.1.as_deref().unwrap_or_default())
        });
        m.add_method_mut("close", |_, this, ()| {
            this.0 = None;
            Ok(())
        });
    }
}
