//! The objects a script works on, as krakend-lua exposes them: `request.load()` (proxy and
//! backend level), `ctx.load()` (router level) and `response.load()`, each a userdata with
//! KrakenD's methods (`req:headers("X")`, `resp:data():set("k", v)`, …), and
//! `custom_error(msg[, status[, content_type]])`.

use super::data::{self, LuaList, LuaTable, Node, TableRef};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use mlua::{Lua, MultiValue, UserData, UserDataMethods, Value as LuaValue};
use std::cell::RefCell;
use std::rc::Rc;

/// Where a request object lives: methods differ slightly (KrakenD's gin context vs proxy
/// request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Router,
    Proxy,
    Backend,
}

/// The request a script sees and changes.
#[derive(Debug)]
pub struct Req {
    pub level: Level,
    pub method: String,
    /// Full URL (backend level), the request URI (router level), empty (proxy level).
    pub url: String,
    pub path: String,
    /// Encoded query string.
    pub query: String,
    pub host: String,
    /// (name, value), in declaration order; bytes, as Go strings (a propagated `Resp0` may be
    /// any body).
    pub params: Vec<(String, Bytes)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The response a `post` script sees and changes: KrakenD's `proxy.Response` (`Data`,
/// `IsComplete`, `Metadata.StatusCode`, `Metadata.Headers`, `Io`). A decoded response starts
/// with status 0, no headers and no body, as in KrakenD (only `no-op` responses carry the
/// backend's).
#[derive(Debug)]
pub struct Resp {
    pub data: TableRef,
    pub complete: bool,
    pub status: i64,
    pub headers: HeaderMap,
    /// `body(new)`; `None`: no body (`body()` is empty).
    pub body: Option<Bytes>,
}

impl Resp {
    /// A decoded response's object: the data, nothing else.
    pub fn decoded(data: TableRef, complete: bool) -> Resp {
        Resp {
            data,
            complete,
            status: 0,
            headers: HeaderMap::new(),
            body: None,
        }
    }
}

pub struct ReqUd(pub Rc<RefCell<Req>>);
pub struct RespUd(pub Rc<RefCell<Resp>>);

/// `custom_error(msg, status, content_type)`: carried through Lua as an external error.
#[derive(Debug, Clone)]
pub struct CustomError {
    pub message: String,
    /// `None`: `custom_error(msg)` (an internal error, 500).
    pub status: Option<u16>,
    pub content_type: Option<String>,
}

impl std::fmt::Display for CustomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CustomError {}

fn text(args: &MultiValue, i: usize) -> String {
    match args.get(i) {
        Some(LuaValue::String(s)) => s.to_string_lossy(),
        Some(LuaValue::Number(f)) => match data::number(*f) {
            Node::Num(n) => n.to_string(),
            _ => String::new(),
        },
        Some(LuaValue::Integer(n)) => n.to_string(),
        Some(LuaValue::Boolean(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn header_name(s: &str) -> mlua::Result<HeaderName> {
    HeaderName::from_bytes(s.as_bytes())
        .map_err(|_| mlua::Error::runtime(format!("invalid header name {s:?}")))
}

fn header_value(s: &str) -> mlua::Result<HeaderValue> {
    HeaderValue::from_str(s).map_err(|_| mlua::Error::runtime("invalid header value"))
}

fn canonical(name: &HeaderName) -> String {
    crate::builtin_routes::canonical_header_key(name.as_str())
}

/// `headers()`, `headers(k)`, `headers(k, v)`, `headers(k, nil)` on a header map.
fn headers(lua: &Lua, h: &mut HeaderMap, args: &MultiValue) -> mlua::Result<LuaValue> {
    match args.len() {
        0 => {
            let mut m = std::collections::BTreeMap::new();
            for name in h.keys() {
                let values = h
                    .get_all(name)
                    .iter()
                    .map(|v| Node::Str(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                    .collect();
                m.insert(canonical(name), Node::List(Rc::new(RefCell::new(values))));
            }
            let t = LuaTable(Rc::new(RefCell::new(m)));
            Ok(LuaValue::UserData(lua.create_userdata(t)?))
        }
        1 => {
            let v = header_name(&text(args, 0))
                .ok()
                .and_then(|n| {
                    h.get(n)
                        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                })
                .unwrap_or_default();
            Ok(LuaValue::String(lua.create_string(v)?))
        }
        _ => {
            let name = header_name(&text(args, 0))?;
            if matches!(args.get(1), Some(LuaValue::Nil) | None) {
                h.remove(name);
            } else {
                h.insert(name, header_value(&text(args, 1))?);
            }
            Ok(LuaValue::Nil)
        }
    }
}

/// `headerList(k)` (a `luaList`) and `headerList(k, list)`.
fn header_list(lua: &Lua, h: &mut HeaderMap, args: &MultiValue) -> mlua::Result<LuaValue> {
    match args.len() {
        0 => Err(mlua::Error::runtime("need arguments")),
        1 => {
            let values = header_name(&text(args, 0))
                .map(|n| {
                    h.get_all(n)
                        .iter()
                        .map(|v| Node::Str(String::from_utf8_lossy(v.as_bytes()).into_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let l = LuaList(Rc::new(RefCell::new(values)));
            Ok(LuaValue::UserData(lua.create_userdata(l)?))
        }
        _ => {
            let name = header_name(&text(args, 0))?;
            let list = match args.get(1) {
                Some(LuaValue::UserData(u)) => u.borrow::<LuaList>().ok().map(|l| l.0.clone()),
                _ => None,
            }
            .ok_or_else(|| mlua::Error::runtime("invalid header value, must be a luaList"))?;
            h.remove(&name);
            for n in list.borrow().iter() {
                let v = match n {
                    Node::Str(s) => s.clone(),
                    other => match other.to_json() {
                        serde_json::Value::String(s) => s,
                        v => v.to_string(),
                    },
                };
                h.append(name.clone(), header_value(&v)?);
            }
            Ok(LuaValue::Nil)
        }
    }
}

fn string(lua: &Lua, s: &str) -> mlua::Result<LuaValue> {
    Ok(LuaValue::String(lua.create_string(s)?))
}

impl UserData for ReqUd {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("method", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return string(lua, &r.method);
            }
            r.method = text(&args, 0);
            Ok(LuaValue::Nil)
        });
        m.add_method("path", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return string(lua, &r.path);
            }
            r.path = text(&args, 0);
            Ok(LuaValue::Nil)
        });
        m.add_method("url", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return string(lua, &r.url);
            }
            r.url = text(&args, 0);
            Ok(LuaValue::Nil)
        });
        m.add_method("host", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return string(lua, &r.host);
            }
            r.host = text(&args, 0);
            Ok(LuaValue::Nil)
        });
        m.add_method("query", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if r.level == Level::Router {
                // The gin context: `query(k)` reads one value, `query(k, v)` sets it.
                let key = text(&args, 0);
                return match args.len() {
                    0 => Err(mlua::Error::runtime("need arguments")),
                    1 => {
                        let v = url::form_urlencoded::parse(r.query.as_bytes())
                            .find(|(k, _)| *k == key)
                            .map(|(_, v)| v.into_owned())
                            .unwrap_or_default();
                        string(lua, &v)
                    }
                    _ => {
                        let value = text(&args, 1);
                        let mut pairs: Vec<(String, String)> =
                            url::form_urlencoded::parse(r.query.as_bytes())
                                .filter(|(k, _)| *k != key)
                                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                                .collect();
                        pairs.push((key, value));
                        pairs.sort();
                        r.query = url::form_urlencoded::Serializer::new(String::new())
                            .extend_pairs(pairs)
                            .finish();
                        Ok(LuaValue::Nil)
                    }
                };
            }
            if args.is_empty() {
                return string(lua, &r.query);
            }
            r.query = text(&args, 0);
            Ok(LuaValue::Nil)
        });
        m.add_method("params", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            match args.len() {
                0 => {
                    let m = r
                        .params
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                Node::Str(String::from_utf8_lossy(v).into_owned()),
                            )
                        })
                        .collect();
                    let t = LuaTable(Rc::new(RefCell::new(m)));
                    Ok(LuaValue::UserData(lua.create_userdata(t)?))
                }
                1 => {
                    let key = text(&args, 0);
                    let v = r
                        .params
                        .iter()
                        .find(|(k, _)| *k == key)
                        .map(|(_, v)| &v[..])
                        .unwrap_or_default();
                    Ok(LuaValue::String(lua.create_string(v)?))
                }
                _ => {
                    let key = text(&args, 0);
                    let value = match args.get(1) {
                        Some(LuaValue::String(s)) => Bytes::copy_from_slice(&s.as_bytes()),
                        _ => Bytes::from(text(&args, 1)),
                    };
                    match r.params.iter_mut().find(|(k, _)| *k == key) {
                        Some(p) => p.1 = value,
                        None => r.params.push((key, value)),
                    }
                    Ok(LuaValue::Nil)
                }
            }
        });
        m.add_method("headers", |lua, this, args: MultiValue| {
            headers(lua, &mut this.0.borrow_mut().headers, &args)
        });
        m.add_method("headerList", |lua, this, args: MultiValue| {
            header_list(lua, &mut this.0.borrow_mut().headers, &args)
        });
        m.add_method("body", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return Ok(LuaValue::String(lua.create_string(&r.body[..])?));
            }
            r.body = match args.front() {
                Some(LuaValue::String(s)) => Bytes::copy_from_slice(&s.as_bytes()),
                _ => Bytes::from(text(&args, 0)),
            };
            Ok(LuaValue::Nil)
        });
    }
}

