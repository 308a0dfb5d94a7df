fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_proxy_no_op.json");
}
