//! The Lua states. Each worker thread keeps one state per Lua namespace instance (keyed by its
//! static spec), with the sources loaded once; a call runs synchronously on the worker,
//! bounded by an instruction budget (a count hook) and a memory limit, so a script cannot hold
//! a worker: past either limit the call fails and the state is rebuilt for the next request.
//!
//! Globals do not leak from one call to the next (KrakenD builds a fresh state per request).
//! Every chunk (the sources, `pre`, `post`) runs with one environment table, `env`, which stays
//! empty: its metatable sends reads and writes to the current call's own globals table, which
//! falls back to the globals the sources defined when the state was built. A call starts with a
//! new, empty globals table, so whatever a script assigned during an earlier call is gone,
//! without reloading the sources. `_G` is `env`. What stays shared is what a table reached
//! through the loaded globals holds: a script mutating such a table in place (`t.k = v` on a
//! table a source defined, or on `string`) changes it for later calls too.

use super::carry::Carried;
use super::objects::{CustomError, REQ_SLOT, RESP_SLOT};
use super::LuaSpec;
use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, Table, VmState};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Instructions one script call may run (the sources' loading has its own budget).
pub const INSTRUCTION_LIMIT: u32 = 5_000_000;
/// Bytes one state may allocate.
pub const MEMORY_LIMIT: usize = 32 * 1024 * 1024;
/// The count hook fires every this many instructions.
const HOOK_EVERY: u32 = 1000;

struct Engine {
    lua: Lua,
    pre: Option<Function>,
    post: Option<Function>,
    /// Hook ticks left in the current call.
    budget: Rc<Cell<u32>>,
    /// The metatable of `env`: `__index` and `__newindex` name the current call's globals.
    env_meta: Table,
    /// The metatable of a call's globals: `__index` falls back to the loaded globals.
    call_meta: Table,
    /// The environment of every chunk (kept empty).
    env: Table,
    /// The current call's globals: empty between calls unless the last call assigned one.
    globals: Table,
}

thread_local! {
    static ENGINES: RefCell<HashMap<usize, Engine>> = RefCell::new(HashMap::new());
}

/// Why a script call failed.
#[derive(Debug)]
pub enum Failure {
    /// `custom_error(msg, status[, content_type])`.
    Custom(CustomError),
    /// Any other error (the message KrakenD would show).
    Internal(String),
}

fn build(spec: &'static LuaSpec) -> mlua::Result<Engine> {
    // `allow_open_libs` opens what gopher-lua's OpenLibs opens that Lua 5.1 has: string, table,
    // math, io, os and package (coroutine is part of the base library), C modules excepted.
    // Not `debug`: `debug.sethook` would replace the instruction-limit hook and
    // `debug.getregistry` reaches mlua's internals, which mlua only allows unsafely.
    let libs = if spec.open_libs {
        StdLib::ALL_SAFE
    } else {
        StdLib::NONE
    };
    let lua = Lua::new_with(libs, LuaOptions::new())?;
    lua.set_memory_limit(MEMORY_LIMIT)?;
    let budget = Rc::new(Cell::new(0u32));
    let b = budget.clone();
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_EVERY),
        move |_, _| {
            let left = b.get();
            if left == 0 {
                return Err(mlua::Error::runtime("lua: instruction limit exceeded"));
            }
            b.set(left - 1);
            Ok(VmState::Continue)
        },
    )?;
    super::objects::register(&lua)?;
    // `http_response` on the states of offloaded calls only (it blocks the thread it runs on).
    if super::http_response::offloaded() {
        super::http_response::register(&lua)?;
    }
    // While the sources load, `env` reads and writes the state's globals: what they define
    // becomes the base every call falls back to.
    let base = lua.globals();
    let env = lua.create_table()?;
    let env_meta = lua.create_table()?;
    env_meta.raw_set("__index", &base)?;
    env_meta.raw_set("__newindex", &base)?;
    env.set_metatable(Some(env_meta.clone()))?;
    base.raw_set("_G", &env)?;
    let call_meta = lua.create_table()?;
    call_meta.raw_set("__index", &base)?;
    budget.set(INSTRUCTION_LIMIT / HOOK_EVERY);
    for (name, code) in spec.sources {
        lua.load(*code)
            .set_name(format!("@{name}"))
            .set_environment(env.clone())
            .exec()?;
    }
    let snippet = |code: &str, name: &str| {
        lua.load(code)
            .set_name(name)
            .set_environment(env.clone())
            .into_function()
    };
    let pre = spec.pre.map(|c| snippet(c, "pre-script")).transpose()?;
    let post = spec.post.map(|c| snippet(c, "post-script")).transpose()?;
    let globals = call_globals(&lua, &env_meta, &call_meta)?;
    Ok(Engine {
        lua,
        pre,
        post,
        budget,
        env_meta,
        call_meta,
        env,
        globals,
    })
}

