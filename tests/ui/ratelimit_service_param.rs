fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_service_param.json");
}
