//! KrakenD's `luaTable` and `luaList`: handles on the response data that scripts read and
//! change in place. The JSON data is turned into a tree of shared nodes for the duration of one
//! script call (a child table fetched with `get` is the same object its parent holds, as Go's
//! maps and slices are), and back into JSON afterwards.

use mlua::{AnyUserData, Lua, MultiValue, UserData, UserDataMethods, Value as LuaValue};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

pub type TableRef = Rc<RefCell<BTreeMap<String, Node>>>;
pub type ListRef = Rc<RefCell<Vec<Node>>>;

/// One JSON value; objects and arrays shared by every handle on them.
#[derive(Debug, Clone)]
pub enum Node {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Table(TableRef),
    List(ListRef),
}

impl Node {
    pub fn from_json(v: Value) -> Node {
        match v {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => Node::Num(n),
            Value::String(s) => Node::Str(s),
            Value::Array(a) => Node::List(Rc::new(RefCell::new(
                a.into_iter().map(Node::from_json).collect(),
            ))),
            Value::Object(m) => Node::Table(table_from(m)),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Num(n) => Value::Number(n.clone()),
            Node::Str(s) => Value::String(s.clone()),
            Node::Table(t) => Value::Object(table_to(t)),
            Node::List(l) => Value::Array(l.borrow().iter().map(Node::to_json).collect()),
        }
    }
}

pub fn table_from(m: Map<String, Value>) -> TableRef {
    Rc::new(RefCell::new(
        m.into_iter()
            .map(|(k, v)| (k, Node::from_json(v)))
            .collect(),
    ))
}

pub fn table_to(t: &TableRef) -> Map<String, Value> {
    t.borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect()
}

/// A Lua number as KrakenD stores it: an integer when it has no fraction (Go's `int`), else a
/// float64.
pub fn number(f: f64) -> Node {
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        Node::Num(Number::from(f as i64))
    } else {
        Number::from_f64(f).map_or(Node::Null, Node::Num)
    }
}

/// `luaTable` userdata.
pub struct LuaTable(pub TableRef);
/// `luaList` userdata.
pub struct LuaList(pub ListRef);
/// `luaNil` userdata (a JSON null written back by a script).
pub struct LuaNil;

impl UserData for LuaNil {}

/// The Lua value of a node (`get`): scalars as Lua values, objects and arrays as handles.
pub fn to_lua(lua: &Lua, n: &Node) -> mlua::Result<LuaValue> {
    Ok(match n {
        Node::Null => LuaValue::UserData(lua.create_userdata(LuaNil)?),
        Node::Bool(b) => LuaValue::Boolean(*b),
        Node::Num(x) => LuaValue::Number(x.as_f64().unwrap_or(0.0)),
        Node::Str(s) => LuaValue::String(lua.create_string(s)?),
        Node::Table(t) => LuaValue::UserData(lua.create_userdata(LuaTable(t.clone()))?),
        Node::List(l) => LuaValue::UserData(lua.create_userdata(LuaList(l.clone()))?),
    })
}

/// The node a Lua value sets (`set`). A native Lua table becomes an object keyed by its keys
/// as text; nested tables whose keys are all integers become arrays (KrakenD's `ParseToTable`).
/// `None`: a value KrakenD ignores (functions, nil).
pub fn from_lua(v: &LuaValue, nested: bool, depth: usize) -> mlua::Result<Option<Node>> {
    if depth > 64 {
        return Err(mlua::Error::runtime("table nested too deeply"));
    }
    Ok(match v {
        LuaValue::String(s) => Some(Node::Str(s.to_string_lossy())),
        LuaValue::Number(f) => Some(number(*f)),
        LuaValue::Integer(i) => Some(Node::Num(Number::from(*i))),
        LuaValue::Boolean(b) => Some(Node::Bool(*b)),
        LuaValue::Table(t) => {
            let mut m = BTreeMap::new();
            for pair in t.pairs::<LuaValue, LuaValue>() {
                let (k, v) = pair?;
                let key = match &k {
                    LuaValue::String(s) => s.to_string_lossy(),
                    LuaValue::Number(f) => number_text(*f),
                    LuaValue::Integer(i) => i.to_string(),
                    LuaValue::Boolean(b) => b.to_string(),
                    _ => continue,
                };
                if let Some(n) = from_lua(&v, true, depth + 1)? {
                    m.insert(key, n);
                }
            }
            if nested {
                if let Some(list) = as_list(&m) {
                    return Ok(Some(Node::List(Rc::new(RefCell::new(list)))));
                }
            }
            Some(Node::Table(Rc::new(RefCell::new(m))))
        }
        LuaValue::UserData(u) => {
            if let Ok(t) = u.borrow::<LuaTable>() {
                Some(Node::Table(t.0.clone()))
            } else if let Ok(l) = u.borrow::<LuaList>() {
                Some(Node::List(l.0.clone()))
            } else if u.is::<LuaNil>() {
                Some(Node::Null)
            } else {
                None
            }
        }
        _ => None,
    })
}

