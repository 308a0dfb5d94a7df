//! The template functions: KrakenD's own (`marshal`, `include`), `env`, and a documented subset
//! of Sprig's generic functions with Sprig's argument order (the piped value comes last).
//! gtmpl's functions are plain `fn` pointers, so what a rendering reads (the partials
//! directory, the files and environment variables it touched) lives in a thread-local `Scope`.
//! Sprig's non-deterministic functions (`now`, `rand*`, `uuidv4`, …) are left out on purpose:
//! the same contract must give the same binary.

use super::value::{from_json, to_go_json};
use base64::Engine as _;
use gtmpl::{Func, FuncError, Value};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// Every function a template may call besides Go's builtins (README lists them).
pub const SUPPORTED: &[&str] = &[
    "marshal",
    "include",
    "env",
    "toJson",
    "toPrettyJson",
    "fromJson",
    "default",
    "empty",
    "coalesce",
    "ternary",
    "fail",
    "list",
    "dict",
    "hasKey",
    "get",
    "keys",
    "first",
    "last",
    "append",
    "concat",
    "has",
    "sortAlpha",
    "until",
    "join",
    "splitList",
    "upper",
    "lower",
    "trim",
    "trimPrefix",
    "trimSuffix",
    "replace",
    "contains",
    "hasPrefix",
    "hasSuffix",
    "quote",
    "squote",
    "repeat",
    "toString",
    "b64enc",
    "b64dec",
    "add",
    "add1",
    "sub",
    "mul",
    "div",
    "mod",
    "max",
    "min",
    "int",
    "atoi",
];

/// The function table (`SUPPORTED`, in the same order).
pub(super) fn table() -> Vec<(&'static str, Func)> {
    let fs: [Func; 50] = [
        marshal,
        include,
        env,
        to_json,
        to_pretty_json,
        from_json_fn,
        default,
        empty,
        coalesce,
        ternary,
        fail,
        list,
        dict,
        has_key,
        get,
        keys,
        first,
        last,
        append,
        concat,
        has,
        sort_alpha,
        until,
        join,
        split_list,
        upper,
        lower,
        trim,
        trim_prefix,
        trim_suffix,
        replace,
        contains,
        has_prefix,
        has_suffix,
        quote,
        squote,
        repeat,
        to_string,
        b64enc,
        b64dec,
        add,
        add1,
        sub,
        mul,
        div,
        modulo,
        max,
        min,
        int,
        atoi,
    ];
    SUPPORTED.iter().copied().zip(fs).collect()
}

#[derive(Default)]
struct State {
    partials: Option<PathBuf>,
    root: PathBuf,
    read: Vec<PathBuf>,
    env: BTreeSet<String>,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// The state of one rendering on this thread; `leave` returns the files and variables read.
pub(super) struct Scope(());

impl Scope {
    pub(super) fn enter(partials: Option<PathBuf>, root: PathBuf) -> Scope {
        STATE.with(|s| {
            *s.borrow_mut() = Some(State {
                partials,
                root,
                ..State::default()
            })
        });
        Scope(())
    }

    pub(super) fn leave(self) -> (Vec<PathBuf>, BTreeSet<String>) {
        let state = STATE.with(|s| s.borrow_mut().take()).unwrap_or_default();
        (state.read, state.env)
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        STATE.with(|s| s.borrow_mut().take());
    }
}

fn err(msg: impl Into<String>) -> FuncError {
    FuncError::Generic(msg.into())
}

fn exactly(name: &str, args: &[Value], n: usize) -> Result<(), FuncError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(FuncError::ExactlyXArgs(name.to_owned(), n))
    }
}

fn one<'a>(name: &str, args: &'a [Value]) -> Result<&'a Value, FuncError> {
    exactly(name, args, 1)?;
    Ok(&args[0])
}

fn two<'a>(name: &str, args: &'a [Value]) -> Result<(&'a Value, &'a Value), FuncError> {
    exactly(name, args, 2)?;
    Ok((&args[0], &args[1]))
}

fn three<'a>(
    name: &str,
    args: &'a [Value],
) -> Result<(&'a Value, &'a Value, &'a Value), FuncError> {
    exactly(name, args, 3)?;
    Ok((&args[0], &args[1], &args[2]))
}

fn string_arg(name: &str, v: &Value) -> Result<String, FuncError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        other => Err(err(format!("{name}: expected a string, got {other}"))),
    }
}

