//! Globals a `pre` script set, carried to the `post` script of the same request and stage.
//! krakend-lua runs both on one state per request; here the two calls may run on different
//! worker threads (each with its own state), so what `pre` assigned is copied out of its
//! state as plain values (nil, booleans, numbers, strings and tables of them) and assigned
//! again before `post` runs. Functions, userdata and coroutines are not carried. Bounded: at
//! most [`MAX_DEPTH`] table levels and [`MAX_ITEMS`] values in all (the rest is dropped).

use mlua::{Lua, Table, Value};

/// Table nesting carried.
pub const MAX_DEPTH: usize = 16;
/// Values carried in all (keys and values).
pub const MAX_ITEMS: usize = 10_000;

/// A copied Lua value.
#[derive(Debug, Clone)]
enum Plain {
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(Vec<u8>),
    Table(Vec<(Plain, Plain)>),
}

/// What a `pre` call left in its globals (empty when it assigned nothing).
#[derive(Debug, Default)]
pub struct Carried(Vec<(Plain, Plain)>);

impl Carried {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Copies the key/value pairs of `t` (its own keys, not its metatable's).
pub(super) fn capture(t: &Table, into: &mut Carried) -> mlua::Result<()> {
    let mut budget = MAX_ITEMS;
    into.0.extend(pairs(t, 0, &mut budget)?);
    Ok(())
}

fn pairs(t: &Table, depth: usize, budget: &mut usize) -> mlua::Result<Vec<(Plain, Plain)>> {
    let mut out = Vec::new();
    for kv in t.pairs::<Value, Value>() {
        let (k, v) = kv?;
        if *budget < 2 {
            break;
        }
        let (Some(k), Some(v)) = (plain(&k, depth, budget)?, plain(&v, depth, budget)?) else {
            continue;
        };
        out.push((k, v));
    }
    Ok(out)
}

fn plain(v: &Value, depth: usize, budget: &mut usize) -> mlua::Result<Option<Plain>> {
    *budget = budget.saturating_sub(1);
    Ok(match v {
        Value::Boolean(b) => Some(Plain::Bool(*b)),
        Value::Integer(i) => Some(Plain::Int(*i)),
        Value::Number(n) => Some(Plain::Num(*n)),
        Value::String(s) => Some(Plain::Str(s.as_bytes().to_vec())),
        Value::Table(t) if depth < MAX_DEPTH => Some(Plain::Table(pairs(t, depth + 1, budget)?)),
        _ => None,
    })
}

/// Assigns the carried pairs to `t` (the `post` call's globals).
pub(super) fn restore(lua: &Lua, t: &Table, from: &Carried) -> mlua::Result<()> {
    for (k, v) in &from.0 {
        t.raw_set(value(lua, k)?, value(lua, v)?)?;
    }
    Ok(())
}

fn value(lua: &Lua, p: &Plain) -> mlua::Result<Value> {
    Ok(match p {
        Plain::Bool(b) => Value::Boolean(*b),
        Plain::Int(i) => Value::Integer(*i),
        Plain::Num(n) => Value::Number(*n),
        Plain::Str(s) => Value::String(lua.create_string(s)?),
        Plain::Table(items) => {
            let t = lua.create_table()?;
            for (k, v) in items {
                t.raw_set(value(lua, k)?, value(lua, v)?)?;
            }
            Value::Table(t)
        }
    })
}
