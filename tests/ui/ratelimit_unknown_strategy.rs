fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_unknown_strategy.json");
}