/// Sprig's `toString`/`fmt.Sprint` of a value.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Nil => "<nil>".to_owned(),
        Value::Map(_) | Value::Object(_) | Value::Array(_) => {
            to_go_json(v, None).unwrap_or_default()
        }
        other => other.to_string(),
    }
}

/// Go's truthiness (`empty` is its negation).
fn truthy(v: &Value) -> bool {
    match v {
        Value::NoValue | Value::Nil => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Map(m) | Value::Object(m) => !m.is_empty(),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::Function(_) => true,
    }
}

/// Sprig's `toInt64`: numbers (floats truncated), numeric strings, booleans; else 0.
fn to_i64(v: &Value) -> i64 {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u as i64))
            .or_else(|| n.as_f64().map(|f| f as i64))
            .unwrap_or(0),
        Value::String(s) => s.trim().parse::<i64>().unwrap_or(0),
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

fn as_list(name: &str, v: &Value) -> Result<Vec<Value>, FuncError> {
    match v {
        Value::Array(a) => Ok(a.clone()),
        other => Err(err(format!("{name}: expected a list, got {other}"))),
    }
}

fn as_map<'a>(
    name: &str,
    v: &'a Value,
) -> Result<&'a std::collections::HashMap<String, Value>, FuncError> {
    match v {
        Value::Map(m) | Value::Object(m) => Ok(m),
        other => Err(err(format!("{name}: expected a map, got {other}"))),
    }
}

fn marshal(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("marshal", args)?;
    to_go_json(v, None).map(Value::String).map_err(err)
}

fn to_json(args: &[Value]) -> Result<Value, FuncError> {
    marshal(args)
}

fn to_pretty_json(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("toPrettyJson", args)?;
    to_go_json(v, Some("  ")).map(Value::String).map_err(err)
}

fn from_json_fn(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("fromJson", args)?;
    let s = string_arg("fromJson", v)?;
    serde_json::from_str::<serde_json::Value>(&s)
        .map(|j| from_json(&j))
        .map_err(|e| err(format!("fromJson: {e}")))
}

/// KrakenD's `include`: the partial's bytes, not evaluated. A missing file is an error
/// (KrakenD inserts nothing).
fn include(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("include", args)?;
    let name = string_arg("include", v)?;
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let state = s.as_mut().ok_or_else(|| err("include: no rendering"))?;
        let dir = state
            .partials
            .clone()
            .ok_or_else(|| err(format!("include {name:?}: FC_PARTIALS is not set")))?;
        let path = dir.join(&name);
        let shown = path.strip_prefix(&state.root).unwrap_or(&path).display();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| err(format!("include {name:?}: cannot read {shown}: {e}")))?;
        state.read.push(path);
        Ok(Value::String(text))
    })
}

/// Sprig's `env`: the variable at build time ("" when unset); the build reruns when it changes.
fn env(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("env", args)?;
    let name = string_arg("env", v)?;
    STATE.with(|s| {
        if let Some(state) = s.borrow_mut().as_mut() {
            state.env.insert(name.clone());
        }
    });
    Ok(Value::String(std::env::var(&name).unwrap_or_default()))
}

fn default(args: &[Value]) -> Result<Value, FuncError> {
    match args {
        [d] => Ok(d.clone()),
        [d, v] => Ok(if truthy(v) { v.clone() } else { d.clone() }),
        _ => Err(FuncError::AtLeastXArgs("default".to_owned(), 1)),
    }
}

fn empty(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("empty", args)?;
    Ok(Value::Bool(!truthy(v)))
}

fn coalesce(args: &[Value]) -> Result<Value, FuncError> {
    Ok(args
        .iter()
        .find(|v| truthy(v))
        .cloned()
        .unwrap_or(Value::Nil))
}

fn ternary(args: &[Value]) -> Result<Value, FuncError> {
    let (t, f, c) = three("ternary", args)?;
    Ok(if truthy(c) { t.clone() } else { f.clone() })
}

/// Sprig's `fail`: stops the build with the message.
fn fail(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("fail", args)?;
    Err(err(format!("fail: {}", text(v))))
}

fn list(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::Array(args.to_vec()))
}