/// A new, empty globals table for the calls to come, falling back to the loaded globals.
fn call_globals(lua: &Lua, env_meta: &Table, call_meta: &Table) -> mlua::Result<Table> {
    let globals = lua.create_table()?;
    globals.set_metatable(Some(call_meta.clone()))?;
    env_meta.raw_set("__index", &globals)?;
    env_meta.raw_set("__newindex", &globals)?;
    Ok(globals)
}

impl Engine {
    /// Makes sure the next call starts with no global of an earlier one: the last call's table
    /// when it assigned nothing (the usual case costs one check), else a new one. Keys a script
    /// stored in `_G` itself with `rawset` are removed.
    fn fresh_globals(&mut self) -> mlua::Result<()> {
        if !self.globals.is_empty() {
            self.globals = call_globals(&self.lua, &self.env_meta, &self.call_meta)?;
        }
        if !self.env.is_empty() {
            let keys = self
                .env
                .pairs::<mlua::Value, mlua::Value>()
                .map(|kv| kv.map(|(k, _)| k))
                .collect::<mlua::Result<Vec<_>>>()?;
            for k in keys {
                self.env.raw_set(k, mlua::Value::Nil)?;
            }
        }
        Ok(())
    }
}

/// Which snippet to run.
#[derive(Debug, Clone, Copy)]
pub enum Phase {
    Pre,
    Post,
}

/// Runs `spec`'s `pre` or `post` snippet with `setup` placing the call's objects.
pub fn run(
    spec: &'static LuaSpec,
    phase: Phase,
    setup: impl FnOnce(&Lua) -> mlua::Result<()>,
) -> Result<(), Failure> {
    run_carrying(spec, phase, setup, None)
}

/// [`run`], with the globals a `pre` call assigns copied into `carry`, and assigned again
/// before a `post` call (`carry.rs`): a `pre` and a `post` of one request share their globals.
pub fn run_carrying(
    spec: &'static LuaSpec,
    phase: Phase,
    setup: impl FnOnce(&Lua) -> mlua::Result<()>,
    carry: Option<&mut Carried>,
) -> Result<(), Failure> {
    let key = spec as *const LuaSpec as usize;
    ENGINES.with(|cell| {
        let Ok(mut engines) = cell.try_borrow_mut() else {
            return Err(Failure::Internal("lua: re-entrant call".to_owned()));
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = engines.entry(key) {
            slot.insert(build(spec).map_err(|e| Failure::Internal(message(&e)))?);
        }
        let Some(engine) = engines.get_mut(&key) else {
            return Err(Failure::Internal("lua: no state".to_owned()));
        };
        let f = match phase {
            Phase::Pre => engine.pre.clone(),
            Phase::Post => engine.post.clone(),
        };
        let Some(f) = f else {
            return Ok(());
        };
        engine.budget.set(INSTRUCTION_LIMIT / HOOK_EVERY);
        let result = engine
            .fresh_globals()
            .and_then(|()| match (&carry, phase) {
                (Some(c), Phase::Post) if !c.is_empty() => {
                    super::carry::restore(&engine.lua, &engine.globals, c)
                }
                _ => Ok(()),
            })
            .and_then(|()| setup(&engine.lua))
            .and_then(|()| f.call::<()>(()))
            .and_then(|()| match (carry, phase) {
                (Some(c), Phase::Pre) => {
                    super::carry::capture(&engine.globals, c)?;
                    super::carry::capture(&engine.env, c)
                }
                _ => Ok(()),
            });
        // Drop this call's objects from the registry.
        let _ = engine.lua.unset_named_registry_value(REQ_SLOT);
        let _ = engine.lua.unset_named_registry_value(RESP_SLOT);
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                let exhausted = engine.budget.get() == 0 || is_memory(&e);
                let failure = match custom(&e) {
                    Some(c) => Failure::Custom(c),
                    None => Failure::Internal(message(&e)),
                };
                if exhausted {
                    // A state stopped mid-way may hold anything: start afresh next time.
                    engines.remove(&key);
                }
                Err(failure)
            }
        }
    })
}

fn custom(e: &mlua::Error) -> Option<CustomError> {
    match e {
        mlua::Error::CallbackError { cause, .. } => custom(cause),
        mlua::Error::WithContext { cause, .. } => custom(cause),
        other => other.downcast_ref::<CustomError>().cloned(),
    }
}

fn is_memory(e: &mlua::Error) -> bool {
    match e {
        mlua::Error::MemoryError(_) => true,
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            is_memory(cause)
        }
        _ => false,
    }
}

/// The error text without Lua's traceback.
fn message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } | mlua::Error::WithContext { cause, .. } => {
            message(cause)
        }
        mlua::Error::RuntimeError(m) | mlua::Error::MemoryError(m) => {
            m.lines().next().unwrap_or_default().to_owned()
        }
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}
