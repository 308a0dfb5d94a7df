fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/ratelimit_header_key.json");
}