impl UserData for RespUd {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("isComplete", |_, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            match args.front() {
                None => Ok(LuaValue::Boolean(r.complete)),
                Some(v) => {
                    r.complete = !matches!(v, LuaValue::Nil | LuaValue::Boolean(false));
                    Ok(LuaValue::Nil)
                }
            }
        });
        m.add_method("statusCode", |_, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            match args.front() {
                None => Ok(LuaValue::Number(r.status as f64)),
                Some(LuaValue::Number(f)) => {
                    r.status = *f as i64;
                    Ok(LuaValue::Nil)
                }
                Some(LuaValue::Integer(i)) => {
                    r.status = *i;
                    Ok(LuaValue::Nil)
                }
                Some(_) => Err(mlua::Error::runtime("statusCode needs a number")),
            }
        });
        m.add_method("data", |lua, this, ()| {
            let t = LuaTable(this.0.borrow().data.clone());
            lua.create_userdata(t)
        });
        m.add_method("headers", |lua, this, args: MultiValue| {
            headers(lua, &mut this.0.borrow_mut().headers, &args)
        });
        m.add_method("headerList", |lua, this, args: MultiValue| {
            header_list(lua, &mut this.0.borrow_mut().headers, &args)
        });
        // KrakenD's `Io`: only a `no-op` response has one (Krustd refuses Lua there), so it
        // starts empty; `body(new)` replaces it (read back by `body()`), and the render, which
        // sends the data, ignores it, as KrakenD's does.
        m.add_method("body", |lua, this, args: MultiValue| {
            let mut r = this.0.borrow_mut();
            if args.is_empty() {
                return match &r.body {
                    Some(b) => Ok(LuaValue::String(lua.create_string(&b[..])?)),
                    None => string(lua, ""),
                };
            }
            r.body = Some(match args.front() {
                Some(LuaValue::String(s)) => Bytes::copy_from_slice(&s.as_bytes()),
                _ => Bytes::from(text(&args, 0)),
            });
            Ok(LuaValue::Nil)
        });
    }
}