fn dict(args: &[Value]) -> Result<Value, FuncError> {
    let mut m = HashMap::new();
    for pair in args.chunks(2) {
        let v = pair.get(1).cloned().unwrap_or(Value::String(String::new()));
        m.insert(text(&pair[0]), v);
    }
    Ok(Value::Map(m))
}

fn has_key(args: &[Value]) -> Result<Value, FuncError> {
    let (m, k) = two("hasKey", args)?;
    Ok(Value::Bool(
        as_map("hasKey", m)?.contains_key(&string_arg("hasKey", k)?),
    ))
}

fn get(args: &[Value]) -> Result<Value, FuncError> {
    let (m, k) = two("get", args)?;
    let k = string_arg("get", k)?;
    Ok(as_map("get", m)?
        .get(&k)
        .cloned()
        .unwrap_or(Value::String(String::new())))
}

/// Sprig's `keys`, sorted (Sprig leaves Go's random map order; a build must be reproducible).
fn keys(args: &[Value]) -> Result<Value, FuncError> {
    let mut out: Vec<String> = Vec::new();
    for m in args {
        out.extend(as_map("keys", m)?.keys().cloned());
    }
    out.sort();
    Ok(Value::Array(out.into_iter().map(Value::String).collect()))
}

fn first(args: &[Value]) -> Result<Value, FuncError> {
    let l = one("first", args)?;
    Ok(as_list("first", l)?.first().cloned().unwrap_or(Value::Nil))
}

fn last(args: &[Value]) -> Result<Value, FuncError> {
    let l = one("last", args)?;
    Ok(as_list("last", l)?.last().cloned().unwrap_or(Value::Nil))
}

fn append(args: &[Value]) -> Result<Value, FuncError> {
    let (l, v) = two("append", args)?;
    let mut l = as_list("append", l)?;
    l.push(v.clone());
    Ok(Value::Array(l))
}

fn concat(args: &[Value]) -> Result<Value, FuncError> {
    let mut out = Vec::new();
    for l in args {
        out.extend(as_list("concat", l)?);
    }
    Ok(Value::Array(out))
}

fn has(args: &[Value]) -> Result<Value, FuncError> {
    let (needle, l) = two("has", args)?;
    Ok(Value::Bool(as_list("has", l)?.iter().any(|v| v == needle)))
}

fn sort_alpha(args: &[Value]) -> Result<Value, FuncError> {
    let l = one("sortAlpha", args)?;
    let mut items: Vec<String> = as_list("sortAlpha", l)?.iter().map(text).collect();
    items.sort();
    Ok(Value::Array(items.into_iter().map(Value::String).collect()))
}

/// Sprig's `until N`: 0..N (bounded: a build-time loop).
fn until(args: &[Value]) -> Result<Value, FuncError> {
    let n = one("until", args)?;
    let n = to_i64(n);
    if n > 100_000 {
        return Err(err(format!("until {n}: at most 100000")));
    }
    Ok(Value::Array((0..n.max(0)).map(Value::from).collect()))
}

fn join(args: &[Value]) -> Result<Value, FuncError> {
    let (sep, l) = two("join", args)?;
    let sep = string_arg("join", sep)?;
    let items: Vec<String> = as_list("join", l)?.iter().map(text).collect();
    Ok(Value::String(items.join(&sep)))
}

fn split_list(args: &[Value]) -> Result<Value, FuncError> {
    let (sep, s) = two("splitList", args)?;
    let (sep, s) = (string_arg("splitList", sep)?, string_arg("splitList", s)?);
    Ok(Value::Array(
        s.split(sep.as_str())
            .map(|p| Value::String(p.to_owned()))
            .collect(),
    ))
}

fn str1(name: &str, args: &[Value], f: impl Fn(&str) -> String) -> Result<Value, FuncError> {
    let v = one(name, args)?;
    Ok(Value::String(f(&text(v))))
}

fn str2(name: &str, args: &[Value], f: impl Fn(&str, &str) -> Value) -> Result<Value, FuncError> {
    let (a, s) = two(name, args)?;
    Ok(f(&string_arg(name, a)?, &text(s)))
}

