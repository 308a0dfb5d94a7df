//! The Lua states. Each worker thread keeps one state per Lua namespace instance (keyed by its
//! static spec), with the sources loaded once; a call runs synchronously on the worker,
//! bounded by an instruction budget (a count hook) and a memory limit, so a script cannot hold
//! a worker: past either limit the call fails and the state is rebuilt for the next request.

use super::objects::{CustomError, REQ_SLOT, RESP_SLOT};
use super::LuaSpec;
use mlua::{Function, HookTriggers, Lua, LuaOptions, StdLib, VmState};
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
    // `allow_open_libs` opens the pure libraries; io, os, package and debug stay closed (they
    // would block the worker or reach the file system).
    let libs = if spec.open_libs {
        StdLib::STRING | StdLib::TABLE | StdLib::MATH
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
    budget.set(INSTRUCTION_LIMIT / HOOK_EVERY);
    for (name, code) in spec.sources {
        lua.load(*code).set_name(format!("@{name}")).exec()?;
    }
    let pre = match spec.pre {
        Some(code) => Some(lua.load(code).set_name("pre-script").into_function()?),
        None => None,
    };
    let post = match spec.post {
        Some(code) => Some(lua.load(code).set_name("post-script").into_function()?),
        None => None,
    };
    Ok(Engine {
        lua,
        pre,
        post,
        budget,
    })
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
    let key = spec as *const LuaSpec as usize;
    ENGINES.with(|cell| {
        let Ok(mut engines) = cell.try_borrow_mut() else {
            return Err(Failure::Internal("lua: re-entrant call".to_owned()));
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = engines.entry(key) {
            slot.insert(build(spec).map_err(|e| Failure::Internal(message(&e)))?);
        }
        let Some(engine) = engines.get(&key) else {
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
        let result = setup(&engine.lua).and_then(|()| f.call::<()>(()));
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
