//! The per-call cost of a Lua script on a worker's state (`krustd_runtime::lua::engine::run`),
//! without HTTP: an empty `post` snippet (the fixed cost of one call), and the bench contract's
//! `post` (`contracts/bench/lua.json`: one key set on a 10-key response). `cargo bench --bench
//! lua`; the medians go to BENCHMARKS.md ("Lua per-call cost").

use criterion::Criterion;
use krustd_runtime::lua::engine::{self, Phase};
use krustd_runtime::lua::objects::{Resp, RespUd, RESP_SLOT};
use krustd_runtime::lua::{data, LuaSpec};
use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Duration;

static EMPTY: LuaSpec = LuaSpec {
    sources: &[],
    pre: None,
    post: Some(""),
    open_libs: false,
    skip_next: false,
};

static SET_KEY: LuaSpec = LuaSpec {
    sources: &[(
        "bench.lua",
        "function mark(r)\n  local d = r:data()\n  d:set('lua', true)\nend\n",
    )],
    pre: None,
    post: Some("mark(response.load())"),
    open_libs: true,
    skip_next: false,
};

fn response() -> Rc<RefCell<Resp>> {
    let mut m = serde_json::Map::new();
    for i in 0..10 {
        m.insert(format!("key{i}"), serde_json::Value::from(i));
    }
    Rc::new(RefCell::new(Resp::decoded(data::table_from(m), true)))
}

fn main() {
    // `KRUSTD_LUA_BENCH_CALLS=n`: n calls of each script and no timing, for an instruction
    // count (`perf stat -e instructions:u`, n against 0) that the machine's load does not blur.
    if let Some(n) = std::env::var("KRUSTD_LUA_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
    {
        for spec in [&EMPTY, &SET_KEY] {
            // The state is built by the first call, outside the counted ones.
            let r = response();
            let _ = engine::run(spec, Phase::Post, |lua| {
                lua.set_named_registry_value(RESP_SLOT, RespUd(r.clone()))
            });
        }
        for spec in [&EMPTY, &SET_KEY] {
            for _ in 0..n {
                let r = response();
                let out = engine::run(spec, Phase::Post, |lua| {
                    lua.set_named_registry_value(RESP_SLOT, RespUd(r.clone()))
                });
                black_box(out.is_ok());
            }
        }
        return;
    }
    let mut c = Criterion::default()
        .configure_from_args()
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    for (name, spec) in [("lua/call-empty", &EMPTY), ("lua/call-set-key", &SET_KEY)] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let r = response();
                let out = engine::run(spec, Phase::Post, |lua| {
                    lua.set_named_registry_value(RESP_SLOT, RespUd(r.clone()))
                });
                black_box(out.is_ok())
            })
        });
    }
    c.final_summary();
}
