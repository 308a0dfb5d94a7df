fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_no_strategy.json");
}
