fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/lua_no_op.json");
}
