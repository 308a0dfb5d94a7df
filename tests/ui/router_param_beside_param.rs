fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/router_param_beside_param.json");
}
