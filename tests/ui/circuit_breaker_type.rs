fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/circuit_breaker_type.json");
}
