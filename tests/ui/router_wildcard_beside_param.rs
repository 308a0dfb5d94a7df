fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/router_wildcard_beside_param.json");
}