/// Lua's text of a number key (`1`, `1.5`).
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// The values of an object whose keys are all integers, in key order.
fn as_list(m: &BTreeMap<String, Node>) -> Option<Vec<Node>> {
    let mut keyed: Vec<(i64, &Node)> = Vec::with_capacity(m.len());
    for (k, v) in m {
        keyed.push((k.parse().ok()?, v));
    }
    keyed.sort_by_key(|(k, _)| *k);
    Some(keyed.into_iter().map(|(_, v)| v.clone()).collect())
}

fn arg_text(args: &MultiValue, i: usize) -> String {
    match args.get(i) {
        Some(LuaValue::String(s)) => s.to_string_lossy(),
        Some(LuaValue::Number(f)) => number_text(*f),
        Some(LuaValue::Integer(n)) => n.to_string(),
        Some(LuaValue::Boolean(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn arg_index(args: &MultiValue, i: usize) -> i64 {
    match args.get(i) {
        Some(LuaValue::Number(f)) => *f as i64,
        Some(LuaValue::Integer(n)) => *n,
        Some(LuaValue::String(s)) => s.to_str().ok().and_then(|s| s.parse().ok()).unwrap_or(-1),
        _ => -1,
    }
}

fn needs(args: &MultiValue, n: usize) -> mlua::Result<()> {
    if args.len() == n {
        Ok(())
    } else {
        Err(mlua::Error::runtime("need arguments"))
    }
}

impl UserData for LuaTable {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("get", |lua, this, args: MultiValue| {
            needs(&args, 1)?;
            match this.0.borrow().get(&arg_text(&args, 0)) {
                Some(n) => to_lua(lua, n),
                None => Ok(LuaValue::Nil),
            }
        });
        m.add_method("set", |_, this, args: MultiValue| {
            needs(&args, 2)?;
            let key = arg_text(&args, 0);
            if let Some(v) = args.get(1) {
                if let Some(n) = from_lua(v, false, 0)? {
                    this.0.borrow_mut().insert(key, n);
                }
            }
            Ok(())
        });
        m.add_method("len", |_, this, ()| Ok(this.0.borrow().len() as f64));
        m.add_method("del", |_, this, args: MultiValue| {
            needs(&args, 1)?;
            this.0.borrow_mut().remove(&arg_text(&args, 0));
            Ok(())
        });
        m.add_method("keys", |_, this, ()| {
            let keys = this
                .0
                .borrow()
                .keys()
                .map(|k| Node::Str(k.clone()))
                .collect();
            Ok(LuaList(Rc::new(RefCell::new(keys))))
        });
        m.add_method("keyExists", |_, this, args: MultiValue| {
            needs(&args, 1)?;
            Ok(this.0.borrow().contains_key(&arg_text(&args, 0)))
        });
    }
}

impl UserData for LuaList {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("get", |lua, this, args: MultiValue| {
            needs(&args, 1)?;
            let i = arg_index(&args, 0);
            let list = this.0.borrow();
            match usize::try_from(i).ok().and_then(|i| list.get(i)) {
                Some(n) => to_lua(lua, n),
                None => Ok(LuaValue::Nil),
            }
        });
        m.add_method("set", |_, this, args: MultiValue| {
            needs(&args, 2)?;
            let Ok(i) = usize::try_from(arg_index(&args, 0)) else {
                return Ok(());
            };
            // A script may grow a list, within reason (the memory limit bounds the rest).
            if i > 1 << 20 {
                return Err(mlua::Error::runtime("list index too large"));
            }
            if let Some(n) = args.get(1).map(|v| from_lua(v, false, 0)).transpose()? {
                let n = n.unwrap_or(Node::Null);
                let mut list = this.0.borrow_mut();
                if i >= list.len() {
                    list.resize(i + 1, Node::Null);
                }
                list[i] = n;
            }
            Ok(())
        });
        m.add_method("len", |_, this, ()| Ok(this.0.borrow().len() as f64));
        m.add_method("del", |_, this, args: MultiValue| {
            needs(&args, 1)?;
            let i = arg_index(&args, 0);
            let mut list = this.0.borrow_mut();
            if let Some(i) = usize::try_from(i).ok().filter(|i| *i < list.len()) {
                list.remove(i);
            }
            Ok(())
        });
    }
}

/// The `luaTable`, `luaList` and `luaNil` globals (`luaTable.new()`, …).
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    let t = lua.create_table()?;
    t.set(
        "new",
        lua.create_function(|_, ()| Ok(LuaTable(Rc::new(RefCell::new(BTreeMap::new())))))?,
    )?;
    g.set("luaTable", t)?;
    let l = lua.create_table()?;
    l.set(
        "new",
        lua.create_function(|_, ()| Ok(LuaList(Rc::new(RefCell::new(Vec::new())))))?,
    )?;
    g.set("luaList", l)?;
    let n = lua.create_table()?;
    n.set("new", lua.create_function(|_, ()| Ok(LuaNil))?)?;
    g.set("luaNil", n)?;
    Ok(())
}

/// The data handle of a userdata, for callers outside this module.
pub fn table_of(u: &AnyUserData) -> Option<TableRef> {
    u.borrow::<LuaTable>().ok().map(|t| t.0.clone())
}
