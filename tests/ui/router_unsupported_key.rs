fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/router_unsupported_key.json");
}