/// Registry slots holding the current call's objects.
pub const REQ_SLOT: &str = "krustd.lua.request";
pub const RESP_SLOT: &str = "krustd.lua.response";

/// The globals every state has: `request`, `ctx`, `response` (each with `load()`),
/// `custom_error`, and the data helpers.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    data::register(lua)?;
    let g = lua.globals();
    for (name, slot) in [
        ("request", REQ_SLOT),
        ("ctx", REQ_SLOT),
        ("response", RESP_SLOT),
    ] {
        let t = lua.create_table()?;
        t.set(
            "load",
            lua.create_function(move |lua, ()| lua.named_registry_value::<LuaValue>(slot))?,
        )?;
        g.set(name, t)?;
    }
    g.set(
        "custom_error",
        lua.create_function(|_, args: MultiValue| -> mlua::Result<()> {
            if args.is_empty() {
                return Err(mlua::Error::runtime("need arguments"));
            }
            let status = match args.get(1) {
                Some(LuaValue::Number(f)) => Some(*f as i64),
                Some(LuaValue::Integer(i)) => Some(*i),
                Some(LuaValue::String(s)) => s.to_str().ok().and_then(|s| s.parse().ok()),
                _ => None,
            };
            // KrakenD: no status → an internal error; a status it cannot use → 500.
            let status = status.filter(|s| *s != -1).map(|s| {
                u16::try_from(s)
                    .ok()
                    .filter(|s| (100..=999).contains(s))
                    .unwrap_or(500)
            });
            Err(mlua::Error::external(CustomError {
                message: text(&args, 0),
                status,
                content_type: args.get(2).map(|_| text(&args, 2)),
            }))
        })?,
    )?;
    Ok(())
}
