fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/http_cache_no_op.json");
}
