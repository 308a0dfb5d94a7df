fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_type.json");
}