fn upper(args: &[Value]) -> Result<Value, FuncError> {
    str1("upper", args, str::to_uppercase)
}
fn lower(args: &[Value]) -> Result<Value, FuncError> {
    str1("lower", args, str::to_lowercase)
}
fn trim(args: &[Value]) -> Result<Value, FuncError> {
    str1("trim", args, |s| s.trim().to_owned())
}
fn to_string(args: &[Value]) -> Result<Value, FuncError> {
    str1("toString", args, str::to_owned)
}
fn b64enc(args: &[Value]) -> Result<Value, FuncError> {
    str1("b64enc", args, |s| {
        base64::engine::general_purpose::STANDARD.encode(s)
    })
}
fn b64dec(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("b64dec", args)?;
    // Sprig returns the error's text instead of failing; a build is better stopped.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text(v))
        .map_err(|e| err(format!("b64dec: {e}")))?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}
fn trim_prefix(args: &[Value]) -> Result<Value, FuncError> {
    str2("trimPrefix", args, |p, s| {
        Value::String(s.strip_prefix(p).unwrap_or(s).to_owned())
    })
}
fn trim_suffix(args: &[Value]) -> Result<Value, FuncError> {
    str2("trimSuffix", args, |p, s| {
        Value::String(s.strip_suffix(p).unwrap_or(s).to_owned())
    })
}
fn contains(args: &[Value]) -> Result<Value, FuncError> {
    str2("contains", args, |sub, s| Value::Bool(s.contains(sub)))
}
fn has_prefix(args: &[Value]) -> Result<Value, FuncError> {
    str2("hasPrefix", args, |p, s| Value::Bool(s.starts_with(p)))
}
fn has_suffix(args: &[Value]) -> Result<Value, FuncError> {
    str2("hasSuffix", args, |p, s| Value::Bool(s.ends_with(p)))
}

fn replace(args: &[Value]) -> Result<Value, FuncError> {
    let (old, new, s) = three("replace", args)?;
    let (old, new) = (string_arg("replace", old)?, string_arg("replace", new)?);
    Ok(Value::String(text(s).replace(&old, &new)))
}

fn quote(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args
        .iter()
        .map(|v| to_go_json(&Value::String(text(v)), None).unwrap_or_default())
        .collect();
    Ok(Value::String(parts.join(" ")))
}

fn squote(args: &[Value]) -> Result<Value, FuncError> {
    let parts: Vec<String> = args.iter().map(|v| format!("'{}'", text(v))).collect();
    Ok(Value::String(parts.join(" ")))
}

fn repeat(args: &[Value]) -> Result<Value, FuncError> {
    let (n, s) = two("repeat", args)?;
    let n = to_i64(n).clamp(0, 100_000) as usize;
    Ok(Value::String(text(s).repeat(n)))
}

fn fold(name: &str, args: &[Value], f: fn(i64, i64) -> Option<i64>) -> Result<Value, FuncError> {
    let (head, rest) = args
        .split_first()
        .ok_or_else(|| FuncError::AtLeastXArgs(name.to_owned(), 1))?;
    let mut acc = to_i64(head);
    for v in rest {
        acc = f(acc, to_i64(v)).ok_or_else(|| err(format!("{name}: overflow or division by 0")))?;
    }
    Ok(Value::from(acc))
}

fn add(args: &[Value]) -> Result<Value, FuncError> {
    fold("add", args, i64::checked_add)
}
fn add1(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("add1", args)?;
    fold("add1", &[v.clone(), Value::from(1)], i64::checked_add)
}
fn sub(args: &[Value]) -> Result<Value, FuncError> {
    exactly("sub", args, 2)?;
    fold("sub", args, i64::checked_sub)
}
fn mul(args: &[Value]) -> Result<Value, FuncError> {
    fold("mul", args, i64::checked_mul)
}
fn div(args: &[Value]) -> Result<Value, FuncError> {
    exactly("div", args, 2)?;
    fold("div", args, i64::checked_div)
}
fn modulo(args: &[Value]) -> Result<Value, FuncError> {
    exactly("mod", args, 2)?;
    fold("mod", args, i64::checked_rem)
}
fn max(args: &[Value]) -> Result<Value, FuncError> {
    fold("max", args, |a, b| Some(a.max(b)))
}
fn min(args: &[Value]) -> Result<Value, FuncError> {
    fold("min", args, |a, b| Some(a.min(b)))
}
fn int(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("int", args)?;
    Ok(Value::from(to_i64(v)))
}
fn atoi(args: &[Value]) -> Result<Value, FuncError> {
    let v = one("atoi", args)?;
    Ok(Value::from(text(v).trim().parse::<i64>().unwrap_or(0)))
}
